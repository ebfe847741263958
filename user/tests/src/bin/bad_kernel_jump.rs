//! Hostile test: calls into kernel memory (mapped supervisor-only and no-execute).
//! The kernel must end this program with a message and go on to the next one.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use exos::println;

fn main() {
    println!("bad_kernel_jump: trying it");
    // SAFETY: deliberately invalid: kernel pages are supervisor-only, so fetching from one faults.
    let target: extern "C" fn() = unsafe { core::mem::transmute((abi::layout::PHYS_MAP_BASE + 0x10_0000) as usize) };
    target();
    println!("bad_kernel_jump: FAIL: still running");
}

exos::main!(main);
