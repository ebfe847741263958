//! Exits with status 42, so the test can check that the code reaches the kernel.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

fn main() -> i64 {
    exos::println!("exit_code: exiting with 42");
    42
}

exos::main!(main);
