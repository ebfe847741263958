//! Unit tests for the frame allocator, including a randomized comparison with a simple model.
use super::*;
extern crate std;
use std::format;
use std::vec;
use std::vec::Vec;

#[test]
fn storage_size() {
    assert_eq!(FrameAllocator::storage_words(0), 0);
    assert_eq!(FrameAllocator::storage_words(64), 1);
    assert_eq!(FrameAllocator::storage_words(65), 2);
    let mut storage = [0u64; 1];
    let error = FrameAllocator::new(&mut storage, 65).err().unwrap();
    assert_eq!(error, FrameError::StorageTooSmall { words: 1, needed: 2, frame_count: 65 });
    assert_eq!(format!("{error}"), "frame bitmap of 0x1 words is too small for 0x41 frames (0x2 words needed)");
    let mut empty: [u64; 0] = [];
    let mut none = FrameAllocator::new(&mut empty, 0).unwrap();
    assert_eq!((none.alloc(), none.free_count()), (None, 0));
}

#[test]
fn lowest_first_and_bookkeeping() {
    let mut storage = [0u64; 4];
    let mut frames = FrameAllocator::new(&mut storage, 200).unwrap();
    assert_eq!(frames.alloc(), None, "everything starts in use");
    frames.release_range(10, 100);
    frames.release_range(190, 100); // clipped at 200
    frames.release_range(500, 10); // entirely outside
    frames.release_range(50, 10); // already free
    assert_eq!(frames.free_count(), 110);
    assert_eq!(frames.alloc(), Some(10));
    assert_eq!(frames.alloc(), Some(11));
    frames.reserve_range(12, 3);
    frames.reserve_range(13, 1); // already used
    assert_eq!(frames.alloc(), Some(15));
    assert_eq!(frames.free_count(), 110 - 6);
    assert_eq!(frames.free(11), Ok(()));
    assert_eq!(frames.alloc(), Some(11), "a freed frame is reused first");
    assert_eq!(frames.frame_count(), 200);
}

#[test]
fn double_free_is_refused() {
    let mut storage = [0u64; 1];
    let mut frames = FrameAllocator::new(&mut storage, 64).unwrap();
    frames.release_range(0, 64);
    assert_eq!(frames.free(3), Err(FrameError::DoubleFree(3)));
    assert_eq!(frames.free(64), Err(FrameError::OutOfRange(64)));
    assert_eq!(frames.free_count(), 64);
    assert_eq!(format!("{}", FrameError::DoubleFree(3)), "frame 0x3 (address 0x3000) freed but already free");
}

#[test]
fn alloc_at_of_a_used_frame_is_refused() {
    let mut storage = [0u64; 1];
    let mut frames = FrameAllocator::new(&mut storage, 64).unwrap();
    frames.release_range(0, 64);
    assert_eq!(frames.alloc_at(5), Ok(()));
    assert_eq!(frames.alloc_at(5), Err(FrameError::NotFree(5)));
    assert_eq!(frames.alloc_at(99), Err(FrameError::OutOfRange(99)));
    assert!(!frames.is_free(5) && !frames.is_free(99) && frames.is_free(4));
    assert_eq!(frames.free_count(), 63);
}

#[test]
fn exhaustion_returns_none() {
    let mut storage = [0u64; 3];
    let mut frames = FrameAllocator::new(&mut storage, 130).unwrap();
    frames.release_range(0, 130);
    let all: Vec<u64> = core::iter::from_fn(|| frames.alloc()).collect();
    assert_eq!(all, (0..130).collect::<Vec<_>>(), "never past the end of the map");
    assert_eq!((frames.alloc(), frames.free_count()), (None, 0));
    assert_eq!(frames.alloc_contiguous(1, 1), None);
    frames.free(129).unwrap();
    assert_eq!(frames.alloc(), Some(129));
}

