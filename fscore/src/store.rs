//! The file system's block store: the metadata cache, the redo journal (commit, replay,
//! checkpoint), the block bitmap allocator and the inode table. Everything above (`tree`, `fs`,
//! `fsck`) changes metadata only through [`Fs::meta_modify`], so every change lands in the running
//! transaction, and writes file data only through [`Fs::data_write`].
//!
//! Transactions (docs/FS.md, "Crash safety"): metadata blocks changed since the last commit are
//! *dirty*. A commit (fsync, sync, or a full transaction) (1) writes the descriptor and the dirty
//! images into the journal after the previous transaction, (2) flushes, which also makes every
//! file data block written so far durable (data reaches its home before any commit that points at
//! it: ordered data), (3) writes the commit block, whose checksum covers descriptor and images,
//! (4) flushes. The images then wait in memory (`committed`) until a checkpoint writes them home,
//! flushes, and raises the superblock's `jseq` so the journal starts over. Blocks freed since the
//! last checkpoint are not reused before it (a replay could otherwise write an old metadata image
//! over their new contents, and a crash before the freeing commit would leave two owners).

use crate::crc::{crc32c, crc32c_update};
use crate::dev::{BLOCK_SIZE, Block, BlockDevice};
use crate::layout::{self, BITS_PER_BLOCK, INODES_PER_BLOCK, Inode, JDESC_ENTRIES, JournalDesc, SUPER_SLOTS, Super};
use crate::{FsError, Stats};
use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

/// A cached metadata block.
pub(crate) struct MetaBuf {
    pub data: Box<Block>,
    pub dirty: bool,
}

/// The source of timestamps (nanoseconds since the epoch).
pub type Clock = Box<dyn Fn() -> u64>;

/// A mounted file system over the device `D`.
pub struct Fs<D: BlockDevice> {
    pub(crate) dev: D,
    pub(crate) sb: Super,
    /// Metadata blocks in memory: the dirty ones (the running transaction) and clean copies.
    pub(crate) meta: BTreeMap<u32, MetaBuf>,
    /// The newest committed image of each block not yet written home (checkpoint pending).
    pub(crate) committed: BTreeMap<u32, Box<Block>>,
    /// Clean copies of file data blocks.
    pub(crate) data: BTreeMap<u32, Box<Block>>,
    /// The journal block the next transaction starts at (relative to the journal).
    pub(crate) jhead: u32,
    /// The next transaction's sequence number.
    pub(crate) seq: u64,
    /// Blocks freed since the last checkpoint: free in the bitmap, not yet reusable.
    pub(crate) pending_free: BTreeSet<u32>,
    /// Clear bits in the bitmap (pending ones included).
    pub(crate) free_blocks: u64,
    pub(crate) alloc_hint: u32,
    /// Which inode numbers are in use (index = inode number).
    pub(crate) inode_used: Vec<bool>,
    pub(crate) free_inodes: u32,
    pub(crate) inode_hint: u32,
    pub(crate) clock: Clock,
    /// Set by an I/O error: the in-memory state no longer matches what the disk will recover to.
    pub(crate) failed: bool,
    /// fsck is at work: freeing a block the (damaged) bitmap calls free is not an error.
    pub(crate) repairing: bool,
    /// Clean cached blocks kept (metadata and data together) before eviction.
    pub(crate) cache_limit: usize,
    pub(crate) stats: Stats,
}

/// Dirty metadata blocks past which the running transaction is committed between operations.
/// An operation step dirties at most [`STEP_DIRTY`] blocks, so a transaction never exceeds
/// `COMMIT_AT + STEP_DIRTY` blocks, which fits one descriptor and the smallest journal.
pub(crate) const COMMIT_AT: usize = 384;
/// The most metadata blocks one step of an operation dirties (see `fs.rs`, `STEP_BLOCKS`).
pub(crate) const STEP_DIRTY: usize = 256;
const _: () = assert!(COMMIT_AT + STEP_DIRTY + 2 <= JDESC_ENTRIES && COMMIT_AT + STEP_DIRTY + 2 <= 1024);

impl<D: BlockDevice> Fs<D> {
    /// Reads block `b` from the device into a fresh buffer.
    pub(crate) fn dev_read(&mut self, b: u32) -> Result<Box<Block>, FsError> {
        let mut buf = Box::new([0u8; BLOCK_SIZE]);
        self.stats.reads += 1;
        self.dev.read(b as u64, &mut buf).map_err(|e| self.io_failed(e))?;
        Ok(buf)
    }

    pub(crate) fn dev_write(&mut self, b: u32, buf: &Block) -> Result<(), FsError> {
        self.stats.writes += 1;
        self.dev.write(b as u64, buf).map_err(|e| self.io_failed(e))
    }

