//! Hostile test: tries the Linux system-call gate int 0x80, which Exo does not open.
//! The kernel must end this program with a message and go on to the next one.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use exos::println;

fn main() {
    println!("bad_int_0x80: trying it");
    // SAFETY: deliberately invalid: vector 0x80 has DPL 0.
    unsafe { core::arch::asm!("int 0x80") };
    println!("bad_int_0x80: FAIL: still running");
}

exos::main!(main);
