//! The kernel's physical frame allocator: `kcore::frames::FrameAllocator` over a bitmap carved out
//! of usable RAM at boot, behind a lock.
//!
//! Frames come back zeroed from [`alloc_zeroed`]; every frame handed to an environment goes through it,
//! so no data crosses from one environment to the next. The allocator knows nothing of owners: the
//! rest of the kernel takes and returns frames through `owners.rs`, which records who holds each
//! one in the published ownership table.
use abi::layout::PAGE_SIZE;
use kcore::frames::{FrameAllocator, FrameError};
use kcore::memmap::MemoryMap;

static FRAMES: spin::Mutex<Option<FrameAllocator<'static>>> = spin::Mutex::new(None);
/// Frames of usable RAM (the firmware map's, the kernel's own included).
static USABLE: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Builds the allocator from the usable ranges of `map` (kernel image, boot data and initrd already
/// reserved); `ram_bytes` is all the usable RAM, reservations included. The bitmap itself is placed in the first usable range below 1 GiB that can hold it.
pub fn init(map: &mut MemoryMap, ram_bytes: u64) {
    let frame_count = map.highest_usable_end() / PAGE_SIZE;
    let words = FrameAllocator::storage_words(frame_count);
    let bytes = (words as u64 * 8).next_multiple_of(PAGE_SIZE);
    let (start, _) = map
        .usable()
        .find(|&(s, e)| e - s >= bytes && s + bytes <= 1 << 30)
        .expect("no usable memory below 1 GiB for the frame bitmap");
    map.reserve(start, start + bytes).expect("memory map full while reserving the frame bitmap");
    // SAFETY: [start, start+bytes) is usable RAM inside the boot direct map, now reserved so it is
    // never handed out as a frame; it is 8-byte aligned (page aligned) and lives forever.
    let storage: &'static mut [u64] = unsafe {
        let p = super::phys::to_virt(start) as *mut u64;
        core::ptr::write_bytes(p, 0, words);
        core::slice::from_raw_parts_mut(p, words)
    };
    let mut frames = FrameAllocator::new(storage, frame_count).expect("bitmap sized for frame_count");
    for (s, e) in map.usable() {
        frames.release_range(s / PAGE_SIZE, (e - s) / PAGE_SIZE);
    }
    USABLE.store(ram_bytes / PAGE_SIZE, core::sync::atomic::Ordering::Relaxed);
    *FRAMES.lock() = Some(frames);
}

fn with<R>(f: impl FnOnce(&mut FrameAllocator<'static>) -> R) -> R {
    f(FRAMES.lock().as_mut().expect("frame allocator used before mem::init"))
}

/// Allocates any free frame, zeroed; returns its physical address.
pub fn alloc_zeroed() -> Option<u64> {
    let pa = with(|f| f.alloc())? * PAGE_SIZE;
    super::phys::zero_frame(pa);
    Some(pa)
}

/// Allocates frame number `frame`, zeroed.
pub fn alloc_at_zeroed(frame: u64) -> Result<u64, FrameError> {
    with(|f| f.alloc_at(frame))?;
    let pa = frame * PAGE_SIZE;
    super::phys::zero_frame(pa);
    Ok(pa)
}

/// Whether frame number `frame` is free.
pub fn is_free(frame: u64) -> bool {
    with(|f| f.is_free(frame))
}

/// How many frames of usable RAM there are (free or not; holes not counted).
pub fn usable_count() -> u64 {
    USABLE.load(core::sync::atomic::Ordering::Relaxed)
}

/// How many frames physical memory has (free or not).
pub fn frame_count() -> u64 {
    with(|f| f.frame_count())
}

/// Allocates `count` physically contiguous frames (not zeroed); returns the first address.
pub fn alloc_contiguous(count: u64) -> Option<u64> {
    with(|f| f.alloc_contiguous(count, 1)).map(|frame| frame * PAGE_SIZE)
}

/// Allocates `count` physically contiguous frames, the first a multiple of `align` frames, zeroed;
/// returns the first address.
pub fn alloc_contiguous_zeroed(count: u64, align: u64) -> Option<u64> {
    let pa = with(|f| f.alloc_contiguous(count, align))? * PAGE_SIZE;
    for i in 0..count {
        super::phys::zero_frame(pa + i * PAGE_SIZE);
    }
    Some(pa)
}

/// Returns `count` contiguous frames from `pa` to the free pool.
pub fn free_contiguous(pa: u64, count: u64) {
    if let Err(e) = with(|f| f.free_range(pa / PAGE_SIZE, count)) {
        panic!("freeing the extent {pa:#x}+{count} pages: {e}");
    }
}

/// Returns a frame to the free pool.
pub fn free(pa: u64) {
    if let Err(e) = with(|f| f.free(pa / PAGE_SIZE)) {
        panic!("freeing frame {pa:#x}: {e}");
    }
}

/// How many frames are free now.
pub fn free_count() -> u64 {
    with(|f| f.free_count())
}
