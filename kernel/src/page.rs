//! Pages environments hold: the machine-wide count behind `page_alloc`'s `NoMemory`. All
//! environments together hold at most the limit set with `user_pages=` on the command line
//! (counted here); each environment's own limit is its memory budget (`budget.rs`); the
//! allocation itself is `syscall/page.rs`'s, the ownership table `mem::owners`'. Extent pages are
//! charged and credited in one place here (`charge`, `credit`: the budget, then the machine).
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

/// Charges `pages` new pages (an extent) to `env`: to its memory budget first (`OutOfMemory`: its
/// own limit, `budget.rs`), then to the machine (`NoMemory` when all environments together would
/// pass `user_pages=`). The one place extent pages are charged; [`credit`] gives them back.
pub fn charge(env: &mut crate::env::Env, pages: u64) -> Result<(), abi::Error> {
    crate::budget::charge(env.id, pages)?;
    if HELD.load(Ordering::Relaxed).saturating_add(pages) > BUDGET.load(Ordering::Relaxed) {
        crate::budget::refund(env.id, pages);
        // The caller starts a revocation request (`revoke::pressure`) once it has let go of `env`.
        return Err(abi::Error::NoMemory);
    }
    env.pages += pages;
    HELD.fetch_add(pages, Ordering::Relaxed);
    Ok(())
}

/// Gives back what [`charge`] took: `env` no longer holds `pages` pages (an extent freed, or its
/// allocation failed after the charge).
pub fn credit(env: &mut crate::env::Env, pages: u64) {
    env.pages -= pages;
    HELD.fetch_sub(pages, Ordering::Relaxed);
    crate::budget::refund(env.id, pages);
}
