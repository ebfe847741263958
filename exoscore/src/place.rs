//! Placing regions in an address range: the next free address with one unmapped guard page left
//! after each region, or a fixed address checked to be page-aligned user space clear of the
//! kernel's windows; and the sorted-list queries over regions (which one holds an address,
//! whether a range is free). ExOS's region list (`exos::mem::regions`) places its regions with
//! it and then checks the page tables for pages mapped outside any region.
use abi::Error;
use core::ops::Range;

/// The page size.
pub const PAGE: u64 = 4096;

/// Where regions without a fixed address go: a bump pointer in an area.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placer {
    /// Where the next region without an address starts.
    pub next: u64,
    /// The end of the area (no region placed here runs past it).
    pub end: u64,
}

impl Placer {
    /// Places from the start of `area` up.
    pub const fn new(area: Range<u64>) -> Placer {
        Placer { next: area.start, end: area.end }
    }

    /// The start of a region of `pages` pages: `addr`, or the next address of the area (which then
    /// moves past it and a guard page). `NoMemory` when the area is used up, `BadAddress` for an
    /// unaligned address or one outside user space or inside the kernel's windows.
    pub fn place(&mut self, addr: Option<u64>, pages: u64) -> Result<u64, Error> {
        self.place_aligned(addr, pages, PAGE)
    }

    /// As [`Placer::place`], a chosen start being a multiple of `align` bytes (a power of two, at
    /// least a page: 2 MiB lets a region use 2 MiB pages).
    pub fn place_aligned(&mut self, addr: Option<u64>, pages: u64, align: u64) -> Result<u64, Error> {
        let len = pages * PAGE;
        let start = match addr {
            Some(a) => a,
            None => {
                let a = self.next.checked_next_multiple_of(align).ok_or(Error::NoMemory)?;
                self.next = a.checked_add(len + PAGE).filter(|&n| n <= self.end).ok_or(Error::NoMemory)?;
                a
            }
        };
        if !start.is_multiple_of(PAGE) || !abi::layout::is_user_range(start, len) || abi::layout::overlaps_windows(start, len) {
            return Err(Error::BadAddress);
        }
        Ok(start)
    }
}

/// The index of the span holding `addr` in `sorted` (sorted by start, never overlapping).
pub fn find<T>(sorted: &[T], addr: u64, span: impl Fn(&T) -> Range<u64>) -> Option<usize> {
    let i = sorted.partition_point(|r| span(r).start <= addr).checked_sub(1)?;
    (addr < span(&sorted[i]).end).then_some(i)
}

/// Whether `range` overlaps none of the spans of `sorted`.
pub fn is_free<T>(sorted: &[T], range: Range<u64>, span: impl Fn(&T) -> Range<u64>) -> bool {
    let i = sorted.partition_point(|r| span(r).end <= range.start);
    sorted.get(i).is_none_or(|r| span(r).start >= range.end)
}

/// Where a span starting at `start` goes in `sorted` to keep it sorted.
pub fn insertion_point<T>(sorted: &[T], start: u64, span: impl Fn(&T) -> Range<u64>) -> usize {
    sorted.partition_point(|r| span(r).start < start)
}

#[cfg(test)]
mod tests {
    use super::*;

    const AREA: Range<u64> = 0x2000_0000_0000..0x2000_0001_0000;

    #[test]
    fn regions_follow_each_other_with_a_guard_page() {
        let mut p = Placer::new(AREA);
        assert_eq!(p.place(None, 2), Ok(AREA.start));
        assert_eq!(p.place(None, 1), Ok(AREA.start + 3 * PAGE));
        assert_eq!(p.next, AREA.start + 5 * PAGE);
    }

    #[test]
    fn an_aligned_region_skips_to_the_boundary() {
        let mut p = Placer::new(AREA.start + PAGE..AREA.end);
        assert_eq!(p.place_aligned(None, 1, 4 * PAGE), Ok(AREA.start + 4 * PAGE));
        assert_eq!(p.next, AREA.start + 6 * PAGE);
        assert_eq!(p.place_aligned(None, 7, 4 * PAGE), Ok(AREA.start + 8 * PAGE), "then the area runs out exactly");
        assert_eq!(p.place_aligned(None, 1, 4 * PAGE), Err(Error::NoMemory));
    }

    #[test]
    fn the_area_runs_out() {
        let mut p = Placer::new(AREA);
        assert_eq!(p.place(None, 15), Ok(AREA.start));
        assert_eq!(p.place(None, 1), Err(Error::NoMemory));
        assert_eq!(p.next, AREA.end);
    }

    #[test]
    fn a_fixed_address_is_checked_and_moves_nothing() {
        let mut p = Placer::new(AREA);
        assert_eq!(p.place(Some(0x40_0000), 4), Ok(0x40_0000));
        assert_eq!(p.place(Some(0x40_0001), 1), Err(Error::BadAddress));
        assert_eq!(p.place(Some(0xffff_8000_0000_0000), 1), Err(Error::BadAddress));
        assert_eq!(p.place(Some(abi::layout::WINDOWS_START), 1), Err(Error::BadAddress));
        assert_eq!(p.next, AREA.start);
    }

    #[test]
    fn sorted_spans() {
        let spans = [0x1000..0x3000, 0x5000..0x6000];
        let span = |r: &Range<u64>| r.clone();
        assert_eq!(find(&spans, 0x2fff, span), Some(0));
        assert_eq!(find(&spans, 0x3000, span), None);
        assert_eq!(find(&spans, 0x5000, span), Some(1));
        assert_eq!(find(&spans, 0x0fff, span), None);
        assert!(is_free(&spans, 0x3000..0x5000, span));
        assert!(!is_free(&spans, 0x3000..0x5001, span));
        assert!(!is_free(&spans, 0x0..0x1001, span));
        assert!(is_free(&spans, 0x6000..0x9000, span));
        assert_eq!(insertion_point(&spans, 0x4000, span), 1);
        assert_eq!(insertion_point(&spans, 0x7000, span), 2);
    }
}
