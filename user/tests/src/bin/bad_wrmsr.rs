//! Hostile test: writes a model-specific register (LSTAR, the syscall entry).
//! The kernel must end this program with a message and go on to the next one.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use exos::println;

fn main() {
    println!("bad_wrmsr: trying it");
    // SAFETY: deliberately invalid: wrmsr is privileged.
    unsafe { core::arch::asm!("wrmsr", in("ecx") 0xc000_0082u32, in("eax") 0u32, in("edx") 0u32) };
    println!("bad_wrmsr: FAIL: still running");
}

exos::main!(main);
