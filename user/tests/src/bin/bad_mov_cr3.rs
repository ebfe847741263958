//! Hostile test: loads its own page-table root into CR3.
//! The kernel must end this program with a message and go on to the next one.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use exos::println;

fn main() {
    println!("bad_mov_cr3: trying it");
    // SAFETY: deliberately invalid: moves to control registers are privileged.
    unsafe { core::arch::asm!("mov cr3, {0}", in(reg) 0x1000u64) };
    println!("bad_mov_cr3: FAIL: still running");
}

exos::main!(main);
