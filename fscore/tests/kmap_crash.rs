//! Crash tests of the kernel's block map: random root and block operations with commits (and
//! the background scrub), a crash at a device call chosen by a seeded PRNG losing any subset of
//! the unflushed writes, a second crash inside the reopen, then the reopened map must equal a
//! state the workload passed through since its last completed commit (temporary roots deleted),
//! and every FREE block must read as zeros (no root ever receives another's data).
//! `FSCORE_CRASH_SEED=N` replays one seed.

mod common;

use common::*;
use fscore::BlockDevice;
use fscore::kmap::{self, FREE, KMap, KState, KmapError, Place, RootFlags};

const BLOCKS: u64 = 6000;

/// Random operations; `states` gets the state after each, and is cut back to the current one at
/// each completed commit.
fn workload(disk: &mut SimDisk, seed: u64, states: &mut Vec<KState>) -> Result<(), KmapError> {
    let mut rng = Rng::new(seed);
    let mut map = KMap::open(disk)?;
    states.clear();
    states.push(map.state().clone());
    let mut roots: Vec<u32> = Vec::new();
    let mut held: Vec<(u32, u64, u64)> = Vec::new();
    // Allocated since the last commit: their owners write them once it is done.
    let mut unwritten: Vec<(u32, u64, u64)> = Vec::new();
    for i in 0..900 {
        if i % 150 == 149 {
            // A clean reboot: everything committed, the map opened again.
            map.commit(disk)?;
            unwritten.clear();
            map = KMap::open(disk)?;
            *states = vec![map.state().clone()];
            held.retain(|h| map.root(h.0).is_ok());
            roots.retain(|&r| map.root(r).is_ok());
        }
        let result = match rng.below(16) {
            0 | 1 if roots.len() < 6 => {
                let flags = if rng.below(4) == 0 { RootFlags::TEMPORARY } else { RootFlags::PERSISTENT };
                map.root_create(&format!("root{i}"), flags).map(|id| roots.push(id))
            }
            2 if !roots.is_empty() && rng.below(4) == 0 => {
                let id = roots.remove(rng.below(roots.len() as u64) as usize);
                held.retain(|h| h.0 != id);
                unwritten.retain(|h| h.0 != id);
                map.root_delete(id)
            }
            3 if !roots.is_empty() => map.revoke(roots[0]).map(|_| ()),
            4 | 5 if !held.is_empty() => {
                let (root, start, len) = held.remove(rng.below(held.len() as u64) as usize);
                unwritten.retain(|h| h.1 != start);
                map.free(root, start, len)
            }
            6 | 8 => {
                map.commit(disk)?;
                *states = vec![map.state().clone()];
                // A crash inside the scrub may find its record committed: the state after it
                // (the first dirty run, up to `max` blocks, free) is a candidate from the start.
                let max = 1 + rng.below(200);
                let mut after = map.state().clone();
                let first = map.kernel_blocks() as usize;
                if let Some(start) = (first..BLOCKS as usize).find(|&b| after.owners[b] == kmap::DIRTY) {
                    let run = after.owners[start..].iter().take(max as usize).take_while(|&&o| o == kmap::DIRTY).count();
                    after.owners[start..start + run].fill(FREE);
                }
                states.push(after);
                map.scrub(disk, max).map(|_| ())
            }
            7 if !held.is_empty() => {
                let (root, start, _) = held[rng.below(held.len() as u64) as usize];
                map.root_set_super(root, start, 1)
            }
            _ if !roots.is_empty() => {
                let root = roots[rng.below(roots.len() as u64) as usize];
                let len = 1 + rng.below(60);
                let place = if rng.below(5) == 0 { Place::Exact(rng.below(BLOCKS)) } else { Place::Near(rng.below(BLOCKS)) };
                match map.alloc(root, len, place) {
                    Ok(start) => {
                        held.push((root, start, len));
                        unwritten.push((root, start, len));
                        Ok(())
                    }
                    Err(KmapError::NoSpace | KmapError::Busy | KmapError::OutOfRange) => Ok(()),
                    Err(e) => Err(e),
                }
            }
            _ => Ok(()),
        };
        match result {
            Ok(()) => states.push(map.state().clone()),
            Err(KmapError::Io(e)) => return Err(KmapError::Io(e)),
            Err(e) => panic!("seed {seed}: op {i}: {e:?}"),
        }
        if rng.below(4) == 0 {
            map.commit(disk)?;
            *states = vec![map.state().clone()];
            // The owners write their newly committed blocks: data a crash must never hand to
            // another root.
            for (root, start, len) in std::mem::take(&mut unwritten) {
                map.check(root, None, start, len, true).expect("committed blocks are writable");
                for b in start..start + len {
                    disk.write(b, &[root as u8 | 0x80; BS])?;
                }
            }
        }
    }
    map.commit(disk)?;
    *states = vec![map.state().clone()];
    Ok(())
}

fn fresh() -> SimDisk {
    let mut disk = SimDisk::new(BLOCKS);
    kmap::format_with_log(&mut disk, true, 4).unwrap();
    disk.flush_calls.clear();
    disk.ops = 0;
    disk
}

#[test]
fn crash_kmap() {
    let seeds: Vec<u64> = match std::env::var("FSCORE_CRASH_SEED") {
        Ok(seed) => vec![seed.parse().unwrap()],
        Err(_) => (1..=96).collect(),
    };
    for seed in seeds {
        let mut disk = fresh();
        let mut states = Vec::new();
        workload(&mut disk, seed, &mut states).unwrap();
        let total = disk.ops;
        let mut rng = Rng::new(seed ^ 0xC0FFEE);
        let crash_at = disk.pick_crash(&mut rng);
        let mut disk = fresh();
        disk.crash_at = Some(crash_at);
        assert!(workload(&mut disk, seed, &mut states).is_err(), "seed {seed}: the crash point was reached");
        let mut image = disk.after_crash(&mut rng);
        let mut second = image.clone();
        let again = 1 + rng.below(8);
        second.crash_at = Some(again);
        if KMap::open(&mut second).is_err() {
            image = second.after_crash(&mut rng);
        }
        let context = format!("kmap seed {seed}: crash at device call {crash_at} of {total}, then at call {again} of the reopen");
        println!("{context}");
        let map = KMap::open(&mut image).unwrap_or_else(|e| panic!("{context}: {e:?}"));
        let found = map.state();
        assert!(
            states.iter().any(|s| &s.after_reboot() == found),
            "{context}: the reopened map is none of the {} states since the last commit",
            states.len()
        );
        let mut buf = [0u8; BS];
        for b in map.kernel_blocks()..BLOCKS {
            if map.owner(b) == Some(FREE) {
                image.read(b, &mut buf).unwrap();
                assert!(buf.iter().all(|&x| x == 0), "{context}: free block {b} holds data");
            }
        }
    }
}
