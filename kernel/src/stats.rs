//! The kernel's counters and environment names, published in the read-only statistics window
//! (`abi::stats::STATS_BASE`; layout in `abi/src/stats.rs`).
//!
//! Counting is a relaxed load and store of a kernel static (one CPU, no lock prefix): the hot paths
//! (system-call dispatch, exception upcall) pay two instructions for it. The counters are copied to
//! the window at every timer tick and whenever an environment ends; names are written when they
//! change. The window also carries the longest stretch the kernel ran with interrupts off
//! (`arch::x86_64::irqoff`) and the timer tick's length in cycles, refreshed with the counters.
use crate::arch::x86_64::{irqoff, lapic};
use crate::mem::{paging, phys};
use abi::stats::{self, Counter, COUNTERS, COUNTERS_OFFSET, NAME_LEN, NAMES_OFFSET, RUN_TICKS_OFFSET};
use abi::MAX_ENVS;
use core::sync::atomic::{AtomicU64, Ordering};

static COUNTS: [AtomicU64; COUNTERS] = [const { AtomicU64::new(0) }; COUNTERS];
static RUN_TICKS: [AtomicU64; MAX_ENVS] = [const { AtomicU64::new(0) }; MAX_ENVS];
/// Physical address of the window's page (0 until `init`).
static PAGE: AtomicU64 = AtomicU64::new(0);

/// Allocates the window's pages (contiguous) and maps them in every address space.
pub fn init() {
    let page = crate::windows::kernel_pages(stats::STATS_PAGES as u64).expect("no memory for the statistics window");
    PAGE.store(page, Ordering::Release);
    crate::stages::init(page);
    paging::map_shared_window(stats::STATS_BASE, page, stats::STATS_PAGES as u64);
}

fn bump(index: usize, by: u64) {
    if let Some(c) = COUNTS.get(index) {
        c.store(c.load(Ordering::Relaxed).wrapping_add(by), Ordering::Relaxed);
    }
}

/// Counts one event of `counter`.
pub fn count(counter: Counter) {
    bump(counter.index(), 1);
}

/// Counts `n` events of `counter`.
pub fn add(counter: Counter, n: u64) {
    bump(counter.index(), n);
}

/// Counts one system call with number `n` (numbers beyond the table are not counted).
#[inline(always)]
pub fn syscall(n: u64) {
    if n < stats::SYSCALL_COUNTERS as u64 {
        bump(n as usize, 1);
    }
}

/// Records the name of the environment at table `index` (cut to fit), and clears its run ticks
/// when the index is taken by a new environment (`fresh`).
pub fn set_name(index: usize, name: &str, fresh: bool) {
    let page = PAGE.load(Ordering::Acquire);
    if page == 0 || index >= MAX_ENVS {
        return;
    }
    if fresh {
        RUN_TICKS[index].store(0, Ordering::Relaxed);
        phys::write(page + (RUN_TICKS_OFFSET + index * 8) as u64, &0u64.to_le_bytes());
    }
    let mut record = [0u8; NAME_LEN];
    let name = stats::fit_name(name);
    record[..name.len()].copy_from_slice(name.as_bytes());
    phys::write(page + (NAMES_OFFSET + index * NAME_LEN) as u64, &record);
}

/// Timer tick: charges it to the environment at table index `running` (if one was running) and
/// publishes the counters and run ticks.
pub fn tick(running: Option<usize>) {
    count(Counter::TimerTicks);
    let page = PAGE.load(Ordering::Acquire);
    if let (Some(i), true) = (running.filter(|&i| i < MAX_ENVS), page != 0) {
        let ticks = RUN_TICKS[i].load(Ordering::Relaxed) + 1;
        RUN_TICKS[i].store(ticks, Ordering::Relaxed);
        phys::write(page + (RUN_TICKS_OFFSET + i * 8) as u64, &ticks.to_le_bytes());
    }
    publish();
}

/// Copies the counters to the window (at every tick, and when an environment ends, so a program
/// started after another ended sees everything it did). Run ticks are written as they change.
pub fn publish() {
    let page = PAGE.load(Ordering::Acquire);
    if page == 0 {
        return;
    }
    let mut bytes = [0u8; COUNTERS * 8];
    for (chunk, c) in bytes.chunks_exact_mut(8).zip(&COUNTS) {
        chunk.copy_from_slice(&c.load(Ordering::Relaxed).to_le_bytes());
    }
    phys::write(page + COUNTERS_OFFSET as u64, &bytes);
    phys::write(page + stats::IRQ_OFF_OFFSET as u64, &irqoff::longest().to_le_bytes());
    phys::write(page + stats::TICK_CYCLES_OFFSET as u64, &(lapic::tsc_per_ms() * abi::TICK_MS).to_le_bytes());
}
