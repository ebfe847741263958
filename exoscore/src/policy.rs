//! The scheduling policy of `exos::thread`: the [`Policy`] trait an application implements to
//! replace it, and ExOS's default, [`RoundRobin`].
//!
//! The mechanism (saving and loading registers, blocking, waking, preemption on the slice-end
//! upcall) stays in `exos::thread`; a policy only answers "which ready thread runs next". The library
//! calls it with its scheduler lock held and preemption held off, sometimes from the slice-end
//! upcall on the exception stack, so a policy must be quick, must not block or yield, and should
//! keep its stack use small (it may allocate and print).
use alloc::collections::VecDeque;
use core::sync::atomic::{AtomicU64, Ordering};

/// A thread's name: unique for the life of the program (never reused). The thread that runs
/// `main` is thread 0.
pub type ThreadId = u64;

/// A scheduling policy: it keeps the set of ready threads and chooses among them.
///
/// Every thread is [`admit`](Policy::admit)ted once, then alternates between
/// [`ready`](Policy::ready) (it can run: just spawned, woken, yielded or preempted) and being
/// [`pick`](Policy::pick)ed (it runs, and is no longer in the ready set), and is finally
/// [`retire`](Policy::retire)d when it ends. The running thread is never in the ready set.
pub trait Policy: Send {
    /// A new thread exists (not yet ready). `param` is the value its spawner passed with
    /// `thread::Builder::param` (0 by default; thread 0 gets 0): a priority, a ticket count,
    /// whatever the policy defines.
    fn admit(&mut self, thread: ThreadId, param: u64);
    /// `thread` can run.
    fn ready(&mut self, thread: ThreadId);
    /// Chooses the thread to run next and removes it from the ready set; `None` if none is ready.
    /// Returning a thread that is not ready is a bug the library reports (it panics).
    fn pick(&mut self) -> Option<ThreadId>;
    /// `thread` ended (it is not ready); forget it.
    fn retire(&mut self, thread: ThreadId);
}

/// How many picks every [`RoundRobin`] has made, so a program can tell whether the default ran.
static ROUND_ROBIN_PICKS: AtomicU64 = AtomicU64::new(0);

/// ExOS's default policy: ready threads run in the order they became ready (first in, first out).
#[derive(Default)]
pub struct RoundRobin {
    queue: VecDeque<ThreadId>,
}

impl RoundRobin {
    pub const fn new() -> RoundRobin {
        RoundRobin { queue: VecDeque::new() }
    }

    /// How many threads all round-robin policies together have picked since the program started.
    pub fn picks() -> u64 {
        ROUND_ROBIN_PICKS.load(Ordering::Relaxed)
    }
}

impl Policy for RoundRobin {
    fn admit(&mut self, _thread: ThreadId, _param: u64) {}

    fn ready(&mut self, thread: ThreadId) {
        self.queue.push_back(thread);
    }

    fn pick(&mut self) -> Option<ThreadId> {
        let next = self.queue.pop_front()?;
        ROUND_ROBIN_PICKS.fetch_add(1, Ordering::Relaxed);
        Some(next)
    }

    fn retire(&mut self, thread: ThreadId) {
        self.queue.retain(|&t| t != thread);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_ready_first_picked() {
        let mut p = RoundRobin::new();
        for t in [3, 1, 2] {
            p.admit(t, 0);
            p.ready(t);
        }
        assert_eq!(p.pick(), Some(3));
        p.ready(3);
        assert_eq!([p.pick(), p.pick(), p.pick(), p.pick()], [Some(1), Some(2), Some(3), None]);
    }

    #[test]
    fn a_retired_thread_is_never_picked_and_picks_are_counted() {
        let mut p = RoundRobin::new();
        p.ready(1);
        p.ready(2);
        p.retire(1);
        let before = RoundRobin::picks();
        assert_eq!(p.pick(), Some(2));
        assert_eq!(p.pick(), None);
        assert!(RoundRobin::picks() > before);
    }
}
