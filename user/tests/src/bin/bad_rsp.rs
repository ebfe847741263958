//! Hostile test: points rsp at a non-canonical address and takes timer interrupts like that.
//! The kernel must end this program with a message and go on to the next one.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use exos::println;

fn main() {
    println!("bad_rsp: trying it");
    // SAFETY: deliberately invalid: the kernel must save and restore (or refuse) this state on every
    // timer interrupt; the final push faults in ring 3. The loop runs long enough for several ticks.
    unsafe {
        core::arch::asm!(
            "mov rsp, {bad}",
            "2: dec {n}",
            "jnz 2b",
            "push rax",
            bad = in(reg) 0x8000_0000_0000_1000u64,
            n = in(reg) 300_000_000u64,
            options(nomem),
        )
    };
    println!("bad_rsp: FAIL: still running");
}

exos::main!(main);
