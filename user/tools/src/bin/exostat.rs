//! `exostat`: the kernel's per-mechanism counters (system calls by name, upcalls, switches, pages,
//! transfers, revocations) and each environment's resources, from the statistics window.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::stats::Counter;
use abi::Sysnum;
use exos::{println, sys::stats};

fn main() -> i64 {
    let info = exos::sys::vm::sysinfo();
    println!("exostat: {} ticks of {} ms, {} of {} pages free", info.ticks, abi::TICK_MS, info.free_pages, info.total_pages);
    println!("system calls:");
    let mut total = 0;
    for call in Sysnum::ALL {
        let n = stats::syscalls(call as usize);
        total += n;
        if n > 0 {
            println!("  {:>12}  {}", n, call.name());
        }
    }
    println!("  {total:>12}  total");
    println!("mechanisms:");
    for c in Counter::ALL {
        println!("  {:>12}  {}", stats::counter(c), c.name());
    }
    let classified = stats::counter(Counter::NetClassified);
    if let Some(per) = stats::counter(Counter::NetClassifyCycles).checked_div(classified) {
        println!("net classify: {per} cycles per frame over {classified} frames");
    }
    let (longest, tick) = (stats::longest_irq_off(), stats::tick_cycles());
    let percent = (longest * 100).checked_div(tick).unwrap_or(0);
    println!("longest interrupts-off stretch: {longest} cycles ({percent}% of a {} ms tick)", abi::TICK_MS);
    println!("environments:");
    println!("  {:>6} {:>6} S {:>5} {:>7} NAME", "ID", "PARENT", "PAGES", "TICKS");
    for p in stats::processes() {
        println!("  {:>6} {:>6} {} {:>5} {:>7} {}", p.id, p.parent, stats::state_letter(p.state), p.pages, p.ticks, p.name.as_str());
    }
    0
}

exos::main!(main);
