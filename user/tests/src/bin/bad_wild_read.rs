//! Hostile test: reads an unmapped user address (a wild pointer).
//! The kernel must end this program with a message and go on to the next one.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use exos::println;

fn main() {
    println!("bad_wild_read: trying it");
    // SAFETY: deliberately invalid: nothing is mapped at this address; the kernel must catch it.
    let value = unsafe { core::ptr::read_volatile(0x0dea_dbee_f000 as *const u64) };
    println!("read {value:#x}");
    println!("bad_wild_read: FAIL: still running");
}

exos::main!(main);
