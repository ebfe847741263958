//! The statistics window: what the kernel counts, published read-only at [`STATS_BASE`] so any
//! program (`exostat`, `ps`, `uptime`) can read it without a system call.
//!
//! Layout of the window ([`STATS_PAGES`] pages, little-endian):
//!
//! | offset | contents |
//! |---|---|
//! | 0 | [`COUNTERS`] `u64` counters: `0..SYSCALL_COUNTERS` system calls by number, then [`Counter`] |
//! | [`IRQ_OFF_OFFSET`] | `u64`: the longest stretch the kernel ran with interrupts off (one kernel entry), in TSC cycles |
//! | [`TICK_CYCLES_OFFSET`] | `u64`: TSC cycles in one timer tick (`TICK_MS`), to compare the stretch with |
//! | 3072 | the kernel's stage ring (`crate::stages`) |
//! | [`NAMES_OFFSET`] (4096) | `MAX_ENVS` names of [`NAME_LEN`] bytes, one per environment-table index, NUL-padded UTF-8 |
//! | [`RUN_TICKS_OFFSET`] | `MAX_ENVS` `u64`s: timer ticks each environment has run (since its index was last reused) |
//!
//! The kernel refreshes the counters at every timer tick, so a reader sees them at most one tick
//! old; a run-tick count changes at the tick it counts; names change when an environment is
//! created or renamed (`env_set_name`).
use crate::layout::ENV_TABLE_BASE;
use crate::MAX_ENVS;

/// The statistics window (1 MiB after the environment table's). Read-only.
pub const STATS_BASE: u64 = ENV_TABLE_BASE + 0x10_0000;
/// Bytes of an environment name (longer names are cut at a character boundary).
pub const NAME_LEN: usize = 32;
/// Offset of the counters.
pub const COUNTERS_OFFSET: usize = 0;
/// Offset of the longest interrupts-off stretch (cycles; after the counters).
pub const IRQ_OFF_OFFSET: usize = COUNTERS_OFFSET + COUNTERS * 8;
/// Offset of the timer tick's length in cycles.
pub const TICK_CYCLES_OFFSET: usize = IRQ_OFF_OFFSET + 8;
/// Offset of the names (the page after the counters and the stage ring).
pub const NAMES_OFFSET: usize = 4096;
/// Offset of the run-tick counts.
pub const RUN_TICKS_OFFSET: usize = NAMES_OFFSET + MAX_ENVS * NAME_LEN;
/// Pages of the statistics window.
pub const STATS_PAGES: usize = (RUN_TICKS_OFFSET + MAX_ENVS * 8).div_ceil(4096);
/// Counter slots reserved for system calls, indexed by call number.
pub const SYSCALL_COUNTERS: usize = 64;
/// Number of counters (system calls, then [`Counter`]s).
pub const COUNTERS: usize = SYSCALL_COUNTERS + Counter::ALL.len();

/// What the kernel counts besides system calls: one per mechanism.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum Counter {
    /// Exceptions delivered to a user handler (an upcall).
    ExceptionUpcalls,
    /// Environments ended by an exception they did not handle.
    FaultKills,
    /// Slice-end upcalls delivered.
    SliceEndUpcalls,
    /// Timer ticks.
    TimerTicks,
    /// Switches of the CPU from one environment to another.
    EnvSwitches,
    /// Environments created (boot programs and `env_create`).
    EnvsCreated,
    /// Environments ended (exit, fault, destroy).
    EnvsEnded,
    /// Pages handed out by `page_alloc`.
    PagesAllocated,
    /// Pages returned (`page_free`, `cap_delete` of a root, an environment's end).
    PagesFreed,
    /// `page_map` updates applied (map, unmap, protect, give, grant-map).
    MapUpdates,
    /// Capabilities granted.
    CapGrants,
    /// Protected control transfers (sync and async).
    PctTransfers,
    /// Revocation requests delivered (upcalls asking for pages back).
    RevocationUpcalls,
    /// Pages repossessed by force after a missed deadline.
    PagesRepossessed,
    /// Bytes written to the console by programs.
    ConsoleBytesOut,
    /// Bytes read from the console by programs.
    ConsoleBytesIn,
    /// Times the CPU halted because no environment could run (`sti; hlt` until an interrupt).
    IdleHalts,
    /// Microseconds the CPU spent halted.
    IdleMicros,
    /// Environments woken from `env_wait`.
    Wakeups,
    /// Frames the NIC received.
    NetRxFrames,
    /// Frames delivered into receive rings.
    NetRxDelivered,
    /// Received frames no filter claimed and no default owner took (dropped).
    NetRxUnclaimed,
    /// Received frames dropped because their ring was full.
    NetRxRingFull,
    /// Frames transmitted.
    NetTxFrames,
    /// `net_send` calls refused by the transmit check.
    NetTxRefused,
    /// NIC receive interrupts.
    NetInterrupts,
    /// Received frames classified by the filter program (`dpf`).
    NetClassified,
    /// Time-stamp counter cycles spent classifying them (under QEMU's `-icount`: instructions).
    NetClassifyCycles,
    /// Handler (ASH) runs.
    NetHandlerRuns,
    /// Handler runs ended by a failed run-time check.
    NetHandlerFaults,
    /// Replies handlers sent.
    NetHandlerReplies,
}

