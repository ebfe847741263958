//! Hostile test: disables interrupts with cli (IOPL is 0).
//! The kernel must end this program with a message and go on to the next one.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use exos::println;

fn main() {
    println!("bad_cli: trying it");
    // SAFETY: deliberately invalid: cli in ring 3 with IOPL 0 raises #GP.
    unsafe { core::arch::asm!("cli") };
    println!("bad_cli: FAIL: still running");
}

exos::main!(main);
