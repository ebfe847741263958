//! System-call fuzzer: a million calls per seed, three seeds, with numbers and arguments drawn from
//! a mix of garbage and nearly valid values (small slots, user and kernel addresses, page-aligned
//! addresses, the special values). The kernel must not panic or hang, and every page must come
//! back when the program ends (the test run forbids `exo: LEAK`).
//!
//! Slot-like arguments start past the slots of the program's own image and stack. Calls that would
//! end or park the fuzzer itself (`env_exit`, `pct_wait`), print garbage
//! (`console_write`), or start children at random addresses (`env_start`) are left out.
//!
//! Grants between environments: half the fuzzer's `cap_grant`s go to a live environment (a child
//! it created, or the `stranger` child below) instead of a random id, and a started child, which
//! holds no right over the fuzzer, keeps granting its own page into the fuzzer's table with random
//! rights while the fuzzer runs: the kernel must refuse every one of those (the fuzzer never
//! consented), and the fuzzer prints how many were not refused with `NoRights` (the test expects 0).
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::{Error, MapUpdate, Rights, Sysnum, ANY_PAGE};
use exos::ipc::region::{parent_of, self_id};
use exos::sys::syscall::{sys_cap_grant, sys_env_destroy, sys_env_yield, sys_page_alloc, sys_page_map};
use user::{mapped_page, mapped_page_mut, spawn};

/// The page the fuzzer shares with the stranger: words 0 (stop), 1 (grants tried), 2 (accepted).
const SHARED: u64 = 0x6100_0000;

fn word(i: usize) -> u64 {
    u64::from_le_bytes(mapped_page(SHARED)[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]))
}

fn set(i: usize, value: u64) {
    mapped_page_mut(SHARED)[i * 8..i * 8 + 8].copy_from_slice(&value.to_le_bytes());
}

/// A child with no right over the fuzzer: grants its own page into the fuzzer's table, with random
/// rights, until told to stop (word 0); counts the attempts and the grants the kernel accepted.
extern "C" fn stranger() -> ! {
    let parent = parent_of(self_id().unwrap_or(0));
    let mut rng = Rng(0x5eed_1234_5678_9abc, 0);
    if let Ok((_, page)) = sys_page_alloc(ANY_PAGE) {
        while word(0) == 0 {
            let rights = Rights(rng.next() % 16);
            if sys_cap_grant(page, parent, rights) != Err(Error::NoRights) {
                set(2, word(2) + 1);
            }
            set(1, word(1) + 1);
            let _ = sys_env_yield(abi::ANY_ENV);
        }
    }
    loop {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
}

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
    // The stranger and its shared page first, so their slots are below `first_free` (kept).
    let (_, shared) = sys_page_alloc(ANY_PAGE).expect("the shared page");
    let rw = Rights::READ.0 | Rights::WRITE.0;
    let _ = sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: SHARED, slot: shared, rights: rw }]);
    let (stranger_id, stranger_slot) = spawn(stranger, &[(SHARED, shared)]).expect("spawning the stranger");
    // Live environments to grant to: the stranger, and the children the fuzzer's `env_create`s made.
    let mut targets = [stranger_id; 4];
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
            // Freeing or deleting its own image (or the stranger) would only end the fuzzer (the test).
            let own = [Sysnum::PageFree, Sysnum::CapDelete, Sysnum::CapRevoke, Sysnum::EnvDestroy];
            if Sysnum::try_from(number).is_ok_and(|s| own.contains(&s)) && args[0] < first_free {
                args[0] += first_free;
            }
            if number == Sysnum::CapGrant as u64 && rng.next() & 1 == 0 {
                args[1] = targets[(rng.next() % targets.len() as u64) as usize];
            }
            let (value, error) = user::raw_syscall(number, args);
            if number == Sysnum::EnvCreate as u64 && error.is_none() {
                targets[(issued % 3) as usize + 1] = value >> 16;
            }
            issued += 1;
            ok += u64::from(error.is_none());
        }
        exos::println!("fuzz: seed {seed:#x}: {calls} calls, {ok} succeeded");
    }
    set(0, 1);
    exos::println!("fuzz: the stranger's grants into my table: {} tried, {} not refused", word(1), word(2));
    let _ = sys_env_destroy(stranger_slot);
    exos::println!("fuzz: done");
}

exos::main!(main);
