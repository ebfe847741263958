//! Stage stamps in the library (`abi::stages`): with the `stages` feature, the exception entry and
//! return path, and any program that calls [`stamp`], append the point reached and the
//! time-stamp counter to this library's ring, which [`since`] merges with the kernel's ring (in
//! the statistics window) into the path one operation took. Without the feature [`stamp`] and the
//! exception entry's stamps compile to nothing.
//!
//! Unsafe here: the ring's symbol for the exception entry's assembly, and `rdtsc`.
#![allow(unsafe_code)]
use abi::stages::{self, Point, LOG_WORDS};
use core::sync::atomic::{AtomicU64, Ordering};

/// Whether this library stamps (the `stages` feature).
pub const ENABLED: bool = cfg!(feature = "stages");

/// The library's ring (layout as the kernel's: the count, then [`stages::LOG_LEN`] entries). The
/// exception entry's assembly writes it too.
#[unsafe(no_mangle)]
pub(crate) static EXOS_STAGE_LOG: [AtomicU64; LOG_WORDS] = [const { AtomicU64::new(0) }; LOG_WORDS];

/// Stamps `point` into the library's ring (nothing unless the `stages` feature is on).
#[inline(always)]
pub fn stamp(point: Point) {
    if ENABLED {
        let (lo, hi): (u32, u32);
        // SAFETY: rdtsc only reads the time-stamp counter (CR4.TSD is clear for ring 3).
        unsafe { core::arch::asm!("rdtsc", out("eax") lo, out("edx") hi, options(nomem, nostack)) };
        let tsc = (u64::from(hi) << 32) | u64::from(lo);
        let n = EXOS_STAGE_LOG[0].load(Ordering::Relaxed);
        EXOS_STAGE_LOG[1 + (n % stages::LOG_LEN as u64) as usize].store(stages::entry(point, tsc), Ordering::Relaxed);
        EXOS_STAGE_LOG[0].store(n + 1, Ordering::Relaxed);
    }
}

/// Where both rings stand now: pass it to [`since`] after the operation.
pub fn mark() -> (u64, u64) {
    (kernel_ring()[0], EXOS_STAGE_LOG[0].load(Ordering::Relaxed))
}

/// The stamps both rings received since `mark`, merged in the order they were written, into
/// `out`; returns how many, or `None` if a ring overflowed or `out` is too short.
pub fn since(mark: (u64, u64), out: &mut [u64]) -> Option<usize> {
    let mut kernel = [0u64; stages::LOG_LEN];
    let mut library = [0u64; stages::LOG_LEN];
    let k = stages::entries_since(&kernel_ring(), mark.0, &mut kernel)?;
    let ring: [u64; LOG_WORDS] = core::array::from_fn(|i| EXOS_STAGE_LOG[i].load(Ordering::Relaxed));
    let u = stages::entries_since(&ring, mark.1, &mut library)?;
    stages::merge(&kernel[..k], &library[..u], out)
}

/// A copy of the kernel's ring (all zero unless the kernel was built with `stages`).
fn kernel_ring() -> [u64; LOG_WORDS] {
    // The ring's LOG_WORDS words lie inside the statistics window's page.
    let offset = (stages::KERNEL_LOG_BASE - abi::stats::STATS_BASE) as usize;
    core::array::from_fn(|i| crate::sys::vm::stats_word(offset + i * 8))
}
