//! Hostile test: one `cap_revoke` of a page granted and mapped as about 16,000 capabilities
//! across environments (issue 16, item 3).
//!
//! The parent grants one page into 16 children, 1,000 times each, every grant mapped at its own
//! address in the child (`GRANT_MAP`): 16,000 capabilities and 16,000 mappings hang off one root.
//! Then it revokes the root. Before the mapping index, the kernel searched every environment's
//! whole mapping list for each removed capability (16,000 x 16,000 steps, 0.5-1 s with interrupts
//! off). Now the cleanup follows each capability's own mappings, and the call goes in bounded
//! pieces (it restarts itself). Checked: the call completes and reports every capability; the
//! page's capability count is back to 1; no child still maps the page (each child looks through
//! its own page tables); the longest stretch the kernel spent with interrupts off, as the
//! statistics window publishes it, stays under one timer tick; and once the children are gone and
//! the page freed, the machine's free pages are back to the starting figure.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::{MapUpdate, Rights, ANY_PAGE};
use exos::println;
use exos::sys::syscall::*;
use exos::sys::{stats, vm};
use user::{page_word, set_page_word, spawn, Checks};

/// The page the children report in: word 0 = "check now", word 1 + i = child i's answer
/// (1 + how many of its addresses still map the page), words 64.. = child i's "started".
const SHARED: u64 = 0x6100_0000;
/// Where the granted page is mapped in each child: `GRANTS` consecutive pages.
const GRANTED_VA: u64 = 0x7000_0000;
const CHILDREN: usize = 16;
/// Grants per child (each child's table has 1,024 slots).
const GRANTS: u64 = 1000;

/// A child: waits for the word to check, then counts its addresses that still translate.
extern "C" fn holder() -> ! {
    let me = exos::ipc::region::self_id().unwrap_or(0);
    let index = (0..CHILDREN).find(|&i| page_word(SHARED, 64 + i) == me).unwrap_or(CHILDREN);
    while page_word(SHARED, 0) == 0 {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
    let still = (0..GRANTS).filter(|i| vm::translate(GRANTED_VA + i * 4096).is_some()).count() as u64;
    if index < CHILDREN {
        set_page_word(SHARED, 1 + index, 1 + still);
    }
    loop {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
}

fn main() -> i64 {
    let mut c = Checks::new("bad_revoke_large");
    let (_, shared) = sys_page_alloc(ANY_PAGE).expect("shared page");
    let rw = Rights::READ.0 | Rights::WRITE.0;
    c.equal("map shared", sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: SHARED, slot: shared, rights: rw }]), (1, None));
    let (pa, page) = sys_page_alloc(ANY_PAGE).expect("the page to share");
    let updates: alloc::vec::Vec<MapUpdate> = (0..GRANTS)
        .map(|i| MapUpdate { op: MapUpdate::GRANT_MAP, va: GRANTED_VA + i * 4096, slot: page, rights: Rights::READ.0 })
        .collect();
    // A first child makes the page tables `spawn` needs in this environment, for good.
    let (_, warm) = spawn(holder, &[]).expect("spawning a first holder");
    c.equal("destroy the first holder", sys_env_destroy(warm), Ok(()));
    // Memory in use, apart from the pages this program holds (the children's images are its own
    // pages): back to this figure at the end.
    let me = abi::env_index(exos::ipc::region::self_id().unwrap_or(0));
    let mine = || vm::env_info(me).pages as u64;
    user::wait_ticks(2);
    let free_at_start = vm::sysinfo().free_pages + mine();
    let mut children = [(0u64, 0u64); CHILDREN];
    for (i, child) in children.iter_mut().enumerate() {
        *child = spawn(holder, &[(SHARED, shared)]).expect("spawning a holder");
        set_page_word(SHARED, 64 + i, child.0);
    }
    let mut granted = 0;
    for &(_, slot) in &children {
        for batch in updates.chunks(abi::MAX_MAP_BATCH as usize) {
            let (done, error) = sys_page_map_into(slot, batch);
            granted += done;
            if let Some(e) = error {
                println!("bad_revoke_large: grant-map stopped: {e:?}");
                break;
            }
        }
    }
    let total = CHILDREN as u64 * GRANTS;
    c.equal("every grant mapped", granted, total);
    c.equal("the page's capability count", vm::refs(pa >> 12), 1 + total as u32);
    let before = user::bench::rdtsc();
    let revoked = sys_cap_revoke(page);
    let took = user::bench::rdtsc() - before;
    c.equal("one revoke removes every grant", revoked, Ok(total));
    c.equal("the page's capability count after", vm::refs(pa >> 12), 1);
    set_page_word(SHARED, 0, 1);
    for &(id, _) in &children {
        let _ = sys_env_yield(id);
    }
    for (i, &(id, _)) in children.iter().enumerate() {
        while page_word(SHARED, 1 + i) == 0 {
            let _ = sys_env_yield(id);
        }
    }
    let still: u64 = (0..CHILDREN).map(|i| page_word(SHARED, 1 + i) - 1).sum();
    c.equal("addresses that still map the page, in all children", still, 0);
    user::wait_ticks(2);
    let (longest, tick) = (stats::longest_irq_off(), stats::tick_cycles());
    println!("bad_revoke_large: revoke of {total} capabilities took {took} cycles; longest interrupts-off stretch {longest} cycles, a tick is {tick}");
    c.check("the tick's length is published", tick > 0);
    c.check("the longest interrupts-off stretch is under one timer tick", longest < tick);
    for &(_, slot) in &children {
        c.equal("destroy a holder", sys_env_destroy(slot), Ok(()));
    }
    user::wait_ticks(2);
    c.equal("free pages (and the pages I hold) back to the starting figure", vm::sysinfo().free_pages + mine(), free_at_start);
    c.equal("free the page", sys_page_free(page), Ok(()));
    c.finish()
}

exos::main!(main);
extern crate alloc;
