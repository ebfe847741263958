//! Hostile test: an environment that holds a capability over its own grandparent (granted by the
//! boot program) tries to destroy it, which would take the caller itself along. The kernel must
//! refuse (`BadArgument`: use `env_exit`), and nothing may be torn down under a running environment.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::{MapUpdate, Rights, ANY_PAGE};
use exos::sys::syscall::*;
use user::{Checks, page_word, set_page_word, spawn};

const SHARED: u64 = 0x6100_0000;

fn wait_for(i: usize) -> u64 {
    while page_word(SHARED, i) == 0 {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
    page_word(SHARED, i)
}

/// The middle generation: spawns the grandchild with the shared page (its granted slot, in word 0).
extern "C" fn middle() -> ! {
    let shared_slot = wait_for(0) - 1;
    let (grandchild, _) = spawn(bottom, &[(SHARED, shared_slot)]).expect("spawning the grandchild");
    set_page_word(SHARED, 1, grandchild);
    loop {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
}

/// The grandchild: given a capability over `middle` (slot in word 2), tries to destroy it.
extern "C" fn bottom() -> ! {
    let slot = wait_for(2) - 1;
    let result = sys_env_destroy(slot);
    set_page_word(SHARED, 3, result.err().map_or(u64::MAX, |e| e.code()));
    loop {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
}

fn main() -> i64 {
    let mut c = Checks::new("bad_ancestor");
    let (_, shared) = sys_page_alloc(ANY_PAGE).expect("shared page");
    let rw = Rights::READ.0 | Rights::WRITE.0;
    c.equal("map shared", sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: SHARED, slot: shared, rights: rw }]), (1, None));
    let (middle_id, middle_slot) = spawn(middle, &[(SHARED, shared)]).expect("spawning the middle");
    let granted = sys_cap_grant(shared, middle_id, Rights(rw | Rights::GRANT.0)).expect("granting the shared page");
    set_page_word(SHARED, 0, granted + 1);
    let grandchild = wait_for(1);
    let over_middle = sys_cap_grant(middle_slot, grandchild, Rights::ALL).expect("granting a capability over the middle");
    set_page_word(SHARED, 2, over_middle + 1);
    let code = wait_for(3);
    c.equal("destroying one's own ancestor is refused", abi::Error::from_code(code), Some(abi::Error::BadArgument));
    c.equal("the middle is still alive", exos::sys::vm::env_info(abi::env_index(middle_id)).id as u64, middle_id);
    c.finish()
}

exos::main!(main);
