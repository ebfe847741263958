//! Hostile test: writes through a null pointer.
//! The kernel must end this program with a message and go on to the next one.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use exos::println;

fn main() {
    println!("bad_null_write: trying it");
    // SAFETY: deliberately invalid: the first 64 KiB are never mapped.
    unsafe { core::ptr::write_volatile(core::hint::black_box(0usize) as *mut u64, 1) };
    println!("bad_null_write: FAIL: still running");
}

exos::main!(main);
