//! The block device contract both the file system and the kernel map are written against, and
//! [`Region`], a device made of a contiguous range of another (a root's extent).
//!
//! The contract is the one of a disk with a volatile write cache and no FUA (virtio-blk):
//! - blocks are [`BLOCK_SIZE`] bytes and a write of one block is atomic (old or new content);
//! - a write that returned may still be lost by a power failure, in any subset and any order
//!   with other such writes, until a [`BlockDevice::flush`] issued after it returns `Ok`;
//! - `flush` is the only ordering primitive: everything written before it is durable when it
//!   returns, nothing written after it is ordered against anything.
//!
//! An error from any call leaves the device's state unknown; the callers stop using it.

/// Bytes per block (the page size: a block is transferred to and from one page).
pub const BLOCK_SIZE: usize = 4096;

/// One block's bytes.
pub type Block = [u8; BLOCK_SIZE];

/// Why a device call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoError {
    /// The device reported an error (or the machine is going down).
    Device,
    /// The block number is past the end of the device.
    OutOfRange,
}

/// A disk of `block_count` blocks with a volatile write cache (see the module doc).
pub trait BlockDevice {
    /// How many blocks the device holds.
    fn block_count(&self) -> u64;
    /// Reads block `block` into `buf`.
    fn read(&mut self, block: u64, buf: &mut Block) -> Result<(), IoError>;
    /// Writes `buf` to block `block` (volatile until a later flush returns).
    fn write(&mut self, block: u64, buf: &Block) -> Result<(), IoError>;
    /// Makes every write that returned before this call durable.
    fn flush(&mut self) -> Result<(), IoError>;
}

impl<D: BlockDevice + ?Sized> BlockDevice for &mut D {
    fn block_count(&self) -> u64 {
        (**self).block_count()
    }
    fn read(&mut self, block: u64, buf: &mut Block) -> Result<(), IoError> {
        (**self).read(block, buf)
    }
    fn write(&mut self, block: u64, buf: &Block) -> Result<(), IoError> {
        (**self).write(block, buf)
    }
    fn flush(&mut self) -> Result<(), IoError> {
        (**self).flush()
    }
}

/// Blocks `start .. start + len` of `inner`, numbered from 0: the view a library file system has
/// of the extent its root owns. Requests outside the range fail with `OutOfRange`.
pub struct Region<D> {
    inner: D,
    start: u64,
    len: u64,
}

impl<D: BlockDevice> Region<D> {
    /// The region, or `OutOfRange` if it does not lie inside `inner`.
    pub fn new(inner: D, start: u64, len: u64) -> Result<Region<D>, IoError> {
        match start.checked_add(len) {
            Some(end) if end <= inner.block_count() => Ok(Region { inner, start, len }),
            _ => Err(IoError::OutOfRange),
        }
    }

    /// The device underneath.
    pub fn into_inner(self) -> D {
        self.inner
    }

    fn map(&self, block: u64) -> Result<u64, IoError> {
        if block < self.len { Ok(self.start + block) } else { Err(IoError::OutOfRange) }
    }
}

impl<D: BlockDevice> BlockDevice for Region<D> {
    fn block_count(&self) -> u64 {
        self.len
    }
    fn read(&mut self, block: u64, buf: &mut Block) -> Result<(), IoError> {
        let at = self.map(block)?;
        self.inner.read(at, buf)
    }
    fn write(&mut self, block: u64, buf: &Block) -> Result<(), IoError> {
        let at = self.map(block)?;
        self.inner.write(at, buf)
    }
    fn flush(&mut self) -> Result<(), IoError> {
        self.inner.flush()
    }
}

/// A device held in memory with no volatile cache (every write is durable at once): for unit
/// tests and for formatting an image on the host before writing it out.
pub struct MemDevice {
    blocks: alloc::vec::Vec<alloc::boxed::Box<Block>>,
}

impl MemDevice {
    /// `count` zeroed blocks.
    pub fn new(count: usize) -> MemDevice {
        MemDevice { blocks: (0..count).map(|_| alloc::boxed::Box::new([0u8; BLOCK_SIZE])).collect() }
    }

    /// Block `block`'s bytes.
    pub fn block(&self, block: usize) -> &Block {
        &self.blocks[block]
    }
}

impl BlockDevice for MemDevice {
    fn block_count(&self) -> u64 {
        self.blocks.len() as u64
    }
    fn read(&mut self, block: u64, buf: &mut Block) -> Result<(), IoError> {
        let source = self.blocks.get(block as usize).ok_or(IoError::OutOfRange)?;
        buf.copy_from_slice(&source[..]);
        Ok(())
    }
    fn write(&mut self, block: u64, buf: &Block) -> Result<(), IoError> {
        let target = self.blocks.get_mut(block as usize).ok_or(IoError::OutOfRange)?;
        target.copy_from_slice(buf);
        Ok(())
    }
    fn flush(&mut self) -> Result<(), IoError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_maps_and_bounds_its_blocks() {
        let mut disk = MemDevice::new(10);
        assert_eq!(Region::new(&mut disk, 8, 3).err(), Some(IoError::OutOfRange));
        let mut region = Region::new(&mut disk, 4, 3).unwrap();
        assert_eq!(region.block_count(), 3);
        region.write(2, &[7u8; BLOCK_SIZE]).unwrap();
        assert_eq!(region.write(3, &[7u8; BLOCK_SIZE]), Err(IoError::OutOfRange));
        let mut buf = [0u8; BLOCK_SIZE];
        assert_eq!(region.read(u64::MAX, &mut buf), Err(IoError::OutOfRange));
        assert_eq!(disk.block(6)[0], 7);
        assert_eq!(disk.block(7)[0], 0);
    }
}
