//! Extents: the checks on mapping a physically contiguous range, and an environment's extent
//! mappings as runs.
//!
//! An extent is one capability over `pages` physically contiguous frames (`extent_alloc`). A
//! mapping of part of it is one [`Run`]: `pages` pages from virtual `va`, backed by the frames
//! from physical `pa`, made through capability `slot` of the environment at table index `owner`,
//! with 4 KiB or 2 MiB page-table entries. An environment's runs never overlap; they are kept
//! sorted by address in [`ExtentMaps`], which the kernel (`kernel/src/extent.rs`) consults before it
//! touches a page table: every change is checked here first (all or nothing), then applied.
//!
//! Invariants: runs are sorted and disjoint; a huge run's `va`, `pa` and `pages` are multiples of
//! 2 MiB; a cut or a protection change never ends inside a huge run's 2 MiB page; `rights` is
//! within `ceiling`; there are at most `limit` runs.
use abi::{Rights, HUGE_PAGES, MAX_EXTENT_PAGES};
use alloc::vec::Vec;

const PAGE: u64 = 4096;
const HUGE: u64 = HUGE_PAGES * PAGE;

/// Why an extent operation was refused (the kernel maps each to its `abi::Error`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExtentError {
    /// A count of 0, a range outside the extent, or a huge mapping whose size is not a multiple of
    /// 2 MiB (`BadArgument`).
    BadRange,
    /// More pages than one call may change (`TooLong`).
    TooLong,
    /// A huge mapping whose virtual or physical start is not 2 MiB-aligned (`BadAddress`).
    Misaligned,
    /// A page of the range is already mapped by a run (`AlreadyMapped`).
    Overlaps,
    /// A page of the range is not mapped by any run (`NotMapped`).
    NotMapped,
    /// The range ends inside a 2 MiB page (`SplitsHugePage`).
    SplitsHugePage,
    /// Rights beyond the mapping's ceiling (`NoRights`).
    NoRights,
    /// The environment would have more runs than allowed (`QuotaExceeded`).
    TooManyRuns,
}

/// One extent mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    pub va: u64,
    pub pages: u64,
    /// Physical address of the page at `va`.
    pub pa: u64,
    /// Table index of the environment whose capability the mapping was made through.
    pub owner: usize,
    pub slot: u64,
    /// The rights the mapping was made with (what `extent_protect` may give back).
    pub ceiling: Rights,
    /// Its rights now.
    pub rights: Rights,
    /// 2 MiB page-table entries (else 4 KiB).
    pub huge: bool,
}

impl Run {
    pub fn end(&self) -> u64 {
        self.va + self.pages * PAGE
    }

    /// The part of this run over `[from, to)` (which must lie inside it).
    fn part(&self, from: u64, to: u64) -> Run {
        Run { va: from, pages: (to - from) / PAGE, pa: self.pa + (from - self.va), ..*self }
    }
}

/// Checks an `extent_map` of pages `[first, first + pages)` of an extent of `extent_pages` pages
/// starting at physical `extent_pa`, at virtual `va` (page-aligned user address, checked by the
/// caller), with 2 MiB pages if `huge`. Returns the physical address of the first page mapped.
pub fn check_map(extent_pa: u64, extent_pages: u64, first: u64, pages: u64, va: u64, huge: bool) -> Result<u64, ExtentError> {
    if pages > MAX_EXTENT_PAGES {
        return Err(ExtentError::TooLong);
    }
    let inside = first.checked_add(pages).is_some_and(|end| end <= extent_pages);
    if pages == 0 || !inside {
        return Err(ExtentError::BadRange);
    }
    let pa = extent_pa + first * PAGE;
    if huge {
        // The whole of every 2 MiB page lies inside the range, so inside the capability.
        if !pages.is_multiple_of(HUGE_PAGES) {
            return Err(ExtentError::BadRange);
        }
        if !va.is_multiple_of(HUGE) || !pa.is_multiple_of(HUGE) {
            return Err(ExtentError::Misaligned);
        }
    }
    Ok(pa)
}

