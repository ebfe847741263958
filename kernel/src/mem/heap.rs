//! The kernel heap: a linked-list allocator over a contiguous run of frames in the direct map.
//!
//! The heap holds kernel bookkeeping only (environment records, FPU areas, names); memory that
//! environments use is always whole frames from `frames`.
use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicUsize, Ordering};
use linked_list_allocator::LockedHeap;

/// The allocator, counting the bytes it hands out so that [`has_room`] is one load.
struct Counted(LockedHeap);

#[global_allocator]
static HEAP: Counted = Counted(LockedHeap::empty());
/// Bytes allocated now, and the heap's size.
static USED: AtomicUsize = AtomicUsize::new(0);
static SIZE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call goes to the linked-list allocator unchanged (which upholds `GlobalAlloc`'s
// contract); the wrapper only counts the bytes of the blocks that succeed.
unsafe impl GlobalAlloc for Counted {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout (the caller upholds `alloc`'s contract).
        let block = unsafe { self.0.alloc(layout) };
        if !block.is_null() {
            USED.store(USED.load(Ordering::Relaxed) + layout.size(), Ordering::Relaxed);
        }
        block
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        USED.store(USED.load(Ordering::Relaxed) - layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded (the caller upholds `dealloc`'s contract: `block` came from `alloc`).
        unsafe { self.0.dealloc(block, layout) }
    }
}

/// The smallest kernel heap; a machine with more than 128 MiB gets an eighth of its memory.
pub const MIN_HEAP_BYTES: u64 = 16 << 20;
/// Heap kept free for what must never fail: a request for a new environment, capability or
/// mapping is refused (`NoMemory`) when less is left ([`has_room`]), so teardown and the kernel's
/// own bookkeeping always find memory.
pub const HEAP_RESERVE: usize = 2 << 20;

/// Gives the heap its memory (an eighth of RAM, at least [`MIN_HEAP_BYTES`]: environment records,
/// capability tables and mapping records live here, so it bounds how many of them all
/// environments together can have). Call once, after `frames::init` and `paging::init`.
pub fn init() {
    let bytes = (super::frames::frame_count() * abi::layout::PAGE_SIZE / 8).max(MIN_HEAP_BYTES);
    let frames = bytes / abi::layout::PAGE_SIZE;
    let pa = super::frames::alloc_contiguous(frames).expect("no contiguous memory for the kernel heap");
    // SAFETY: the frames were just allocated (so nobody else uses them), are mapped by the direct map,
    // and are never freed: the heap owns them for the kernel's lifetime.
    unsafe { HEAP.0.lock().init(super::phys::to_virt(pa) as *mut u8, bytes as usize) };
    SIZE.store(bytes as usize, Ordering::Relaxed);
}

/// Whether the heap can take a new environment, capability or mapping: more than
/// [`HEAP_RESERVE`] bytes are free.
pub fn has_room() -> bool {
    SIZE.load(Ordering::Relaxed).saturating_sub(USED.load(Ordering::Relaxed)) > HEAP_RESERVE
}
