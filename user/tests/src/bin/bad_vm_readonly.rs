//! Hostile: a store to a read-only ExOS region whose pages were never given a fault handler must
//! not be let through: the page exists (a read mapped it), but the program ends with ExOS's
//! unhandled page-fault message (a protection violation).
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use abi::Rights;
use exos::mem::mmap::{self, PAGE};
use exos::println;

fn main() -> i64 {
    let base = mmap::mmap(2 * PAGE, Rights::READ).expect("mmap");
    // SAFETY: a read of the region: demand-zero maps the page read-only.
    let value = unsafe { core::ptr::read_volatile((base + PAGE) as *const u64) };
    println!("bad_vm_readonly: read {value} at {:#x}; now writing it", base + PAGE);
    // SAFETY: none: this store is the hostile act; it must end the program.
    unsafe { core::ptr::write_volatile((base + PAGE) as *mut u64, 1) };
    println!("bad_vm_readonly: FAIL: survived a store to a read-only page");
    1
}

exos::main!(main);
