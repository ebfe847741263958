//! Sleeping and waking: the one wrapper over `env_wait` through which ExOS blocks, and over
//! `page_wake` and the clock.
//!
//! Every sleep also waits for notifications (`WAIT_NOTIFY`): a signal (bit `n` is signal `n`,
//! [`NOTIFY_SIGNALS`]: `process::kill` sends them), the end of a child (the kernel's
//! `NOTIFY_CHILD`) and any other wake a process's own layers send all end it, so every waiter
//! re-checks its condition and its signals after waking. The bits a sleep consumes are kept on the
//! private page ([`notes`]); when signal bits arrive, the signal layer's check (registered with
//! [`on_signal`]) runs before the sleep returns, so a process asleep anywhere in the library (a
//! pipe, the terminal, a lock) acts on a signal as it wakes. A process that runs without
//! sleeping learns of notifications by [`poll`] (the signal check at slice ends): the bits it
//! consumes that are not signals are reported by the next sleep, which returns at once as it would
//! have with the bits still pending in the kernel, so no wake is lost. Waits on a word of shared
//! memory ([`sleep_on`]) are the futex pattern: read the word, decide to sleep, and sleep only if
//! the word still holds what was read; whoever changes the word then calls [`wake`].
use crate::rt::hook::Hook;
use crate::rt::private::EXOS_PRIVATE;
use crate::sys::syscall::{sys_env_wait, sys_env_yield, sys_page_wake};
use abi::{ANY_ENV, WAIT_DEADLINE, WAIT_NOTIFY, WAIT_NOTIFY_SHIFT, WAIT_WORD};
use core::sync::atomic::{AtomicU64, Ordering};

/// ExOS's notification bit for "look at the shared state you wait on" (pipes, LRPC, threads).
pub const NOTIFY_WAKE: u32 = 1 << 1;
/// The notification bits that are signals: bit `n` is signal `n`, for `n` in 2..=17 (`SIGINT` 2,
/// `SIGTERM` 15, `SIGCHLD` 17). Bits 0, 1 and 18..=30 are the library's other notes.
pub const NOTIFY_SIGNALS: u32 = 0x3_fffc;

/// The signal layer's check, run when a sleep or poll brought signal bits.
static ON_SIGNAL: Hook<fn()> = Hook::new();

/// Registers the check that acts on pending signals (`process::check_signals`).
pub fn on_signal(check: fn()) {
    ON_SIGNAL.set(check);
}

/// What ended a sleep: the `WAIT_*` events that fired (0: interrupted by a revocation request, or
/// the call failed and the CPU was only yielded).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Woken {
    pub events: u64,
}

/// Nanoseconds since boot (the kernel's clock, read from the TSC).
pub fn now_ns() -> u64 {
    crate::sys::vm::now_ns()
}

/// Keeps notification bits `env_wait` returned (in `result`'s high half) until taken.
fn keep(result: u64) -> u32 {
    let bits = (result >> WAIT_NOTIFY_SHIFT) as u32;
    if bits != 0 {
        EXOS_PRIVATE.notes.fetch_or(u64::from(bits), Ordering::Relaxed);
    }
    bits
}

fn finish(result: Result<u64, abi::Error>) -> Woken {
    match result {
        Ok(result) => {
            if keep(result) & NOTIFY_SIGNALS != 0 {
                signalled();
            }
            Woken { events: result & abi::WAIT_EVENTS_MASK }
        }
        Err(_) => {
            // Only a library bug gets here (the arguments are built below); degrade to a yield.
            let _ = sys_env_yield(ANY_ENV);
            Woken::default()
        }
    }
}

fn signalled() {
    if let Some(check) = ON_SIGNAL.get() {
        check();
    }
}

/// A sleep that a poll made unnecessary: the poll consumed notification bits no sleep reported yet.
fn polled() -> Option<Woken> {
    let polled = &EXOS_PRIVATE.polled;
    (polled.load(Ordering::Relaxed) != 0 && polled.swap(0, Ordering::Relaxed) != 0).then_some(Woken { events: WAIT_NOTIFY })
}

/// Takes the notifications pending in the kernel without sleeping (an `env_wait` whose deadline
/// has passed): they join [`notes`], and the next sleep returns at once if any were not signals.
/// Returns the bits. Writes only the private page (safe at a slice-end upcall).
pub fn poll() -> u32 {
    match sys_env_wait(WAIT_NOTIFY | WAIT_DEADLINE, 0, 0, 0) {
        Ok(result) => {
            let bits = keep(result);
            // Signals are acted on by the caller; the other bits are wakes a sleep must report.
            if bits & !NOTIFY_SIGNALS != 0 {
                EXOS_PRIVATE.polled.fetch_or(u64::from(bits & !NOTIFY_SIGNALS), Ordering::Relaxed);
            }
            bits
        }
        Err(_) => 0,
    }
}

/// Sleeps until one of `events` (`abi::WAIT_*`; notifications always) or, if given, the
/// deadline (nanoseconds since boot).
pub fn sleep(events: u64, deadline: Option<u64>) -> Woken {
    let (events, deadline) = match deadline {
        Some(d) => (events | WAIT_NOTIFY | WAIT_DEADLINE, d),
        None => (events | WAIT_NOTIFY, 0),
    };
    if let Some(woken) = polled() {
        return woken;
    }
    finish(sys_env_wait(events, deadline, 0, 0))
}

/// Sleeps while `word` holds `expected` (returns at once if it does not), until [`wake`] is
/// called on it, one of `events`, a notification or the deadline.
pub fn sleep_on(word: &AtomicU64, expected: u64, events: u64, deadline: Option<u64>) -> Woken {
    let events = events | WAIT_NOTIFY | WAIT_WORD | deadline.map_or(0, |_| WAIT_DEADLINE);
    if let Some(woken) = polled() {
        return woken;
    }
    finish(sys_env_wait(events, deadline.unwrap_or(0), word.as_ptr() as u64, expected))
}

/// Wakes every process sleeping on `word` (which must be in memory this process maps); with
/// `donate`, the CPU goes at once to the first one woken. Returns how many were woken.
pub fn wake(word: &AtomicU64, donate: bool) -> u64 {
    sys_page_wake(word.as_ptr() as u64, u64::MAX, donate).unwrap_or(0)
}

/// Takes the notification bits among `mask` that sleeps and polls consumed.
pub fn notes(mask: u32) -> u32 {
    (EXOS_PRIVATE.notes.fetch_and(!u64::from(mask), Ordering::Relaxed) as u32) & mask
}

/// Sleeps until `deadline` (nanoseconds since boot) has passed, calling `check` after every
/// wake-up (signals, say); returns early if `check` says so.
pub fn sleep_until(deadline: u64, mut check: impl FnMut() -> bool) {
    while now_ns() < deadline {
        if check() {
            return;
        }
        sleep(0, Some(deadline));
    }
}

/// An `AtomicU64` counter to sleep on: bumped and woken by whoever changes what it guards.
pub fn bump(word: &AtomicU64) {
    word.fetch_add(1, Ordering::Release);
    wake(word, false);
}
