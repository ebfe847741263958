//! Revocation under memory pressure (boot with `user_pages=160`). A hog child (a copy of this
//! program) takes every page left in the budget, marking two vital; then the parent asks for a
//! page. The kernel asks the hog for pages back. Round 1: the hog cooperates and frees the pages it
//! chooses. Round 2: the hog ignores the request; past the deadline the kernel repossesses pages
//! itself, never the vital ones, and lists them in the hog's repossession vector.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::{env_index, Error, MapUpdate, Rights, ANY_PAGE, MAX_ENVS};
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use exos::sys::syscall::*;
use exos::sys::vm;
use user::{Checks, page_word, set_page_word, spawn};

/// The budget the test boots with (`user_pages=`).
const BUDGET: u64 = 160;
const SHARED: u64 = 0x6100_0000;
/// Shared page layout (u64 words): 0 mode (1 cooperative, 2 selfish), 1 ready, 2 pages asked,
/// 3 pages freed, 4 repossessed count, 5 vital pages intact, 6 done.
const MODE: usize = 0;
const READY: usize = 1;
const ASKED: usize = 2;
const FREED: usize = 3;
const REPOSSESSED: usize = 4;
const VITAL_OK: usize = 5;
const DONE: usize = 6;

/// The hog's pages (slots), newest last.
static SLOTS: [AtomicU64; 128] = [const { AtomicU64::new(0) }; 128];
static HELD: AtomicUsize = AtomicUsize::new(0);

fn give_back(pages: u64, _deadline: u64) {
    // The library chooses: the newest pages, never the first two (its vital ones).
    let mut freed = 0;
    while freed < pages && HELD.load(Ordering::Relaxed) > 2 {
        let i = HELD.fetch_sub(1, Ordering::Relaxed) - 1;
        if sys_page_free(SLOTS[i].load(Ordering::Relaxed)).is_ok() {
            freed += 1;
        }
    }
    set_page_word(SHARED, FREED, freed);
    set_page_word(SHARED, ASKED, pages);
}

fn ignore(pages: u64, _deadline: u64) {
    set_page_word(SHARED, ASKED, pages);
}

fn resume_anything(_: &mut abi::ExceptionFrame) -> bool {
    false
}

extern "C" fn hog_main() -> ! {
    exos::rt::exception::set_handler(resume_anything).expect("handler");
    exos::rt::exception::set_revoke_handler(if page_word(SHARED, MODE) == 1 { give_back } else { ignore });
    let used: u64 = (0..MAX_ENVS).map(|i| u64::from(vm::env_info(i).pages)).sum();
    for (i, held) in SLOTS.iter().take(BUDGET.saturating_sub(used).min(128) as usize).enumerate() {
        match sys_page_alloc(ANY_PAGE) {
            Ok((_, slot)) => held.store(slot, Ordering::Relaxed),
            Err(_) => break,
        }
        HELD.store(i + 1, Ordering::Relaxed);
    }
    for vital in &SLOTS[..2] {
        let _ = sys_page_set_vital(vital.load(Ordering::Relaxed), true);
    }
    set_page_word(SHARED, READY, HELD.load(Ordering::Relaxed) as u64);
    loop {
        let (count, _) = vm::repossessed();
        if count > 0 && page_word(SHARED, REPOSSESSED) == 0 {
            set_page_word(SHARED, REPOSSESSED, count);
            // The vital pages must still be mine: mapping them works.
            let ok = (0..2).all(|i| {
                let update = MapUpdate { op: MapUpdate::MAP, va: 0x6200_0000 + i * 4096, slot: SLOTS[i as usize].load(Ordering::Relaxed), rights: Rights::READ.0 };
                sys_page_map(&[update]) == (1, None)
            });
            set_page_word(SHARED, VITAL_OK, u64::from(ok));
        }
        let _ = sys_env_yield(abi::ANY_ENV);
    }
}

/// One round: returns whether the parent got its page.
fn round(c: &mut Checks, mode: u64, shared: u64) -> bool {
    for i in 0..8 {
        set_page_word(SHARED, i, 0);
    }
    set_page_word(SHARED, MODE, mode);
    let (hog, hog_slot) = spawn(hog_main, &[(SHARED, shared)]).expect("spawning the hog");
    while page_word(SHARED, READY) == 0 {
        let _ = sys_env_yield(hog);
    }
    c.check("the hog took the rest of the budget", vm::env_info(env_index(hog)).pages > 16);
    let mut got = None;
    for _ in 0..200_000 {
        match sys_page_alloc(ANY_PAGE) {
            Ok(page) => {
                got = Some(page);
                break;
            }
            Err(Error::NoMemory) => {
                let _ = sys_env_yield(abi::ANY_ENV);
            }
            Err(e) => {
                exos::println!("pressure: FAIL: page_alloc: {e:?}");
                break;
            }
        }
    }
    // The hog may still be inside its handler (the timer can preempt it between two frees).
    let mut rounds = 0;
    while mode == 1 && (page_word(SHARED, ASKED) == 0 || page_word(SHARED, FREED) < page_word(SHARED, ASKED)) && rounds < 100_000 {
        let _ = sys_env_yield(hog);
        rounds += 1;
    }
    if mode == 2 {
        while page_word(SHARED, REPOSSESSED) == 0 {
            let _ = sys_env_yield(hog);
        }
    }
    set_page_word(SHARED, DONE, 1);
    exos::println!("pressure: round {mode}: hog asked for {} pages, freed {}, repossessed {}, vital pages intact: {}",
                   page_word(SHARED, ASKED), page_word(SHARED, FREED), page_word(SHARED, REPOSSESSED), page_word(SHARED, VITAL_OK) == 1);
    if let Some((_, slot)) = got {
        let _ = sys_page_free(slot);
    }
    let _ = sys_env_destroy(hog_slot);
    got.is_some()
}

fn main() -> i64 {
    let mut c = Checks::new("pressure");
    let (_, shared) = sys_page_alloc(ANY_PAGE).expect("shared page");
    let rw = Rights::READ.0 | Rights::WRITE.0;
    c.equal("map shared", sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: SHARED, slot: shared, rights: rw }]), (1, None));
    let got = round(&mut c, 1, shared);
    c.check("cooperative: the parent gets a page", got);
    c.equal("cooperative: the hog chose and freed what was asked", (page_word(SHARED, ASKED), page_word(SHARED, FREED), page_word(SHARED, REPOSSESSED)), (16, 16, 0));
    let got = round(&mut c, 2, shared);
    c.check("selfish: the parent still gets a page", got);
    c.equal("selfish: the kernel repossessed what was asked", (page_word(SHARED, ASKED), page_word(SHARED, FREED), page_word(SHARED, REPOSSESSED)), (16, 0, 16));
    c.check("selfish: vital pages were spared", page_word(SHARED, VITAL_OK) == 1);
    c.finish()
}

exos::main!(main);
