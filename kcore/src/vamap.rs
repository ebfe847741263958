//! A map from virtual page addresses to values, kept as one vector sorted by address.
//!
//! The kernel keeps an environment's capability mappings here (`kernel/src/bind.rs`): every
//! `page_map` update looks one up, so lookups must be cheap. A binary search over a sorted vector
//! takes a few dozen instructions where a `BTreeMap` took about 170 (measured with the stage
//! breakdown of `cargo xtask bench`). Inserting in the middle moves the tail, but addresses mostly
//! arrive in increasing order (demand paging, fork), and the kernel bounds the entries per
//! environment. Nothing here allocates except [`VaMap::insert`] growing the vector.
use alloc::vec::Vec;

/// Values by address, sorted by address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaMap<V> {
    entries: Vec<(u64, V)>,
}

impl<V> Default for VaMap<V> {
    fn default() -> Self {
        VaMap::new()
    }
}

impl<V> VaMap<V> {
    /// An empty map.
    pub const fn new() -> VaMap<V> {
        VaMap { entries: Vec::new() }
    }

    /// How many entries it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn find(&self, va: u64) -> Result<usize, usize> {
        self.entries.binary_search_by_key(&va, |&(key, _)| key)
    }

    /// The value at `va`.
    pub fn get(&self, va: u64) -> Option<&V> {
        self.find(va).ok().map(|i| &self.entries[i].1)
    }

    /// The value at `va`, to change it.
    pub fn get_mut(&mut self, va: u64) -> Option<&mut V> {
        self.find(va).ok().map(|i| &mut self.entries[i].1)
    }

    /// Whether there is a value at `va`.
    pub fn contains_key(&self, va: u64) -> bool {
        self.find(va).is_ok()
    }

    /// The entries at `count` consecutive addresses `va`, `va + step`, ..., to change them; `None`
    /// unless every one of those addresses has an entry (or if `count` is 0). One search, then a
    /// look at each entry of the run.
    pub fn run_mut(&mut self, va: u64, count: usize, step: u64) -> Option<&mut [(u64, V)]> {
        let first = self.find(va).ok()?;
        let run = self.entries.get_mut(first..first.checked_add(count)?)?;
        let mut expected = va;
        for (key, _) in run.iter() {
            if *key != expected {
                return None;
            }
            expected = expected.wrapping_add(step);
        }
        (count > 0).then_some(run)
    }

    /// Sets the value at `va`; returns the one it replaces.
    pub fn insert(&mut self, va: u64, value: V) -> Option<V> {
        match self.find(va) {
            Ok(i) => Some(core::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (va, value));
                None
            }
        }
    }

    /// Removes the value at `va` and returns it.
    pub fn remove(&mut self, va: u64) -> Option<V> {
        self.find(va).ok().map(|i| self.entries.remove(i).1)
    }

    /// Keeps the entries for which `keep(address, value)` is true, in order, without allocating.
    pub fn retain(&mut self, mut keep: impl FnMut(u64, &mut V) -> bool) {
        self.entries.retain_mut(|(va, value)| keep(*va, value));
    }

    /// The entries in address order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &V)> {
        self.entries.iter().map(|(va, value)| (*va, value))
    }
}

impl<V> IntoIterator for VaMap<V> {
    type Item = (u64, V);
    type IntoIter = alloc::vec::IntoIter<(u64, V)>;

    /// The entries in address order.
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;

    #[test]
    fn runs_are_whole_or_nothing() {
        let mut map = VaMap::new();
        for page in [1u64, 2, 3, 4, 6, 7] {
            map.insert(page << 12, page);
        }
        let run = map.run_mut(1 << 12, 4, 4096).expect("pages 1-4");
        assert_eq!(run.iter().map(|&(va, v)| (va >> 12, v)).collect::<alloc::vec::Vec<_>>(), [(1, 1), (2, 2), (3, 3), (4, 4)]);
        run[0].1 = 10;
        assert_eq!(map.get(1 << 12), Some(&10));
        assert!(map.run_mut(3 << 12, 2, 4096).is_some());
        // A hole (page 5), a missing first page, a run past the end, an empty run: none.
        assert!(map.run_mut(3 << 12, 3, 4096).is_none());
        assert!(map.run_mut(5 << 12, 1, 4096).is_none());
        assert!(map.run_mut(6 << 12, 3, 4096).is_none());
        assert!(map.run_mut(6 << 12, usize::MAX, 4096).is_none());
        assert!(map.run_mut(6 << 12, 0, 4096).is_none());
        assert_eq!(map.run_mut(6 << 12, 2, 4096).map(|r| r.len()), Some(2));
        // Keys that are not multiples of the step cannot pass for a run.
        let mut odd = VaMap::new();
        for va in [0x1000u64, 0x1800, 0x2000] {
            odd.insert(va, ());
        }
        assert!(odd.run_mut(0x1000, 2, 0x1000).is_none());
    }

    #[test]
    fn behaves_like_a_btree_map() {
        let mut map = VaMap::new();
        let mut model = BTreeMap::new();
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for step in 0..5000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let va = (x % 300) << 12;
            match x % 5 {
                0 | 1 => assert_eq!(map.insert(va, step), model.insert(va, step)),
                2 => assert_eq!(map.remove(va), model.remove(&va)),
                3 => {
                    if let (Some(a), Some(b)) = (map.get_mut(va), model.get_mut(&va)) {
                        *a += 1;
                        *b += 1;
                    }
                }
                _ => {
                    map.retain(|va, v| (va >> 12) % 7 != step % 7 || *v % 2 == 0);
                    model.retain(|va, v| (va >> 12) % 7 != step % 7 || *v % 2 == 0);
                }
            }
            assert_eq!(map.len(), model.len());
            assert_eq!(map.contains_key(va), model.contains_key(&va));
            assert_eq!(map.get(va), model.get(&va));
        }
        assert!(map.iter().map(|(va, v)| (va, *v)).eq(model.iter().map(|(va, v)| (*va, *v))));
        assert!(map.clone().into_iter().eq(model.clone()));
        assert!(!map.is_empty());
        let taken = core::mem::take(&mut map);
        assert!(map.is_empty() && taken.len() == model.len());
    }

    #[test]
    fn keeps_addresses_sorted_whatever_the_insertion_order() {
        let mut map = VaMap::new();
        for va in [0x5000u64, 0x1000, 0x3000, 0x2000, 0x4000] {
            assert_eq!(map.insert(va, va / 0x1000), None);
        }
        assert_eq!(map.insert(0x3000, 33), Some(3));
        let vas: Vec<u64> = map.iter().map(|(va, _)| va).collect();
        assert_eq!(vas, [0x1000, 0x2000, 0x3000, 0x4000, 0x5000]);
        assert_eq!(map.get(0x3000), Some(&33));
        assert_eq!(map.get(0x6000), None);
        assert_eq!(map.remove(0x1000), Some(1));
        assert_eq!(map.remove(0x1000), None);
    }
}
