//! The revocation page under hostile and inline answers (boot with `user_pages=160`). A hog child
//! takes the rest of the budget, marks two pages vital; the parent then asks for a page, so the
//! kernel asks the hog for 16 back and shows the request in the hog's revocation page
//! (`vm::revocation`). Round 1 (partial): the hog's revocation handler sees the request in the page
//! too, frees only 10 and ignores the rest; the page shows 6 still owed, and at the deadline the
//! kernel takes exactly those 6, never a vital page, and clears the request. Round 2 (inline): the
//! hog sits inside its own exception handler when asked (the upcall cannot reach it), sees the
//! request in the page and frees 16 from there; the request is over, no upcall follows, and
//! nothing is repossessed.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::{Error, ExceptionFrame, MapUpdate, Rights, ANY_PAGE, MAX_ENVS};
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use exos::sys::syscall::*;
use exos::sys::vm;
use user::{Checks, page_word, set_page_word, spawn};

const BUDGET: u64 = 160;
const SHARED: u64 = 0x6100_0000;
/// Shared words.
const MODE: usize = 0;
const READY: usize = 1;
/// Pages and deadline of the upcall; the page's request on entry to the handler (pages,
/// deadline) and after the frees (pages).
const UPCALL_PAGES: usize = 2;
const UPCALL_DEADLINE: usize = 3;
const SEEN_PAGES: usize = 4;
const SEEN_DEADLINE: usize = 5;
const AFTER_PAGES: usize = 6;
const FREED: usize = 7;
const REPOSSESSED: usize = 8;
const VITAL_OK: usize = 9;
/// Whether the page showed no request once the hog was done (1: none).
const CLEARED: usize = 10;
const UPCALLS: usize = 11;
const DONE: usize = 12;
const WORDS: usize = 13;
const PARTIAL: u64 = 1;
const INLINE: u64 = 2;

static SLOTS: [AtomicU64; 128] = [const { AtomicU64::new(0) }; 128];
static HELD: AtomicUsize = AtomicUsize::new(0);

/// Frees up to `pages` of the newest pages, never the two vital ones.
fn free(pages: u64) -> u64 {
    let mut freed = 0;
    while freed < pages && HELD.load(Ordering::Relaxed) > 2 {
        let i = HELD.fetch_sub(1, Ordering::Relaxed) - 1;
        if sys_page_free(SLOTS[i].load(Ordering::Relaxed)).is_ok() {
            freed += 1;
        }
    }
    freed
}

fn see_request() {
    let (pages, deadline) = vm::revocation().unwrap_or((0, 0));
    set_page_word(SHARED, SEEN_PAGES, pages);
    set_page_word(SHARED, SEEN_DEADLINE, deadline);
}

/// Round 1's revocation handler: frees 10 of what is asked.
fn partial(pages: u64, deadline: u64) {
    set_page_word(SHARED, UPCALLS, page_word(SHARED, UPCALLS) + 1);
    set_page_word(SHARED, UPCALL_PAGES, pages);
    set_page_word(SHARED, UPCALL_DEADLINE, deadline);
    see_request();
    set_page_word(SHARED, FREED, free(10));
    set_page_word(SHARED, AFTER_PAGES, vm::revocation().map_or(0, |(p, _)| p));
}

/// Round 2's revocation handler: must never run (the request is met inline).
fn count_upcall(_pages: u64, _deadline: u64) {
    set_page_word(SHARED, UPCALLS, page_word(SHARED, UPCALLS) + 1);
}

