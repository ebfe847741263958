//! The file system's operations: mkfs, mount (journal replay, orphan cleanup), directories,
//! files, rename, links, truncate, timestamps, fsync. Each operation is atomic with respect to a
//! crash (all of it or none of it is in the journal) except the long ones, which go in bounded
//! steps each leaving a consistent file system: `write` (a step per [`STEP_BLOCKS`] blocks: after a
//! crash a prefix of the write is there) and shrinking `truncate` (from the end down: after a
//! crash the file is cut somewhere between its old and new sizes). Unlinking the last name of a
//! file removes the name atomically; its blocks are then freed in steps, and a crash between steps
//! leaves an inode with no name, which the next mount frees (an orphan).

use crate::dev::{BLOCK_SIZE, Block, BlockDevice};
use crate::layout::{
    self, DirEntry, INODES_PER_BLOCK, Inode, Kind, ROOT_INO, SUPER_SLOTS, Super, check_name, encode_dir_block,
    parse_dir_block,
};
use crate::store::{Clock, Fs, STEP_DIRTY};
use crate::tree::MAX_FILE_BLOCKS;
use crate::{FsError, Stats};
use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// The most blocks a directory holds (256 MiB of entries, millions of names).
pub const MAX_DIR_BLOCKS: u64 = 1 << 16;
/// File blocks one step of `write` covers.
pub const STEP_BLOCKS: u64 = 32;
/// Leaves one step of a shrinking `truncate` frees (each may dirty a bitmap block and, in a
/// sparse file, its interior path).
const TRUNC_STEP: usize = 48;
const _: () = assert!(1 + STEP_BLOCKS as usize * 7 + 8 <= STEP_DIRTY && TRUNC_STEP * 5 < STEP_DIRTY);

/// What `mkfs` is asked for.
#[derive(Debug, Clone, Copy)]
pub struct MkfsOptions {
    /// One inode per this many bytes of disk (at least 4096).
    pub bytes_per_inode: u64,
}

impl Default for MkfsOptions {
    fn default() -> MkfsOptions {
        MkfsOptions { bytes_per_inode: 16384 }
    }
}

/// What `stat` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub ino: u32,
    pub kind: Kind,
    pub perm: u16,
    pub nlink: u32,
    pub size: u64,
    pub atime: u64,
    pub mtime: u64,
    pub ctime: u64,
    pub generation: u32,
}

/// What `statfs` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatFs {
    pub block_size: u32,
    /// Blocks in the file system (metadata areas included).
    pub blocks: u64,
    /// Blocks a file could still get (freed blocks become available at the next checkpoint,
    /// which an allocation that needs them forces).
    pub free_blocks: u64,
    pub inodes: u32,
    pub free_inodes: u32,
}

/// Formats `dev` as an empty file system (the root directory only) and flushes.
pub fn mkfs<D: BlockDevice>(dev: &mut D, options: MkfsOptions, now: u64) -> Result<Super, FsError> {
    let sb = Super::geometry(dev.block_count(), options.bytes_per_inode, now)?;
    let zero = [0u8; BLOCK_SIZE];
    // A journal left by an earlier file system must not replay: its first block goes.
    dev.write(sb.journal_start as u64, &zero)?;
    for i in 0..sb.bitmap_len {
        let mut block = [0u8; BLOCK_SIZE];
        let first = i * layout::BITS_PER_BLOCK;
        for bit in 0..layout::BITS_PER_BLOCK {
            let b = first + bit;
            // The fixed areas are used; bits past the end are used too, so no scan finds them.
            if b < sb.data_start || b >= sb.blocks {
                block[(bit / 8) as usize] |= 1 << (bit % 8);
            }
        }
        dev.write((sb.bitmap_start + i) as u64, &block)?;
    }
    for i in 0..sb.itable_len {
        let mut block = [0u8; BLOCK_SIZE];
        if i == ROOT_INO / INODES_PER_BLOCK {
            let root = Inode {
                kind: Some(Kind::Dir),
                perm: 0o755,
                nlink: 1,
                atime: now,
                mtime: now,
                ctime: now,
                parent: ROOT_INO,
                ..Inode::FREE
            };
            root.encode(&mut block, (ROOT_INO % INODES_PER_BLOCK) as usize);
        }
        dev.write((sb.itable_start + i) as u64, &block)?;
    }
    dev.write(0, &sb.encode())?;
    dev.write(1, &zero)?;
    dev.flush()?;
    Ok(sb)
}

