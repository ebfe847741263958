//! Physical memory and address translation: the direct map, the frame allocator, page tables and
//! the kernel heap.
pub mod frames;
pub mod heap;
pub mod paging;
pub mod phys;
