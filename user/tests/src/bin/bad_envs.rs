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

    // Fill the environment table; creation must then fail cleanly.
    let mut slots = [0u64; MAX_ENVS];
    let mut made = 0;
    let failure = loop {
        match sys_env_create(user::child_pages()) {
            Ok((_, s)) if made < MAX_ENVS => {
                slots[made] = s;
                made += 1;
            }
            Ok(_) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    c.equal("the table fills up", failure, Err(Error::NoMemory));
    c.check("and holds nearly MAX_ENVS environments", made + 2 >= MAX_ENVS);
    for s in &slots[..made / 2] {
        let _ = sys_env_destroy(*s);
    }
    // The other half stays: the kernel ends them when this program exits.
    c.finish()
}

exos::main!(main);
