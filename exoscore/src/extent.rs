//! How ExOS cuts a range into extents (`exos/src/mem/extent.rs` allocates and maps them): 4 KiB-page
//! chunks up to the first 2 MiB boundary, 2 MiB-aligned chunks of up to `MAX_EXTENT_PAGES` mapped
//! with 2 MiB pages, then a 4 KiB-page tail. Each chunk is one extent.
use abi::{HUGE_PAGES, MAX_EXTENT_PAGES};

const PAGE: u64 = 4096;
const HUGE: u64 = HUGE_PAGES * PAGE;

/// The chunks `[va, va + pages * 4096)` is cut into: (address, pages, 2 MiB pages?).
pub fn chunks(va: u64, pages: u64) -> impl Iterator<Item = (u64, u64, bool)> {
    let end = va + pages * PAGE;
    let mut at = va;
    core::iter::from_fn(move || {
        if at >= end {
            return None;
        }
        let next_huge = at.next_multiple_of(HUGE);
        let chunk = if at.is_multiple_of(HUGE) && end - at >= HUGE {
            let n = ((end - at) / HUGE * HUGE_PAGES).min(MAX_EXTENT_PAGES);
            (at, n, true)
        } else {
            // Up to the next 2 MiB boundary (or the end), with 4 KiB pages.
            let stop = if next_huge > at && next_huge < end { next_huge } else { end };
            (at, ((stop - at) / PAGE).min(MAX_EXTENT_PAGES), false)
        };
        at += chunk.1 * PAGE;
        Some(chunk)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::vec::Vec;

    #[test]
    fn chunks_use_2_mib_pages_between_4_kib_edges() {
        let c: Vec<_> = chunks(HUGE - 2 * PAGE, 2 + 1024 + 3).collect();
        assert_eq!(c, [(HUGE - 2 * PAGE, 2, false), (HUGE, 1024, true), (3 * HUGE, 3, false)]);
        let c: Vec<_> = chunks(0x1000, 5).collect();
        assert_eq!(c, [(0x1000, 5, false)]);
        // 1 GiB, aligned: 32 extents of 32 MiB.
        let c: Vec<_> = chunks(0x4000_0000, 262_144).collect();
        assert_eq!(c.len(), 32);
        assert!(c.iter().all(|&(va, n, huge)| huge && n == MAX_EXTENT_PAGES && va.is_multiple_of(HUGE)));
        // Chunks tile the range.
        let (va, pages) = (0x12_3000, 9000);
        let total: u64 = chunks(va, pages).map(|(_, n, _)| n).sum();
        assert_eq!(total, pages);
        let mut at = va;
        for (start, n, huge) in chunks(va, pages) {
            assert_eq!(start, at);
            assert!(!huge || (start.is_multiple_of(HUGE) && n.is_multiple_of(HUGE_PAGES)));
            at += n * PAGE;
        }
    }
}