impl From<crate::dev::IoError> for FsError {
    fn from(e: crate::dev::IoError) -> FsError {
        FsError::Io(e)
    }
}

impl<D: BlockDevice> Fs<D> {
    /// Mounts the file system on `dev`: picks the newer valid superblock, replays the journal,
    /// frees orphans (inodes with no name left by a crash), counts free blocks and inodes.
    pub fn mount(dev: D, clock: Clock) -> Result<Fs<D>, FsError> {
        Self::mount_inner(dev, clock, false).map(|(fs, _)| fs)
    }

    /// `mount`, or with `clear_bad` (fsck) inodes that do not decode are freed instead of
    /// failing the mount; their numbers are returned (their blocks and names are then fsck's).
    pub(crate) fn mount_inner(mut dev: D, clock: Clock, clear_bad: bool) -> Result<(Fs<D>, Vec<u32>), FsError> {
        let device_blocks = dev.block_count();
        let mut best: Option<Super> = None;
        for slot in 0..SUPER_SLOTS {
            let mut block = [0u8; BLOCK_SIZE];
            dev.read(slot as u64, &mut block)?;
            if let Ok(sb) = Super::decode(&block, device_blocks)
                && best.is_none_or(|b| sb.jseq > b.jseq)
            {
                best = Some(sb);
            }
        }
        let sb = best.ok_or(FsError::Corrupt("no valid superblock"))?;
        let mut fs = Fs {
            dev,
            sb,
            meta: BTreeMap::new(),
            committed: BTreeMap::new(),
            data: BTreeMap::new(),
            jhead: 0,
            seq: sb.jseq,
            pending_free: BTreeSet::new(),
            free_blocks: 0,
            alloc_hint: sb.data_start,
            inode_used: vec![false; sb.inodes as usize + 1],
            free_inodes: 0,
            inode_hint: 0,
            clock,
            failed: false,
            repairing: clear_bad,
            cache_limit: 8192,
            stats: Stats::default(),
        };
        fs.stats.replayed = fs.replay()?;
        fs.free_blocks = fs.count_free_blocks()?;
        let mut orphans = Vec::new();
        let mut bad = Vec::new();
        for i in 0..sb.itable_len {
            let block = fs.meta_read(sb.itable_start + i)?;
            for slot in 0..INODES_PER_BLOCK {
                let ino = i * INODES_PER_BLOCK + slot;
                if ino == 0 || ino > sb.inodes {
                    continue;
                }
                let inode = match Inode::decode(&block, slot as usize) {
                    Ok(inode) => inode,
                    Err(_) if clear_bad => {
                        bad.push(ino);
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                if inode.kind.is_some() {
                    fs.inode_used[ino as usize] = true;
                    if inode.nlink == 0 && ino != ROOT_INO {
                        orphans.push(ino);
                    }
                }
            }
        }
        for &ino in &bad {
            fs.put_inode(ino, &Inode::FREE)?;
        }
        fs.free_inodes = fs.inode_used[1..].iter().filter(|&&used| !used).count() as u32;
        if fs.inode(ROOT_INO)?.kind != Some(Kind::Dir) {
            return Err(FsError::Corrupt("the root inode is not a directory"));
        }
        fs.stats.orphans = orphans.len() as u32;
        for ino in orphans {
            fs.release(ino)?;
        }
        fs.commit()?;
        Ok((fs, bad))
    }

    /// Commits, checkpoints and returns the device: the next mount replays nothing.
    pub fn unmount(mut self) -> Result<D, FsError> {
        self.commit()?;
        self.checkpoint()?;
        Ok(self.dev)
    }

    /// Counters since mount.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The superblock in memory.
    pub fn superblock(&self) -> Super {
        self.sb
    }

    /// Limits the blocks cached in memory (metadata of the running transaction is never dropped).
    pub fn set_cache_limit(&mut self, blocks: usize) {
        self.cache_limit = blocks.max(64);
    }

    fn now(&self) -> u64 {
        (self.clock)()
    }

    /// Inode `ino` if it is in use.
    fn live_inode(&mut self, ino: u32) -> Result<Inode, FsError> {
        self.check_alive()?;
        if ino == 0 || ino > self.sb.inodes || !self.inode_used[ino as usize] {
            return Err(FsError::NotFound);
        }
        self.inode(ino)
    }

    fn dir_inode(&mut self, ino: u32) -> Result<Inode, FsError> {
        let inode = self.live_inode(ino)?;
        if inode.kind == Some(Kind::Dir) { Ok(inode) } else { Err(FsError::NotDir) }
    }

    fn file_inode(&mut self, ino: u32) -> Result<Inode, FsError> {
        let inode = self.live_inode(ino)?;
        if inode.kind == Some(Kind::File) { Ok(inode) } else { Err(FsError::IsDir) }
    }

    // -----------------------------------------------------------------------------------------
    // Directories

    /// A directory's length in blocks (`Corrupt` past [`MAX_DIR_BLOCKS`]: only a damaged inode
    /// says so, and scanning it would not end in reasonable time).
    fn dir_len(dir: &Inode) -> Result<u64, FsError> {
        let blocks = dir.size / BLOCK_SIZE as u64;
        if blocks > MAX_DIR_BLOCKS { Err(FsError::Corrupt("directory size")) } else { Ok(blocks) }
    }

    /// The entries of directory block `index` (a hole reads as empty).
    fn dir_block(&mut self, dir: &mut Inode, index: u64) -> Result<(u32, Vec<DirEntry>), FsError> {
        let b = self.bmap(dir, index, None)?;
        if b == 0 {
            return Ok((0, Vec::new()));
        }
        let data = self.meta_read(b)?;
        Ok((b, parse_dir_block(&data)?))
    }

    fn dir_find(&mut self, dir: &mut Inode, name: &str) -> Result<Option<(u64, DirEntry)>, FsError> {
        for index in 0..Self::dir_len(dir)? {
            let (_, entries) = self.dir_block(dir, index)?;
            if let Some(e) = entries.into_iter().find(|e| e.name == name) {
                return Ok(Some((index, e)));
            }
        }
        Ok(None)
    }

    /// Adds an entry (the name is known to be absent); may grow the directory by a block.
    fn dir_add(&mut self, dir_ino: u32, dir: &mut Inode, entry: DirEntry) -> Result<(), FsError> {
        let blocks = Self::dir_len(dir)?;
        for index in 0..blocks {
            let (b, mut entries) = self.dir_block(dir, index)?;
            if b == 0 {
                continue;
            }
            let used: usize = entries.iter().map(DirEntry::encoded_len).sum();
            if used + entry.encoded_len() <= BLOCK_SIZE {
                entries.push(entry);
                let encoded = encode_dir_block(&entries).expect("checked to fit");
                self.meta_modify(b, |d| *d = encoded)?;
                return self.touch_dir(dir_ino, dir);
            }
        }
        if blocks == MAX_DIR_BLOCKS {
            return Err(FsError::FileTooBig);
        }
        let b = self.bmap(dir, blocks, Some(true))?;
        let encoded = encode_dir_block(&[entry]).expect("one entry fits");
        self.meta_modify(b, |d| *d = encoded)?;
        dir.size += BLOCK_SIZE as u64;
        self.touch_dir(dir_ino, dir)
    }

    /// Removes the entry `name` at block `index`; empty blocks at the end are freed.
    fn dir_remove(&mut self, dir_ino: u32, dir: &mut Inode, index: u64, name: &str) -> Result<(), FsError> {
        let (b, mut entries) = self.dir_block(dir, index)?;
        entries.retain(|e| e.name != name);
        let encoded = encode_dir_block(&entries).expect("fewer entries fit");
        self.meta_modify(b, |d| *d = encoded)?;
        let mut blocks = Self::dir_len(dir)?;
        while blocks > 0 && self.dir_block(dir, blocks - 1)?.1.is_empty() {
            blocks -= 1;
        }
        if blocks < dir.size / BLOCK_SIZE as u64 {
            let mut budget = usize::MAX;
            self.trunc_tree(dir, blocks, &mut budget)?;
            dir.size = blocks * BLOCK_SIZE as u64;
        }
        self.touch_dir(dir_ino, dir)
    }

    fn touch_dir(&mut self, ino: u32, dir: &mut Inode) -> Result<(), FsError> {
        let now = self.now();
        dir.mtime = now;
        dir.ctime = now;
        self.put_inode(ino, dir)
    }

    fn dir_is_empty(&mut self, dir: &mut Inode) -> Result<bool, FsError> {
        for index in 0..Self::dir_len(dir)? {
            if !self.dir_block(dir, index)?.1.is_empty() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The inode `name` names in directory `dir`.
    pub fn lookup(&mut self, dir: u32, name: &str) -> Result<u32, FsError> {
        let mut d = self.dir_inode(dir)?;
        if name == "." {
            return Ok(dir);
        }
        if name == ".." {
            return Ok(d.parent);
        }
        check_name(name)?;
        match self.dir_find(&mut d, name)? {
            Some((_, e)) => Ok(e.ino),
            None => Err(FsError::NotFound),
        }
    }

    /// The inode an absolute or root-relative path names ("/a/b", "a/./b/..").
    pub fn resolve(&mut self, path: &str) -> Result<u32, FsError> {
        let mut ino = ROOT_INO;
        for part in path.split('/').filter(|p| !p.is_empty()) {
            ino = self.lookup(ino, part)?;
        }
        Ok(ino)
    }

    /// The entries of directory `dir`, in on-disk order.
    pub fn readdir(&mut self, dir: u32) -> Result<Vec<DirEntry>, FsError> {
        let mut d = self.dir_inode(dir)?;
        let mut all = Vec::new();
        for index in 0..Self::dir_len(&d)? {
            all.extend(self.dir_block(&mut d, index)?.1);
        }
        Ok(all)
    }

    /// Creates `name` in `dir` as an empty file or directory with permissions `perm`.
    pub fn create(&mut self, dir: u32, name: &str, kind: Kind, perm: u16) -> Result<u32, FsError> {
        let mut d = self.dir_inode(dir)?;
        check_name(name)?;
        if self.dir_find(&mut d, name)?.is_some() {
            return Err(FsError::Exists);
        }
        if self.free_inodes == 0 {
            return Err(FsError::NoInodes);
        }
        self.prepare_step(8)?;
        let ino = self.alloc_inode()?;
        let now = self.now();
        let old = self.inode(ino)?;
        let inode = Inode {
            kind: Some(kind),
            perm,
            nlink: 1,
            atime: now,
            mtime: now,
            ctime: now,
            parent: if kind == Kind::Dir { dir } else { 0 },
            generation: old.generation,
            ..Inode::FREE
        };
        self.put_inode(ino, &inode)?;
        self.dir_add(dir, &mut d, DirEntry { ino, kind, name: String::from(name) })?;
        Ok(ino)
    }

    /// Adds the name `name` in `dir` for file `ino` (a hard link; directories have one name).
    pub fn link(&mut self, ino: u32, dir: u32, name: &str) -> Result<(), FsError> {
        let mut inode = self.file_inode(ino)?;
        let mut d = self.dir_inode(dir)?;
        check_name(name)?;
        if self.dir_find(&mut d, name)?.is_some() {
            return Err(FsError::Exists);
        }
        self.prepare_step(8)?;
        inode.nlink += 1;
        inode.ctime = self.now();
        self.put_inode(ino, &inode)?;
        self.dir_add(dir, &mut d, DirEntry { ino, kind: Kind::File, name: String::from(name) })
    }

    /// Removes the file name `name` from `dir`; the file goes with its last name.
    pub fn unlink(&mut self, dir: u32, name: &str) -> Result<(), FsError> {
        self.remove(dir, name, Kind::File)
    }

    /// Removes the empty directory `name` from `dir`.
    pub fn rmdir(&mut self, dir: u32, name: &str) -> Result<(), FsError> {
        self.remove(dir, name, Kind::Dir)
    }

    fn remove(&mut self, dir: u32, name: &str, kind: Kind) -> Result<(), FsError> {
        let mut d = self.dir_inode(dir)?;
        check_name(name)?;
        let (index, entry) = self.dir_find(&mut d, name)?.ok_or(FsError::NotFound)?;
        let mut inode = self.inode(entry.ino)?;
        match (kind, inode.kind) {
            (Kind::File, Some(Kind::Dir)) => return Err(FsError::IsDir),
            (Kind::Dir, Some(Kind::File)) => return Err(FsError::NotDir),
            (Kind::Dir, _) if !self.dir_is_empty(&mut inode)? => return Err(FsError::NotEmpty),
            _ => {}
        }
        self.prepare_step(0)?;
        self.dir_remove(dir, &mut d, index, name)?;
        self.drop_link(entry.ino, &mut inode)
    }

    /// Takes one name away from `ino`; at zero its blocks and the inode are freed.
    fn drop_link(&mut self, ino: u32, inode: &mut Inode) -> Result<(), FsError> {
        inode.nlink = inode.nlink.saturating_sub(1);
        inode.ctime = self.now();
        self.put_inode(ino, inode)?;
        if inode.nlink == 0 { self.release(ino) } else { Ok(()) }
    }

    /// Frees an inode with no name: its blocks in steps, then the inode.
    fn release(&mut self, ino: u32) -> Result<(), FsError> {
        let mut inode = self.inode(ino)?;
        self.shrink(ino, &mut inode, 0)?;
        self.free_inode(ino)
    }

    /// Renames `src_dir/src_name` to `dst_dir/dst_name`, atomically replacing a file (by a file)
    /// or an empty directory (by a directory) already there.
    pub fn rename(&mut self, src_dir: u32, src_name: &str, dst_dir: u32, dst_name: &str) -> Result<(), FsError> {
        let mut sd = self.dir_inode(src_dir)?;
        self.dir_inode(dst_dir)?;
        check_name(src_name)?;
        check_name(dst_name)?;
        let (src_index, src) = self.dir_find(&mut sd, src_name)?.ok_or(FsError::NotFound)?;
        if src_dir == dst_dir && src_name == dst_name {
            return Ok(());
        }
        if src.kind == Kind::Dir {
            // No directory may move under itself.
            let mut at = dst_dir;
            loop {
                if at == src.ino {
                    return Err(FsError::Invalid);
                }
                if at == ROOT_INO {
                    break;
                }
                at = self.inode(at)?.parent;
            }
        }
        let mut dd = self.dir_inode(dst_dir)?;
        let target = self.dir_find(&mut dd, dst_name)?;
        let mut victim = None;
        if let Some((index, t)) = &target {
            if t.ino == src.ino {
                return Ok(()); // two names of one file: nothing to do
            }
            let mut tinode = self.inode(t.ino)?;
            match (src.kind, t.kind) {
                (Kind::File, Kind::Dir) => return Err(FsError::IsDir),
                (Kind::Dir, Kind::File) => return Err(FsError::NotDir),
                (Kind::Dir, Kind::Dir) if !self.dir_is_empty(&mut tinode)? => return Err(FsError::NotEmpty),
                _ => {}
            }
            victim = Some((*index, t.clone(), tinode));
        }
        self.prepare_step(8)?;
        let now = self.now();
        if let Some((index, t, _)) = &victim {
            self.dir_remove(dst_dir, &mut dd, *index, &t.name)?;
        }
        if src_dir == dst_dir {
            // One inode for both ends: remove then add through the same copy.
            self.dir_remove(src_dir, &mut dd, src_index, src_name)?;
        } else {
            self.dir_remove(src_dir, &mut sd, src_index, src_name)?;
        }
        self.dir_add(dst_dir, &mut dd, DirEntry { ino: src.ino, kind: src.kind, name: String::from(dst_name) })?;
        let mut moved = self.inode(src.ino)?;
        moved.ctime = now;
        if src.kind == Kind::Dir {
            moved.parent = dst_dir;
        }
        self.put_inode(src.ino, &moved)?;
        if let Some((_, t, mut tinode)) = victim {
            self.drop_link(t.ino, &mut tinode)?;
        }
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Files

    /// Reads from `offset` into `buf`; returns the bytes read (0 at or past the end).
    pub fn read(&mut self, ino: u32, offset: u64, buf: &mut [u8]) -> Result<usize, FsError> {
        let mut inode = self.file_inode(ino)?;
        if offset >= inode.size {
            return Ok(0);
        }
        let len = (buf.len() as u64).min(inode.size - offset) as usize;
        let mut done = 0;
        while done < len {
            let pos = offset + done as u64;
            let index = pos / BLOCK_SIZE as u64;
            let within = (pos % BLOCK_SIZE as u64) as usize;
            let n = (BLOCK_SIZE - within).min(len - done);
            let b = self.bmap(&mut inode, index, None)?;
            if b == 0 {
                buf[done..done + n].fill(0);
            } else {
                let data = self.data_read(b)?;
                buf[done..done + n].copy_from_slice(&data[within..within + n]);
            }
            done += n;
        }
        if inode.atime <= inode.mtime {
            // relatime: the access time moves only when it is older than the last change.
            inode.atime = self.now();
            self.put_inode(ino, &inode)?;
        }
        Ok(len)
    }

    /// Zeroes the bytes past the end of the file in its last block, before the file grows
    /// (bytes past the size are not kept zero while the size is smaller; see docs/FS.md).
    fn zero_tail(&mut self, inode: &mut Inode) -> Result<(), FsError> {
        let within = (inode.size % BLOCK_SIZE as u64) as usize;
        if within == 0 {
            return Ok(());
        }
        let b = self.bmap(inode, inode.size / BLOCK_SIZE as u64, None)?;
        if b != 0 {
            let mut data = self.data_read(b)?;
            if data[within..].iter().any(|&x| x != 0) {
                data[within..].fill(0);
                self.data_write(b, &data)?;
            }
        }
        Ok(())
    }

    /// Writes `data` at `offset` (past the end: the gap reads as zeros). Returns the bytes
    /// written: all of them, or, if the disk fills part way, those that fit (`NoSpace` if none).
    pub fn write(&mut self, ino: u32, offset: u64, data: &[u8]) -> Result<usize, FsError> {
        let mut inode = self.file_inode(ino)?;
        if data.is_empty() {
            return Ok(0);
        }
        let end = offset.checked_add(data.len() as u64).ok_or(FsError::FileTooBig)?;
        if end.div_ceil(BLOCK_SIZE as u64) > MAX_FILE_BLOCKS {
            return Err(FsError::FileTooBig);
        }
        if offset > inode.size {
            self.zero_tail(&mut inode)?;
        }
        let bs = BLOCK_SIZE as u64;
        let mut done = 0usize;
        while done < data.len() {
            let pos = offset + done as u64;
            let step_end = ((pos / bs + STEP_BLOCKS) * bs).min(end);
            let step_blocks = step_end.div_ceil(bs) - pos / bs;
            // Room for the step's data blocks and the interior blocks its path may need (at
            // most 12); when the disk is nearly full the step shrinks to what fits.
            let mut step_end = step_end;
            match self.prepare_step(step_blocks + 12) {
                Ok(()) => {}
                Err(FsError::NoSpace) => {
                    let fit = self.available_blocks().saturating_sub(12);
                    if fit == 0 {
                        if done > 0 {
                            break;
                        }
                        return Err(FsError::NoSpace);
                    }
                    step_end = step_end.min((pos / bs + fit) * bs);
                }
                Err(e) => return Err(e),
            }
            while offset + (done as u64) < step_end {
                let pos = offset + done as u64;
                let index = pos / bs;
                let within = (pos % bs) as usize;
                let n = (BLOCK_SIZE - within).min((step_end - pos) as usize);
                let existing = self.bmap(&mut inode, index, None)?;
                let (b, mut buf): (u32, Box<Block>) = if existing == 0 {
                    (self.bmap(&mut inode, index, Some(false))?, Box::new([0u8; BLOCK_SIZE]))
                } else if n == BLOCK_SIZE {
                    (existing, Box::new([0u8; BLOCK_SIZE]))
                } else {
                    let mut old = self.data_read(existing)?;
                    let valid = inode.size.saturating_sub(index * bs).min(bs) as usize;
                    old[valid..].fill(0);
                    (existing, old)
                };
                buf[within..within + n].copy_from_slice(&data[done..done + n]);
                self.data_write(b, &buf)?;
                done += n;
            }
            let now = self.now();
            inode.size = inode.size.max(offset + done as u64);
            inode.mtime = now;
            inode.ctime = now;
            self.put_inode(ino, &inode)?;
        }
        Ok(done)
    }

    /// Appends `data`; returns the offset it was written at.
    pub fn append(&mut self, ino: u32, data: &[u8]) -> Result<u64, FsError> {
        let at = self.file_inode(ino)?.size;
        let written = self.write(ino, at, data)?;
        if written < data.len() {
            return Err(FsError::NoSpace);
        }
        Ok(at)
    }

    /// Sets the size of file `ino`: shrinking frees the blocks past it, growing adds zeros.
    pub fn truncate(&mut self, ino: u32, size: u64) -> Result<(), FsError> {
        let mut inode = self.file_inode(ino)?;
        if size.div_ceil(BLOCK_SIZE as u64) > MAX_FILE_BLOCKS {
            return Err(FsError::FileTooBig);
        }
        if size < inode.size {
            return self.shrink(ino, &mut inode, size);
        }
        self.prepare_step(0)?;
        self.zero_tail(&mut inode)?;
        let now = self.now();
        inode.size = size;
        inode.mtime = now;
        inode.ctime = now;
        self.put_inode(ino, &inode)
    }

    /// Cuts `inode` to `size` from the end down, [`TRUNC_STEP`] leaves per step.
    fn shrink(&mut self, ino: u32, inode: &mut Inode, size: u64) -> Result<(), FsError> {
        let keep = size.div_ceil(BLOCK_SIZE as u64);
        loop {
            self.prepare_step(0)?;
            let mut budget = TRUNC_STEP;
            let lowest = self.trunc_tree(inode, keep, &mut budget)?;
            let finished = budget > 0;
            inode.size = match (finished, lowest) {
                (false, Some(lowest)) => inode.size.min(lowest * BLOCK_SIZE as u64).max(size),
                _ => size.min(inode.size),
            };
            let now = self.now();
            inode.mtime = now;
            inode.ctime = now;
            self.put_inode(ino, inode)?;
            if finished {
                return Ok(());
            }
        }
    }

    /// Sets the access and/or modification time (ns); the change time becomes now.
    pub fn set_times(&mut self, ino: u32, atime: Option<u64>, mtime: Option<u64>) -> Result<(), FsError> {
        let mut inode = self.live_inode(ino)?;
        self.prepare_step(0)?;
        if let Some(t) = atime {
            inode.atime = t;
        }
        if let Some(t) = mtime {
            inode.mtime = t;
        }
        inode.ctime = self.now();
        self.put_inode(ino, &inode)
    }

    /// What `ino` is.
    pub fn stat(&mut self, ino: u32) -> Result<Stat, FsError> {
        let inode = self.live_inode(ino)?;
        Ok(Stat {
            ino,
            kind: inode.kind.expect("live inode has a kind"),
            perm: inode.perm,
            nlink: inode.nlink,
            size: inode.size,
            atime: inode.atime,
            mtime: inode.mtime,
            ctime: inode.ctime,
            generation: inode.generation,
        })
    }

    /// Blocks `ino` occupies (data and interior), for `du`.
    pub fn allocated_blocks(&mut self, ino: u32) -> Result<u64, FsError> {
        let inode = self.live_inode(ino)?;
        let mut count = 0u64;
        self.walk_tree(&inode, &mut |_, _, _level| {
            count += 1;
            Ok(true)
        })?;
        Ok(count)
    }

    /// Makes `ino`'s data and every metadata change so far durable (one commit of the whole
    /// running transaction: the names leading to `ino` are durable too).
    pub fn fsync(&mut self, ino: u32) -> Result<(), FsError> {
        self.live_inode(ino)?;
        self.commit()
    }

    /// Makes everything durable.
    pub fn sync(&mut self) -> Result<(), FsError> {
        self.commit()
    }

    /// Sizes and free space.
    pub fn statfs(&self) -> StatFs {
        StatFs {
            block_size: BLOCK_SIZE as u32,
            blocks: self.sb.blocks as u64,
            free_blocks: self.free_blocks,
            inodes: self.sb.inodes,
            free_inodes: self.free_inodes,
        }
    }
}
