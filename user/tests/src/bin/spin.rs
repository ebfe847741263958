//! Spins in ring 3 for a while without making a system call, so the timer must interrupt it.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

fn main() {
    let mut x = 0u64;
    for i in 0..200_000_000u64 {
        x = core::hint::black_box(x.wrapping_add(i));
    }
    exos::println!("spin: done ({x:#x})");
}

exos::main!(main);
