//! Hostile test: reads the kernel direct map of physical memory.
//! The kernel must end this program with a message and go on to the next one.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use exos::println;

fn main() {
    println!("bad_kernel_read: trying it");
    // SAFETY: deliberately invalid: the direct map is supervisor-only.
    let value = unsafe { core::ptr::read_volatile(abi::layout::PHYS_MAP_BASE as *const u64) };
    println!("read {value:#x}");
    println!("bad_kernel_read: FAIL: still running");
}

exos::main!(main);
