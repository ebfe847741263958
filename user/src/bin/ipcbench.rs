//! `cargo xtask bench`'s `ipcbench` programs (user/src/benches/ipcbench.rs), full run (7 repeats per line).
#![no_std]
#![no_main]
#![allow(unsafe_code)]

#[path = "../benches/ipcbench.rs"]
mod body;

fn main() -> i64 {
    body::run(false)
}

exos::main!(main);
