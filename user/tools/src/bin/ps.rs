//! `ps`: the system-wide process table, read from the kernel's environment table and statistics
//! window (no system call): each environment's memory budget and the pages charged to it (its
//! pages, page tables, mapping records, its own record, its children's budgets; from the budget
//! table), then id, parent, state, pages held, CPU time, name.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use exos::println;
use exos::sys::stats;

fn main() -> i64 {
    println!("{:>9} {:>9} {:>6} {:>6} S {:>5} {:>9} NAME", "BUDGET", "USED", "PID", "PPID", "PAGES", "TIME");
    for p in stats::processes() {
        let ms = p.ticks * abi::TICK_MS;
        println!(
            "{:>9} {:>9} {:>6} {:>6} {} {:>5} {:>3}:{:02}.{:02} {}",
            p.budget.limit,
            p.budget.used,
            p.id,
            p.parent,
            stats::state_letter(p.state),
            p.pages,
            ms / 60_000,
            ms / 1000 % 60,
            ms / 10 % 100,
            p.name.as_str()
        );
    }
    0
}

exos::main!(main);
