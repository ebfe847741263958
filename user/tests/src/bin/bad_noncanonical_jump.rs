//! Hostile test: jumps to a non-canonical address.
//! The kernel must end this program with a message and go on to the next one.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use exos::println;

fn main() {
    println!("bad_noncanonical_jump: trying it");
    // SAFETY: deliberately invalid: 0x0000_8000_0000_0000 is in the canonical hole.
    unsafe { core::arch::asm!("jmp {0}", in(reg) 0x0000_8000_0000_0000u64, options(nomem)) };
    println!("bad_noncanonical_jump: FAIL: still running");
}

exos::main!(main);
