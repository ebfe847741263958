//! The kernel's statistics window, read without a system call: environment names, the timer ticks
//! each environment has run, and the per-mechanism counters (`abi::stats` has the layout). Also a
//! process table built from it and the environment table, for `ps`.
use crate::sys::vm;
use abi::stats::{self, Counter, COUNTERS, COUNTERS_OFFSET, NAME_LEN, NAMES_OFFSET, RUN_TICKS_OFFSET};
use abi::MAX_ENVS;

fn read_u64(offset: usize) -> u64 {
    vm::stats_word(offset)
}

/// The name of the environment at table `index` (empty if it never had one).
pub fn name(index: usize) -> Name {
    let mut record = [0u8; NAME_LEN];
    let base = NAMES_OFFSET + (index % MAX_ENVS) * NAME_LEN;
    for (i, chunk) in record.chunks_exact_mut(8).enumerate() {
        chunk.copy_from_slice(&read_u64(base + i * 8).to_le_bytes());
    }
    Name(record)
}

/// Timer ticks the environment at table `index` has run.
pub fn run_ticks(index: usize) -> u64 {
    read_u64(RUN_TICKS_OFFSET + (index % MAX_ENVS) * 8)
}

/// Counter `counter`.
pub fn counter(counter: Counter) -> u64 {
    read_u64(COUNTERS_OFFSET + counter.index() * 8)
}

/// How many times system call number `n` has been made (0 beyond the counted range).
pub fn syscalls(n: usize) -> u64 {
    if n < stats::SYSCALL_COUNTERS { read_u64(COUNTERS_OFFSET + n * 8) } else { 0 }
}

/// Every counter, system calls first (`COUNTERS` values).
pub fn all_counters() -> [u64; COUNTERS] {
    core::array::from_fn(|i| read_u64(COUNTERS_OFFSET + i * 8))
}

/// The longest stretch the kernel has run with interrupts off (one kernel entry), in TSC cycles,
/// as of the last timer tick or environment end.
pub fn longest_irq_off() -> u64 {
    read_u64(stats::IRQ_OFF_OFFSET)
}

/// TSC cycles in one timer tick (`abi::TICK_MS`).
pub fn tick_cycles() -> u64 {
    read_u64(stats::TICK_CYCLES_OFFSET)
}

/// One row of the process table.
#[derive(Clone, Copy, Debug)]
pub struct Process {
    /// Environment id (the process id).
    pub id: u32,
    /// Its creator's id (0: a boot program).
    pub parent: u32,
    /// `abi::ENV_*` state.
    pub state: u32,
    /// Pages it holds.
    pub pages: u32,
    /// Timer ticks it has run.
    pub ticks: u64,
    /// Its memory budget and the pages charged to it (`abi::BudgetInfo`).
    pub budget: abi::BudgetInfo,
    /// Its name.
    pub name: Name,
}

/// Every live environment, in table order: the system-wide process table.
pub fn processes() -> impl Iterator<Item = Process> {
    (0..MAX_ENVS).filter_map(|i| {
        let info = vm::env_info(i);
        (info.id != 0).then(|| Process {
            id: info.id,
            parent: info.parent,
            state: info.state,
            pages: info.pages,
            ticks: run_ticks(i),
            budget: vm::budget_info(i),
            name: name(i),
        })
    })
}

/// A one-letter state, as `ps` prints it: R runnable, W waiting for a transfer, B blocked in one,
/// S sleeping in `env_wait`, N not started.
pub fn state_letter(state: u32) -> char {
    match state {
        abi::ENV_RUNNABLE => 'R',
        abi::ENV_WAITING => 'W',
        abi::ENV_BLOCKED => 'B',
        abi::ENV_SLEEPING => 'S',
        abi::ENV_NOT_STARTED => 'N',
        _ => '?',
    }
}

/// An environment name copied out of the window: up to `NAME_LEN - 1` UTF-8 bytes, NUL-padded.
#[derive(Clone, Copy, Debug)]
pub struct Name(pub [u8; NAME_LEN]);

impl Name {
    /// The name as text.
    pub fn as_str(&self) -> &str {
        stats::name_of(&self.0)
    }
}
