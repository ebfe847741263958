//! A file's block tree: mapping a file block index to a disk block (allocating the path on
//! demand, growing the tree's height), and freeing every block at or past an index, a bounded
//! number per step. Interior (indirect) blocks are metadata; a file's leaves are file data, a
//! directory's leaves are metadata.

use crate::FsError;
use crate::dev::BlockDevice;
use crate::layout::{FANOUT, Inode, ROOTS, ptr_at, set_ptr};
use crate::store::Fs;

/// Blocks covered by one pointer at `height` (FANOUT^height).
pub(crate) fn span(height: u8) -> u64 {
    FANOUT.pow(height as u32)
}

/// Blocks a tree of `height` can map.
pub(crate) fn capacity(height: u8) -> u64 {
    ROOTS as u64 * span(height)
}

/// The largest file, in blocks: every block number fits in 32 bits, so no file needs more.
pub const MAX_FILE_BLOCKS: u64 = 1 << 32;

impl<D: BlockDevice> Fs<D> {
    /// The disk block holding file block `index` of `inode`, 0 for a hole. With `alloc`
    /// (`Some(leaf_is_metadata)`) a hole and any missing interior block are allocated, and the
    /// tree grows as needed; the caller writes `inode` back.
    pub(crate) fn bmap(&mut self, inode: &mut Inode, index: u64, alloc: Option<bool>) -> Result<u32, FsError> {
        if index >= MAX_FILE_BLOCKS {
            return Err(FsError::FileTooBig);
        }
        if index >= capacity(inode.height) {
            if alloc.is_none() {
                return Ok(0);
            }
            while index >= capacity(inode.height) {
                if inode.roots.iter().any(|&r| r != 0) {
                    let node = self.alloc_block(true)?;
                    let roots = inode.roots;
                    self.meta_modify(node, |d| {
                        for (i, &r) in roots.iter().enumerate() {
                            set_ptr(d, i, r);
                        }
                    })?;
                    inode.roots = [0; ROOTS];
                    inode.roots[0] = node;
                }
                inode.height += 1;
            }
        }
        let mut level = inode.height;
        let slot = (index / span(level)) as usize;
        let mut rest = index % span(level);
        let mut node = inode.roots[slot];
        if node == 0 {
            let Some(leaf_meta) = alloc else { return Ok(0) };
            node = self.alloc_block(level > 0 || leaf_meta)?;
            inode.roots[slot] = node;
        }
        while level > 0 {
            level -= 1;
            let child_span = span(level);
            let i = (rest / child_span) as usize;
            rest %= child_span;
            let mut child = ptr_at(&self.meta_load(node)?.data, i);
            if child == 0 {
                let Some(leaf_meta) = alloc else { return Ok(0) };
                child = self.alloc_block(level > 0 || leaf_meta)?;
                self.meta_modify(node, |d| set_ptr(d, i, child))?;
            }
            node = child;
        }
        Ok(node)
    }

    /// Frees mapped blocks of `inode` at file index `keep` and above, from the highest down, at
    /// most `budget` leaves (interior blocks that empty go too). Returns the lowest index freed
    /// (every block still mapped at or past `keep` lies below it), or `None` if nothing was.
    /// Finished when `budget` is left non-zero.
    pub(crate) fn trunc_tree(&mut self, inode: &mut Inode, keep: u64, budget: &mut usize) -> Result<Option<u64>, FsError> {
        let height = inode.height;
        let root_span = span(height);
        let mut lowest = None;
        for slot in (0..ROOTS).rev() {
            let base = slot as u64 * root_span;
            if base + root_span <= keep || *budget == 0 {
                break;
            }
            let ptr = inode.roots[slot];
            if ptr == 0 {
                continue;
            }
            let empty = if height == 0 {
                *budget -= 1;
                lowest = Some(base);
                true
            } else {
                self.trunc_node(ptr, height, base, keep, budget, &mut lowest)?
            };
            if empty {
                self.free_block(ptr)?;
                inode.roots[slot] = 0;
            }
        }
        if inode.roots.iter().all(|&r| r == 0) {
            inode.height = 0;
        }
        Ok(lowest)
    }

    /// `trunc_tree` inside interior block `node` at `level` (>= 1) covering from `base`;
    /// returns whether the node holds no pointer any more (the caller frees it).
    fn trunc_node(
        &mut self,
        node: u32,
        level: u8,
        base: u64,
        keep: u64,
        budget: &mut usize,
        lowest: &mut Option<u64>,
    ) -> Result<bool, FsError> {
        let child_span = span(level - 1);
        for i in (0..FANOUT as usize).rev() {
            let child_base = base + i as u64 * child_span;
            if child_base + child_span <= keep || *budget == 0 {
                break;
            }
            let child = ptr_at(&self.meta_load(node)?.data, i);
            if child == 0 {
                continue;
            }
            let empty = if level == 1 {
                *budget -= 1;
                *lowest = Some(child_base);
                true
            } else {
                self.trunc_node(child, level - 1, child_base, keep, budget, lowest)?
            };
            if empty {
                self.free_block(child)?;
                self.meta_modify(node, |d| set_ptr(d, i, 0))?;
            }
        }
        let data = &self.meta_load(node)?.data;
        Ok((0..FANOUT as usize).all(|i| ptr_at(data, i) == 0))
    }

    /// Calls `f(index, block, level)` for every mapped block of `inode` (level 0: a leaf; an
    /// interior block gets the first index it covers), parents before children; an interior
    /// block is entered only if `f` returns `true` for it. Stops at the first error.
    pub(crate) fn walk_tree(
        &mut self,
        inode: &Inode,
        f: &mut dyn FnMut(u64, u32, u8) -> Result<bool, FsError>,
    ) -> Result<(), FsError> {
        let root_span = span(inode.height);
        for (slot, &ptr) in inode.roots.iter().enumerate() {
            if ptr != 0 {
                self.walk_node(ptr, inode.height, slot as u64 * root_span, f)?;
            }
        }
        Ok(())
    }

    fn walk_node(
        &mut self,
        node: u32,
        level: u8,
        base: u64,
        f: &mut dyn FnMut(u64, u32, u8) -> Result<bool, FsError>,
    ) -> Result<(), FsError> {
        if !f(base, node, level)? || level == 0 {
            return Ok(());
        }
        let data = self.meta_read(node)?;
        let child_span = span(level - 1);
        for i in 0..FANOUT as usize {
            let child = ptr_at(&data, i);
            if child != 0 {
                self.walk_node(child, level - 1, base + i as u64 * child_span, f)?;
            }
        }
        Ok(())
    }
}

impl<D: BlockDevice> Fs<D> {
    /// Clears the pointer to the level-`level` block covering file index `index` (fsck's repair
    /// of a bad or doubly owned pointer; the block itself is not freed).
    pub(crate) fn clear_mapping(&mut self, inode: &mut Inode, index: u64, level: u8) -> Result<(), FsError> {
        let mut at = inode.height;
        let slot = (index / span(at)) as usize;
        if at == level {
            inode.roots[slot] = 0;
            return Ok(());
        }
        let mut node = inode.roots[slot];
        let mut rest = index % span(at);
        while node != 0 && at > level {
            at -= 1;
            let i = (rest / span(at)) as usize;
            rest %= span(at);
            if at == level {
                return self.meta_modify(node, |d| set_ptr(d, i, 0));
            }
            node = ptr_at(&self.meta_load(node)?.data, i);
        }
        Ok(())
    }
}
