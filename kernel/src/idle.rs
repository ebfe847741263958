//! The idle CPU: when no environment can run but some sleep waiting for something that can still
//! happen, the CPU halts until an interrupt.
//!
//! [`enter`] wakes the sleepers whose events hold already; if one can run it runs. Otherwise the
//! LAPIC timer is programmed one-shot for the earliest deadline a sleeper waits for (or stopped
//! when none does: only a device, such as the console's receive interrupt, can wake the CPU) and
//! the CPU halts in ring 0 (`entry::halt_until_interrupts`: `sti; hlt` on an empty trap stack).
//! Each interrupt taken there is handled as usual by `trap.rs`, then [`interrupted`] looks
//! again: a sleeper that became runnable is resumed (its registers loaded into the interrupt's
//! frame, which is exactly the frame slot) and the periodic time-slice tick restarts; otherwise
//! the timer is re-armed and the CPU halts again. No periodic tick runs while idle; the clock is
//! the TSC, so time (ticks, uptime, revocation deadlines) stays right across idle periods.
//! Halts and the time spent halted are counted in the statistics window (published when the CPU
//! leaves idle, since no tick publishes it meanwhile).
//!
//! Calls `wait`, `sched`, `stats` and `arch`.
use crate::arch::x86_64::entry::{self, TrapFrame};
use crate::arch::x86_64::{cpu, lapic};
use crate::{sched, wait};
use abi::stats::Counter;
use core::sync::atomic::{AtomicU64, Ordering};

/// The TSC when the CPU went idle; 0 while an environment runs.
static IDLE_SINCE: AtomicU64 = AtomicU64::new(0);

/// Whether the CPU is idle (an interrupt arrived in the halt loop, not from an environment).
pub fn active() -> bool {
    IDLE_SINCE.load(Ordering::Relaxed) != 0
}

/// No environment can run (the running one ended, or waits and was parked by `sched::park`):
/// runs one that a passed deadline or waiting input makes runnable, else halts until one is.
/// Never returns.
pub fn enter() -> ! {
    wait::check_all();
    if let Some(frame) = sched::resume_next() {
        entry::enter_user(&frame)
    }
    IDLE_SINCE.store(cpu::rdtsc().max(1), Ordering::Relaxed);
    halt()
}

/// An interrupt arrived while idle (after `trap.rs` handled it): resumes an environment that can
/// now run, loading its registers into `frame`, or arms the timer and goes back to the halt loop.
pub fn interrupted(frame: &mut TrapFrame) {
    wait::check_all();
    if sched::resume_into_frame(frame) {
        let since = IDLE_SINCE.swap(0, Ordering::Relaxed);
        crate::stats::add(Counter::IdleMicros, lapic::cycles_to_us(cpu::rdtsc().saturating_sub(since)));
        // No tick published the counters while idle.
        crate::stats::publish();
        lapic::periodic();
    } else {
        arm_timer();
        crate::stats::count(Counter::IdleHalts);
    }
}

/// Programs the timer for the next deadline and halts (the trap stack is abandoned).
fn halt() -> ! {
    arm_timer();
    crate::stats::count(Counter::IdleHalts);
    entry::halt_until_interrupts()
}

/// One-shot for the earliest deadline a sleeper waits for, or no timer at all.
fn arm_timer() {
    match wait::next_deadline() {
        Some(deadline) => lapic::one_shot(deadline.saturating_sub(lapic::now_ns())),
        None => lapic::stop(),
    }
}
