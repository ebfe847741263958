//! System-call fuzzer: a million calls per seed, three seeds, with numbers and arguments drawn from
//! a mix of garbage and nearly valid values (small slots, user and kernel addresses, page-aligned
//! addresses, the special values). The kernel must not panic or hang, and every page must come
//! back when the program ends (the test run forbids `exo: LEAK`).
//!
//! Slot-like arguments start past the slots of the program's own image and stack. Calls that would
//! end or park the fuzzer itself (`env_exit`, `pct_wait`), print garbage
//! (`console_write`), or start children at random addresses (`env_start`) are left out.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::Sysnum;

/// A random generator, and the first capability slot the fuzzer may hit: the program's own image
/// and stack pages hold the slots below it (freeing those would only end the fuzzer).
struct Rng(u64, u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// An argument: garbage, or something close to what the kernel accepts.
    fn argument(&mut self) -> u64 {
        let r = self.next();
        match r % 10 {
            0 => r,
            1 => u64::MAX,
            2 => 0,
            3 | 4 => self.1 + (r >> 8) % 64,
            5 => 0x2000_0000 + ((r >> 8) % 64) * 4096,
            6 => abi::layout::KERNEL_BASE + (r >> 40),
            7 => 0x40_0000 + (r >> 8) % 0x4000,
            8 => abi::layout::PAGE_OWNERS_BASE + (r >> 50),
            _ => (r >> 8) % 8,
        }
    }
}

const SKIPPED: [Sysnum; 4] = [Sysnum::EnvExit, Sysnum::PctWait, Sysnum::ConsoleWrite, Sysnum::EnvStart];

fn main() {
    let calls = 1_000_000u64;
    // The first free slot is the first one past the program's image and stack.
    let (_, first_free) = exos::sys::syscall::sys_page_alloc(abi::ANY_PAGE).expect("a page");
    for seed in [0x9e37_79b9_7f4a_7c15u64, 0xdead_beef_cafe_f00d, 42] {
        let mut rng = Rng(seed, first_free);
        let (mut issued, mut ok) = (0u64, 0u64);
        while issued < calls {
            let number = match rng.next() % 20 {
                19 => rng.next(),
                n => n % Sysnum::ALL.len() as u64,
            };
            if Sysnum::try_from(number).is_ok_and(|s| SKIPPED.contains(&s)) {
                continue;
            }
            let mut args = [rng.argument(), rng.argument(), rng.argument(), rng.argument(), rng.argument(), rng.argument()];
            // Freeing or deleting its own image would only end the fuzzer.
            let own = [Sysnum::PageFree, Sysnum::CapDelete, Sysnum::CapRevoke];
            if Sysnum::try_from(number).is_ok_and(|s| own.contains(&s)) && args[0] < first_free {
                args[0] += first_free;
            }
            let (_, error) = user::raw_syscall(number, args);
            issued += 1;
            ok += u64::from(error.is_none());
        }
        exos::println!("fuzz: seed {seed:#x}: {calls} calls, {ok} succeeded");
    }
    exos::println!("fuzz: done");
}

exos::main!(main);
