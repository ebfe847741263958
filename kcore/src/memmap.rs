//! A fixed-capacity map of usable physical memory, built before the kernel has a heap.
//!
//! Invariant: `regions[..len]` are sorted, non-overlapping, non-adjacent half-open ranges.
//! Adding usable memory merges; reserving carves out (splitting a region when needed).
use core::fmt;

/// The most disjoint usable regions the map holds.
pub const MAX_REGIONS: usize = 128;
const PAGE: u64 = 4096;

/// The map is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    Full,
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "memory map full ({MAX_REGIONS} regions)")
    }
}

/// Usable physical memory as a set of ranges.
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
    pub const fn new() -> MemoryMap {
        MemoryMap { regions: [(0, 0); MAX_REGIONS], len: 0 }
    }

    /// Adds `[start, end)` as usable, merging with overlapping or adjacent regions.
    pub fn add_usable(&mut self, start: u64, end: u64) -> Result<(), MapError> {
        if end <= start {
            return Ok(());
        }
        let (mut start, mut end) = (start, end);
        // Absorb every region that touches [start, end).
        let mut i = 0;
        while i < self.len {
            let (s, e) = self.regions[i];
            if s <= end && start <= e {
                start = start.min(s);
                end = end.max(e);
                self.remove(i);
            } else {
                i += 1;
            }
        }
        self.insert_sorted(start, end)
    }

    /// Removes `[start, end)` from the usable set.
    pub fn reserve(&mut self, start: u64, end: u64) -> Result<(), MapError> {
        if end <= start {
            return Ok(());
        }
        let mut i = 0;
        while i < self.len {
            let (s, e) = self.regions[i];
            if e <= start || end <= s {
                i += 1;
                continue;
            }
            self.remove(i);
            if end < e {
                self.insert_sorted(end, e)?;
            }
            if s < start {
                self.insert_sorted(s, start)?;
            }
        }
        Ok(())
    }

    /// Usable ranges, sorted, page-aligned inwards, empty ones dropped.
    pub fn usable(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.regions[..self.len].iter().filter_map(|&(s, e)| {
            let (s, e) = (s.checked_next_multiple_of(PAGE)?, e & !(PAGE - 1));
            (s < e).then_some((s, e))
        })
    }

    /// One past the last usable byte (page-aligned), or 0.
    pub fn highest_usable_end(&self) -> u64 {
        self.usable().last().map_or(0, |(_, e)| e)
    }

    /// Total usable bytes (page-aligned).
    pub fn usable_bytes(&self) -> u64 {
        self.usable().map(|(s, e)| e - s).sum()
    }

    fn remove(&mut self, i: usize) {
        self.regions.copy_within(i + 1..self.len, i);
        self.len -= 1;
    }

    fn insert_sorted(&mut self, start: u64, end: u64) -> Result<(), MapError> {
        if self.len == MAX_REGIONS {
            return Err(MapError::Full);
        }
        let at = self.regions[..self.len].iter().position(|&(s, _)| s > start).unwrap_or(self.len);
        self.regions.copy_within(at..self.len, at + 1);
        self.regions[at] = (start, end);
        self.len += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::vec::Vec;

    fn ranges(m: &MemoryMap) -> Vec<(u64, u64)> {
        m.usable().collect()
    }

    #[test]
    fn merge_reserve_and_align() {
        let mut m = MemoryMap::new();
        m.add_usable(0x1000, 0x5000).unwrap();
        m.add_usable(0x5000, 0x9000).unwrap();
        m.add_usable(0x20_0000, 0x30_0123).unwrap();
        assert_eq!(ranges(&m), [(0x1000, 0x9000), (0x20_0000, 0x30_0000)]);
        m.reserve(0x2000, 0x3800).unwrap();
        assert_eq!(ranges(&m), [(0x1000, 0x2000), (0x4000, 0x9000), (0x20_0000, 0x30_0000)]);
        m.reserve(0, 0x25_0000).unwrap();
        assert_eq!(ranges(&m), [(0x25_0000, 0x30_0000)]);
        assert_eq!(m.highest_usable_end(), 0x30_0000);
        assert_eq!(m.usable_bytes(), 0xb_0000);
    }

    #[test]
    fn full_map_is_an_error() {
        let mut m = MemoryMap::new();
        for i in 0..MAX_REGIONS as u64 {
            m.add_usable(i * 0x10000, i * 0x10000 + 0x1000).unwrap();
        }
        assert_eq!(m.add_usable(0x1_0000_0000, 0x1_0000_1000), Err(MapError::Full));
    }

    #[test]
    fn matches_a_page_model() {
        let mut seed = 12345u64;
        let mut rand = |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for _ in 0..200 {
            let mut m = MemoryMap::new();
            let mut model = [false; 64];
            for _ in 0..12 {
                let (a, b) = (rand(64), rand(64));
                let (s, e) = (a.min(b), a.max(b));
                let usable = rand(3) != 0;
                if usable {
                    m.add_usable(s * PAGE, e * PAGE).unwrap();
                } else {
                    m.reserve(s * PAGE, e * PAGE).unwrap();
                }
                model[s as usize..e as usize].iter_mut().for_each(|p| *p = usable);
            }
            let mut got = [false; 64];
            for (s, e) in m.usable() {
                got[(s / PAGE) as usize..(e / PAGE) as usize].iter_mut().for_each(|p| *p = true);
            }
            assert_eq!(got, model);
        }
    }
}
