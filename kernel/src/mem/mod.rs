//! Physical memory and address translation: the direct map (`phys`), the frame allocator
//! (`frames`), the page-ownership table kept in step with it (`owners`), page tables (`paging`) and
//! the kernel heap. The bottom of the kernel, with `arch/`: besides `arch::x86_64::cpu` (control
//! registers, TLB) it calls only `stages::stamp` (the stage stamps, compiled out without the
//! `stages` feature).
pub mod frames;
pub mod heap;
pub mod owners;
pub mod paging;
pub mod phys;

/// The physical address where the kernel image ends (the linker script's `__kernel_end`).
pub fn kernel_image_end() -> u64 {
    unsafe extern "C" {
        static __kernel_end: u8;
    }
    &raw const __kernel_end as u64 - abi::layout::KERNEL_BASE
}
