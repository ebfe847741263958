//! Hostile test: divides by zero.
//! The kernel must end this program with a message and go on to the next one.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use exos::println;

fn main() {
    println!("bad_divide: trying it");
    let zero = core::hint::black_box(0u64);
    // SAFETY: deliberately invalid: div by zero raises #DE (Rust would panic first, so use asm).
    unsafe { core::arch::asm!("div {0}", in(reg) zero, inout("rax") 1u64 => _, inout("rdx") 0u64 => _) };
    println!("bad_divide: FAIL: still running");
}

exos::main!(main);
