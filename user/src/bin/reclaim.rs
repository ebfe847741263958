//! Memory pressure answered by ExOS's default revocation handler (`exos::reclaim`; boot with
//! `user_pages=`). A parent and its forked child each map a big demand-zero region, write some of
//! its pages and only read others (clean: still zero). Phase 1: the child is idle and the parent
//! keeps writing past the budget; the kernel asks the child (the other big holder) for pages and
//! its library gives back clean pages. Phase 2: the parent is idle and the child writes past the
//! budget; the parent gives back its clean pages. Both survive, every written value is intact, the
//! pages given back read as zero again, and nothing was repossessed by force.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::{MapUpdate, Rights, ANY_ENV, ANY_PAGE, MAX_ENVS};
use exos::syscall::*;
use exos::{mmap, process, reclaim, vm};
use user::{mapped_page, mapped_page_mut, Checks};

/// The budget the test boots with (`user_pages=`).
const BUDGET: u64 = 400;
/// A page parent and child share across `fork` (mapped with the shared tag).
const CTRL: u64 = 0x6100_0000;
const READY: usize = 0;
const GO: usize = 1;
/// The child's report: ok, requests, clean, cow, busy, repossessed, set.
const CHILD: usize = 8;
const REGION_PAGES: u64 = 512;
/// Child: pages written, then only read, in phase 1; pages written in phase 2.
const CHILD_WRITTEN: u64 = 16;
const CHILD_READ: u64 = 64;
const CHILD_MORE: u64 = 32;
/// Parent: pages only read, and how many pages past the budget it writes.
const PARENT_READ: u64 = 48;
const PARENT_BEYOND: u64 = 32;

fn word(i: usize) -> u64 {
    u64::from_le_bytes(mapped_page(CTRL)[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]))
}

fn set(i: usize, value: u64) {
    mapped_page_mut(CTRL)[i * 8..i * 8 + 8].copy_from_slice(&value.to_le_bytes());
}

/// Pages held by every environment.
fn used() -> u64 {
    (0..MAX_ENVS).map(|i| u64::from(vm::env_info(i).pages)).sum()
}

fn value(tag: u64, i: u64) -> u64 {
    tag << 32 | i
}

/// Writes the value of page `i` at both ends of pages `range` of the region at `base`.
fn write(base: u64, range: core::ops::Range<u64>, tag: u64) {
    for i in range {
        let page = mapped_page_mut(base + i * 4096);
        page[..8].copy_from_slice(&value(tag, i).to_le_bytes());
        page[4088..].copy_from_slice(&value(tag, i).to_le_bytes());
    }
}

/// Whether every page in `range` holds its value (`tag` 0: is all zero at both ends).
fn intact(base: u64, range: core::ops::Range<u64>, tag: u64) -> bool {
    range.into_iter().all(|i| {
        let page = mapped_page(base + i * 4096);
        let expected = if tag == 0 { 0 } else { value(tag, i) };
        let read = |at: usize| u64::from_le_bytes(page[at..at + 8].try_into().unwrap_or([1; 8]));
        core::hint::black_box(read(0)) == expected && read(4088) == expected
    })
}

/// Writes the next 32 KiB of stack, so its pages are this process's own before memory runs out
/// (after `fork` they are copy-on-write, and copying needs a page).
#[inline(never)]
fn own_stack() {
    let mut buf = [0u8; 32 * 1024];
    for i in (0..buf.len()).step_by(4096) {
        buf[i] = 1;
    }
    core::hint::black_box(&mut buf);
}

fn child() -> ! {
    own_stack();
    let base = mmap::mmap(REGION_PAGES * 4096, Rights(Rights::READ.0 | Rights::WRITE.0)).expect("child region");
    write(base, 0..CHILD_WRITTEN, 0xc);
    let read_ok = intact(base, CHILD_WRITTEN..CHILD_WRITTEN + CHILD_READ, 0);
    set(READY, 1);
    while word(GO) == 0 {
        let _ = sys_env_yield(ANY_ENV);
    }
    let more = CHILD_WRITTEN + CHILD_READ..CHILD_WRITTEN + CHILD_READ + CHILD_MORE;
    write(base, more.clone(), 0xc);
    let ok = read_ok
        && intact(base, 0..CHILD_WRITTEN, 0xc)
        && intact(base, more, 0xc)
        && intact(base, CHILD_WRITTEN..CHILD_WRITTEN + CHILD_READ, 0);
    let s = reclaim::stats();
    for (i, v) in [u64::from(ok), s.requests, s.clean, s.cow, s.busy, vm::repossessed().0].into_iter().enumerate() {
        set(CHILD + i, v);
    }
    set(CHILD + 6, 1);
    process::exit(i64::from(!ok))
}

fn main() -> i64 {
    let mut c = Checks::new("reclaim");
    let (_, ctrl) = sys_page_alloc(ANY_PAGE).expect("control page");
    let rw = Rights::READ.0 | Rights::WRITE.0 | exos::cow::MAP_SHARED;
    c.equal("map the control page", sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: CTRL, slot: ctrl, rights: rw }]), (1, None));
    let pid = exos::fork::fork().expect("fork");
    if pid == 0 {
        child();
    }
    own_stack();
    while word(READY) == 0 {
        let _ = sys_env_yield(ANY_ENV);
    }
    // Phase 1: fill the budget, then go past it; the child gives back clean pages.
    let base = mmap::mmap(REGION_PAGES * 4096, Rights(Rights::READ.0 | Rights::WRITE.0)).expect("parent region");
    let read_ok = intact(base, 0..PARENT_READ, 0);
    let free = BUDGET.saturating_sub(used());
    let end = PARENT_READ + free + PARENT_BEYOND;
    exos::println!("reclaim: budget {BUDGET}, {} held after the child filled its share; the parent writes pages {PARENT_READ}..{end}", BUDGET - free);
    write(base, PARENT_READ..end, 0xa);
    c.check("phase 1: the parent got pages past the budget", used() <= BUDGET);
    // Phase 2: the child goes past the budget; the parent gives back clean pages.
    set(GO, 1);
    let status = process::wait(pid);
    c.equal("the child survived and its data is intact", status, Ok(process::Status::Exited(0)));
    c.check("the child reported", word(CHILD + 6) == 1);
    c.check("parent data intact", intact(base, PARENT_READ..end, 0xa));
    c.check("parent read pages are zero (again)", read_ok && intact(base, 0..PARENT_READ, 0));
    let s = reclaim::stats();
    let (child_requests, child_clean) = (word(CHILD + 1), word(CHILD + 2));
    exos::println!("reclaim: child: {child_requests} requests, {child_clean} clean pages and {} copy-on-write pages given back, busy {}; parent: {} requests, {} clean, {} copy-on-write, busy {}, waited {} times",
                   word(CHILD + 3), word(CHILD + 4), s.requests, s.clean, s.cow, s.busy, s.waits);
    c.check("phase 1: the child was asked", child_requests >= 1);
    c.check("phase 1: the child gave back clean pages, never more than it only read", (PARENT_BEYOND..=CHILD_READ).contains(&child_clean));
    c.check("phase 2: the parent was asked", s.requests >= 1);
    c.check("phase 2: the parent gave back clean pages, never more than it only read", (16..=PARENT_READ).contains(&s.clean));
    c.check("the parent waited for memory", s.waits > 0);
    c.equal("nothing repossessed (child, parent)", (word(CHILD + 5), vm::repossessed().0), (0, 0));
    c.equal("no request found the region list busy", (word(CHILD + 4), s.busy), (0, 0));
    c.finish()
}

exos::main!(main);
