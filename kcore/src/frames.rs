//! A bitmap allocator of physical frames (4 KiB pages) over caller-provided storage.
//!
//! Bit `n` set means frame `n` (physical address `n * 4096`) is in use. Everything starts in use;
//! the kernel releases the usable ranges of the memory map. Allocation takes the lowest free frame
//! at or after a hint, skipping whole full words, so a run of allocations is amortized O(1).
//! Invariant: `free` equals the number of clear bits below `frame_count`.
use core::fmt;

/// Why a frame operation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// The frame number is beyond the end of the map.
    OutOfRange(u64),
    /// The frame is already in use.
    NotFree(u64),
    /// The frame was already free.
    DoubleFree(u64),
    /// The storage cannot hold a bit per frame.
    StorageTooSmall { words: usize, needed: usize },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::OutOfRange(n) => write!(f, "frame {n:#x} is beyond physical memory"),
            FrameError::NotFree(n) => write!(f, "frame {n:#x} is already in use"),
            FrameError::DoubleFree(n) => write!(f, "frame {n:#x} freed twice"),
            FrameError::StorageTooSmall { words, needed } => {
                write!(f, "bitmap of {words} words, {needed} needed")
            }
        }
    }
}

/// The frame bitmap.
pub struct FrameAllocator<'a> {
    bits: &'a mut [u64],
    frame_count: u64,
    free: u64,
    hint: usize,
}

impl<'a> FrameAllocator<'a> {
    /// Words of storage needed for `frame_count` frames.
    pub const fn storage_words(frame_count: u64) -> usize {
        frame_count.div_ceil(64) as usize
    }

    /// An allocator with every frame in use.
    pub fn new(storage: &'a mut [u64], frame_count: u64) -> Result<Self, FrameError> {
        let needed = Self::storage_words(frame_count);
        if storage.len() < needed {
            return Err(FrameError::StorageTooSmall { words: storage.len(), needed });
        }
        storage.fill(u64::MAX);
        Ok(FrameAllocator { bits: storage, frame_count, free: 0, hint: 0 })
    }

    /// Marks `[first, first+count)` free; parts beyond the map are ignored.
    pub fn release_range(&mut self, first: u64, count: u64) {
        let end = first.saturating_add(count).min(self.frame_count);
        for frame in first..end {
            if self.set(frame, false) {
                self.free += 1;
            }
        }
        self.hint = 0;
    }

    /// Marks `[first, first+count)` in use; parts beyond the map are ignored.
    pub fn reserve_range(&mut self, first: u64, count: u64) {
        let end = first.saturating_add(count).min(self.frame_count);
        for frame in first..end {
            if !self.set(frame, true) {
                self.free -= 1;
            }
        }
    }

    /// Allocates the lowest free frame.
    pub fn alloc(&mut self) -> Option<u64> {
        for w in self.hint..self.bits.len() {
            if self.bits[w] != u64::MAX {
                let frame = w as u64 * 64 + u64::from((!self.bits[w]).trailing_zeros());
                if frame >= self.frame_count {
                    break;
                }
                self.hint = w;
                self.set(frame, true);
                self.free -= 1;
                return Some(frame);
            }
        }
        None
    }

    /// Allocates one specific frame.
    pub fn alloc_at(&mut self, frame: u64) -> Result<(), FrameError> {
        self.check(frame)?;
        if self.is_used(frame) {
            return Err(FrameError::NotFree(frame));
        }
        self.set(frame, true);
        self.free -= 1;
        Ok(())
    }

    /// Allocates `count` contiguous frames whose first frame is a multiple of `align` (a power of
    /// two, in frames).
    pub fn alloc_contiguous(&mut self, count: u64, align: u64) -> Option<u64> {
        if count == 0 || !align.is_power_of_two() {
            return None;
        }
        let mut start = 0u64;
        while start.checked_add(count)? <= self.frame_count {
            match (start..start + count).find(|&f| self.is_used(f)) {
                None => {
                    for f in start..start + count {
                        self.set(f, true);
                    }
                    self.free -= count;
                    return Some(start);
                }
                Some(used) => start = (used + 1).next_multiple_of(align),
            }
        }
        None
    }

