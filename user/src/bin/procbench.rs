//! `cargo xtask bench`'s `procbench` programs (user/src/benches/procbench.rs), full run (7 repeats per line).
#![no_std]
#![no_main]
#![allow(unsafe_code)]

#[path = "../benches/procbench.rs"]
mod body;

fn main() -> i64 {
    body::run(false)
}

exos::main!(main);
