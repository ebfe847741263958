//! The longest stretch the kernel ran with interrupts off: measured per kernel entry, from the
//! dispatcher's first instruction ([`enter`]) to the return to ring 3 ([`leave`]), in time-stamp
//! counter cycles, and kept as a running maximum since boot ([`longest`]), which the statistics
//! window publishes (`exostat`, the hostile tests and the fuzzer read it).
//!
//! The kernel runs with interrupts off from entry to exit (entry.rs), so this is the longest time
//! a device interrupt (the timer's included) could have waited. Only time inside a kernel entry
//! counts: anything the kernel does with interrupts on, or while it halts the idle CPU, must call
//! [`leave`] before and [`enter`] after. The two entry points cost a dozen instructions together.
use super::cpu;
use core::sync::atomic::{AtomicU64, Ordering};

/// The counter when the current entry began (0: not inside a measured entry).
static ENTERED: AtomicU64 = AtomicU64::new(0);
/// The longest entry so far, in cycles.
static LONGEST: AtomicU64 = AtomicU64::new(0);

/// A kernel entry begins (interrupts are off).
#[inline(always)]
pub fn enter() {
    ENTERED.store(cpu::rdtsc(), Ordering::Relaxed);
}

/// The kernel entry ends (about to return to ring 3, or to turn interrupts on).
#[inline(always)]
pub fn leave() {
    let start = ENTERED.load(Ordering::Relaxed);
    if start != 0 {
        let took = cpu::rdtsc().wrapping_sub(start);
        if took > LONGEST.load(Ordering::Relaxed) {
            LONGEST.store(took, Ordering::Relaxed);
        }
        ENTERED.store(0, Ordering::Relaxed);
    }
}

/// The longest stretch with interrupts off so far, in cycles.
pub fn longest() -> u64 {
    LONGEST.load(Ordering::Relaxed)
}
