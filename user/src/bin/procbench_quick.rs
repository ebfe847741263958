//! `cargo xtask bench`'s `procbench` programs (user/src/benches/procbench.rs), quick run: one repeat per line, to check that each still runs (`cargo xtask bench --quick`, the `bench_quick` test).
#![no_std]
#![no_main]
#![allow(unsafe_code)]

#[path = "../benches/procbench.rs"]
mod body;

fn main() -> i64 {
    body::run(true)
}

exos::main!(main);
