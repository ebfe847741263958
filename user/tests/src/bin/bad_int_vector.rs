//! Hostile test: raises the timer vector (0x20) with int, which is kernel-only.
//! The kernel must end this program with a message and go on to the next one.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use exos::println;

fn main() {
    println!("bad_int_vector: trying it");
    // SAFETY: deliberately invalid: the gate for vector 0x20 has DPL 0, so this raises #GP.
    unsafe { core::arch::asm!("int 0x20") };
    println!("bad_int_vector: FAIL: still running");
}

exos::main!(main);
