//! Hostile test: executes an undefined instruction.
//! The kernel must end this program with a message and go on to the next one.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use exos::println;

fn main() {
    println!("bad_ud2: trying it");
    // SAFETY: deliberately invalid: ud2 raises #UD.
    unsafe { core::arch::asm!("ud2") };
    println!("bad_ud2: FAIL: still running");
}

exos::main!(main);
