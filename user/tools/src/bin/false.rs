//! `false`: does nothing, unsuccessfully (status 1).
#![no_std]
#![no_main]
#![deny(unsafe_code)]

fn main() -> i64 {
    1
}

exos::main!(main);
