//! Hostile test: every way to misuse environment capabilities. Wrong object types, weakened
//! (read-only) environment capabilities, bad start addresses, double starts, dead and made-up
//! environment ids, and filling the environment table must all be refused with the documented
//! error, and the kernel must clean up everything the program leaves behind.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::layout::KERNEL_BASE;
use abi::{Error, MapUpdate, Rights, ANY_PAGE, MAX_ENVS};
use exos::sys::syscall::*;
use user::Checks;

/// Where this program and its helpers share a page: word 0 = whose turn it is to create (helper
/// `i` waits for `i + 1`), words `8i + 1`, `8i + 2` = helper `i`'s error code and count.
const SHARED: u64 = 0x6100_0000;
/// Helpers that create environments besides this program.
const HELPERS: usize = 5;

/// Creates environments until refused: how many, and the error.
fn create_all() -> (usize, Result<(), Error>) {
    let mut made = 0;
    loop {
        match sys_env_create(abi::ENV_RECORD_PAGES) {
            Ok(_) => made += 1,
            Err(e) => return (made, Err(e)),
        }
    }
}

/// A helper: when its turn comes, creates environments until refused and reports.
extern "C" fn creator() -> ! {
    let me = exos::ipc::region::self_id().unwrap_or(0);
    let i = (0..HELPERS).find(|&i| user::page_word(SHARED, 8 * i + 7) == me).unwrap_or(0);
    while user::page_word(SHARED, 0) != i as u64 + 1 {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
    let (made, failure) = create_all();
    user::set_page_word(SHARED, 8 * i + 2, made as u64);
    user::set_page_word(SHARED, 8 * i + 1, failure.err().map_or(0, |e| e.code()));
    loop {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
}

fn main() -> i64 {
    let mut c = Checks::new("bad_envs");
    let (pa, page) = sys_page_alloc(ANY_PAGE).expect("a page");
    let me = u64::from(exos::sys::vm::owner(pa >> 12).unwrap_or(0));
    let (child, slot) = sys_env_create(user::child_pages()).expect("a child");

    c.equal("start through a page capability", sys_env_start(page, 0x40_0000, 0x50_0000), Err(Error::WrongType));
    c.equal("destroy through a page capability", sys_env_destroy(page), Err(Error::WrongType));
    c.equal("map into a page capability", sys_page_map_into(page, &[]), (0, Some(Error::WrongType)));
    let map = [MapUpdate { op: MapUpdate::MAP, va: 0x40_0000, slot, rights: Rights::READ.0 }];
    c.equal("map an environment capability as a page", sys_page_map(&map), (0, Some(Error::WrongType)));
    c.equal("free an environment capability", sys_page_free(slot), Err(Error::WrongType));
    c.equal("start through a bad slot", sys_env_start(5000, 0x40_0000, 0x50_0000), Err(Error::BadSlot));
    c.equal("start through an empty slot", sys_env_start(900, 0x40_0000, 0x50_0000), Err(Error::EmptySlot));

    // A read-only capability over the child cannot control it.
    let read_only = sys_cap_grant(slot, me, Rights::READ).expect("a read-only capability over the child");
    c.equal("start through a read-only capability", sys_env_start(read_only, 0x40_0000, 0x50_0000), Err(Error::NoRights));
    c.equal("map through a read-only capability", sys_page_map_into(read_only, &[]), (0, Some(Error::NoRights)));
    c.equal("destroy through a read-only capability", sys_env_destroy(read_only), Err(Error::NoRights));
    c.equal("amplify it back", sys_cap_grant(read_only, me, Rights::ALL), Err(Error::NoRights));

    c.equal("start at a kernel address", sys_env_start(slot, KERNEL_BASE, 0x50_0000), Err(Error::BadAddress));
    c.equal("start with a non-canonical stack", sys_env_start(slot, 0x40_0000, 0x8000_0000_0000_0000), Err(Error::BadAddress));
    c.equal("start at page 0", sys_env_start(slot, 0, 0x50_0000), Err(Error::BadAddress));
    c.equal("yield to a child never started", sys_env_yield(child), Err(Error::NoSuchEnv));
    // Give the child code that spins (`jmp $`), so it stays alive however the timer interleaves us.
    let (_, code) = sys_page_alloc(ANY_PAGE).expect("a code page");
    let rw = Rights::READ.0 | Rights::WRITE.0;
    c.equal("map the code page here", sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: 0x3000_0000, slot: code, rights: rw }]), (1, None));
    user::mapped_page_mut(0x3000_0000)[..2].copy_from_slice(&user::child_code::SPIN);
    let rx = Rights::READ.0 | Rights::EXECUTE.0;
    c.equal("map it into the child", sys_page_map_into(slot, &[MapUpdate { op: MapUpdate::MAP, va: 0x40_0000, slot: code, rights: rx }]), (1, None));
    c.equal("start", sys_env_start(slot, 0x40_0000, 0x50_0000), Ok(()));
    c.equal("start twice", sys_env_start(slot, 0x40_0000, 0x50_0000), Err(Error::Busy));
    c.equal("yield to a made-up id", sys_env_yield(0xdead_beef), Err(Error::NoSuchEnv));
    c.equal("grant to a made-up id", sys_cap_grant(page, 0x1234_5678, Rights::READ), Err(Error::NoSuchEnv));
    c.equal("destroy", sys_env_destroy(slot), Ok(()));
    // The dead child's table slot is reused by the next child; the old capability must not reach it.
    let (successor, successor_slot) = sys_env_create(user::child_pages()).expect("a successor child");
    c.check("the successor has a new id", successor != child);
    c.equal("start the successor through the dead child's capability", sys_env_start(slot, 0x40_0000, 0x50_0000), Err(Error::NoSuchEnv));
    c.equal("yield to the dead child's id", sys_env_yield(child), Err(Error::NoSuchEnv));
    c.equal("the successor is untouched (not started)", sys_env_yield(successor), Err(Error::NoSuchEnv));
    c.equal("destroy the successor", sys_env_destroy(successor_slot), Ok(()));
    c.equal("destroy again (stale capability)", sys_env_destroy(slot), Err(Error::NoSuchEnv));
    c.equal("map into the dead child", sys_page_map_into(slot, &[]), (0, Some(Error::NoSuchEnv)));
    c.equal("grant to the dead child", sys_cap_grant(page, child, Rights::READ), Err(Error::NoSuchEnv));

    // Fill the environment table; creation must then fail cleanly. One environment's capability
    // table (1,024 slots) cannot name all MAX_ENVS environments, so helpers create them too: each
    // creates until refused and reports how many it made and why it stopped. The table is full
    // when a creator is refused with `NoMemory` (a creator whose own capability table filled first
    // is refused with `TableFull`).
    let (_, shared) = sys_page_alloc(ANY_PAGE).expect("a shared page");
    c.equal("map the shared page", sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: SHARED, slot: shared, rights: rw }]), (1, None));
    let mut helpers = [0u64; HELPERS];
    for (i, h) in helpers.iter_mut().enumerate() {
        user::set_page_word(SHARED, 8 * i + 1, u64::MAX);
        let (id, slot) = user::spawn(creator, &[(SHARED, shared)]).expect("a helper");
        // Budget for a table's worth of bare environments, so the table fills before it runs out.
        let budget = MAX_ENVS as u64 * abi::ENV_RECORD_PAGES;
        c.equal("give a helper the budget of a full table", sys_budget_give(slot, budget), Ok(()));
        user::set_page_word(SHARED, 8 * i + 7, id);
        *h = slot;
    }
    let (made, failure) = create_all();
    let mut made = made;
    // No heap from here on: this program's capability table is full, so its heap cannot grow.
    let mut failures = [failure; HELPERS + 1];
    for (i, &h) in helpers.iter().enumerate() {
        user::set_page_word(SHARED, 0, i as u64 + 1);
        while user::page_word(SHARED, 8 * i + 1) == u64::MAX {
            let _ = sys_env_yield(abi::ANY_ENV);
        }
        made += user::page_word(SHARED, 8 * i + 2) as usize;
        failures[i + 1] = Error::from_code(user::page_word(SHARED, 8 * i + 1)).map_or(Ok(()), Err);
        c.check("a helper is alive", h != 0);
    }
    c.equal("the table fills up", failures.iter().find(|f| **f != Err(Error::TableFull)).copied(), Some(Err(Error::NoMemory)));
    c.check("and holds nearly MAX_ENVS environments", made + HELPERS + 2 >= MAX_ENVS);
    let live = (0..MAX_ENVS).filter(|&i| exos::sys::vm::env_info(i).id != 0).count();
    c.check("every index is in use", live + 2 >= MAX_ENVS);
    // The helpers and what they made stay: the kernel ends them when this program exits.
    c.finish()
}

exos::main!(main);