/// What a cut or a protection change did: the runs removed or changed, and the capability of each
/// run it split in two (the kernel counts one more mapping through it for each).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub runs: Vec<Run>,
    pub split: Vec<(usize, u64)>,
}

/// An environment's extent mappings, sorted by address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtentMaps {
    runs: Vec<Run>,
}

impl ExtentMaps {
    pub const fn new() -> ExtentMaps {
        ExtentMaps { runs: Vec::new() }
    }

    pub fn len(&self) -> usize {
        self.runs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Run> {
        self.runs.iter()
    }

    /// Index of the first run that ends after `va`.
    fn first_after(&self, va: u64) -> usize {
        self.runs.partition_point(|r| r.end() <= va)
    }

    /// Whether any run maps a page of `[va, va + pages * 4096)`.
    pub fn overlaps(&self, va: u64, pages: u64) -> bool {
        let end = va + pages * PAGE;
        self.runs.get(self.first_after(va)).is_some_and(|r| r.va < end)
    }

    /// Whether a run maps the page at `va`.
    pub fn contains(&self, va: u64) -> bool {
        self.overlaps(va & !(PAGE - 1), 1)
    }

    /// Adds `run` (its range already checked free with [`ExtentMaps::overlaps`]); refused when
    /// there would be more than `limit` runs.
    pub fn insert(&mut self, run: Run, limit: usize) -> Result<(), ExtentError> {
        if self.overlaps(run.va, run.pages) {
            return Err(ExtentError::Overlaps);
        }
        if self.runs.len() >= limit {
            return Err(ExtentError::TooManyRuns);
        }
        let at = self.first_after(run.va);
        self.runs.insert(at, run);
        Ok(())
    }

    /// The runs touching `[va, end)`, as an index range, after checking that they cover every page
    /// of it and that neither end falls inside a huge run's 2 MiB page; and how many runs a cut
    /// at both ends would add.
    fn covering(&self, va: u64, end: u64) -> Result<(core::ops::Range<usize>, usize), ExtentError> {
        let first = self.first_after(va);
        let mut at = va;
        let mut last = first;
        while at < end {
            let run = self.runs.get(last).filter(|r| r.va <= at).ok_or(ExtentError::NotMapped)?;
            at = run.end();
            last += 1;
        }
        let runs = first..last;
        let mut added = 0;
        for edge in [va, end] {
            if let Some(run) = self.runs[runs.clone()].iter().find(|r| r.va < edge && edge < r.end()) {
                if run.huge && !(edge - run.va).is_multiple_of(HUGE) {
                    return Err(ExtentError::SplitsHugePage);
                }
                added += 1;
            }
        }
        Ok((runs, added))
    }

    /// Splits the runs so that `va` and `end` fall on run boundaries (checked by `covering`);
    /// returns the capability (owner, slot) of each run split in two (each now has one more run).
    fn split_at_edges(&mut self, va: u64, end: u64) -> Vec<(usize, u64)> {
        let mut split = Vec::new();
        for edge in [va, end] {
            let i = self.first_after(edge);
            if let Some(run) = self.runs.get(i).copied().filter(|r| r.va < edge) {
                self.runs[i] = run.part(run.va, edge);
                self.runs.insert(i + 1, run.part(edge, run.end()));
                split.push((run.owner, run.slot));
            }
        }
        split
    }

    /// Removes the mappings of `[va, va + pages * 4096)`, all or nothing: every page must be mapped
    /// by a run, no 2 MiB page may be cut, and the runs left (a mapping cut in the middle becomes
    /// two) must stay within `limit`. Returns the parts removed, for the kernel to clear their
    /// page-table entries and count them off their capabilities.
    pub fn cut(&mut self, va: u64, pages: u64, limit: usize) -> Result<Change, ExtentError> {
        let end = range_end(va, pages)?;
        let (runs, added) = self.covering(va, end)?;
        // A cut in the middle of one run leaves one more run; at an edge, none.
        if added == 2 && runs.len() == 1 && self.runs.len() >= limit {
            return Err(ExtentError::TooManyRuns);
        }
        let split = self.split_at_edges(va, end);
        let (from, to) = (self.first_after(va), self.first_after(end));
        Ok(Change { runs: self.runs.drain(from..to).collect(), split })
    }

    /// Sets the rights of `[va, va + pages * 4096)` to `rights`, all or nothing (as [`cut`], and
    /// `rights` must be within every mapping's ceiling). Returns the parts changed (with their new
    /// rights), for the kernel to rewrite their entries.
    ///
    /// [`cut`]: ExtentMaps::cut
    pub fn protect(&mut self, va: u64, pages: u64, rights: Rights, limit: usize) -> Result<Change, ExtentError> {
        let end = range_end(va, pages)?;
        let (runs, added) = self.covering(va, end)?;
        if self.runs[runs].iter().any(|r| !r.ceiling.contains(rights)) {
            return Err(ExtentError::NoRights);
        }
        if self.runs.len() + added > limit {
            return Err(ExtentError::TooManyRuns);
        }
        let split = self.split_at_edges(va, end);
        let (from, to) = (self.first_after(va), self.first_after(end));
        for run in &mut self.runs[from..to] {
            run.rights = rights;
        }
        Ok(Change { runs: self.runs[from..to].to_vec(), split })
    }

    /// Removes every run made through capability `slot` of the environment at index `owner`;
    /// returns them.
    pub fn remove_slot(&mut self, owner: usize, slot: u64) -> Vec<Run> {
        let (gone, kept) = core::mem::take(&mut self.runs).into_iter().partition(|r| r.owner == owner && r.slot == slot);
        self.runs = kept;
        gone
    }

    /// Removes every run; returns them.
    pub fn take_all(&mut self) -> Vec<Run> {
        core::mem::take(&mut self.runs)
    }
}

fn range_end(va: u64, pages: u64) -> Result<u64, ExtentError> {
    if pages == 0 {
        return Err(ExtentError::BadRange);
    }
    if pages > MAX_EXTENT_PAGES {
        return Err(ExtentError::TooLong);
    }
    va.checked_add(pages * PAGE).ok_or(ExtentError::BadRange)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB2: u64 = 2 << 20;
    const RW: Rights = Rights(Rights::READ.0 | Rights::WRITE.0);

    fn run(va: u64, pages: u64, huge: bool) -> Run {
        Run { va, pages, pa: 0x4000_0000 + va, owner: 1, slot: 7, ceiling: RW, rights: RW, huge }
    }

    #[test]
    fn map_checks_the_range_and_the_huge_alignment() {
        let pa = 0x20_0000;
        assert_eq!(check_map(pa, 1024, 0, 1024, MB2, true), Ok(pa));
        assert_eq!(check_map(pa, 1024, 512, 512, 2 * MB2, true), Ok(pa + MB2));
        assert_eq!(check_map(pa, 1024, 1, 3, 0x1000, false), Ok(pa + 0x1000));
        // Past the extent: a 2 MiB page over a range the capability does not wholly cover.
        assert_eq!(check_map(pa, 1, 0, 512, MB2, true), Err(ExtentError::BadRange));
        assert_eq!(check_map(pa, 1024, 600, 512, MB2, true), Err(ExtentError::BadRange));
        assert_eq!(check_map(pa, 1024, u64::MAX, 2, MB2, false), Err(ExtentError::BadRange), "no wrap-around");
        assert_eq!(check_map(pa, 1024, 0, 0, MB2, false), Err(ExtentError::BadRange));
        assert_eq!(check_map(pa, 1024, 0, 100, MB2, true), Err(ExtentError::BadRange), "huge needs whole 2 MiB pages");
        assert_eq!(check_map(pa, 1024, 0, 512, MB2 + 0x1000, true), Err(ExtentError::Misaligned));
        assert_eq!(check_map(pa, 1024, 1, 512, MB2, true), Err(ExtentError::Misaligned), "page 1 is not 2 MiB-aligned");
        assert_eq!(check_map(pa + 0x1000, 1024, 0, 512, MB2, true), Err(ExtentError::Misaligned), "physically misaligned");
        assert_eq!(check_map(pa, 1 << 20, 0, MAX_EXTENT_PAGES + 1, 0, false), Err(ExtentError::TooLong));
    }

    #[test]
    fn runs_stay_sorted_disjoint_and_bounded() {
        let mut maps = ExtentMaps::new();
        maps.insert(run(0x10_0000, 16, false), 3).unwrap();
        maps.insert(run(0x40_0000, 512, true), 3).unwrap();
        assert_eq!(maps.insert(run(0x10_8000, 16, false), 3), Err(ExtentError::Overlaps));
        maps.insert(run(0x1000, 4, false), 3).unwrap();
        assert_eq!(maps.insert(run(0x90_0000, 1, false), 3), Err(ExtentError::TooManyRuns));
        let vas: Vec<u64> = maps.iter().map(|r| r.va).collect();
        assert_eq!(vas, [0x1000, 0x10_0000, 0x40_0000]);
        assert!(maps.contains(0x40_0000 + MB2 - 1) && !maps.contains(0x40_0000 + MB2));
        assert!(maps.overlaps(0xf_f000, 2) && !maps.overlaps(0x5000, 0x10));
    }

    #[test]
    fn cuts_split_runs_and_never_a_huge_page() {
        let mut maps = ExtentMaps::new();
        maps.insert(run(0x10_0000, 16, false), 8).unwrap();
        maps.insert(run(MB2, 1024, true), 8).unwrap();
        // The middle of a 4 KiB run: two runs remain, the pieces keep their physical addresses.
        let gone = maps.cut(0x10_4000, 2, 8).unwrap();
        assert_eq!(gone.runs, [Run { va: 0x10_4000, pages: 2, pa: 0x4000_0000 + 0x10_4000, ..run(0, 0, false) }]);
        assert_eq!(gone.split, [(1, 7), (1, 7)], "split at both ends: one run became three, then one went");
        assert_eq!(maps.len(), 3);
        assert!(maps.contains(0x10_3000) && !maps.contains(0x10_4000) && maps.contains(0x10_6000));
        // Part of a 2 MiB page, at either end: refused, nothing changes.
        let before = maps.clone();
        assert_eq!(maps.cut(MB2 + 0x1000, 511, 8), Err(ExtentError::SplitsHugePage));
        assert_eq!(maps.cut(MB2, 513, 8), Err(ExtentError::SplitsHugePage));
        assert_eq!(maps.protect(MB2 + MB2 - 0x1000, 1, Rights::READ, 8), Err(ExtentError::SplitsHugePage));
        // A range with an unmapped page: refused, nothing changes.
        assert_eq!(maps.cut(0x10_3000, 2, 8), Err(ExtentError::NotMapped));
        assert_eq!(maps.cut(0x20_0000 - 0x1000, 2, 8), Err(ExtentError::NotMapped));
        assert_eq!(maps, before);
        // One whole 2 MiB page of two.
        let gone = maps.cut(MB2 + MB2, 512, 8).unwrap().runs;
        assert_eq!(gone.len(), 1);
        assert!(gone[0].huge && gone[0].pa == 0x4000_0000 + 2 * MB2);
        assert!(maps.contains(MB2) && !maps.contains(2 * MB2));
        // Across two runs, exactly.
        let gone = maps.cut(0x10_0000, 4, 8).unwrap();
        assert_eq!((gone.runs.len(), gone.split.len()), (1, 0));
        let gone = maps.cut(0x10_6000, 10, 8).unwrap();
        assert_eq!((gone.runs.len(), gone.split.len()), (1, 0));
        assert_eq!(maps.len(), 1);
    }

    #[test]
    fn a_cut_in_the_middle_needs_room_for_one_more_run() {
        let mut maps = ExtentMaps::new();
        maps.insert(run(0x10_0000, 16, false), 1).unwrap();
        assert_eq!(maps.cut(0x10_1000, 1, 1), Err(ExtentError::TooManyRuns));
        assert_eq!(maps.cut(0x10_0000, 1, 1).map(|g| (g.runs.len(), g.split.len())), Ok((1, 1)), "an edge cut adds none");
    }

    #[test]
    fn protection_stays_within_the_ceiling() {
        let mut maps = ExtentMaps::new();
        maps.insert(Run { ceiling: Rights::READ, rights: Rights::READ, ..run(0x10_0000, 8, false) }, 8).unwrap();
        assert_eq!(maps.protect(0x10_0000, 8, RW, 8), Err(ExtentError::NoRights));
        maps.insert(run(0x20_0000, 8, false), 8).unwrap();
        let changed = maps.protect(0x20_2000, 2, Rights::READ, 8).unwrap().runs;
        assert_eq!(changed.len(), 1);
        assert_eq!(changed[0].rights, Rights::READ);
        assert_eq!(maps.len(), 4);
        assert_eq!(maps.protect(0x20_0000, 8, RW, 8).map(|c| (c.runs.len(), c.split.len())), Ok((3, 0)), "back to the ceiling");
        assert_eq!(maps.protect(0x20_0000, 0, RW, 8), Err(ExtentError::BadRange));
        assert_eq!(maps.protect(0x20_0000, MAX_EXTENT_PAGES + 1, RW, 8), Err(ExtentError::TooLong));
    }

    #[test]
    fn removing_a_capability_takes_its_runs() {
        let mut maps = ExtentMaps::new();
        maps.insert(run(0x10_0000, 8, false), 8).unwrap();
        maps.insert(Run { slot: 9, ..run(0x20_0000, 8, false) }, 8).unwrap();
        maps.insert(Run { owner: 2, ..run(0x30_0000, 8, false) }, 8).unwrap();
        assert_eq!(maps.remove_slot(1, 7).len(), 1);
        assert_eq!(maps.len(), 2);
        assert_eq!(maps.take_all().len(), 2);
        assert!(maps.is_empty());
    }

    #[test]
    fn random_cuts_keep_the_invariants() {
        let mut rng = crate::test_random::Random(15);
        for _ in 0..200 {
            let mut maps = ExtentMaps::new();
            let mut mapped = alloc::collections::BTreeSet::new();
            for _ in 0..20 {
                let va = (rng.next(64) * 16) * PAGE;
                let pages = 1 + rng.next(16);
                if maps.insert(run(va, pages, false), 32).is_ok() {
                    mapped.extend((0..pages).map(|i| va + i * PAGE));
                }
                let (cva, cpages) = (rng.next(1100) * PAGE, 1 + rng.next(8));
                let all = (0..cpages).all(|i| mapped.contains(&(cva + i * PAGE)));
                match maps.cut(cva, cpages, 32) {
                    Ok(gone) => {
                        assert!(all);
                        assert_eq!(gone.runs.iter().map(|r| r.pages).sum::<u64>(), cpages);
                        for i in 0..cpages {
                            mapped.remove(&(cva + i * PAGE));
                        }
                    }
                    Err(e) => assert!(!all || e == ExtentError::TooManyRuns, "{e:?}"),
                }
                let runs: Vec<Run> = maps.iter().copied().collect();
                assert!(runs.windows(2).all(|w| w[0].end() <= w[1].va));
                assert!(runs.iter().all(|r| r.pa == 0x4000_0000 + r.va));
                assert_eq!(runs.iter().map(|r| r.pages).sum::<u64>(), mapped.len() as u64);
            }
        }
    }
}
