//! `fsck`: mount (which replays the journal and frees orphans, the normal recovery), then check
//! every invariant of docs/FS.md and repair what breaks one. A file system the journal kept
//! consistent reports `clean`; anything else is listed, one line per repair.
//!
//! Checks and repairs, in order: (1) every block pointer of every inode lies in the data area
//! and no block has two owners (else the pointer is cleared; the first owner in inode order
//! keeps a shared block), and no block is mapped past the end of its file (freed);
//! (2) from the root, every directory block parses and every entry names a live inode of the
//! entry's kind, no directory has two names (else the entry is dropped), and each directory's
//! parent is the one naming it; (3) every live inode is named (else freed) and its link count
//! is the number of names; (4) the bitmap marks exactly the blocks owned (leaks freed,
//! owned-but-free blocks marked).

use crate::dev::{BLOCK_SIZE, BlockDevice};
use crate::layout::{Kind, ROOT_INO, encode_dir_block, parse_dir_block};
use crate::store::{Clock, Fs};
use crate::FsError;
use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// What `fsck` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// One line per repair; empty when the file system was consistent.
    pub repairs: Vec<String>,
    /// Journal transactions the mount replayed (recovery, not a repair).
    pub replayed: u32,
    /// Unnamed inodes the mount freed (recovery, not a repair).
    pub orphans: u32,
    pub files: u32,
    pub dirs: u32,
    /// Blocks owned by files and directories.
    pub blocks_owned: u64,
}

impl Report {
    /// No repair was needed.
    pub fn is_clean(&self) -> bool {
        self.repairs.is_empty()
    }
}

impl core::fmt::Display for Report {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.is_clean() {
            write!(f, "clean")?;
        } else {
            for line in &self.repairs {
                writeln!(f, "repaired: {line}")?;
            }
            write!(f, "{} repairs", self.repairs.len())?;
        }
        write!(
            f,
            " ({} files, {} directories, {} blocks; journal: {} transactions replayed, {} orphans freed)",
            self.files, self.dirs, self.blocks_owned, self.replayed, self.orphans
        )
    }
}

/// Mounts `dev` (clearing inodes that do not decode) and checks and repairs it (see the module
/// doc). Returns the mounted file system
/// with the repairs committed, and the report.
pub fn fsck<D: BlockDevice>(dev: D, clock: Clock) -> Result<(Fs<D>, Report), FsError> {
    let (mut fs, bad) = Fs::mount_inner(dev, clock, true)?;
    let mut report = fs.check_and_repair()?;
    let cleared = bad.iter().map(|ino| format!("inode {ino}: unreadable (bad kind or tree height): cleared"));
    report.repairs.splice(0..0, cleared);
    fs.repairing = false;
    Ok((fs, report))
}

impl<D: BlockDevice> Fs<D> {
    fn live_inodes(&self) -> Vec<u32> {
        (1..=self.sb.inodes).filter(|&i| self.inode_used[i as usize]).collect()
    }

    /// Every block owned by a live inode (after the tree repairs: each has one owner).
    fn owned_blocks(&mut self) -> Result<BTreeSet<u32>, FsError> {
        let mut owned = BTreeSet::new();
        for ino in self.live_inodes() {
            let inode = self.inode(ino)?;
            self.walk_tree(&inode, &mut |_, b, _| {
                owned.insert(b);
                Ok(true)
            })?;
        }
        Ok(owned)
    }

