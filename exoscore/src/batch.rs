//! A batch of `page_map` updates built in place: a run of single-page protection changes is sent
//! as one `PROTECT_RANGE` update (`abi::MapUpdate::merge`), and a batch never holds more than one
//! call may carry (`N` updates, `abi::MAX_MAP_PAGES` pages). ExOS's region layer
//! (`exos::mem::regions`) and `fork` build their calls with it.
use abi::{MapUpdate, MAX_MAP_PAGES};

/// Up to `N` updates waiting to be sent.
pub struct Updates<const N: usize> {
    updates: [MapUpdate; N],
    len: usize,
    /// The pages the updates change (each push adds one).
    pages: u64,
}

impl<const N: usize> Default for Updates<N> {
    fn default() -> Self {
        Updates::new()
    }
}

impl<const N: usize> Updates<N> {
    /// An empty batch.
    pub const fn new() -> Updates<N> {
        Updates { updates: [MapUpdate { op: 0, va: 0, slot: 0, rights: 0 }; N], len: 0, pages: 0 }
    }

    /// Adds `update`, merged into the last one when it continues its run. Returns false, adding
    /// nothing, when the batch is full: send it and push again (an empty batch takes any update
    /// of 1 to `MAX_MAP_PAGES` pages, and refuses any other).
    pub fn push(&mut self, update: MapUpdate) -> bool {
        let pages = update.pages();
        if pages == 0 || self.pages.saturating_add(pages) > MAX_MAP_PAGES {
            return false;
        }
        let merged = self.len > 0 && self.updates[self.len - 1].merge(&update);
        if !merged {
            if self.len == N {
                return false;
            }
            self.updates[self.len] = update;
            self.len += 1;
        }
        self.pages += pages;
        true
    }

    /// The updates to send, in order.
    pub fn as_slice(&self) -> &[MapUpdate] {
        &self.updates[..self.len]
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Empties it (after sending).
    pub fn clear(&mut self) {
        (self.len, self.pages) = (0, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn protect(va: u64) -> MapUpdate {
        MapUpdate { op: MapUpdate::PROTECT, va, slot: 0, rights: 1 }
    }

    #[test]
    fn a_run_of_protections_is_one_range() {
        let mut b = Updates::<4>::new();
        for i in 0..10 {
            assert!(b.push(protect(0x1000 * i)));
        }
        assert_eq!(b.as_slice().len(), 1);
        assert_eq!(b.as_slice()[0].pages(), 10);
    }

    #[test]
    fn a_full_batch_refuses_and_keeps_what_it_has() {
        let mut b = Updates::<2>::new();
        assert!(b.push(protect(0x1000)));
        assert!(b.push(MapUpdate { op: MapUpdate::UNMAP, va: 0x5000, slot: 0, rights: 0 }));
        assert!(!b.push(protect(0x9000)));
        assert_eq!(b.as_slice().len(), 2);
        b.clear();
        assert!(b.is_empty());
        assert!(b.push(protect(0x9000)));
    }

    #[test]
    fn never_more_pages_than_one_call_carries() {
        let mut b = Updates::<8>::new();
        let whole = MapUpdate { op: MapUpdate::PROTECT_RANGE, va: 0, slot: MAX_MAP_PAGES, rights: 1 };
        assert!(b.push(whole));
        assert!(!b.push(protect(MAX_MAP_PAGES * 0x1000)));
        let empty = MapUpdate { op: MapUpdate::PROTECT_RANGE, va: 0, slot: 0, rights: 1 };
        assert!(!Updates::<8>::new().push(empty));
    }
}
