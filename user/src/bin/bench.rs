//! `cargo xtask bench`'s `bench` programs (user/src/benches/bench.rs), full run (7 repeats per line).
#![no_std]
#![no_main]
#![allow(unsafe_code)]

#[path = "../benches/bench.rs"]
mod body;

fn main() -> i64 {
    body::run(false)
}

exos::main!(main);
