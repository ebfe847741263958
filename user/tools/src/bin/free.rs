//! `free`: physical memory in use and free, from the kernel's published system information, in
//! pages and KiB; then each environment's memory budget, what is charged to it and what it has
//! left, in pages (from the budget table).
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use exos::println;

fn main() -> i64 {
    let info = exos::sys::vm::sysinfo();
    let used = info.total_pages.saturating_sub(info.free_pages);
    let held: u64 = exos::sys::stats::processes().map(|p| u64::from(p.pages)).sum();
    println!("{:>8} {:>10} {:>10} {:>10} {:>10}", "", "total", "used", "free", "by envs");
    println!("{:>8} {:>10} {:>10} {:>10} {:>10}", "pages", info.total_pages, used, info.free_pages, held);
    println!("{:>8} {:>10} {:>10} {:>10} {:>10}", "KiB", info.total_pages * 4, used * 4, info.free_pages * 4, held * 4);
    println!("{:>8} {:>10} {:>10} {:>10}  {}", "budgets", "limit", "used", "free", "pid name");
    for p in exos::sys::stats::processes() {
        println!("{:>8} {:>10} {:>10} {:>10}  {} {}", "", p.budget.limit, p.budget.used, p.budget.free(), p.id, p.name.as_str());
    }
    0
}

exos::main!(main);
