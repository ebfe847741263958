//! `memtouch MIB`: allocates MIB MiB, writes every page of it, checks what it wrote, and prints
//! `touched MIB MiB in T ms (allocate and map A ms, touch W ms)`. The memory comes from extents
//! (`exos::mem::mmap::Spec::extent`: physically contiguous ranges mapped with 2 MiB pages where the
//! range allows, a few system calls for any size); it is freed before the program exits.
//!
//! Times come from the time-stamp counter, calibrated against the kernel's timer ticks
//! (`vm::sysinfo().ticks`, `abi::TICK_MS` each) over one tick before the run starts.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use abi::Rights;
use exos::mem::mmap::{self, Spec, PAGE};
use exos::println;
use user::util;

const USAGE: &str = "memtouch MIB";

/// TSC cycles in one timer tick: from one tick boundary to the next.
fn cycles_per_tick() -> u64 {
    let ticks = || exos::sys::vm::sysinfo().ticks;
    let start = ticks();
    while ticks() == start {
        core::hint::spin_loop();
    }
    let (t0, first) = (user::bench::rdtsc(), ticks());
    while ticks() == first {
        core::hint::spin_loop();
    }
    (user::bench::rdtsc() - t0).max(1)
}

/// `cycles` in milliseconds, with `per_tick` cycles per tick of `abi::TICK_MS` ms.
fn millis(cycles: u64, per_tick: u64) -> f64 {
    cycles as f64 * abi::TICK_MS as f64 / per_tick as f64
}

/// Writes a word into every page of `[base, base + len)`, then reads them all back.
fn touch(base: u64, len: u64) -> bool {
    let pages = len / PAGE;
    for page in 0..pages {
        user::set_page_word(base + page * PAGE, 0, page ^ 0x6d65_6d74);
    }
    (0..pages).all(|page| user::page_word(base + page * PAGE, 0) == page ^ 0x6d65_6d74)
}

fn main() -> i64 {
    let parsed = match util::options("memtouch", "", false, USAGE) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let [operand] = parsed.operands[..] else {
        return util::usage_error("memtouch: one operand expected", USAGE);
    };
    let Some(mib) = operand.parse::<u64>().ok().filter(|&m| (1..=1 << 20).contains(&m)) else {
        return util::usage_error(&alloc::format!("memtouch: invalid size '{operand}' (MiB, 1 to 1048576)"), USAGE);
    };
    let len = mib << 20;
    let per_tick = cycles_per_tick();
    let t0 = user::bench::rdtsc();
    let base = match mmap::map(Spec::extent(len, Rights::READ.union(Rights::WRITE))) {
        Ok(base) => base,
        Err(e) => {
            println!("memtouch: cannot allocate {mib} MiB: {e}");
            return 1;
        }
    };
    let t1 = user::bench::rdtsc();
    let intact = touch(base, len);
    let t2 = user::bench::rdtsc();
    if let Err(e) = mmap::munmap(base, len) {
        println!("memtouch: freeing {mib} MiB: {e}");
        return 1;
    }
    if !intact {
        println!("memtouch: a page did not read back what was written");
        return 1;
    }
    println!(
        "touched {mib} MiB in {:.1} ms (allocate and map {:.1} ms, touch {:.1} ms)",
        millis(t2 - t0, per_tick),
        millis(t1 - t0, per_tick),
        millis(t2 - t1, per_tick)
    );
    0
}

exos::main!(main);
