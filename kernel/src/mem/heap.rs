//! The kernel heap: a linked-list allocator over a contiguous run of frames in the direct map.
//!
//! The heap holds kernel bookkeeping only (environment records, FPU areas, names); memory that
//! environments use is always whole frames from `frames`.
use linked_list_allocator::LockedHeap;

#[global_allocator]
static HEAP: LockedHeap = LockedHeap::empty();

/// Size of the kernel heap.
pub const HEAP_BYTES: u64 = 16 << 20;

/// Gives the heap its memory. Call once, after `frames::init` and `paging::init`.
pub fn init() {
    let frames = HEAP_BYTES / abi::layout::PAGE_SIZE;
    let pa = super::frames::alloc_contiguous(frames).expect("no contiguous memory for the kernel heap");
    // SAFETY: the frames were just allocated (so nobody else uses them), are mapped by the direct map,
    // and are never freed: the heap owns them for the kernel's lifetime.
    unsafe { HEAP.lock().init(super::phys::to_virt(pa) as *mut u8, HEAP_BYTES as usize) };
}
