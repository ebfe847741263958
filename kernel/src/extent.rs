//! Extent mappings: installing, cutting and re-protecting ranges of an environment's address space
//! that are backed by one extent capability (`cap::Object::Extent`), with 4 KiB or 2 MiB entries.
//!
//! Every change is first checked and recorded in the environment's `kcore::extent::ExtentMaps`
//! (all or nothing), then applied to the page tables here. Each run counts as one mapping of the
//! capability it was made through (`cap::note_extent_runs`), so freeing an extent that is still mapped
//! is refused, and removing the capability (revocation, deletion, the end of its environment)
//! finds its runs (`bind::release` calls [`remove_slot`]). The system calls are
//! `syscall/extent.rs`'s; this file calls `cap`, `mem` and nothing above them.
use crate::cap;
use crate::env::Env;
use crate::budget;
use crate::mem::paging;
use abi::layout::PAGE_SIZE;
use abi::{Error, HUGE_PAGES, MAX_EXTENT_MAPPINGS};
use kcore::extent::{Change, ExtentError, Run};

const HUGE_SIZE: u64 = HUGE_PAGES * PAGE_SIZE;

/// The `abi::Error` of an extent check.
pub fn error(e: ExtentError) -> Error {
    match e {
        ExtentError::BadRange => Error::BadArgument,
        ExtentError::TooLong => Error::TooLong,
        ExtentError::Misaligned => Error::BadAddress,
        ExtentError::Overlaps => Error::AlreadyMapped,
        ExtentError::NotMapped => Error::NotMapped,
        ExtentError::SplitsHugePage => Error::SplitsHugePage,
        ExtentError::NoRights => Error::NoRights,
        ExtentError::TooManyRuns => Error::QuotaExceeded,
    }
}

/// The page-table flags of a run.
fn flags(run: &Run) -> u64 {
    paging::user_flags(run.rights)
}

/// Maps `run` (its range checked against its extent by `kcore::extent::check_map`) in `env`, all
/// or nothing, charging the page-table pages it adds to `payer` (the mapper; `OutOfMemory` if its
/// budget cannot cover them: nothing changes).
pub fn map(env: &mut Env, run: Run, payer: u64) -> Result<(), Error> {
    if env.extents.overlaps(run.va, run.pages) {
        return Err(Error::AlreadyMapped);
    }
    if env.extents.len() >= MAX_EXTENT_MAPPINGS {
        return Err(Error::QuotaExceeded);
    }
    // Nothing else may map a page of the range (per-page mappings, the image, the stack).
    if (0..run.pages).any(|i| paging::translate(env.root, run.va + i * PAGE_SIZE).is_some()) {
        return Err(Error::AlreadyMapped);
    }
    // The page-table frames it can cost at most: one table per 2 MiB (4 KiB pages), one directory
    // per GiB, one pointer table per 512 GiB, and the partial ones at both ends. They are charged to
    // the environment's budget first; what was not needed is given back after.
    let bound = if run.huge { 0 } else { run.pages.div_ceil(HUGE_PAGES) + 1 } + run.pages.div_ceil(HUGE_PAGES * 512) + 3;
    budget::charge_tables(payer, bound)?;
    let mut created = 0;
    let mut done = 0;
    let mut failure = None;
    while done < run.pages {
        let (va, pa) = (run.va + done * PAGE_SIZE, run.pa + done * PAGE_SIZE);
        let step = if run.huge { HUGE_PAGES } else { 1 };
        let mut note = |frame| {
            created += 1;
            budget::note_table(payer, frame);
        };
        let mapped = if run.huge {
            paging::map_huge(env.root, va, pa, flags(&run), &mut note, &mut budget::table_freed)
        } else {
            paging::map_noting(env.root, va, pa, flags(&run), &mut note)
        };
        if let Err(e) = mapped {
            failure = Some(e);
            break;
        }
        done += step;
    }
    budget::uncharge_tables(payer, bound.saturating_sub(created));
    if let Some(e) = failure {
        // The tables made stay (charged, noted): they go with the address space or a later prune.
        clear(env, &Run { pages: done, ..run });
        return Err(match e {
            paging::MapError::OutOfMemory => Error::NoMemory,
            paging::MapError::AlreadyMapped => Error::AlreadyMapped,
        });
    }
    env.extents.insert(run, MAX_EXTENT_MAPPINGS).map_err(error)?;
    cap::note_extent_runs(run.owner, run.slot, 1);
    Ok(())
}

/// Removes the extent mappings of `[va, va + pages * 4096)` in `env`, all or nothing.
pub fn unmap(env: &mut Env, va: u64, pages: u64) -> Result<(), Error> {
    let change = env.extents.cut(va, pages, MAX_EXTENT_MAPPINGS).map_err(error)?;
    count_splits(&change);
    for run in &change.runs {
        clear(env, run);
        cap::note_extent_runs(run.owner, run.slot, -1);
    }
    note_unmapped(env);
    Ok(())
}

/// Sets the rights of the extent mappings of `[va, va + pages * 4096)` in `env`, all or nothing.
pub fn protect(env: &mut Env, va: u64, pages: u64, rights: abi::Rights) -> Result<(), Error> {
    let change = env.extents.protect(va, pages, rights, MAX_EXTENT_MAPPINGS).map_err(error)?;
    count_splits(&change);
    for run in &change.runs {
        if run.huge {
            for i in (0..run.pages).step_by(HUGE_PAGES as usize) {
                let rewritten = paging::protect_huge(env.root, run.va + i * PAGE_SIZE, flags(run));
                debug_assert!(rewritten, "an extent run without its 2 MiB entry");
            }
        } else {
            let rewritten = paging::protect_run(env.root, run.va, run.pages, || flags(run));
            debug_assert!(rewritten.is_some(), "an extent run without its entries");
        }
    }
    note_unmapped(env);
    Ok(())
}

/// A run split in two counts as one more mapping of its capability.
fn count_splits(change: &Change) {
    for &(owner, slot) in &change.split {
        cap::note_extent_runs(owner, slot, 1);
    }
}

/// Removes every run of `env` made through capability `slot` of the environment at index
/// `owner` (the capability is going); without allocating beyond the list it returns.
pub fn remove_slot(env: &mut Env, owner: usize, slot: u64) {
    let gone = env.extents.remove_slot(owner, slot);
    for run in &gone {
        clear(env, run);
        cap::note_extent_runs(run.owner, run.slot, -1);
    }
    if !gone.is_empty() {
        note_unmapped(env);
    }
}

/// Removes every run of `env` (its address space is going away).
pub fn unmap_all(env: &mut Env) {
    for run in env.extents.take_all() {
        clear(env, &run);
        cap::note_extent_runs(run.owner, run.slot, -1);
    }
}

/// Clears the page-table entries of `run` (those present: a partial map being undone has fewer).
fn clear(env: &Env, run: &Run) {
    if run.huge {
        for i in (0..run.pages).step_by(HUGE_PAGES as usize) {
            paging::unmap_huge(env.root, run.va + i * PAGE_SIZE);
        }
    } else {
        for i in 0..run.pages {
            paging::unmap(env.root, run.va + i * PAGE_SIZE);
        }
    }
    debug_assert!(!run.huge || run.va.is_multiple_of(HUGE_SIZE));
}

/// A translation of `env` was removed or weakened: outside the active address space its
/// PCID-tagged TLB entries must go before it runs again (in it, `paging` invalidated them).
fn note_unmapped(env: &mut Env) {
    if !paging::is_active(env.root) {
        env.tlb_stale = true;
    }
}
