//! Hostile: a store one byte past the end of an ExOS region (into the guard page after it) must not
//! be mapped by the region layer: the program ends with ExOS's unhandled page-fault message.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use abi::Rights;
use exos::mem::mmap::{self, PAGE};
use exos::println;

fn main() -> i64 {
    let rw = Rights(Rights::READ.0 | Rights::WRITE.0);
    let base = mmap::mmap(4 * PAGE, rw).expect("mmap");
    // SAFETY: the last word of the region: demand-zero maps it.
    unsafe { core::ptr::write_volatile((base + 4 * PAGE - 8) as *mut u64, 1) };
    println!("bad_vm_beyond: the region's last word is writable; trying one byte past its end at {:#x}", base + 4 * PAGE);
    // SAFETY: none: this store is the hostile act; it must end the program.
    unsafe { core::ptr::write_volatile((base + 4 * PAGE) as *mut u8, 1) };
    println!("bad_vm_beyond: FAIL: survived a store beyond the region");
    1
}

exos::main!(main);
