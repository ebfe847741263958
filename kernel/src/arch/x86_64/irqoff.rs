//! The longest stretch the kernel ran with interrupts off: measured per kernel entry, from the
//! entry code's first instructions after saving the registers (`IRQOFF_ENTER` in entry.rs, for
//! system calls and traps) to the common exit to ring 3 (`IRQOFF_LEAVE` at `exit_to_user`, which
//! every return takes, `enter_user` included), in time-stamp counter cycles, kept as a running
//! maximum since boot ([`longest`]) that the statistics window publishes (`exostat`, the hostile
//! tests and the fuzzer read it).
//!
//! The kernel runs with interrupts off from entry to exit, so this is the longest time a device
//! interrupt (the timer's included) could have waited. Measuring in the entry code costs 9 instructions per
//! kernel entry (the entry stores the counter's halves; the exit subtracts the low halves when
//! the high halves agree, else in 64 bits) and no register pressure in the dispatchers. Only time
//! inside a kernel entry may count: kernel code that halts the CPU or turns interrupts on must
//! first fold the stretch so far into [`IRQOFF_LONGEST`] and restart it ([`IRQOFF_ENTERED`] = the
//! counter) when interrupts are off again.
use core::sync::atomic::{AtomicU64, Ordering};

/// The counter when the current entry began; [`NONE`] before the first entry (the boot's first
/// return to ring 3 measures nothing) and while the CPU halts. Written by the entry code.
#[unsafe(no_mangle)]
static IRQOFF_ENTERED: AtomicU64 = AtomicU64::new(NONE);

/// No stretch is running. Its high half never matches the counter's (2^63 cycles away), so the
/// exit's fast path (high halves equal) never sees it; its slow path tests for it.
const NONE: u64 = u64::MAX;
/// The longest entry so far, in cycles. Written by the exit code.
#[unsafe(no_mangle)]
static IRQOFF_LONGEST: AtomicU64 = AtomicU64::new(0);

/// Ends the current entry's stretch here, where the CPU is about to halt with interrupts on (the
/// idle loop, `entry::halt_until_interrupts`): the time so far counts toward the longest; the
/// interrupt that ends the halt starts a new stretch in the entry code.
pub fn fold() {
    let entered = IRQOFF_ENTERED.swap(NONE, Ordering::Relaxed);
    if entered != NONE {
        IRQOFF_LONGEST.fetch_max(super::cpu::rdtsc().saturating_sub(entered), Ordering::Relaxed);
    }
}

/// The longest stretch with interrupts off so far, in cycles.
pub fn longest() -> u64 {
    IRQOFF_LONGEST.load(Ordering::Relaxed)
}
