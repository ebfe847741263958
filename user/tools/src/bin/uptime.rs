//! `uptime`: time since boot (timer ticks the kernel publishes) and how many environments exist.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use exos::println;

fn main() -> i64 {
    let ms = exos::sys::vm::sysinfo().ticks * abi::TICK_MS;
    let (h, m, s) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60);
    let envs = exos::sys::stats::processes().count();
    let busy = exos::sys::stats::processes().filter(|p| p.state == abi::ENV_RUNNABLE).count();
    println!("up {h}:{m:02}:{s:02}.{:03}, {envs} environments, {busy} runnable", ms % 1000);
    0
}

exos::main!(main);