    /// Runs the checks of the module doc, repairing as it goes; commits the repairs.
    pub fn check_and_repair(&mut self) -> Result<Report, FsError> {
        self.check_alive()?;
        let mut report = Report { replayed: self.stats.replayed, orphans: self.stats.orphans, ..Report::default() };
        let (start, end) = (self.sb.data_start, self.sb.blocks);

        // (1) Trees.
        let mut owner: BTreeMap<u32, u32> = BTreeMap::new();
        for ino in self.live_inodes() {
            self.prepare_step(0)?;
            let mut inode = self.inode(ino)?;
            if inode.kind == Some(Kind::Dir) && inode.size % BLOCK_SIZE as u64 != 0 {
                inode.size -= inode.size % BLOCK_SIZE as u64;
                report.repairs.push(format!("directory {ino}: size not a whole number of blocks: rounded down"));
            }
            let blocks = inode.size.div_ceil(BLOCK_SIZE as u64);
            let mut bad: Vec<(u64, u8, String)> = Vec::new();
            let mut beyond = false;
            let mut last_leaf: Option<u64> = None;
            self.walk_tree(&inode, &mut |index, b, level| {
                if b < start || b >= end {
                    bad.push((index, level, format!("inode {ino}: pointer to block {b} outside the data area cleared")));
                    return Ok(false);
                }
                if let Some(&first) = owner.get(&b) {
                    bad.push((index, level, format!("inode {ino}: block {b} also owned by inode {first}: pointer cleared")));
                    return Ok(false);
                }
                owner.insert(b, ino);
                if index >= blocks {
                    beyond = true;
                }
                if level == 0 {
                    last_leaf = last_leaf.max(Some(index));
                }
                Ok(true)
            })?;
            // A directory ends with its last block (a damaged size could claim 2^50 bytes).
            let end = last_leaf.map_or(0, |i| (i + 1) * BLOCK_SIZE as u64);
            if inode.kind == Some(Kind::Dir) && inode.size > end && !beyond {
                report.repairs.push(format!("directory {ino}: size {} past its last block: cut to {end}", inode.size));
                inode.size = end;
            }
            for (index, level, line) in bad {
                self.clear_mapping(&mut inode, index, level)?;
                report.repairs.push(line);
            }
            self.put_inode(ino, &inode)?;
            if beyond {
                let keep = inode.size.div_ceil(BLOCK_SIZE as u64);
                loop {
                    self.prepare_step(0)?;
                    let mut budget = 48;
                    self.trunc_tree(&mut inode, keep, &mut budget)?;
                    self.put_inode(ino, &inode)?;
                    if budget > 0 {
                        break;
                    }
                }
                report.repairs.push(format!("inode {ino}: blocks mapped past its size {} freed", inode.size));
            }
        }

        // (2) Directories, from the root.
        let mut names: BTreeMap<u32, u32> = BTreeMap::new();
        let mut seen_dirs = BTreeSet::from([ROOT_INO]);
        let mut queue = VecDeque::from([ROOT_INO]);
        while let Some(dir) = queue.pop_front() {
            let mut d = self.inode(dir)?;
            for index in 0..d.size / BLOCK_SIZE as u64 {
                self.prepare_step(0)?;
                let b = self.bmap(&mut d, index, None)?;
                if b == 0 {
                    continue;
                }
                let entries = match parse_dir_block(&*self.meta_read(b)?) {
                    Ok(entries) => entries,
                    Err(_) => {
                        self.meta_modify(b, |data| data.fill(0))?;
                        report.repairs.push(format!("directory {dir} block {index}: unreadable, its entries dropped"));
                        continue;
                    }
                };
                let mut kept = Vec::with_capacity(entries.len());
                let mut seen_names = BTreeSet::new();
                for e in entries {
                    let target = if e.ino >= 1 && e.ino <= self.sb.inodes && self.inode_used[e.ino as usize] {
                        Some(self.inode(e.ino)?)
                    } else {
                        None
                    };
                    let why = match target {
                        None => Some("names a free or invalid inode"),
                        Some(t) if t.kind != Some(e.kind) => Some("has the wrong kind"),
                        Some(_) if e.kind == Kind::Dir && seen_dirs.contains(&e.ino) => Some("is a second name of a directory"),
                        Some(_) if e.ino == ROOT_INO => Some("names the root"),
                        Some(_) if !seen_names.insert(e.name.clone()) => Some("repeats a name"),
                        Some(_) => None,
                    };
                    if let Some(why) = why {
                        report.repairs.push(format!("directory {dir}: entry {:?} (inode {}) {why}: dropped", e.name, e.ino));
                        continue;
                    }
                    *names.entry(e.ino).or_default() += 1;
                    if e.kind == Kind::Dir {
                        seen_dirs.insert(e.ino);
                        queue.push_back(e.ino);
                        let mut child = self.inode(e.ino)?;
                        if child.parent != dir {
                            child.parent = dir;
                            self.put_inode(e.ino, &child)?;
                            report.repairs.push(format!("directory {}: parent set to {dir}", e.ino));
                        }
                    }
                    kept.push(e);
                }
                let encoded = encode_dir_block(&kept).expect("a subset fits");
                if encoded[..] != self.meta_read(b)?[..] {
                    self.meta_modify(b, |data| *data = encoded)?;
                }
            }
        }

        // (3) Names and link counts.
        for ino in self.live_inodes() {
            self.prepare_step(0)?;
            let mut inode = self.inode(ino)?;
            let count = if ino == ROOT_INO { 1 } else { names.get(&ino).copied().unwrap_or(0) };
            if count == 0 {
                report.repairs.push(format!("inode {ino} ({:?}, {} bytes): no name reaches it: freed", inode.kind, inode.size));
                let mut budget = usize::MAX;
                self.trunc_tree(&mut inode, 0, &mut budget)?;
                self.free_inode(ino)?;
                continue;
            }
            if ino == ROOT_INO && inode.parent != ROOT_INO {
                inode.parent = ROOT_INO;
                self.put_inode(ino, &inode)?;
                report.repairs.push(String::from("root directory: parent set to itself"));
            }
            if inode.nlink != count {
                report.repairs.push(format!("inode {ino}: link count {} -> {count}", inode.nlink));
                inode.nlink = count;
                self.put_inode(ino, &inode)?;
            }
            match inode.kind {
                Some(Kind::Dir) => report.dirs += 1,
                _ => report.files += 1,
            }
        }

        // (4) The bitmap.
        let owned = self.owned_blocks()?;
        let (mut leaked, mut unmarked) = (0u64, 0u64);
        for b in start..end {
            if b % 4096 == 0 {
                self.prepare_step(0)?;
            }
            let used = self.block_used(b)?;
            let own = owned.contains(&b);
            if used && !own && !self.pending_free.contains(&b) {
                self.set_block_used(b, false)?;
                self.free_blocks += 1;
                self.pending_free.insert(b);
                leaked += 1;
            } else if !used && own {
                self.set_block_used(b, true)?;
                self.free_blocks -= 1;
                unmarked += 1;
            }
        }
        if leaked > 0 {
            report.repairs.push(format!("{leaked} blocks marked used but owned by nothing: freed"));
        }
        if unmarked > 0 {
            report.repairs.push(format!("{unmarked} blocks owned but marked free: marked used"));
        }
        report.blocks_owned = owned.len() as u64;
        self.commit()?;
        Ok(report)
    }
}