    pub(crate) fn dev_flush(&mut self) -> Result<(), FsError> {
        self.stats.flushes += 1;
        self.dev.flush().map_err(|e| self.io_failed(e))
    }

    fn io_failed(&mut self, e: crate::dev::IoError) -> FsError {
        self.failed = true;
        FsError::Io(e)
    }

    /// Fails with `Poisoned` once an I/O error has been seen.
    pub(crate) fn check_alive(&self) -> Result<(), FsError> {
        if self.failed { Err(FsError::Poisoned) } else { Ok(()) }
    }

    // -----------------------------------------------------------------------------------------
    // Metadata cache

    /// Loads metadata block `b` (newest version: running transaction, committed, then home).
    pub(crate) fn meta_load(&mut self, b: u32) -> Result<&mut MetaBuf, FsError> {
        if b >= self.sb.blocks {
            return Err(FsError::Corrupt("block pointer past the end"));
        }
        if !self.meta.contains_key(&b) {
            let data = match self.committed.get(&b) {
                Some(image) => image.clone(),
                None => self.dev_read(b)?,
            };
            self.evict_clean();
            self.meta.insert(b, MetaBuf { data, dirty: false });
        }
        Ok(self.meta.get_mut(&b).expect("just loaded"))
    }

    /// A copy of metadata block `b`.
    pub(crate) fn meta_read(&mut self, b: u32) -> Result<Box<Block>, FsError> {
        Ok(self.meta_load(b)?.data.clone())
    }

    /// Changes metadata block `b` inside the running transaction.
    pub(crate) fn meta_modify<R>(&mut self, b: u32, f: impl FnOnce(&mut Block) -> R) -> Result<R, FsError> {
        let buf = self.meta_load(b)?;
        buf.dirty = true;
        Ok(f(&mut buf.data))
    }

    /// Starts metadata block `b` (just allocated) as zeros in the running transaction.
    pub(crate) fn meta_new(&mut self, b: u32) {
        self.meta.insert(b, MetaBuf { data: Box::new([0u8; BLOCK_SIZE]), dirty: true });
    }

    pub(crate) fn dirty_count(&self) -> usize {
        self.meta.values().filter(|m| m.dirty).count()
    }