#[test]
fn contiguous_respects_alignment_and_holes() {
    let mut storage = [0u64; 2];
    let mut frames = FrameAllocator::new(&mut storage, 128).unwrap();
    frames.release_range(0, 128);
    frames.alloc_at(3).unwrap();
    assert_eq!(frames.alloc_contiguous(8, 8), Some(8));
    assert_eq!(frames.alloc_contiguous(4, 1), Some(4), "fits in the hole between 3 and 8");
    assert_eq!(frames.alloc_contiguous(64, 64), Some(64));
    assert_eq!(frames.alloc_contiguous(200, 1), None);
    assert_eq!(frames.alloc_contiguous(1, 3), None, "alignment must be a power of two");
    assert_eq!(frames.alloc_contiguous(0, 1), None);
    assert_eq!(frames.alloc_contiguous(u64::MAX, 1), None);
    assert_eq!(frames.free_count(), 128 - 77);
    assert!(!frames.is_free(8) && frames.is_free(0));
    assert_eq!(frames.alloc_contiguous(1, 1 << 63), Some(0));
    assert_eq!(frames.alloc_contiguous(1, 1 << 63), None, "the next aligned frame is far past the end");
    assert_eq!(frames.alloc_contiguous(16, 16), Some(16));
}

use crate::test_random::Random;

/// Random operations against a `Vec<bool>` model (true: used).
#[test]
fn matches_a_model() {
    const FRAMES: u64 = 300;
    let mut storage = [0u64; 5];
    let mut frames = FrameAllocator::new(&mut storage, FRAMES).unwrap();
    let mut used = vec![true; FRAMES as usize];
    let mut random = Random(7);
    for _ in 0..20_000 {
        let frame = random.next(FRAMES + 10);
        let valid = frame < FRAMES;
        let was_used = valid && used[frame as usize];
        match random.next(7) {
            0 | 1 => match frames.alloc() {
                Some(n) => {
                    assert_eq!(used.iter().position(|u| !u), Some(n as usize), "lowest first");
                    used[n as usize] = true;
                }
                None => assert!(used.iter().all(|&u| u)),
            },
            2 | 3 => {
                assert_eq!(frames.free(frame).is_ok(), valid && was_used);
                if valid {
                    used[frame as usize] = false;
                }
            }
            4 => {
                assert_eq!(frames.alloc_at(frame).is_ok(), valid && !was_used);
                if valid {
                    used[frame as usize] = true;
                }
            }
            5 => {
                let (count, align) = (random.next(6) + 1, 1 << random.next(4));
                let expected = (0..FRAMES)
                    .step_by(align as usize)
                    .find(|&s| s + count <= FRAMES && used[s as usize..(s + count) as usize].iter().all(|u| !u));
                assert_eq!(frames.alloc_contiguous(count, align), expected);
                if let Some(s) = expected {
                    used[s as usize..(s + count) as usize].fill(true);
                }
            }
            _ => {
                let count = random.next(20);
                let (release, end) = (random.next(2) == 0, (frame + count).min(FRAMES));
                if release {
                    frames.release_range(frame, count);
                } else {
                    frames.reserve_range(frame, count);
                }
                if frame < end {
                    used[frame as usize..end as usize].fill(!release);
                }
            }
        }
        assert_eq!(frames.free_count(), used.iter().filter(|u| !**u).count() as u64);
    }
    for frame in 0..FRAMES {
        assert_eq!(frames.is_free(frame), !used[frame as usize]);
    }
}

#[test]
fn an_extent_is_freed_whole_or_not_at_all() {
    let mut storage = [0u64; 4];
    let mut frames = FrameAllocator::new(&mut storage, 256).unwrap();
    frames.release_range(0, 256);
    let first = frames.alloc_contiguous(64, 32).unwrap();
    assert_eq!(first % 32, 0);
    assert_eq!(frames.free_count(), 192);
    assert_eq!(frames.free_range(first, 65), Err(FrameError::DoubleFree(first + 64)), "one past the extent is free");
    assert_eq!(frames.free_count(), 192, "nothing freed");
    assert_eq!(frames.free_range(250, 10), Err(FrameError::OutOfRange(259)));
    assert_eq!(frames.free_range(u64::MAX, 2), Err(FrameError::OutOfRange(u64::MAX)));
    assert_eq!(frames.free_range(first, 64), Ok(()));
    assert_eq!(frames.free_count(), 256);
    assert_eq!(frames.free_range(first, 64), Err(FrameError::DoubleFree(first)));
}
