//! What the benchmark programs of `cargo xtask bench` (`user/benches/`) share: the repeat count and
//! quick mode (the `--quick` argument), the time-stamp counter, the `BENCH` line, the timing loop, and the fixed-seed
//! random sequence the Linux program (`bench/linux`) uses too.
//!
//! Each line is `BENCH name=<id> median=<ticks per op> min=<ticks per op> iters=<n>` over
//! [`repeats`] repeats; a tick is a TSC cycle, or one guest instruction under QEMU
//! `-icount shift=0,sleep=off`.

use core::sync::atomic::{AtomicBool, Ordering};
use exos::println;

/// Repeats per line; the median and minimum are over these (as in `bench/linux/src/measure.rs`).
pub const REPEATS: usize = 7;
/// Quick mode: one repeat per line (`cargo xtask bench --quick` and the test suite).
static QUICK: AtomicBool = AtomicBool::new(false);

/// Selects quick mode (one repeat per line) or the full [`REPEATS`].
pub fn set_quick(quick: bool) {
    QUICK.store(quick, Ordering::Relaxed);
}

/// The benchmark program's arguments: `--quick` (one repeat per line) or nothing. A spawned program
/// reads its `argv`, a boot program the boot arguments (`run=vmbench -- --quick`). Anything else
/// is refused with a usage line naming `program`: `Err(2)`, the exit status. (Kept small: a
/// benchmark's fork copies every page of its image, so its code size shows in the `fork` line.)
pub fn quick_argument(program: &str) -> Result<bool, i64> {
    let mut argv = exos::proc::spawn::args();
    // A boot program has no argv (not even argv[0]).
    let first = match argv.next() {
        None => exos::sys::vm::boot_args(),
        Some(_) => argv.next().unwrap_or(""),
    };
    let extra = argv.next().is_some();
    match first {
        "" => Ok(false),
        "--quick" if !extra => Ok(true),
        _ => {
            println!("usage: {program} [--quick]");
            Err(2)
        }
    }
}

/// The repeats this run makes: [`REPEATS`], or 1 in quick mode.
pub fn repeats() -> usize {
    if QUICK.load(Ordering::Relaxed) { 1 } else { REPEATS }
}

/// The TSC after earlier instructions have completed (`lfence; rdtsc`, as the Linux program).
#[inline(always)]
pub fn rdtsc() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: lfence and rdtsc only read the time-stamp counter (CR4.TSD is clear for ring 3).
    unsafe { core::arch::asm!("lfence", "rdtsc", out("eax") lo, out("edx") hi, options(nostack)) };
    (u64::from(hi) << 32) | u64::from(lo)
}

/// Prints the `BENCH` line for `per_op` (ticks per operation of each repeat).
pub fn report(name: &str, per_op: &mut [f64], iters: u64) {
    per_op.sort_unstable_by(|a, b| a.total_cmp(b));
    println!("BENCH name={name} median={:.1} min={:.1} iters={iters}", per_op[per_op.len() / 2], per_op[0]);
}

/// Runs `op` `iters` times per repeat and prints the `BENCH` line; `false` (with a message) if an
/// operation failed.
pub fn measure(name: &str, iters: u64, mut op: impl FnMut() -> bool) -> bool {
    let mut per_op = [0f64; REPEATS];
    let per_op = &mut per_op[..repeats()];
    for slot in per_op.iter_mut() {
        let start = rdtsc();
        for _ in 0..iters {
            if !op() {
                println!("bench: {name}: an operation failed");
                return false;
            }
        }
        *slot = (rdtsc() - start) as f64 / iters as f64;
    }
    report(name, per_op, iters);
    true
}

/// Fixed-seed xorshift, so every run (and the Linux program) takes the same sequence.
pub struct Random(pub u64);

impl Random {
    /// The seed both sides of the benchmarks use.
    pub const SEED: u64 = 0x2545_f491_4f6c_dd1d;

    /// The next number of the sequence.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}
