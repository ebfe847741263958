//! Sleeping and waking: the one wrapper over `env_wait` through which ExOS blocks, and over
//! `page_wake` and the clock.
//!
//! Every sleep also waits for notifications (`WAIT_NOTIFY`): a signal (`process::kill` notifies
//! the target), the end of a child (the kernel's `NOTIFY_CHILD`) and any other wake a process's
//! own layers send all end it, so every waiter re-checks its condition and its signals after
//! waking. Notifications are hints (the state they announce lives in memory the waiter reads),
//! so the bits consumed are only kept for whoever asks ([`notes`]). Waits on a word of shared
//! memory ([`sleep_on`]) are the futex pattern: read the word, decide to sleep, and sleep only if
//! the word still holds what was read; whoever changes the word then calls [`wake`].
use crate::sys::syscall::{sys_env_wait, sys_env_yield, sys_page_wake};
use abi::{ANY_ENV, WAIT_DEADLINE, WAIT_NOTIFY, WAIT_NOTIFY_SHIFT, WAIT_WORD};
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// Notification bits consumed by sleeps, not yet taken by [`notes`].
static NOTES: AtomicU32 = AtomicU32::new(0);

/// ExOS's notification bit for "a signal is pending" (`process::kill`).
pub const NOTIFY_SIGNAL: u32 = 1 << 0;
/// ExOS's notification bit for "look at the shared state you wait on" (pipes, LRPC, threads).
pub const NOTIFY_WAKE: u32 = 1 << 1;

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

fn finish(result: Result<u64, abi::Error>) -> Woken {
    match result {
        Ok(result) => {
            NOTES.fetch_or((result >> WAIT_NOTIFY_SHIFT) as u32, Ordering::Relaxed);
            Woken { events: result & abi::WAIT_EVENTS_MASK }
        }
        Err(_) => {
            // Only a library bug gets here (the arguments are built below); degrade to a yield.
            let _ = sys_env_yield(ANY_ENV);
            Woken::default()
        }
    }
}

/// Sleeps until one of `events` (`abi::WAIT_*`; notifications always) or, if given, the
/// deadline (nanoseconds since boot).
pub fn sleep(events: u64, deadline: Option<u64>) -> Woken {
    let (events, deadline) = match deadline {
        Some(d) => (events | WAIT_NOTIFY | WAIT_DEADLINE, d),
        None => (events | WAIT_NOTIFY, 0),
    };
    finish(sys_env_wait(events, deadline, 0, 0))
}

/// Sleeps while `word` holds `expected` (returns at once if it does not), until [`wake`] is
/// called on it, one of `events`, a notification or the deadline.
pub fn sleep_on(word: &AtomicU64, expected: u64, events: u64, deadline: Option<u64>) -> Woken {
    let events = events | WAIT_NOTIFY | WAIT_WORD | deadline.map_or(0, |_| WAIT_DEADLINE);
    finish(sys_env_wait(events, deadline.unwrap_or(0), word.as_ptr() as u64, expected))
}

/// Wakes every process sleeping on `word` (which must be in memory this process maps); with
/// `donate`, the CPU goes at once to the first one woken. Returns how many were woken.
pub fn wake(word: &AtomicU64, donate: bool) -> u64 {
    sys_page_wake(word.as_ptr() as u64, u64::MAX, donate).unwrap_or(0)
}

/// Takes the notification bits among `mask` that sleeps consumed.
pub fn notes(mask: u32) -> u32 {
    NOTES.fetch_and(!mask, Ordering::Relaxed) & mask
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
