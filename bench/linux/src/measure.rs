//! The measuring tools every benchmark shares: the tick counter (`lfence; rdtsc`), the per-line
//! report (`BENCH name=<id> median=<ticks per op> min=<ticks per op> iters=<n>`), the fixed-seed
//! random sequence, and the fatal-error exit.

use core::arch::asm;

/// Repeats per benchmark in a full run; the median and minimum are over these (REPEATS in Exo's
/// `user/benches/src/bin/bench.rs`).
pub const REPEATS: usize = 7;

/// The page size the benchmarks step by.
pub const PAGE: usize = 4096;

/// The TSC after every earlier instruction has completed (`lfence; rdtsc`). A tick is one TSC
/// cycle, or one retired guest instruction under QEMU `-icount shift=0,sleep=off`.
#[inline(always)]
pub fn rdtsc() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: lfence and rdtsc only read the time-stamp counter into eax:edx (declared outputs);
    // the asm is left able to touch memory so the compiler keeps it in program order.
    unsafe {
        asm!("lfence", "rdtsc", out("eax") lo, out("edx") hi, options(nostack, preserves_flags));
    }
    (u64::from(hi) << 32) | u64::from(lo)
}

/// How many repeats this run makes, and the printing of each line.
#[derive(Debug, Clone, Copy)]
pub struct Runner {
    /// [`REPEATS`], or 1 with the argument `quick` (`cargo xtask bench --quick`; as the guest's
    /// /init the program gets it from the kernel command line after `--`).
    pub repeats: usize,
}

impl Runner {
    /// Runs `one_repeat` (which returns ticks per operation) `repeats` times and prints the
    /// line `name` with the median and minimum; `iters` is the operations per repeat.
    pub fn run(self, name: &str, iters: u64, mut one_repeat: impl FnMut() -> f64) {
        let mut per_op: Vec<f64> = (0..self.repeats).map(|_| one_repeat()).collect();
        report(name, &mut per_op, iters);
    }
}

/// Prints the BENCH line for `per_op` (one value per repeat, ticks per operation).
pub fn report(name: &str, per_op: &mut [f64], iters: u64) {
    per_op.sort_by(f64::total_cmp);
    println!(
        "BENCH name={name} median={:.1} min={:.1} iters={iters}",
        per_op[per_op.len() / 2],
        per_op[0]
    );
}

/// Ticks per operation for `ticks` over `iters` operations.
pub fn per_op(ticks: u64, iters: u64) -> f64 {
    ticks as f64 / iters as f64
}

/// Fixed-seed xorshift, so the "random" page sequences are the same in every run (and the same
/// as Exo's `vmbench.rs`).
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    pub const fn new() -> Rng {
        Rng(0x2545_f491_4f6c_dd1d)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Prints `what` with the last OS error (as C's `perror`) and exits with status 1.
pub fn die(what: &str) -> ! {
    eprintln!("{what}: {}", std::io::Error::last_os_error());
    std::process::exit(1);
}
