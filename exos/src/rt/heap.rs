//! The program's heap: `linked_list_allocator` over pages the library itself allocates and maps at
//! `HEAP_BASE` as it grows (64 KiB at a time), so `alloc` (Vec, String, Box, BTreeMap) works in
//! every Exo program. The pages are ordinary page capabilities of the program; a growth of 2 MiB
//! or more (a large allocation) comes from extents instead (`sys::extent`).
#![allow(unsafe_code)]

use crate::sys::syscall::{sys_page_alloc, sys_page_map};
use abi::{MapUpdate, Rights, ANY_PAGE};
use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{null_mut, NonNull};
use linked_list_allocator::LockedHeap;

/// Where the heap starts in every program's address space.
pub use crate::layout::HEAP_BASE;
/// How much the heap grows at least each time it runs out.
const GROW: u64 = 64 * 1024;
const PAGE: u64 = 4096;

struct Allocator(LockedHeap);

#[global_allocator]
static ALLOCATOR: Allocator = Allocator(LockedHeap::empty());

/// Growths of at least this much come from extents (`sys::extent`: a few system calls, 2 MiB
/// pages where aligned) rather than page by page.
const EXTENT_GROWTH: u64 = 2 << 20;

/// Maps `bytes` (a multiple of the page size) of fresh read-write pages at `at`.
fn map_pages(at: u64, bytes: u64) -> bool {
    if bytes >= EXTENT_GROWTH {
        return crate::sys::extent::map(at, bytes / PAGE, Rights::READ.union(Rights::WRITE)).is_ok();
    }
    (0..bytes / PAGE).all(|i| {
        let Ok((_, slot)) = sys_page_alloc(ANY_PAGE) else { return false };
        let update = MapUpdate { op: MapUpdate::MAP, va: at + i * PAGE, slot, rights: Rights::READ.0 | Rights::WRITE.0 };
        sys_page_map(&[update]) == (1, None)
    })
}

/// The heap's size so far.
pub fn size() -> usize {
    ALLOCATOR.0.lock().size()
}

/// Whether some code is inside the allocator right now. A user-level thread scheduler must not
/// switch away from it: every other thread that allocates would spin on the heap's lock.
pub fn busy() -> bool {
    ALLOCATOR.0.is_locked()
}

// SAFETY: `alloc` hands out blocks of the linked-list heap, which only manages memory this module
// mapped read-write at HEAP_BASE and never unmaps; `dealloc` returns them to the same heap.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut heap = self.0.lock();
        loop {
            if heap.size() > 0 && let Ok(block) = heap.allocate_first_fit(layout) {
                return block.as_ptr();
            }
            let need = (layout.size() + layout.align()) as u64;
            let grow = need.max(GROW).next_multiple_of(PAGE);
            let top = if heap.size() == 0 { HEAP_BASE } else { heap.top() as u64 };
            if !map_pages(top, grow) {
                return null_mut();
            }
            if heap.size() == 0 {
                // SAFETY: [HEAP_BASE, +grow) was just mapped read-write and nothing else uses it.
                unsafe { heap.init(HEAP_BASE as *mut u8, grow as usize) };
            } else {
                // SAFETY: the pages right after the heap's top were just mapped read-write.
                unsafe { heap.extend(grow as usize) };
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(block) = NonNull::new(ptr) {
            // SAFETY: the caller passes a block `alloc` returned with this layout.
            unsafe { self.0.lock().deallocate(block, layout) };
        }
    }
}
