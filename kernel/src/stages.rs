//! Stage stamps (`abi::stages`): with the `stages` feature, the hot paths write the point they
//! reached and the time-stamp counter into the stage ring of the statistics window, so a benchmark
//! can see where the ticks of one operation go (entry, check, work, exit). Without the feature
//! [`stamp`] compiles to nothing and the entry code's `STAMP` macro (arch/x86_64/entry.rs) to no
//! instruction: normal kernels pay nothing.
//!
//! This file owns the ring's kernel address ([`STAGE_LOG_KVA`], read by the entry code) and the
//! Rust-side stamp.
use abi::stages::Point;
use core::sync::atomic::{AtomicU64, Ordering};

/// Whether this kernel stamps (the `stages` feature); the entry code reads it as a constant.
pub const ENABLED: bool = cfg!(feature = "stages");

/// The direct-map address of the stage ring (0 until [`init`]), read by the entry code's `STAMP`.
#[unsafe(no_mangle)]
static STAGE_LOG_KVA: AtomicU64 = AtomicU64::new(0);

/// Records where the ring lives: `page` is the statistics window's physical page.
pub fn init(page: u64) {
    let kva = crate::mem::phys::to_virt(page) + abi::stages::KERNEL_LOG_OFFSET as u64;
    STAGE_LOG_KVA.store(kva, Ordering::Release);
}

/// Stamps `point` (nothing unless the `stages` feature is on).
#[inline(always)]
pub fn stamp(point: Point) {
    if ENABLED {
        write(point);
    }
}

#[inline(always)]
fn write(point: Point) {
    let kva = STAGE_LOG_KVA.load(Ordering::Relaxed);
    if kva == 0 {
        return;
    }
    let tsc = crate::arch::x86_64::cpu::rdtsc();
    // SAFETY: `kva` is the direct-map address of the ring inside the statistics page, which the
    // kernel allocated at boot and never frees; the ring's LOG_WORDS words fit in that page
    // (asserted in abi::stages), and u64 atomics have the layout of u64.
    let ring = unsafe { &*(kva as *const [AtomicU64; abi::stages::LOG_WORDS]) };
    let n = ring[0].load(Ordering::Relaxed);
    ring[1 + (n % abi::stages::LOG_LEN as u64) as usize].store(abi::stages::entry(point, tsc), Ordering::Relaxed);
    ring[0].store(n + 1, Ordering::Relaxed);
}
