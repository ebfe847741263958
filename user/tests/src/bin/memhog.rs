//! Scale test (issue 15, `scale_memory_hog`): a program that allocates until refused gets
//! `OutOfMemory` from its own budget, others are unaffected while it holds everything it could
//! get, and all its pages come back when it ends.
//!
//! `memhog hog` is the hog: it allocates pages until the kernel refuses, says how it was refused,
//! and waits to be killed. `memhog` (run from the shell, which gives it all it can spare) starts a
//! bystander (a copy of itself with a small budget of its own), then the hog with `HOG_MAX` pages; while the hog holds its whole budget the
//! bystander allocates, maps its page and starts an environment, and so does `memhog` itself;
//! then the hog is killed, and the machine's free page count must be what it was before the hog.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::{Error, MapUpdate, Rights, ANY_PAGE};
use exos::proc::process::{self, Status, SIGKILL};
use exos::sys::syscall::*;
use exos::sys::vm;
use user::{page_word, set_page_word, Checks};

const SHARED: u64 = 0x6100_0000;
/// Shared page words: the bystander is ready, may go, is done, and what worked (bits).
const READY: usize = 0;
const GO: usize = 1;
const DONE: usize = 2;
const RESULT: usize = 3;
const BYSTANDER_BUDGET: u64 = 512;
/// The most the hog is given: its pages are capabilities, and a capability table has 1,024 slots
/// (growable tables, issue 15 item 4, lift this: then the hog gets all this process can spare).
const HOG_MAX: u64 = 900;
const EXTRA: usize = 32;

fn hog() -> i64 {
    let mut held = 0u64;
    let refused = loop {
        match sys_page_alloc(ANY_PAGE) {
            Ok(_) => held += 1,
            Err(e) => break e,
        }
    };
    exos::println!("memhog: hog refused after {held} pages: {refused:?}");
    // Hold everything until killed, asleep (its creator waits for that: the line above is out).
    loop {
        let _ = exos::sys::wait::sleep(0, None);
        process::check_signals();
    }
}

