//! The Appel-Li virtual-memory primitives (Appel and Li, "Virtual Memory Primitives for User
//! Programs", ASPLOS 1991; the exokernel paper's Table 10), as calls over the region layer
//! (`mmap.rs`). Garbage collectors, checkpointers, distributed shared memory and persistent stores
//! are built from them:
//!
//! | primitive | meaning | here |
//! |---|---|---|
//! | `dirty` | is a page dirty? | [`dirty`]: the entry's dirty bit through the self-map, no system call |
//! | `prot1` | decrease the accessibility of one page | [`prot1`]: one `PROTECT` update, read-only |
//! | `protN` | decrease the accessibility of N pages | [`protn`]: one `PROTECT_RANGE` update per run of mapped pages, in one `page_map` call |
//! | `unprotN` | increase the accessibility of N pages | [`unprotn`]: likewise, read-write |
//! | `trap` | handle a protection fault in user mode and resume | a region [`FaultHandler`](crate::mem::mmap::FaultHandler); [`unprotect_on_fault`] is the one that unprotects the page |
//! | `appel1` | prot1 + trap + unprot: on a fault, protect another page and unprotect the faulting one | [`protect_open_and_unprotect`]: both changes in one `page_map` call |
//! | `appel2` | protN + trap + unprot: protect N pages, then each access faults once and unprotects its page | [`protn`] then [`unprotect_on_fault`] |
//!
//! "Protected" means read-only here, as in the paper's and the Linux benchmark's `PROT_READ`
//! (`mmap::mprotect` with `Rights::NONE` removes reading too). The page's region needs a ceiling
//! with `WRITE` for unprotecting to be allowed.
use crate::mem::mmap::{self, Fault, PAGE};
use abi::{Error, ExceptionFrame, Rights};
use core::sync::atomic::{AtomicU64, Ordering};

/// Read-only.
pub const PROTECTED: Rights = Rights::READ;
/// Read-write.
pub const UNPROTECTED: Rights = Rights(Rights::READ.0 | Rights::WRITE.0);

/// How many faults the handlers below have taken.
static TRAPS: AtomicU64 = AtomicU64::new(0);
/// The page [`protect_open_and_unprotect`] left open (0: none).
static OPEN: AtomicU64 = AtomicU64::new(0);

/// `prot1`: makes `page` read-only.
pub fn prot1(page: u64) -> Result<(), Error> {
    mmap::mprotect(page, PAGE, PROTECTED)
}

/// `unprot1`: makes `page` read-write again.
pub fn unprot1(page: u64) -> Result<(), Error> {
    mmap::mprotect(page, PAGE, UNPROTECTED)
}

/// `protN`: makes the `n` pages from `addr` read-only (runs of mapped pages as `PROTECT_RANGE` updates).
pub fn protn(addr: u64, n: u64) -> Result<(), Error> {
    mmap::mprotect(addr, n * PAGE, PROTECTED)
}

/// `unprotN`: makes the `n` pages from `addr` read-write, likewise.
pub fn unprotn(addr: u64, n: u64) -> Result<(), Error> {
    mmap::mprotect(addr, n * PAGE, UNPROTECTED)
}

/// `dirty`: whether `page` was written since it was mapped or last changed protection.
pub fn dirty(page: u64) -> bool {
    mmap::is_dirty(page)
}

/// The `trap` handler of `appel2`: unprotects the faulting page and resumes the access.
pub fn unprotect_on_fault(fault: &Fault, _: &mut ExceptionFrame) -> bool {
    TRAPS.fetch_add(1, Ordering::Relaxed);
    unprot1(fault.page).is_ok()
}

/// The `appel1` handler: protects the page left open by the previous fault (see [`set_open_page`])
/// and unprotects the faulting one, in a single `page_map` call, and resumes the access.
pub fn protect_open_and_unprotect(fault: &Fault, _: &mut ExceptionFrame) -> bool {
    TRAPS.fetch_add(1, Ordering::Relaxed);
    match OPEN.swap(fault.page, Ordering::Relaxed) {
        0 => unprot1(fault.page).is_ok(),
        open => mmap::protect_pages(&[(open, PROTECTED), (fault.page, UNPROTECTED)]).is_ok(),
    }
}

/// Names the page that is open (read-write) before `appel1` starts (0: none).
pub fn set_open_page(page: u64) {
    OPEN.store(page, Ordering::Relaxed);
}

/// The page [`protect_open_and_unprotect`] last opened.
pub fn open_page() -> u64 {
    OPEN.load(Ordering::Relaxed)
}

/// How many faults [`unprotect_on_fault`] and [`protect_open_and_unprotect`] have handled.
pub fn traps() -> u64 {
    TRAPS.load(Ordering::Relaxed)
}
