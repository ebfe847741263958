//! Hostile test: writes to kernel memory (the direct map of the kernel image).
//! The kernel must end this program with a message and go on to the next one.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use exos::println;

fn main() {
    println!("bad_kernel_write: trying it");
    // SAFETY: deliberately invalid: kernel pages are supervisor-only and this one is mapped, so it is a protection fault.
    unsafe { core::ptr::write_volatile((abi::layout::PHYS_MAP_BASE + 0x10_0000) as *mut u64, 0x41) };
    println!("bad_kernel_write: FAIL: still running");
}

exos::main!(main);
