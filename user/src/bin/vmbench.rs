//! `cargo xtask bench`'s `vmbench` programs (user/src/benches/vmbench.rs), full run (7 repeats per line).
#![no_std]
#![no_main]
#![allow(unsafe_code)]

#[path = "../benches/vmbench.rs"]
mod body;

fn main() -> i64 {
    body::run(false)
}

exos::main!(main);
