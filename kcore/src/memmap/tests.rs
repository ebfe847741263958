//! Unit tests for the memory map, including a randomized comparison with a per-page model.
use super::*;
extern crate std;
use std::vec::Vec;

fn ranges(map: &MemoryMap) -> Vec<(u64, u64)> {
    map.usable().collect()
}

#[test]
fn starts_empty() {
    let map = MemoryMap::new();
    assert_eq!(ranges(&map), []);
    assert_eq!((map.highest_usable_end(), map.usable_bytes()), (0, 0));
}

#[test]
fn merges_overlapping_and_adjacent_ranges() {
    let mut map = MemoryMap::new();
    map.add_usable(0x5000, 0x9000).unwrap();
    map.add_usable(0x1000, 0x5000).unwrap();
    map.add_usable(0x20_0000, 0x30_0123).unwrap();
    map.add_usable(0x8000, 0xa000).unwrap();
    map.add_usable(0x3000, 0x2000).unwrap(); // empty: ignored
    assert_eq!(ranges(&map), [(0x1000, 0xa000), (0x20_0000, 0x30_0000)]);
    map.add_usable(0, 0x40_0000).unwrap();
    assert_eq!(ranges(&map), [(0, 0x40_0000)]);
}

#[test]
fn aligns_inwards_and_drops_partial_pages() {
    let mut map = MemoryMap::new();
    map.add_usable(0x800, 0x2800).unwrap();
    map.add_usable(0x5001, 0x5fff).unwrap();
    map.add_usable(u64::MAX - 0x10, u64::MAX).unwrap();
    assert_eq!(ranges(&map), [(0x1000, 0x2000)]);
    map.add_usable(0x2800, 0x3000).unwrap(); // byte-granular merge completes a page
    assert_eq!(ranges(&map), [(0x1000, 0x3000)]);
}

#[test]
fn reserve_carves_and_splits() {
    let mut map = MemoryMap::new();
    map.add_usable(0x1000, 0x9000).unwrap();
    map.add_usable(0x20_0000, 0x30_0000).unwrap();
    map.reserve(0x2000, 0x3800).unwrap();
    assert_eq!(ranges(&map), [(0x1000, 0x2000), (0x4000, 0x9000), (0x20_0000, 0x30_0000)]);
    map.reserve(0, 0x25_0000).unwrap();
    assert_eq!(ranges(&map), [(0x25_0000, 0x30_0000)]);
    map.reserve(0x40_0000, 0x50_0000).unwrap(); // nothing there
    map.reserve(0x28_0000, 0x28_0000).unwrap(); // empty
    assert_eq!(map.highest_usable_end(), 0x30_0000);
    assert_eq!(map.usable_bytes(), 0xb_0000);
}

#[test]
fn full_map_is_an_error_and_changes_nothing() {
    let mut map = MemoryMap::new();
    for i in 0..MAX_REGIONS as u64 {
        map.add_usable(i * 0x10000, i * 0x10000 + 0x2000).unwrap();
    }
    assert_eq!(map.add_usable(0x1_0000_0000, 0x1_0000_1000), Err(MapError::Full));
    let before = ranges(&map);
    assert_eq!(map.reserve(0x1000, 0x1800), Err(MapError::Full), "splitting needs a region");
    assert_eq!(ranges(&map), before);
    map.reserve(0, 0x1000).unwrap(); // trimming needs none
    map.add_usable(0x2000, 0x10000).unwrap(); // merging two frees one
    map.add_usable(0x1_0000_0000, 0x1_0000_1000).unwrap();
}

use crate::test_random::Random;

/// Random byte-granular adds and reserves over 64 pages (in 1 KiB units), compared with a model
/// that marks each unit; a page is usable when all four of its units are.
#[test]
fn matches_a_page_model() {
    const UNIT: u64 = 1024;
    const UNITS: usize = 256;
    let mut random = Random(12345);
    for _ in 0..300 {
        let mut map = MemoryMap::new();
        let mut model = [false; UNITS];
        for _ in 0..16 {
            let (a, b) = (random.next(UNITS as u64 + 1), random.next(UNITS as u64 + 1));
            let (start, end) = (a.min(b), a.max(b));
            let usable = random.next(3) != 0;
            if usable {
                map.add_usable(start * UNIT, end * UNIT).unwrap();
            } else {
                map.reserve(start * UNIT, end * UNIT).unwrap();
            }
            model[start as usize..end as usize].fill(usable);
        }
        let expected: Vec<bool> = model.chunks(4).map(|units| units.iter().all(|&u| u)).collect();
        let mut got = [false; UNITS / 4];
        for (start, end) in map.usable() {
            assert!(start % PAGE_SIZE == 0 && end % PAGE_SIZE == 0 && start < end);
            got[(start / PAGE_SIZE) as usize..(end / PAGE_SIZE) as usize].fill(true);
        }
        assert_eq!(got[..], expected[..]);
        let pages = expected.iter().filter(|&&p| p).count() as u64;
        assert_eq!(map.usable_bytes(), pages * PAGE_SIZE);
        let highest = expected.iter().rposition(|&p| p).map_or(0, |p| (p as u64 + 1) * PAGE_SIZE);
        assert_eq!(map.highest_usable_end(), highest);
        let usable = ranges(&map);
        assert!(usable.windows(2).all(|w| w[0].1 < w[1].0), "sorted and merged: {usable:x?}");
    }
}