/// The bystander: holds a few pages, then (while the hog holds all it could get) allocates more,
/// maps one, starts an environment, and gives the extra pages back.
extern "C" fn bystander() -> ! {
    let mut slots = [0u64; EXTRA];
    for _ in 0..EXTRA {
        let _ = sys_page_alloc(ANY_PAGE);
    }
    set_page_word(SHARED, READY, 1);
    while page_word(SHARED, GO) == 0 {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
    let mut result = 0;
    let mut got = 0;
    for slot in slots.iter_mut() {
        if let Ok((_, s)) = sys_page_alloc(ANY_PAGE) {
            *slot = s;
            got += 1;
        }
    }
    result |= u64::from(got == EXTRA);
    // (Next to the shared page: in a page table that exists, so the machine's free count is the
    // same afterwards; an environment keeps its own emptied page tables for reuse.)
    let va = SHARED + 0x1_0000;
    let map = MapUpdate { op: MapUpdate::MAP, va, slot: slots[0], rights: Rights::READ.0 | Rights::WRITE.0 };
    if sys_page_map(&[map]) == (1, None) {
        user::set_page_word(va, 0, 42);
        result |= u64::from(page_word(va, 0) == 42) << 1;
        sys_page_map(&[MapUpdate { op: MapUpdate::UNMAP, va, slot: 0, rights: 0 }]);
    }
    if let Ok((_, env)) = sys_env_create(abi::ENV_RECORD_PAGES) {
        result |= 1 << 2;
        let _ = sys_env_destroy(env);
    }
    for s in &slots[..got] {
        let _ = sys_page_free(*s);
    }
    set_page_word(SHARED, RESULT, result);
    set_page_word(SHARED, DONE, 1);
    loop {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
}

/// The machine's free pages, as published at the next timer tick.
fn free_pages() -> u64 {
    let tick = vm::sysinfo().ticks;
    while vm::sysinfo().ticks < tick + 2 {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
    vm::sysinfo().free_pages
}

/// Starts the hog with `budget` pages and waits until it has stopped allocating (its whole budget
/// charged, or no new page for ten ticks); returns its id.
fn start_hog(budget: u64) -> Option<u64> {
    let pid = exos::proc::spawn::spawn_budget("/test/memhog", &["memhog", "hog"], &[], &[], budget).ok()?;
    let index = abi::env_index(pid);
    let (mut pages, mut since) = (0, vm::sysinfo().ticks);
    while vm::budget_info(index).free() > 0 || vm::budget_info(index).limit == 0 {
        if u64::from(vm::env_id(index)) != pid {
            return None;
        }
        let now = vm::env_info(index).pages;
        if now != pages {
            (pages, since) = (now, vm::sysinfo().ticks);
        } else if vm::sysinfo().ticks > since + 10 {
            break;
        }
        let _ = sys_env_yield(pid);
    }
    // Its report is printed before it sleeps: wait for that, so the lines keep their order.
    let since = vm::sysinfo().ticks;
    while vm::env_info(index).state != abi::ENV_SLEEPING && vm::sysinfo().ticks < since + 500 {
        if u64::from(vm::env_id(index)) != pid {
            return None;
        }
        let _ = sys_env_yield(pid);
    }
    Some(pid)
}

fn stop(pid: u64) -> Result<Status, Error> {
    process::kill(pid, SIGKILL)?;
    process::wait(pid)
}

fn main() -> i64 {
    if exos::proc::spawn::args().nth(1) == Some("hog") {
        return hog();
    }
    let mut c = Checks::new("memhog");
    // A first small hog makes this process's tables and heap reach their steady size.
    let warm = start_hog(64);
    c.check("a small hog runs into its budget", warm.is_some());
    if let Some(pid) = warm {
        c.equal("and is killed", stop(pid), Ok(Status::Signaled(SIGKILL)));
    }
    let (_, shared) = sys_page_alloc(ANY_PAGE).expect("a shared page");
    let rw = Rights::READ.0 | Rights::WRITE.0;
    c.equal("map the shared page", sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: SHARED, slot: shared, rights: rw }]), (1, None));
    let (_, by_slot) = user::spawn_budget(bystander, &[(SHARED, shared)], BYSTANDER_BUDGET).expect("the bystander");
    while page_word(SHARED, READY) == 0 {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
    let before = free_pages();
    let mine = exos::proc::budget::own();
    let Some(pid) = start_hog(HOG_MAX) else {
        c.check("the big hog started", false);
        return c.finish();
    };
    let hog = vm::budget_info(abi::env_index(pid));
    exos::println!("memhog: the hog holds {} pages of its budget of {} (this process had {} free)", hog.used, hog.limit, mine.free());
    c.check("the hog got what it was given", hog.limit >= HOG_MAX);
    c.equal("the hog used up its budget, not the machine", hog.free(), 0);
    // Everyone else goes on.
    set_page_word(SHARED, GO, 1);
    while page_word(SHARED, DONE) == 0 {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
    c.equal("the bystander allocated, mapped and started an environment", page_word(SHARED, RESULT), 0b111);
    let mine_ok = sys_page_alloc(ANY_PAGE).map(|(_, s)| sys_page_free(s));
    c.equal("this process still allocates", mine_ok, Ok(Ok(())));
    c.equal("the hog is killed", stop(pid), Ok(Status::Signaled(SIGKILL)));
    c.equal("the hog owns no page", user::pages_owned_by(pid), 0);
    c.equal("its budget went back", vm::budget_info(abi::env_index(pid)), abi::BudgetInfo::default());
    c.equal("this process's budget is whole again", exos::proc::budget::own().used, mine.used);
    let after = free_pages();
    exos::println!("memhog: free pages before the hog {before}, after {after}");
    c.equal("the machine's free pages are back", after, before);
    let _ = sys_env_destroy(by_slot);
    c.finish()
}

exos::main!(main);
