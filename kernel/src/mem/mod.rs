//! Physical memory and address translation: the direct map (`phys`), the frame allocator
//! (`frames`), the page-ownership table kept in step with it (`owners`), page tables (`paging`) and
//! the kernel heap. The bottom of the kernel: it calls nothing above it.
pub mod frames;
pub mod heap;
pub mod owners;
pub mod paging;
pub mod phys;
