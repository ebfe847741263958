//! Hostile test: hits a breakpoint with no handler registered.
//! The kernel must end this program with a message and go on to the next one.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use exos::println;

fn main() {
    println!("bad_int3: trying it");
    // SAFETY: int3 is open to ring 3 and raises #BP; with no handler the environment ends.
    unsafe { core::arch::asm!("int3") };
    println!("bad_int3: FAIL: still running");
}

exos::main!(main);
