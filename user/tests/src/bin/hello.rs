//! The smallest program: prints a line from ring 3 and exits 0.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use exos::println;

fn main() {
    println!("hello from ring 3");
}

exos::main!(main);
