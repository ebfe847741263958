//! Physical pages for environments: explicit allocation by page number, freeing, and the
//! page-ownership table every environment can read.
//!
//! Expose allocation and physical names: a library OS asks for page N (or any page) and gets a
//! root capability for it (`cap.rs`); the page is zeroed first. Pages the kernel uses (its image,
//! heap, page tables, the ownership table itself) and device memory are never free, so never
//! allocatable. Each environment holds at most `abi::PAGE_QUOTA` pages through this call.
//!
//! The ownership table is an array of `u32`, one per physical page: 0 free, `OWNER_KERNEL` the
//! kernel, else the id of the owning environment. It is mapped read-only at `PAGE_OWNERS_BASE`.
//! The environment table (`abi::EnvInfo` per table index) lives here too, read-only at
//! `ENV_TABLE_BASE`; `sched` publishes into it.
use crate::cap::{self, Object};
use crate::mem::{frames, paging, phys};
use crate::{revoke, sched};
use abi::layout::{OWNER_KERNEL, PAGE_SIZE};
use abi::{Error, Rights, ANY_PAGE, PAGE_QUOTA};
use core::sync::atomic::{AtomicU64, Ordering};

// `page_alloc` returns `address | slot`, so slots must fit below the page offset.
const _: () = assert!(kcore::cap::MAX_SLOTS <= PAGE_SIZE as usize);

/// Physical address of the table (0 until `init`).
static TABLE: AtomicU64 = AtomicU64::new(0);
static ENTRIES: AtomicU64 = AtomicU64::new(0);

/// Builds the ownership table from the frame allocator's state and maps it into the window every
/// address space shares. Call after the heap exists, before the first environment.
pub fn init() {
    let count = frames::frame_count();
    let pages = (count * 4).div_ceil(PAGE_SIZE);
    let table = frames::alloc_contiguous(pages).expect("no memory for the page-ownership table");
    let mut page = [0u8; PAGE_SIZE as usize];
    for p in 0..pages {
        for (i, entry) in page.chunks_exact_mut(4).enumerate() {
            let frame = p * (PAGE_SIZE / 4) + i as u64;
            let owner = if frame < count && frames::is_free(frame) { 0 } else { OWNER_KERNEL };
            entry.copy_from_slice(&owner.to_le_bytes());
        }
        phys::write(table + p * PAGE_SIZE, &page);
    }
    ENTRIES.store(count, Ordering::Relaxed);
    TABLE.store(table, Ordering::Release);
    let env_table = frames::alloc_zeroed().expect("no memory for the environment table");
    ENV_TABLE.store(env_table, Ordering::Release);
    paging::build_owners_window(table, pages, env_table);
    log::info!("ownership table of {count} pages at {table:#x} ({pages} frames)");
}

/// Physical address of the environment table page (0 until `init`).
static ENV_TABLE: AtomicU64 = AtomicU64::new(0);

/// Publishes environment table record `index` (read-only to every environment).
pub fn publish_env(index: usize, info: abi::EnvInfo) {
    let table = ENV_TABLE.load(Ordering::Acquire);
    if table != 0 {
        let record = table + index as u64 * 16;
        for (i, word) in [info.id, info.parent, info.state, info.pages].into_iter().enumerate() {
            phys::write_u32(record + i as u64 * 4, word);
        }
    }
}

/// Publishes the time-slice vector (owners' ids) and the timer's position.
pub fn publish_slices(slices: &[u64], position: usize) {
    let table = ENV_TABLE.load(Ordering::Acquire);
    if table != 0 {
        let base = table + (abi::layout::SLICE_TABLE_BASE - abi::layout::ENV_TABLE_BASE);
        for (i, owner) in slices.iter().copied().chain([position as u64]).enumerate() {
            phys::write_u32(base + i as u64 * 4, owner as u32);
        }
    }
}

/// Records that the page at physical address `pa` now belongs to `owner`.
pub fn set_owner(pa: u64, owner: u32) {
    let table = TABLE.load(Ordering::Acquire);
    let frame = pa / PAGE_SIZE;
    if table != 0 && frame < ENTRIES.load(Ordering::Relaxed) {
        phys::write_u32(table + frame * 4, owner);
    }
}

/// The most pages all environments may hold together (`user_pages=` on the command line).
static BUDGET: AtomicU64 = AtomicU64::new(u64::MAX);
/// Pages all environments hold together through `page_alloc`.
static HELD: AtomicU64 = AtomicU64::new(0);

/// Limits the pages all environments may hold together.
pub fn set_budget(pages: u64) {
    BUDGET.store(pages, Ordering::Relaxed);
}

/// A page allocated through `page_alloc` was freed.
pub fn note_freed() {
    HELD.fetch_sub(1, Ordering::Relaxed);
}

/// `page_alloc(frame)`: returns `physical address | slot`.
pub fn alloc(frame: u64) -> Result<u64, Error> {
    let id = sched::with_current(|env| env.id);
    if cap::pages_held(id) >= PAGE_QUOTA {
        return Err(Error::QuotaExceeded);
    }
    if HELD.load(Ordering::Relaxed) >= BUDGET.load(Ordering::Relaxed) {
        revoke::pressure(id);
        return Err(Error::NoMemory);
    }
    let pa = if frame == ANY_PAGE {
        frames::alloc_zeroed().ok_or_else(|| {
            revoke::pressure(id);
            Error::NoMemory
        })?
    } else {
        frames::alloc_at_zeroed(frame).map_err(|e| match e {
            kcore::frames::FrameError::NotFree(_) => Error::Busy,
            _ => Error::BadArgument,
        })?
    };
    match cap::insert_root(id, Object::Page(pa), Rights::ALL) {
        Ok(slot) => {
            set_owner(pa, id as u32);
            sched::with_current(|env| {
                env.pages += 1;
                sched::publish(env);
            });
            HELD.fetch_add(1, Ordering::Relaxed);
            Ok(pa | slot as u64)
        }
        Err(e) => {
            frames::free(pa);
            Err(e)
        }
    }
}

/// `page_free(slot)`.
pub fn free(slot: u64) -> Result<u64, Error> {
    let id = sched::with_current(|env| env.id);
    if !matches!(cap::check(id, slot, Rights::NONE)?, Object::Page(_)) {
        return Err(Error::WrongType);
    }
    if !cap::is_root(id, slot)? {
        return Err(Error::NoRights);
    }
    cap::delete(id, slot)?;
    Ok(0)
}