    /// Drops clean cached blocks while more than `cache_limit` are held.
    fn evict_clean(&mut self) {
        while self.meta.len() + self.data.len() >= self.cache_limit {
            if let Some((&b, _)) = self.data.iter().next() {
                self.data.remove(&b);
                continue;
            }
            let clean = self.meta.iter().find(|(_, m)| !m.dirty).map(|(&b, _)| b);
            match clean {
                Some(b) => {
                    self.meta.remove(&b);
                }
                None => return, // everything left is dirty: the transaction bound caps this
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // File data

    /// File data block `b`'s content.
    pub(crate) fn data_read(&mut self, b: u32) -> Result<Box<Block>, FsError> {
        if b < self.sb.data_start || b >= self.sb.blocks {
            return Err(FsError::Corrupt("data block pointer outside the data area"));
        }
        if let Some(buf) = self.data.get(&b) {
            return Ok(buf.clone());
        }
        let buf = self.dev_read(b)?;
        self.evict_clean();
        self.data.insert(b, buf.clone());
        Ok(buf)
    }

    /// Writes file data block `b` home now (it is durable by the next commit's first flush).
    pub(crate) fn data_write(&mut self, b: u32, buf: &Block) -> Result<(), FsError> {
        self.dev_write(b, buf)?;
        self.evict_clean();
        self.data.insert(b, Box::new(*buf));
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Journal

    /// Commits the running transaction (see the module doc); with nothing dirty it only flushes,
    /// which still makes written file data durable.
    pub(crate) fn commit(&mut self) -> Result<(), FsError> {
        self.check_alive()?;
        let dirty: Vec<u32> = self.meta.iter().filter(|(_, m)| m.dirty).map(|(&b, _)| b).collect();
        if dirty.is_empty() {
            return self.dev_flush();
        }
        let count = dirty.len() as u32;
        if self.jhead + count + 2 > self.sb.journal_len {
            self.checkpoint()?;
        }
        let seq = self.seq;
        let desc = JournalDesc { seq, homes: dirty.clone() }.encode();
        let base = self.sb.journal_start + self.jhead;
        self.dev_write(base, &desc)?;
        let mut crc = crc32c(&desc);
        for (i, &b) in dirty.iter().enumerate() {
            let image = self.meta[&b].data.clone();
            crc = crc32c_update(crc, &image[..]);
            self.dev_write(base + 1 + i as u32, &image)?;
        }
        self.dev_flush()?;
        let now = (self.clock)();
        self.dev_write(base + 1 + count, &layout::encode_commit(seq, count, crc, now))?;
        self.dev_flush()?;
        for b in dirty {
            let buf = self.meta.get_mut(&b).expect("dirty block is cached");
            buf.dirty = false;
            self.committed.insert(b, buf.data.clone());
        }
        self.jhead += count + 2;
        self.seq += 1;
        self.stats.commits += 1;
        Ok(())
    }

    /// Writes every committed image home, flushes, then records in the superblock that the
    /// journal starts over at the next sequence number, and flushes again. Blocks freed before
    /// it become reusable.
    pub(crate) fn checkpoint(&mut self) -> Result<(), FsError> {
        let images = core::mem::take(&mut self.committed);
        for (b, image) in &images {
            self.dev_write(*b, image)?;
        }
        self.dev_flush()?;
        self.sb.jseq = self.seq;
        let slot = (self.sb.jseq % SUPER_SLOTS as u64) as u32;
        self.dev_write(slot, &self.sb.encode())?;
        self.dev_flush()?;
        self.jhead = 0;
        self.pending_free.clear();
        self.stats.checkpoints += 1;
        Ok(())
    }

    /// Replays the committed transactions the journal holds (at mount), then checkpoints.
    /// Returns how many were replayed.
    pub(crate) fn replay(&mut self) -> Result<u32, FsError> {
        let mut pos = 0u32;
        let mut seq = self.sb.jseq;
        let mut replayed = 0;
        loop {
            if pos + 3 > self.sb.journal_len {
                break;
            }
            let base = self.sb.journal_start + pos;
            let desc_block = self.dev_read(base)?;
            let Some(desc) = JournalDesc::decode(&desc_block, seq) else { break };
            let count = desc.homes.len() as u32;
            if pos + count + 2 > self.sb.journal_len {
                break;
            }
            let mut crc = crc32c(&desc_block[..]);
            let mut images = Vec::with_capacity(desc.homes.len());
            for i in 0..count {
                let image = self.dev_read(base + 1 + i)?;
                crc = crc32c_update(crc, &image[..]);
                images.push(image);
            }
            let commit = self.dev_read(base + 1 + count)?;
            if !layout::commit_matches(&commit, seq, count, crc) {
                break;
            }
            if desc.homes.iter().any(|&h| h < self.sb.bitmap_start || h >= self.sb.blocks) {
                return Err(FsError::Corrupt("journal names a block outside the metadata and data areas"));
            }
            for (home, image) in desc.homes.into_iter().zip(images) {
                self.committed.insert(home, image);
            }
            pos += count + 2;
            seq += 1;
            replayed += 1;
        }
        self.seq = seq;
        if replayed > 0 {
            self.checkpoint()?;
        }
        Ok(replayed)
    }

    // -----------------------------------------------------------------------------------------
    // Blocks

    fn bitmap_pos(&self, b: u32) -> (u32, usize, u8) {
        let block = self.sb.bitmap_start + b / BITS_PER_BLOCK;
        let bit = (b % BITS_PER_BLOCK) as usize;
        (block, bit / 8, 1u8 << (bit % 8))
    }

    /// Whether block `b` is marked used in the bitmap.
    pub(crate) fn block_used(&mut self, b: u32) -> Result<bool, FsError> {
        let (block, byte, mask) = self.bitmap_pos(b);
        Ok(self.meta_load(block)?.data[byte] & mask != 0)
    }

    pub(crate) fn set_block_used(&mut self, b: u32, used: bool) -> Result<(), FsError> {
        let (block, byte, mask) = self.bitmap_pos(b);
        self.meta_modify(block, |d| if used { d[byte] |= mask } else { d[byte] &= !mask })
    }

    /// Blocks that can be allocated now.
    pub(crate) fn available_blocks(&self) -> u64 {
        self.free_blocks - self.pending_free.len() as u64
    }

    /// Allocates a block in the data area; a metadata block starts as zeros in the transaction.
    pub(crate) fn alloc_block(&mut self, meta: bool) -> Result<u32, FsError> {
        if self.available_blocks() == 0 {
            return Err(FsError::NoSpace);
        }
        let (start, end) = (self.sb.data_start, self.sb.blocks);
        let span = end - start;
        let first = self.alloc_hint.clamp(start, end - 1) - start;
        let mut scanned = 0u32;
        while scanned < span {
            let b = start + (first + scanned) % span;
            let (block, byte, mask) = self.bitmap_pos(b);
            let bits = self.meta_load(block)?.data[byte];
            if bits == 0xff {
                // The rest of this byte is in use: skip to the next byte (or the area's end).
                scanned += (8 - b % 8).min(end - b);
                continue;
            }
            if bits & mask == 0 && !self.pending_free.contains(&b) {
                self.set_block_used(b, true)?;
                self.free_blocks -= 1;
                self.alloc_hint = b + 1;
                self.data.remove(&b);
                self.meta.remove(&b);
                if meta {
                    self.meta_new(b);
                }
                return Ok(b);
            }
            scanned += 1;
        }
        Err(FsError::NoSpace)
    }

    /// Frees block `b` (reusable after the next checkpoint).
    pub(crate) fn free_block(&mut self, b: u32) -> Result<(), FsError> {
        if b < self.sb.data_start || b >= self.sb.blocks {
            return Err(FsError::Corrupt("freeing a block outside the data area"));
        }
        if !self.block_used(b)? {
            if self.repairing {
                // fsck: the bitmap is rebuilt from the owners at the end.
                return Ok(());
            }
            return Err(FsError::Corrupt("freeing a block that is not in use"));
        }
        self.set_block_used(b, false)?;
        self.free_blocks += 1;
        self.pending_free.insert(b);
        self.meta.remove(&b);
        self.data.remove(&b);
        Ok(())
    }

    /// Counts the clear bits of the bitmap (at mount).
    pub(crate) fn count_free_blocks(&mut self) -> Result<u64, FsError> {
        let mut free = 0u64;
        for i in 0..self.sb.bitmap_len {
            let block = self.meta_read(self.sb.bitmap_start + i)?;
            let first = i * BITS_PER_BLOCK;
            let bits = BITS_PER_BLOCK.min(self.sb.blocks - first);
            let whole = (bits / 8) as usize;
            free += block[..whole].iter().map(|byte| byte.count_zeros() as u64).sum::<u64>();
            for bit in whole as u32 * 8..bits {
                if block[(bit / 8) as usize] & (1 << (bit % 8)) == 0 {
                    free += 1;
                }
            }
        }
        Ok(free)
    }

    // -----------------------------------------------------------------------------------------
    // Inodes

    fn inode_pos(&self, ino: u32) -> Result<(u32, usize), FsError> {
        if ino == 0 || ino > self.sb.inodes {
            return Err(FsError::Corrupt("inode number out of range"));
        }
        Ok((self.sb.itable_start + ino / INODES_PER_BLOCK, (ino % INODES_PER_BLOCK) as usize))
    }

    /// Reads inode `ino`.
    pub(crate) fn inode(&mut self, ino: u32) -> Result<Inode, FsError> {
        let (block, slot) = self.inode_pos(ino)?;
        Inode::decode(&self.meta_load(block)?.data, slot)
    }

    /// Writes inode `ino` (in the running transaction).
    pub(crate) fn put_inode(&mut self, ino: u32, inode: &Inode) -> Result<(), FsError> {
        let (block, slot) = self.inode_pos(ino)?;
        self.meta_modify(block, |d| inode.encode(d, slot))
    }

    /// A free inode number, marked used in memory (the caller writes the inode).
    pub(crate) fn alloc_inode(&mut self) -> Result<u32, FsError> {
        if self.free_inodes == 0 {
            return Err(FsError::NoInodes);
        }
        let count = self.sb.inodes;
        for k in 0..count {
            let ino = 1 + (self.inode_hint + k) % count;
            if !self.inode_used[ino as usize] {
                self.inode_used[ino as usize] = true;
                self.free_inodes -= 1;
                self.inode_hint = ino;
                return Ok(ino);
            }
        }
        Err(FsError::NoInodes)
    }

    /// Frees inode `ino` (its blocks are already freed).
    pub(crate) fn free_inode(&mut self, ino: u32) -> Result<(), FsError> {
        let old = self.inode(ino)?;
        let freed = Inode { generation: old.generation.wrapping_add(1), ..Inode::FREE };
        self.put_inode(ino, &freed)?;
        if self.inode_used[ino as usize] {
            self.inode_used[ino as usize] = false;
            self.free_inodes += 1;
        }
        Ok(())
    }

    /// Commits the running transaction if it has grown past [`COMMIT_AT`], and makes sure `need`
    /// blocks can be allocated by the coming step (checkpointing to release blocks freed since
    /// the last one if that helps). Called between atomic steps only.
    pub(crate) fn prepare_step(&mut self, need: u64) -> Result<(), FsError> {
        self.check_alive()?;
        if self.dirty_count() >= COMMIT_AT {
            self.commit()?;
        }
        if self.available_blocks() < need && !self.pending_free.is_empty() {
            self.commit()?;
            self.checkpoint()?;
        }
        if self.available_blocks() < need { Err(FsError::NoSpace) } else { Ok(()) }
    }
}
