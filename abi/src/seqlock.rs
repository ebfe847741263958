//! The sequence protocol of the published tables: how a reader gets a record of several words that
//! the kernel may rewrite between two of its loads (a reader preempted by the timer in the middle
//! of a record while the kernel updates it for another environment would otherwise see half of the
//! old record and half of the new one).
//!
//! The writer (the kernel) keeps one `u64` sequence word per record: it makes it odd before it
//! changes the record and even again (two more than before) after. The reader loads the sequence,
//! then the record, then the sequence again, and keeps the record only if both loads gave the same
//! even value; otherwise it tries again, at most a bounded number of times ([`read`]).
//!
//! Which records use it: the environment table ([`crate::layout::ENV_SEQ_BASE`]). The ownership and
//! capability-count tables hold one aligned `u32` per page, written with one store and read with
//! one load, so an entry of theirs cannot tear and they carry no sequence.
use core::sync::atomic::{fence, Ordering};

/// How many times [`read`] tries before it gives up. A try fails only if the reader lost the CPU
/// inside its few-instruction window (on one CPU the kernel finishes every update inside a system
/// call, so the sequence is never odd while a program runs) and the kernel changed that very
/// record meanwhile: 8 failures in a row need 8 such preemptions in a row.
pub const TRIES: u32 = 8;

/// Reads a record guarded by a sequence word: `sequence` loads the word (a `Relaxed` atomic load),
/// `record` loads the record's words (`Relaxed` atomic loads, which may be torn as a whole).
/// Returns the record read while the sequence stayed the same even value, or `None` after `tries`
/// attempts that all overlapped a change.
///
/// Ordering: the fence after the first sequence load keeps the record's loads after it (acquire),
/// the fence before the second keeps them before it; on x86 both are compiler barriers only.
///
/// Termination: the loop runs at most `tries` times whatever the writer does; it never waits for
/// the writer (a writer that stopped halfway would only make it return `None`).
#[inline(always)]
pub fn read<T>(mut sequence: impl FnMut() -> u64, mut record: impl FnMut() -> T, tries: u32) -> Option<T> {
    for _ in 0..tries {
        let before = sequence();
        fence(Ordering::Acquire);
        let value = record();
        fence(Ordering::Acquire);
        if before & 1 == 0 && sequence() == before {
            return Some(value);
        }
    }
    None
}

/// The writer's side, for a sequence value `now`: the value to store before changing the record
/// (odd) and the one to store after (even).
pub const fn bracket(now: u64) -> (u64, u64) {
    let odd = now | 1;
    (odd, odd + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::cell::Cell;

    #[test]
    fn a_quiet_record_is_read_at_the_first_try() {
        let calls = Cell::new(0);
        let got = read(|| 4, || { calls.set(calls.get() + 1); (1, 2) }, TRIES);
        assert_eq!((got, calls.get()), (Some((1, 2)), 1));
    }

    #[test]
    fn a_change_during_the_read_is_retried_and_the_new_record_kept() {
        // The writer changes the record (sequence 2 -> 4) while the first try is reading it.
        let sequence = Cell::new(2u64);
        let words = Cell::new((10u32, 10u32));
        let tries = Cell::new(0);
        let got = read(
            || sequence.get(),
            || {
                tries.set(tries.get() + 1);
                let first = words.get().0;
                if tries.get() == 1 {
                    words.set((20, 20));
                    sequence.set(4);
                }
                (first, words.get().1)
            },
            TRIES,
        );
        assert_eq!((got, tries.get()), (Some((20, 20)), 2));
    }

    #[test]
    fn an_odd_sequence_is_never_accepted_and_the_loop_ends() {
        let tries = Cell::new(0);
        assert_eq!(read(|| 7, || tries.set(tries.get() + 1), 5), None);
        assert_eq!(tries.get(), 5);
    }

    #[test]
    fn a_record_that_always_changes_gives_up_after_the_bound() {
        let sequence = Cell::new(0u64);
        let got = read(|| { let s = sequence.get(); sequence.set(s + 2); s }, || 1, TRIES);
        assert_eq!(got, None);
    }

    #[test]
    fn the_writer_brackets_with_odd_then_even() {
        assert_eq!(bracket(0), (1, 2));
        assert_eq!(bracket(2), (3, 4));
        assert_eq!(bracket(3), (3, 4), "a writer that stopped halfway resumes on the same pair");
    }
}