impl Counter {
    /// Every counter, in index order.
    pub const ALL: [Counter; 31] = [
        Counter::ExceptionUpcalls,
        Counter::FaultKills,
        Counter::SliceEndUpcalls,
        Counter::TimerTicks,
        Counter::EnvSwitches,
        Counter::EnvsCreated,
        Counter::EnvsEnded,
        Counter::PagesAllocated,
        Counter::PagesFreed,
        Counter::MapUpdates,
        Counter::CapGrants,
        Counter::PctTransfers,
        Counter::RevocationUpcalls,
        Counter::PagesRepossessed,
        Counter::ConsoleBytesOut,
        Counter::ConsoleBytesIn,
        Counter::IdleHalts,
        Counter::IdleMicros,
        Counter::Wakeups,
        Counter::NetRxFrames,
        Counter::NetRxDelivered,
        Counter::NetRxUnclaimed,
        Counter::NetRxRingFull,
        Counter::NetTxFrames,
        Counter::NetTxRefused,
        Counter::NetInterrupts,
        Counter::NetClassified,
        Counter::NetClassifyCycles,
        Counter::NetHandlerRuns,
        Counter::NetHandlerFaults,
        Counter::NetHandlerReplies,
    ];

    /// The counter's index in the window's counter array.
    pub const fn index(self) -> usize {
        SYSCALL_COUNTERS + self as usize
    }

    /// A short name for reports (`exostat`).
    pub const fn name(self) -> &'static str {
        match self {
            Counter::ExceptionUpcalls => "exception upcalls",
            Counter::FaultKills => "ended by a fault",
            Counter::SliceEndUpcalls => "slice-end upcalls",
            Counter::TimerTicks => "timer ticks",
            Counter::EnvSwitches => "environment switches",
            Counter::EnvsCreated => "environments created",
            Counter::EnvsEnded => "environments ended",
            Counter::PagesAllocated => "pages allocated",
            Counter::PagesFreed => "pages freed",
            Counter::MapUpdates => "page_map updates",
            Counter::CapGrants => "capabilities granted",
            Counter::PctTransfers => "protected control transfers",
            Counter::RevocationUpcalls => "revocation upcalls",
            Counter::PagesRepossessed => "pages repossessed",
            Counter::ConsoleBytesOut => "console bytes out",
            Counter::ConsoleBytesIn => "console bytes in",
            Counter::IdleHalts => "idle halts",
            Counter::IdleMicros => "idle microseconds",
            Counter::Wakeups => "wakeups from env_wait",
            Counter::NetRxFrames => "net frames received",
            Counter::NetRxDelivered => "net frames delivered to rings",
            Counter::NetRxUnclaimed => "net frames unclaimed (dropped)",
            Counter::NetRxRingFull => "net frames dropped, ring full",
            Counter::NetTxFrames => "net frames sent",
            Counter::NetTxRefused => "net sends refused",
            Counter::NetInterrupts => "net interrupts",
            Counter::NetClassified => "net frames classified",
            Counter::NetClassifyCycles => "net classify cycles",
            Counter::NetHandlerRuns => "net handler runs",
            Counter::NetHandlerFaults => "net handler faults",
            Counter::NetHandlerReplies => "net handler replies",
        }
    }
}

/// The name stored in a [`NAME_LEN`]-byte record: up to the first NUL, or "" if not UTF-8.
pub fn name_of(record: &[u8]) -> &str {
    let end = record.iter().position(|&b| b == 0).unwrap_or(record.len());
    core::str::from_utf8(&record[..end]).unwrap_or("")
}

/// `name` cut to fit a record (at most `NAME_LEN - 1` bytes, at a character boundary).
pub fn fit_name(name: &str) -> &str {
    let mut end = name.len().min(NAME_LEN - 1);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_fits_its_pages_and_counters_are_dense() {
        const { assert!(TICK_CYCLES_OFFSET + 8 <= crate::stages::KERNEL_LOG_OFFSET) };
        const { assert!(RUN_TICKS_OFFSET.is_multiple_of(8) && NAMES_OFFSET.is_multiple_of(4096)) };
        for (i, c) in Counter::ALL.iter().enumerate() {
            assert_eq!(*c as usize, i);
            assert_eq!(c.index(), SYSCALL_COUNTERS + i);
        }
        const { assert!(crate::Sysnum::ALL.len() <= SYSCALL_COUNTERS) };
    }

    #[test]
    fn names_are_cut_at_character_boundaries_and_read_back() {
        let long = "é".repeat(40);
        let fitted = fit_name(&long);
        assert!(fitted.len() < NAME_LEN && fitted.chars().all(|c| c == 'é'));
        let mut record = [0u8; NAME_LEN];
        record[..5].copy_from_slice(b"shell");
        assert_eq!(name_of(&record), "shell");
        assert_eq!(name_of(&[0xff, 0]), "");
        assert_eq!(fit_name("ls"), "ls");
    }
}
