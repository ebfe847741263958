//! Pages environments hold: the machine-wide count behind `page_alloc`'s `NoMemory`. All
//! environments together hold at most the limit set with `user_pages=` on the command line
//! (counted here); each environment's own limit is its memory budget (`budget.rs`); the
//! allocation itself is `syscall/page.rs`'s, the ownership table `mem::owners`'.
use crate::mem::owners;
use abi::layout::PAGE_SIZE;
use core::sync::atomic::{AtomicU64, Ordering};

// `page_alloc` returns `address | slot`, so slots must fit below the page offset.
const _: () = assert!(kcore::cap::MAX_SLOTS <= PAGE_SIZE as usize);

/// The most pages all environments may hold together (`user_pages=` on the command line).
static BUDGET: AtomicU64 = AtomicU64::new(u64::MAX);
/// Pages all environments hold together through `page_alloc`.
static HELD: AtomicU64 = AtomicU64::new(0);

/// Limits the pages all environments may hold together.
pub fn set_budget(pages: u64) {
    BUDGET.store(pages, Ordering::Relaxed);
}

/// Environment `owner` now holds the page at `pa` (allocated by it, or given to it by the loader).
pub fn note_held(pa: u64, owner: u64) {
    HELD.fetch_add(1, Ordering::Relaxed);
    owners::set(pa, owner as u32);
}

/// Whether all environments together hold their budget of pages (`user_pages=`).
pub fn over_budget() -> bool {
    HELD.load(Ordering::Relaxed) >= BUDGET.load(Ordering::Relaxed)
}

/// A page allocated through `page_alloc` was freed.
pub fn note_freed() {
    HELD.fetch_sub(1, Ordering::Relaxed);
}
