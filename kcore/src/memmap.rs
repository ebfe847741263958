//! A fixed-capacity map of usable physical memory, built before the kernel has a heap.
//!
//! The boot code adds the firmware's usable ranges, then reserves what is taken (the kernel image,
//! boot data, the initrd, the frame bitmap). Ranges are byte-granular inside; [`MemoryMap::usable`]
//! shows only whole pages.
//!
//! Invariant: `regions[..len]` are sorted, non-empty, non-overlapping and non-adjacent half-open
//! ranges. Adding merges; reserving carves out, splitting a region when needed. An operation that
//! fails with [`MapError::Full`] leaves the map unchanged.
use core::fmt;

/// The most disjoint usable regions the map holds.
pub const MAX_REGIONS: usize = 128;
const PAGE_SIZE: u64 = 4096;

/// Why the map could not be changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// The change needs more than [`MAX_REGIONS`] disjoint regions.
    Full,
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "memory map full: it holds at most {MAX_REGIONS} disjoint regions")
    }
}

/// Usable physical memory as a set of half-open ranges.
#[derive(Clone, Debug)]
pub struct MemoryMap {
    regions: [(u64, u64); MAX_REGIONS],
    len: usize,
}

impl Default for MemoryMap {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryMap {
    /// An empty map: nothing usable.
    pub const fn new() -> MemoryMap {
        MemoryMap { regions: [(0, 0); MAX_REGIONS], len: 0 }
    }

    /// Adds `[start, end)` as usable, merging with overlapping or adjacent regions. An empty range
    /// is ignored.
    pub fn add_usable(&mut self, start: u64, end: u64) -> Result<(), MapError> {
        if end <= start {
            return Ok(());
        }
        // The regions touching [start, end) are contiguous in sorted order: replace them by one.
        let first = self.regions().partition_point(|&(_, e)| e < start);
        let last = self.regions().partition_point(|&(s, _)| s <= end);
        if first == last {
            return self.insert(first, (start, end));
        }
        let merged = (start.min(self.regions[first].0), end.max(self.regions[last - 1].1));
        self.regions[first] = merged;
        self.remove(first + 1..last);
        Ok(())
    }

    /// Removes `[start, end)` from the usable set. An empty range is ignored.
    pub fn reserve(&mut self, start: u64, end: u64) -> Result<(), MapError> {
        if end <= start {
            return Ok(());
        }
        // The regions overlapping [start, end) are contiguous; only their ends can survive.
        let first = self.regions().partition_point(|&(_, e)| e <= start);
        let last = self.regions().partition_point(|&(s, _)| s < end);
        if first == last {
            return Ok(());
        }
        let left = (self.regions[first].0, start);
        let right = (end, self.regions[last - 1].1);
        let pieces = usize::from(left.0 < left.1) + usize::from(right.0 < right.1);
        if self.len - (last - first) + pieces > MAX_REGIONS {
            return Err(MapError::Full);
        }
        self.remove(first..last);
        if right.0 < right.1 {
            self.insert(first, right)?;
        }
        if left.0 < left.1 {
            self.insert(first, left)?;
        }
        Ok(())
    }

    /// The usable ranges as whole pages: sorted, disjoint, start rounded up and end rounded down to
    /// 4 KiB, ranges with no whole page dropped.
    pub fn usable(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.regions().iter().filter_map(|&(start, end)| {
            let (start, end) = (start.checked_next_multiple_of(PAGE_SIZE)?, end & !(PAGE_SIZE - 1));
            (start < end).then_some((start, end))
        })
    }

    /// One past the last usable page, or 0 if nothing is usable.
    pub fn highest_usable_end(&self) -> u64 {
        self.usable().last().map_or(0, |(_, end)| end)
    }

    /// The total size of the usable pages, in bytes.
    pub fn usable_bytes(&self) -> u64 {
        self.usable().map(|(start, end)| end - start).sum()
    }

    fn regions(&self) -> &[(u64, u64)] {
        &self.regions[..self.len]
    }

    /// Removes the regions at indices `range`.
    fn remove(&mut self, range: core::ops::Range<usize>) {
        self.regions.copy_within(range.end..self.len, range.start);
        self.len -= range.len();
    }

    /// Inserts `region` at index `at`, which keeps the regions sorted and disjoint.
    fn insert(&mut self, at: usize, region: (u64, u64)) -> Result<(), MapError> {
        if self.len == MAX_REGIONS {
            return Err(MapError::Full);
        }
        self.regions.copy_within(at..self.len, at + 1);
        self.regions[at] = region;
        self.len += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
