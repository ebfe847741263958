//! Hostile test: calls into kernel text.
//! The kernel must end this program with a message and go on to the next one.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use exos::println;

fn main() {
    println!("bad_kernel_jump: trying it");
    // SAFETY: deliberately invalid: kernel text is supervisor-only, so fetching from it faults.
    let target: extern "C" fn() = unsafe { core::mem::transmute((abi::layout::KERNEL_BASE + 0x10_0000) as usize) };
    target();
    println!("bad_kernel_jump: FAIL: still running");
}

exos::main!(main);
