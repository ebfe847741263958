//! Hostile test: reads an I/O port (the keyboard controller).
//! The kernel must end this program with a message and go on to the next one.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use exos::println;

fn main() {
    println!("bad_port_io: trying it");
    // SAFETY: deliberately invalid: ring 3 has no I/O permission.
    unsafe { core::arch::asm!("in al, 0x60", out("al") _) };
    println!("bad_port_io: FAIL: still running");
}

exos::main!(main);