    /// Frees a frame.
    pub fn free(&mut self, frame: u64) -> Result<(), FrameError> {
        self.check(frame)?;
        if !self.is_used(frame) {
            return Err(FrameError::DoubleFree(frame));
        }
        self.set(frame, false);
        self.free += 1;
        self.hint = self.hint.min((frame / 64) as usize);
        Ok(())
    }

    pub fn is_free(&self, frame: u64) -> bool {
        frame < self.frame_count && !self.is_used(frame)
    }

    pub fn free_count(&self) -> u64 {
        self.free
    }

    pub fn frame_count(&self) -> u64 {
        self.frame_count
    }

    fn check(&self, frame: u64) -> Result<(), FrameError> {
        if frame < self.frame_count { Ok(()) } else { Err(FrameError::OutOfRange(frame)) }
    }

    fn is_used(&self, frame: u64) -> bool {
        self.bits[(frame / 64) as usize] & (1 << (frame % 64)) != 0
    }

    /// Sets a frame's bit; returns whether it was set before.
    fn set(&mut self, frame: u64, used: bool) -> bool {
        let (word, bit) = ((frame / 64) as usize, 1u64 << (frame % 64));
        let was = self.bits[word] & bit != 0;
        if used { self.bits[word] |= bit } else { self.bits[word] &= !bit }
        was
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_first_and_bookkeeping() {
        let mut storage = [0u64; 4];
        let mut f = FrameAllocator::new(&mut storage, 200).unwrap();
        assert_eq!(f.alloc(), None);
        f.release_range(10, 100);
        f.release_range(190, 100); // clipped at 200
        assert_eq!(f.free_count(), 110);
        assert_eq!(f.alloc(), Some(10));
        assert_eq!(f.alloc(), Some(11));
        f.reserve_range(12, 3);
        assert_eq!(f.alloc(), Some(15));
        assert_eq!(f.free_count(), 110 - 6);
        assert_eq!(f.free(11), Ok(()));
        assert_eq!(f.alloc(), Some(11));
    }

    #[test]
    fn refusals() {
        let mut storage = [0u64; 1];
        assert!(matches!(FrameAllocator::new(&mut storage, 65), Err(FrameError::StorageTooSmall { .. })));
        let mut f = FrameAllocator::new(&mut storage, 64).unwrap();
        f.release_range(0, 64);
        assert_eq!(f.free(3), Err(FrameError::DoubleFree(3)));
        assert_eq!(f.free(64), Err(FrameError::OutOfRange(64)));
        assert_eq!(f.alloc_at(5), Ok(()));
        assert_eq!(f.alloc_at(5), Err(FrameError::NotFree(5)));
        assert_eq!(f.alloc_at(99), Err(FrameError::OutOfRange(99)));
        for _ in 0..63 {
            assert!(f.alloc().is_some());
        }
        assert_eq!(f.alloc(), None, "exhausted");
        assert_eq!(f.free_count(), 0);
    }

    #[test]
    fn contiguous_respects_alignment_and_holes() {
        let mut storage = [0u64; 2];
        let mut f = FrameAllocator::new(&mut storage, 128).unwrap();
        f.release_range(0, 128);
        f.alloc_at(3).unwrap();
        assert_eq!(f.alloc_contiguous(8, 8), Some(8));
        assert_eq!(f.alloc_contiguous(4, 1), Some(4), "fits in the hole between 3 and 8");
        assert_eq!(f.alloc_contiguous(200, 1), None);
        assert_eq!(f.free_count(), 128 - 13);
        assert!(!f.is_free(8) && f.is_free(0));
    }

    #[test]
    fn matches_a_model() {
        let mut storage = [0u64; 5];
        let mut f = FrameAllocator::new(&mut storage, 300).unwrap();
        f.release_range(0, 300);
        let mut used = [false; 300];
        let mut seed = 7u64;
        for _ in 0..5000 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let frame = (seed >> 33) % 300;
            if seed & 1 == 0 {
                assert_eq!(f.free(frame).is_ok(), used[frame as usize]);
                used[frame as usize] = false;
            } else if let Some(n) = f.alloc() {
                assert!(!used[n as usize]);
                assert_eq!(used.iter().position(|u| !u), Some(n as usize), "lowest first");
                used[n as usize] = true;
            }
            assert_eq!(f.free_count(), used.iter().filter(|u| !**u).count() as u64);
        }
    }
}
