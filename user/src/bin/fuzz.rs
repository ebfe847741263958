//! System-call fuzzer: a million calls per seed, three seeds, with numbers and arguments drawn from
//! a mix of garbage and nearly valid values (small slots, user and kernel addresses, page-aligned
//! addresses, the special values). The kernel must not panic or hang, and every page must come
//! back when the program ends (the test run forbids `exo: LEAK`).
//!
//! Calls that would end or park the fuzzer itself (`env_exit`, `pct_wait`), print garbage
//! (`console_write`), or start children at random addresses (`env_start`) are left out.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::Sysnum;

struct Rng(u64);

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
            3 | 4 => (r >> 8) % 64,
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
    for seed in [0x9e37_79b9_7f4a_7c15u64, 0xdead_beef_cafe_f00d, 42] {
        let mut rng = Rng(seed);
        let (mut issued, mut ok) = (0u64, 0u64);
        while issued < calls {
            let number = match rng.next() % 20 {
                19 => rng.next(),
                n => n % Sysnum::ALL.len() as u64,
            };
            if Sysnum::try_from(number).is_ok_and(|s| SKIPPED.contains(&s)) {
                continue;
            }
            let args = [rng.argument(), rng.argument(), rng.argument(), rng.argument(), rng.argument(), rng.argument()];
            let (_, error) = user::raw_syscall(number, args);
            issued += 1;
            ok += u64::from(error.is_none());
        }
        exos::println!("fuzz: seed {seed:#x}: {calls} calls, {ok} succeeded");
    }
    exos::println!("fuzz: done");
}

exos::main!(main);
