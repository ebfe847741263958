//! Hostile test (regression for a review finding): segment selectors must not leak between
//! environments. This program loads FS and GS with the user data selector, lets a child run, and
//! the child must see null selectors; switching back must give this program its own again.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use abi::{MapUpdate, Rights, ANY_PAGE};
use exos::sys::syscall::*;
use user::{mapped_page, mapped_page_mut, spawn, Checks};

const SHARED: u64 = 0x6100_0000;

fn selectors() -> (u16, u16) {
    let (fs, gs): (u16, u16);
    // SAFETY: reading segment registers has no side effects.
    unsafe { core::arch::asm!("mov {0:x}, fs", "mov {1:x}, gs", out(reg) fs, out(reg) gs, options(nomem, nostack)) };
    (fs, gs)
}

extern "C" fn child() -> ! {
    let (fs, gs) = selectors();
    mapped_page_mut(SHARED)[..4].copy_from_slice(&[fs as u8, gs as u8, 1, 0]);
    sys_env_exit(0)
}

fn main() -> i64 {
    let mut c = Checks::new("selectors");
    let (_, shared) = sys_page_alloc(ANY_PAGE).expect("shared page");
    let rw = Rights::READ.0 | Rights::WRITE.0;
    c.equal("map shared", sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: SHARED, slot: shared, rights: rw }]), (1, None));
    // SAFETY: 0x23 is the user data selector; loading it into FS and GS is allowed in ring 3 and
    // leaves the (zero) bases alone.
    unsafe { core::arch::asm!("mov fs, {0:x}", "mov gs, {0:x}", in(reg) 0x23u16, options(nomem, nostack)) };
    let (id, _) = spawn(child, &[(SHARED, shared)]).expect("spawning the child");
    while mapped_page(SHARED)[2] == 0 {
        let _ = sys_env_yield(id);
    }
    c.equal("the child saw null FS and GS", (mapped_page(SHARED)[0], mapped_page(SHARED)[1]), (0, 0));
    c.equal("mine came back", selectors(), (0x23, 0x23));
    c.finish()
}

exos::main!(main);
