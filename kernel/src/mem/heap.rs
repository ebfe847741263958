//! The kernel heap: a linked-list allocator over a contiguous run of frames in the direct map.
//!
//! The heap holds kernel bookkeeping only (environment records, FPU areas, names); memory that
//! environments use is always whole frames from `frames`.
use linked_list_allocator::LockedHeap;

#[global_allocator]
static HEAP: LockedHeap = LockedHeap::empty();

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
    unsafe { HEAP.lock().init(super::phys::to_virt(pa) as *mut u8, bytes as usize) };
}

/// Whether the heap can take a new environment, capability or mapping: more than
/// [`HEAP_RESERVE`] bytes are free.
pub fn has_room() -> bool {
    HEAP.lock().free() > HEAP_RESERVE
}
