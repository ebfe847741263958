//! Hostile test: recurses until it runs off its stack into the guard page.
//! The kernel must end this program with a message and go on to the next one.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use exos::println;

fn main() {
    println!("bad_stack_overflow: trying it");
    println!("depth {}", recurse(core::hint::black_box(1)));
    println!("bad_stack_overflow: FAIL: still running");
}

exos::main!(main);

#[allow(unconditional_recursion)]
fn recurse(n: u64) -> u64 {
    let mut frame = [n; 64];
    core::hint::black_box(&mut frame);
    recurse(n + 1) + frame[3]
}
