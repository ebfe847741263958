//! The process-private page: ExOS state that `fork` never shares (a child gets a fresh, zeroed
//! one), so exception handlers may write it even while the rest of memory is copy-on-write:
//! this process's id, its children's capabilities, the pages copy-on-write retired (`cow.rs`),
//! the counters of `mem::reclaim`, the start of a wait for memory, which children's ends
//! were announced, and the notification bits sleeps and polls consumed (pending signals among
//! them: a child does not inherit its parent's).
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Pages retired by copy-on-write that other processes still map.
pub(crate) const MAX_RETIRED: usize = 128;

/// The process-private page.
#[repr(C, align(4096))]
pub struct Private {
    /// This process's environment id (0 until known).
    pub self_id: AtomicU64,
    /// Capability slots (+1) over children's environments, by child number.
    pub children: [AtomicU64; crate::layout::MAX_CHILDREN],
    pub(crate) retired_count: AtomicUsize,
    /// `slot | frame << 12` of retired root capabilities.
    pub(crate) retired: [AtomicU64; MAX_RETIRED],
    /// Counters of `reclaim` (written by the revocation handler, so on this never-shared page).
    pub reclaim: [AtomicU64; 16],
    /// The tick + 1 at which a fault began waiting for memory (0: not waiting).
    pub(crate) waiting_since: AtomicU64,
    /// Revocation requests answered inline, by the exception path or a fault that found no page
    /// (`rt::exception::answer_pending`).
    pub(crate) answered_inline: AtomicU64,
    /// Children whose end was already announced with SIGCHLD (a bit per child number): written by
    /// the signal check that runs at slice-end upcalls, inside the exception handler, so it must
    /// not live on a page a `fork` made copy-on-write (a write there would fault in the handler).
    pub(crate) announced: AtomicU64,
    /// Notification bits consumed by `env_wait` (a sleep, or a poll at a slice end) and not yet
    /// taken (`sys::wait::notes`): pending signals among them.
    pub(crate) notes: AtomicU64,
    /// Notification bits a poll consumed that no sleep has reported yet: the next sleep returns at
    /// once, as it would have with the bits still pending in the kernel.
    pub(crate) polled: AtomicU64,
}

const _: () = assert!(size_of::<Private>() == 4096);

pub static EXOS_PRIVATE: Private = Private {
    self_id: AtomicU64::new(0),
    children: [const { AtomicU64::new(0) }; crate::layout::MAX_CHILDREN],
    retired_count: AtomicUsize::new(0),
    retired: [const { AtomicU64::new(0) }; MAX_RETIRED],
    reclaim: [const { AtomicU64::new(0) }; 16],
    waiting_since: AtomicU64::new(0),
    answered_inline: AtomicU64::new(0),
    announced: AtomicU64::new(0),
    notes: AtomicU64::new(0),
    polled: AtomicU64::new(0),
};

/// Called when a fault got its page: the wait for memory, if any, is over.
pub fn got_memory() {
    EXOS_PRIVATE.waiting_since.store(0, Ordering::Relaxed);
}
