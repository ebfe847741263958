//! Hostile test (regression for a review finding): the kernel's read-only windows must never be
//! written by the kernel on a program's behalf. An exception stack placed over the self-map would
//! have made the kernel write an exception frame into the program's own page tables (the self-map's
//! "leaf" for a window address is a writable page-table entry), giving it any physical page.
//! Registration there, and every other use of a window address as a buffer, must be refused.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::layout::{ENV_TABLE_BASE, OWNER_KERNEL, PAGE_OWNERS_BASE, PAGE_REFS_BASE, REPOSSESSED_BASE, SELF_MAP_BASE};
use abi::Error;
use exos::sys::syscall::*;
use user::Checks;

extern "C" fn never(_: u64, _: u64, _: u64, _: u64, _: u64, _: u64) -> ! {
    sys_env_exit(1)
}

fn main() -> i64 {
    let mut c = Checks::new("bad_windows");
    let entry = main as fn() -> i64 as usize as u64;
    // The page table that maps the user stack, as seen through the self-map.
    let stack_table = SELF_MAP_BASE + ((0x7fff_ffe0_0000u64 >> 21) << 12);
    for (what, base) in [
        ("the self-map (own page tables)", stack_table),
        ("the page-ownership table", PAGE_OWNERS_BASE),
        ("the environment table", ENV_TABLE_BASE),
        ("the repossession vector", REPOSSESSED_BASE),
    ] {
        c.equal(what, sys_env_set_exception_handler(entry, base, 4096), Err(Error::BadAddress));
        c.equal("console_write from it", user::raw_syscall(abi::Sysnum::ConsoleWrite as u64, [base, 8, 0, 0, 0, 0]).1, Some(Error::BadAddress));
    }
    c.equal("exception stack straddling into the windows", sys_env_set_exception_handler(entry, REPOSSESSED_BASE - 4096, 8192), Err(Error::BadAddress));
    c.equal("a PCT stack in the self-map", sys_pct_set_entry(never, stack_table + 4096), Err(Error::BadAddress));
    // The kernel's shared tables are the kernel's pages in the ownership window (not free ones a
    // library could count on, or ask for with `page_alloc`).
    for (what, base) in [
        ("the page-ownership table's first page", PAGE_OWNERS_BASE),
        ("the capability-count table's first page", PAGE_REFS_BASE),
        ("the environment table", ENV_TABLE_BASE),
    ] {
        let frame = exos::sys::vm::translate(base).map(|entry| (entry & abi::pte::ADDRESS_MASK) >> 12);
        c.equal(what, frame.map(exos::sys::vm::owner), Some(Some(OWNER_KERNEL)));
    }
    c.finish()
}

exos::main!(main);
