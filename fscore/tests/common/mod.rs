//! Test support: a seeded PRNG, the simulated disk with a volatile write cache that a crash
//! partly loses, and reading a whole file system tree into a comparable snapshot.
#![allow(dead_code)]

use fscore::{BLOCK_SIZE, Block, BlockDevice, Clock, Fs, IoError, Kind};
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

/// splitmix64: small, seeded, good enough to pick crash points and contents.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// A clock for tests: one nanosecond later at every call.
pub fn test_clock() -> Clock {
    let now = Rc::new(Cell::new(1_700_000_000_000_000_000u64));
    Box::new(move || {
        now.set(now.get() + 1);
        now.get()
    })
}

/// A disk with a volatile write cache. Reads see every write; `flush` makes the cached writes
/// durable. With a crash point set, the device call numbered `crash_at` (counting writes and
/// flushes from 1) fails and so does every later one: the machine is down. [`SimDisk::after_crash`]
/// then gives the disk as a reboot finds it: the durable blocks plus any subset of the unflushed
/// writes, applied in any order (a later write of a block may lose to an earlier one), chosen by
/// a seeded PRNG.
#[derive(Clone)]
pub struct SimDisk {
    blocks: u64,
    durable: HashMap<u64, Box<Block>>,
    /// Unflushed writes, oldest first.
    cache: Vec<(u64, Box<Block>)>,
    /// What reads see: durable overlaid by the cache.
    view: HashMap<u64, Box<Block>>,
    pub ops: u64,
    pub crash_at: Option<u64>,
    /// Crash at the first call after this many flushes have completed.
    pub crash_after_flushes: Option<u64>,
    pub crashed: bool,
    pub flushes: u64,
    /// The call numbers of the flushes (the most telling crash points: everything written
    /// since the flush before is in the cache).
    pub flush_calls: Vec<u64>,
}

impl SimDisk {
    pub fn new(blocks: u64) -> SimDisk {
        SimDisk {
            blocks,
            durable: HashMap::new(),
            cache: Vec::new(),
            view: HashMap::new(),
            ops: 0,
            crash_at: None,
            crash_after_flushes: None,
            crashed: false,
            flushes: 0,
            flush_calls: Vec::new(),
        }
    }

    fn tick(&mut self) -> Result<(), IoError> {
        if self.crashed {
            return Err(IoError::Device);
        }
        self.ops += 1;
        if self.crash_at == Some(self.ops) || self.crash_after_flushes == Some(self.flushes) {
            self.crashed = true;
            return Err(IoError::Device);
        }
        Ok(())
    }

    /// The disk a reboot finds (see the type's doc); the new disk has no crash point.
    pub fn after_crash(&self, rng: &mut Rng) -> SimDisk {
        let mut durable = self.durable.clone();
        let mut pending: Vec<&(u64, Box<Block>)> = self.cache.iter().filter(|_| rng.below(2) == 0).collect();
        // Fisher-Yates: the surviving writes land in a random order.
        for i in (1..pending.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            pending.swap(i, j);
        }
        for (b, data) in pending {
            durable.insert(*b, data.clone());
        }
        SimDisk {
            blocks: self.blocks,
            view: durable.clone(),
            durable,
            cache: Vec::new(),
            ops: 0,
            crash_at: None,
            crash_after_flushes: None,
            crashed: false,
            flushes: 0,
            flush_calls: Vec::new(),
        }
    }

    /// A crash point for a run whose crash-free twin made `self`'s calls: half the time one of
    /// its flushes, else any call.
    pub fn pick_crash(&self, rng: &mut Rng) -> u64 {
        if !self.flush_calls.is_empty() && rng.below(2) == 0 {
            self.flush_calls[rng.below(self.flush_calls.len() as u64) as usize]
        } else {
            1 + rng.below(self.ops)
        }
    }

    /// Writes not yet covered by a flush.
    pub fn unflushed(&self) -> usize {
        self.cache.len()
    }
}

impl BlockDevice for SimDisk {
    fn block_count(&self) -> u64 {
        self.blocks
    }
    fn read(&mut self, block: u64, buf: &mut Block) -> Result<(), IoError> {
        if self.crashed {
            return Err(IoError::Device);
        }
        if block >= self.blocks {
            return Err(IoError::OutOfRange);
        }
        match self.view.get(&block) {
            Some(data) => buf.copy_from_slice(&data[..]),
            None => buf.fill(0),
        }
        Ok(())
    }
    fn write(&mut self, block: u64, buf: &Block) -> Result<(), IoError> {
        if block >= self.blocks {
            return Err(IoError::OutOfRange);
        }
        self.tick()?;
        self.cache.push((block, Box::new(*buf)));
        self.view.insert(block, Box::new(*buf));
        Ok(())
    }
    fn flush(&mut self) -> Result<(), IoError> {
        self.flush_calls.push(self.ops + 1);
        self.tick()?;
        for (b, data) in self.cache.drain(..) {
            self.durable.insert(b, data);
        }
        self.flushes += 1;
        Ok(())
    }
}

/// A node of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Dir,
    File(Rc<Vec<u8>>),
}

/// A whole file system: path -> node (the root is not listed).
pub type Snapshot = BTreeMap<String, Node>;

/// Reads every directory and file of `fs` into a snapshot.
pub fn snapshot<D: BlockDevice>(fs: &mut Fs<D>) -> Snapshot {
    let mut out = Snapshot::new();
    let mut stack = vec![(fscore::ROOT_INO, String::new())];
    while let Some((dir, path)) = stack.pop() {
        for e in fs.readdir(dir).expect("readdir") {
            let child = format!("{path}/{}", e.name);
            match e.kind {
                Kind::Dir => {
                    out.insert(child.clone(), Node::Dir);
                    stack.push((e.ino, child));
                }
                Kind::File => {
                    let size = fs.stat(e.ino).expect("stat").size as usize;
                    let mut data = vec![0u8; size];
                    assert_eq!(fs.read(e.ino, 0, &mut data).expect("read"), size);
                    out.insert(child, Node::File(Rc::new(data)));
                }
            }
        }
    }
    out
}

/// A short description of how two snapshots differ.
pub fn diff(a: &Snapshot, b: &Snapshot) -> String {
    let mut lines = Vec::new();
    for (path, node) in a {
        match b.get(path) {
            None => lines.push(format!("{path}: only in the first")),
            Some(other) if other != node => {
                let len = |n: &Node| match n {
                    Node::Dir => "dir".to_string(),
                    Node::File(d) => format!("{} bytes", d.len()),
                };
                lines.push(format!("{path}: {} vs {}", len(node), len(other)));
            }
            _ => {}
        }
    }
    for path in b.keys().filter(|p| !a.contains_key(*p)) {
        lines.push(format!("{path}: only in the second"));
    }
    lines.truncate(8);
    lines.join("; ")
}

pub const BS: usize = BLOCK_SIZE;
