//! A bitmap allocator of physical frames (4 KiB pages) over caller-provided storage.
//!
//! Frame `n` is the page at physical address `n * 4096`; bit `n % 64` of word `n / 64` set means
//! it is in use. Everything starts in use, and the kernel releases the usable ranges of the memory
//! map. Allocation takes the lowest free frame, starting from a hint word and skipping full
//! words, so a run of allocations is amortized O(1). The allocator needs no heap.
//!
//! Invariants: `free` equals the number of clear bits below `frame_count`; bits at and above
//! `frame_count` stay set; every word below `hint` is full.
use core::fmt;

const FRAME_SIZE: u64 = 4096;

/// Why a frame operation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// The frame number is at or beyond the end of the map.
    OutOfRange(u64),
    /// The frame is already in use.
    NotFree(u64),
    /// The frame was already free.
    DoubleFree(u64),
    /// The storage cannot hold a bit per frame.
    StorageTooSmall { words: usize, needed: usize, frame_count: u64 },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FrameError::OutOfRange(frame) => {
                write!(f, "frame {frame:#x} (address {:#x}) is beyond the end of the frame map", address(frame))
            }
            FrameError::NotFree(frame) => {
                write!(f, "frame {frame:#x} (address {:#x}) is already in use", address(frame))
            }
            FrameError::DoubleFree(frame) => {
                write!(f, "frame {frame:#x} (address {:#x}) freed but already free", address(frame))
            }
            FrameError::StorageTooSmall { words, needed, frame_count } => write!(
                f,
                "frame bitmap of {words:#x} words is too small for {frame_count:#x} frames ({needed:#x} words needed)"
            ),
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

    /// An allocator of `frame_count` frames kept in `storage`, every frame in use.
    pub fn new(storage: &'a mut [u64], frame_count: u64) -> Result<Self, FrameError> {
        let needed = Self::storage_words(frame_count);
        if (storage.len() as u64) < frame_count.div_ceil(64) {
            return Err(FrameError::StorageTooSmall { words: storage.len(), needed, frame_count });
        }
        storage.fill(u64::MAX);
        Ok(FrameAllocator { bits: storage, frame_count, free: 0, hint: 0 })
    }

    /// Marks `[first, first + count)` free; the parts beyond the map are ignored.
    pub fn release_range(&mut self, first: u64, count: u64) {
        let (start, end) = self.clip(first, count);
        self.free += self.update_range(start, end, false);
        self.hint = self.hint.min(word_index(start));
    }

    /// Marks `[first, first + count)` in use; the parts beyond the map are ignored.
    pub fn reserve_range(&mut self, first: u64, count: u64) {
        let (start, end) = self.clip(first, count);
        self.free -= self.update_range(start, end, true);
    }

    /// Allocates the lowest-numbered free frame, or `None` if every frame is in use.
    pub fn alloc(&mut self) -> Option<u64> {
        let word = (self.hint..self.bits.len()).find(|&w| self.bits[w] != u64::MAX);
        self.hint = word.unwrap_or(self.bits.len());
        let word = word?;
        let frame = word as u64 * 64 + u64::from(self.bits[word].trailing_ones());
        // Bits past `frame_count` stay set, so a clear bit is always a frame of the map.
        self.take(frame);
        Some(frame)
    }

    /// Allocates the given frame.
    pub fn alloc_at(&mut self, frame: u64) -> Result<(), FrameError> {
        self.check(frame)?;
        if self.is_used(frame) {
            return Err(FrameError::NotFree(frame));
        }
        self.take(frame);
        Ok(())
    }

    /// Allocates `count` contiguous frames, the first a multiple of `align` (a power of two, in
    /// frames), and returns the first. `None` if `count` is 0, `align` is not a power of two, or no
    /// such run is free.
    pub fn alloc_contiguous(&mut self, count: u64, align: u64) -> Option<u64> {
        if count == 0 || !align.is_power_of_two() {
            return None;
        }
        let mut start = (self.hint as u64 * 64).checked_next_multiple_of(align)?;
        while start.checked_add(count)? <= self.frame_count {
            match (start..start + count).rfind(|&frame| self.is_used(frame)) {
                None => {
                    self.reserve_range(start, count);
                    return Some(start);
                }
                Some(used) => start = (used + 1).checked_next_multiple_of(align)?,
            }
        }
        None
    }

    /// Frees an allocated frame.
    pub fn free(&mut self, frame: u64) -> Result<(), FrameError> {
        self.check(frame)?;
        if !self.is_used(frame) {
            return Err(FrameError::DoubleFree(frame));
        }
        self.bits[word_index(frame)] &= !bit(frame);
        self.free += 1;
        self.hint = self.hint.min(word_index(frame));
        Ok(())
    }

    /// Frees the allocated frames `[first, first + count)` (an extent), all or none: every one must
    /// be in the map and in use.
    pub fn free_range(&mut self, first: u64, count: u64) -> Result<(), FrameError> {
        let end = first.checked_add(count).ok_or(FrameError::OutOfRange(first))?;
        if end > self.frame_count {
            return Err(FrameError::OutOfRange(end - 1));
        }
        if let Some(frame) = (first..end).find(|&f| !self.is_used(f)) {
            return Err(FrameError::DoubleFree(frame));
        }
        self.release_range(first, count);
        Ok(())
    }

    /// Whether `frame` is in the map and free.
    pub fn is_free(&self, frame: u64) -> bool {
        frame < self.frame_count && !self.is_used(frame)
    }

    /// How many frames are free.
    pub fn free_count(&self) -> u64 {
        self.free
    }

    /// How many frames the map covers (frames `0..frame_count`).
    pub fn frame_count(&self) -> u64 {
        self.frame_count
    }

    fn check(&self, frame: u64) -> Result<(), FrameError> {
        if frame < self.frame_count { Ok(()) } else { Err(FrameError::OutOfRange(frame)) }
    }

    /// `[first, first + count)` clipped to the map.
    fn clip(&self, first: u64, count: u64) -> (u64, u64) {
        let end = first.saturating_add(count).min(self.frame_count);
        (first.min(end), end)
    }

    fn is_used(&self, frame: u64) -> bool {
        self.bits[word_index(frame)] & bit(frame) != 0
    }

    /// Marks a free frame of the map used.
    fn take(&mut self, frame: u64) {
        self.bits[word_index(frame)] |= bit(frame);
        self.free -= 1;
    }

    /// Sets (`used`) or clears the bits of `[start, end)` a word at a time; returns how many changed.
    fn update_range(&mut self, start: u64, end: u64, used: bool) -> u64 {
        let mut changed = 0;
        let mut frame = start;
        while frame < end {
            let word = word_index(frame);
            let run = (64 - frame % 64).min(end - frame);
            let mask = (u64::MAX >> (64 - run)) << (frame % 64);
            let old = self.bits[word];
            self.bits[word] = if used { old | mask } else { old & !mask };
            changed += u64::from((old ^ self.bits[word]).count_ones());
            frame += run;
        }
        changed
    }
}

/// The physical address of `frame`, for messages.
fn address(frame: u64) -> u64 {
    frame.saturating_mul(FRAME_SIZE)
}

fn word_index(frame: u64) -> usize {
    (frame / 64) as usize
}

fn bit(frame: u64) -> u64 {
    1 << (frame % 64)
}

#[cfg(test)]
mod tests;
