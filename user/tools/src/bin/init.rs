//! The demo `cargo xtask run` boots into: a tour of what a program sees in its environment.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::layout;
use exos::println;

fn main() {
    println!();
    println!("  Exo: an exokernel. This line comes from `init`, a ring-3 program linked with ExOS.");
    println!();
    let local = 0u64;
    println!("  my stack is at      {:#x} (top {:#x})", &local as *const u64 as u64, layout::USER_STACK_TOP);
    println!("  my code is at       {:#x}", main as fn() as usize);
    println!("  user space spans    [{:#x}, {:#x})", layout::USER_START, layout::USER_END);
    println!("  the kernel sits at  {:#x}, out of my reach", layout::KERNEL_BASE);
    let (a, b) = (core::hint::black_box(1.5f64), core::hint::black_box(2.25f64));
    println!("  SSE works here too: {a} * {b} = {}", a * b);
    println!();
}

exos::main!(main);
