//! `virtio-drivers`' `Hal` for Exo: DMA memory is kernel-owned contiguous frames reached through
//! the direct map (so physical = virtual - `PHYS_MAP_BASE`, no bounce buffers), and device registers
//! are mapped uncached in the device window (`paging::map_device`). Device-neutral: any virtio
//! driver uses it.
use crate::mem::{frames, owners, paging, phys};
use abi::layout::{MMIO_BASE, OWNER_KERNEL, PAGE_SIZE, PHYS_MAP_BASE};
use core::ptr::NonNull;
use virtio_drivers::{BufferDirection, Hal, PhysAddr};

/// The kernel's `Hal`.
pub struct ExoHal;

/// Allocates `pages` zeroed contiguous kernel frames for DMA; returns the first's physical address.
pub fn dma_pages(pages: u64) -> Option<u64> {
    let pa = frames::alloc_contiguous_zeroed(pages, 1)?;
    for i in 0..pages {
        owners::set(pa + i * PAGE_SIZE, OWNER_KERNEL);
    }
    Some(pa)
}

/// The physical address of a direct-map address (DMA buffers live only there).
pub fn virt_to_phys(va: u64) -> u64 {
    assert!((PHYS_MAP_BASE..MMIO_BASE).contains(&va), "DMA buffer {va:#x} outside the direct map");
    va - PHYS_MAP_BASE
}

// SAFETY: `dma_alloc` returns zeroed, exclusively owned, physically contiguous frames (kernel-owned
// in the ownership table, so no environment can get them) that stay allocated until `dma_dealloc`;
// `mmio_phys_to_virt` maps device memory uncached; `share` translates direct-map buffers exactly
// (identity offset, cache-coherent on x86, so no copy is needed and `unshare` has nothing to do).
unsafe impl Hal for ExoHal {
    fn dma_alloc(pages: usize, _direction: BufferDirection) -> (PhysAddr, NonNull<u8>) {
        let pa = dma_pages(pages as u64).expect("no memory for device DMA");
        let va = NonNull::new(phys::to_virt(pa) as *mut u8).expect("the direct map is not at 0");
        (pa, va)
    }

    unsafe fn dma_dealloc(paddr: PhysAddr, _vaddr: NonNull<u8>, pages: usize) -> i32 {
        for i in 0..pages as u64 {
            owners::set(paddr + i * PAGE_SIZE, 0);
        }
        frames::free_contiguous(paddr, pages as u64);
        0
    }

    unsafe fn mmio_phys_to_virt(paddr: PhysAddr, size: usize) -> NonNull<u8> {
        NonNull::new(paging::map_device(paddr, size as u64) as *mut u8).expect("the device window is not at 0")
    }

    unsafe fn share(buffer: NonNull<[u8]>, _direction: BufferDirection) -> PhysAddr {
        virt_to_phys(buffer.as_ptr() as *mut u8 as u64)
    }

    unsafe fn unshare(_paddr: PhysAddr, _buffer: NonNull<[u8]>, _direction: BufferDirection) {}
}
