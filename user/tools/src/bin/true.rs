//! `true`: does nothing, successfully (status 0).
#![no_std]
#![no_main]
#![deny(unsafe_code)]

fn main() -> i64 {
    0
}

exos::main!(main);
