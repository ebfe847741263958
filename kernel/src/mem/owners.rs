//! The page-ownership table: one little-endian `u32` per physical page (0 free, `OWNER_KERNEL` the
//! kernel or not RAM, else the owning environment's id), published read-only at
//! `PAGE_OWNERS_BASE` (`windows.rs` maps it).
//!
//! Every frame the kernel takes or gives back goes through [`alloc_zeroed`], [`alloc_at_zeroed`]
//! and [`free`] here, which keep the table in step with the frame allocator (`frames.rs`, which
//! knows nothing of owners); pages that change hands between environments are recorded with
//! [`set`].
use super::{frames, phys};
use abi::layout::{OWNER_KERNEL, PAGE_SIZE};
use core::sync::atomic::{AtomicU64, Ordering};
use kcore::frames::FrameError;

/// Physical address of the table (0 until `init`), and how many pages it describes.
static TABLE: AtomicU64 = AtomicU64::new(0);
static ENTRIES: AtomicU64 = AtomicU64::new(0);

/// Builds the table from the frame allocator's state; returns its address and size in frames.
/// Call once, after the allocator exists.
pub fn init() -> (u64, u64) {
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
    (table, pages)
}

/// Records that the page at physical address `pa` now belongs to `owner`.
pub fn set(pa: u64, owner: u32) {
    let table = TABLE.load(Ordering::Acquire);
    let frame = pa / PAGE_SIZE;
    if table != 0 && frame < ENTRIES.load(Ordering::Relaxed) {
        phys::write_u32(table + frame * 4, owner);
    }
}

/// Allocates any free frame, zeroed, owned by the kernel; returns its physical address.
pub fn alloc_zeroed() -> Option<u64> {
    let pa = frames::alloc_zeroed()?;
    set(pa, OWNER_KERNEL);
    Some(pa)
}

/// Allocates frame number `frame`, zeroed, owned by the kernel.
pub fn alloc_at_zeroed(frame: u64) -> Result<u64, FrameError> {
    let pa = frames::alloc_at_zeroed(frame)?;
    set(pa, OWNER_KERNEL);
    Ok(pa)
}

/// Allocates an extent: `count` contiguous frames aligned to `align` frames, zeroed, owned by
/// `owner`; returns the first address.
pub fn alloc_extent(count: u64, align: u64, owner: u32) -> Option<u64> {
    let pa = frames::alloc_contiguous_zeroed(count, align)?;
    for i in 0..count {
        set(pa + i * PAGE_SIZE, owner);
    }
    Some(pa)
}

/// Returns an extent's `count` frames from `pa` to the free pool.
pub fn free_extent(pa: u64, count: u64) {
    frames::free_contiguous(pa, count);
    for i in 0..count {
        set(pa + i * PAGE_SIZE, 0);
    }
}

/// Returns a frame to the free pool.
pub fn free(pa: u64) {
    frames::free(pa);
    set(pa, 0);
}
