//! Hostile test: executes the privileged hlt instruction.
//! The kernel must end this program with a message and go on to the next one.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use exos::println;

fn main() {
    println!("bad_hlt: trying it");
    // SAFETY: deliberately invalid: hlt is privileged and raises #GP in ring 3.
    unsafe { core::arch::asm!("hlt") };
    println!("bad_hlt: FAIL: still running");
}

exos::main!(main);