/// Round 2's exception handler: waits here (yielding) for the request, answers it from the
/// revocation page, and resumes after the `ud2`.
fn answer_inline(frame: &mut ExceptionFrame) -> bool {
    let until = vm::sysinfo().ticks + 300;
    while vm::revocation().is_none() && vm::sysinfo().ticks < until {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
    see_request();
    set_page_word(SHARED, FREED, free(page_word(SHARED, SEEN_PAGES)));
    set_page_word(SHARED, AFTER_PAGES, vm::revocation().map_or(0, |(p, _)| p));
    frame.rip += 2;
    true
}

/// Enters the exception handler: `ud2` (2 bytes, skipped by the handler).
#[allow(unsafe_code)]
fn invalid_opcode() {
    // SAFETY: ud2 only raises #UD; the handler resumes after it with every register intact.
    unsafe { core::arch::asm!("ud2") };
}

extern "C" fn hog_main() -> ! {
    let inline = page_word(SHARED, MODE) == INLINE;
    exos::rt::exception::set_handler(answer_inline).expect("handler");
    exos::rt::exception::set_revoke_handler(if inline { count_upcall } else { partial });
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
    if inline {
        invalid_opcode();
    }
    loop {
        let (count, _) = vm::repossessed();
        if (count > 0 || inline && page_word(SHARED, FREED) > 0) && page_word(SHARED, CLEARED) == 0 {
            set_page_word(SHARED, REPOSSESSED, count);
            let ok = (0..2).all(|i| {
                let update = MapUpdate { op: MapUpdate::MAP, va: 0x6200_0000 + i * 4096, slot: SLOTS[i as usize].load(Ordering::Relaxed), rights: Rights::READ.0 };
                sys_page_map(&[update]) == (1, None)
            });
            set_page_word(SHARED, VITAL_OK, u64::from(ok));
            set_page_word(SHARED, CLEARED, u64::from(vm::revocation().is_none()) + 1);
        }
        let _ = sys_env_yield(abi::ANY_ENV);
    }
}

/// One round: returns whether the parent got its page.
fn round(mode: u64, shared: u64) -> bool {
    for i in 0..WORDS {
        set_page_word(SHARED, i, 0);
    }
    set_page_word(SHARED, MODE, mode);
    let (hog, hog_slot) = spawn(hog_main, &[(SHARED, shared)]).expect("spawning the hog");
    while page_word(SHARED, READY) == 0 {
        let _ = sys_env_yield(hog);
    }
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
            Err(_) => break,
        }
    }
    // Round 1 ends with the repossession, round 2 with the inline answer; then a few more ticks
    // in which a wrongly pending upcall would arrive.
    let until = vm::sysinfo().ticks + 300;
    while page_word(SHARED, CLEARED) == 0 && vm::sysinfo().ticks < until {
        let _ = sys_env_yield(hog);
    }
    let settle = vm::sysinfo().ticks + 2 * abi::REVOKE_DEADLINE_TICKS;
    while vm::sysinfo().ticks < settle {
        let _ = sys_env_yield(hog);
    }
    set_page_word(SHARED, DONE, 1);
    exos::println!("revoke_window: round {mode}: upcall ({}, {}), {} upcalls, page showed ({}, {}) then {}, freed {}, repossessed {}, vital pages intact: {}, request cleared: {}",
                   page_word(SHARED, UPCALL_PAGES), page_word(SHARED, UPCALL_DEADLINE), page_word(SHARED, UPCALLS), page_word(SHARED, SEEN_PAGES), page_word(SHARED, SEEN_DEADLINE), page_word(SHARED, AFTER_PAGES),
                   page_word(SHARED, FREED), page_word(SHARED, REPOSSESSED), page_word(SHARED, VITAL_OK) == 1, page_word(SHARED, CLEARED) == 2);
    if let Some((_, slot)) = got {
        let _ = sys_page_free(slot);
    }
    let _ = sys_env_destroy(hog_slot);
    got.is_some()
}

fn main() -> i64 {
    let mut c = Checks::new("revoke_window");
    let (_, shared) = sys_page_alloc(ANY_PAGE).expect("shared page");
    let rw = Rights::READ.0 | Rights::WRITE.0;
    c.equal("map shared", sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: SHARED, slot: shared, rights: rw }]), (1, None));
    c.equal("no request pending against the parent", vm::revocation(), None);
    let got = round(PARTIAL, shared);
    c.check("partial: the parent gets a page", got);
    c.equal("partial: the upcall asked for 16, the page showed the same request", (page_word(SHARED, UPCALL_PAGES), page_word(SHARED, SEEN_PAGES), page_word(SHARED, SEEN_DEADLINE)), (16, 16, page_word(SHARED, UPCALL_DEADLINE)));
    c.equal("partial: 10 freed, the page shows 6 still owed", (page_word(SHARED, FREED), page_word(SHARED, AFTER_PAGES)), (10, 6));
    c.equal("partial: the kernel took exactly what was owed", page_word(SHARED, REPOSSESSED), 6);
    c.check("partial: vital pages spared, request cleared", page_word(SHARED, VITAL_OK) == 1 && page_word(SHARED, CLEARED) == 2);
    let got = round(INLINE, shared);
    c.check("inline: the parent gets a page", got);
    c.equal("inline: the page showed 16 owed, the hog freed them, none left", (page_word(SHARED, SEEN_PAGES), page_word(SHARED, FREED), page_word(SHARED, AFTER_PAGES)), (16, 16, 0));
    c.check("inline: a deadline was shown", page_word(SHARED, SEEN_DEADLINE) > 0);
    c.equal("inline: no upcall followed, nothing repossessed", (page_word(SHARED, UPCALLS), page_word(SHARED, REPOSSESSED)), (0, 0));
    c.check("inline: vital pages kept, request cleared", page_word(SHARED, VITAL_OK) == 1 && page_word(SHARED, CLEARED) == 2);
    c.finish()
}

exos::main!(main);
