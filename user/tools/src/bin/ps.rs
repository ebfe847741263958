//! `ps`: the system-wide process table, read from the kernel's environment table and statistics
//! window (no system call): id, parent, state, pages held, CPU time, name, then its memory
//! budget and the pages charged to it (pages, page tables, records, its own record, children's
//! budgets).
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use exos::println;
use exos::sys::stats;

fn main() -> i64 {
    println!("{:>6} {:>6} S {:>5} {:>9} {:<16} {:>9} {:>9}", "PID", "PPID", "PAGES", "TIME", "NAME", "BUDGET", "USED");
    for p in stats::processes() {
        let ms = p.ticks * abi::TICK_MS;
        println!(
            "{:>6} {:>6} {} {:>5} {:>3}:{:02}.{:02} {:<16} {:>9} {:>9}",
            p.id,
            p.parent,
            stats::state_letter(p.state),
            p.pages,
            ms / 60_000,
            ms / 1000 % 60,
            ms / 10 % 100,
            p.name.as_str(),
            p.budget.limit,
            p.budget.used
        );
    }
    0
}

exos::main!(main);
