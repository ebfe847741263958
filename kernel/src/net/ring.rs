//! Receive rings: the memory of a page or extent capability an environment holds with `WRITE`, laid
//! out as `abi::net::RingHeader` + slots. The kernel keeps its own producer count (it never trusts
//! the owner's copy) and reads only the owner's consumer count, so a scribbling owner can lose only
//! its own frames. Calls `mem::phys` and `cap`.
use crate::cap::{self, Object};
use crate::mem::phys;
use abi::layout::PAGE_SIZE;
use abi::net::{RingHeader, MAX_FRAME, RING_MIN_SLOTS, RING_SLOT_DATA, RING_SLOT_SIZE};
use abi::{Error, Rights};

/// One ring, named by (environment, capability slot); shared by every filter of that owner that
/// delivers into it.
#[derive(Clone, Copy, Debug)]
pub struct Ring {
    /// The owner's id (it is notified).
    pub owner: u64,
    /// Physical address of the first byte (page-aligned; the pages are contiguous).
    pub pa: u64,
    pub slots: u64,
    /// Frames written (the kernel's count; published as `producer`).
    pub produced: u64,
    pub drops: u64,
    /// Filters (and the default-owner role) delivering into it.
    pub users: u32,
}

/// Result of offering a frame to a ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    Delivered,
    Full,
}

impl Ring {
    /// The ring in `owner`'s capability `slot` (`WRITE` needed: a page or an extent), checked to
    /// have at least `RING_MIN_SLOTS` slots; its header is reset.
    pub fn open(owner: u64, slot: u64) -> Result<Ring, Error> {
        let (pa, bytes) = match cap::check(owner, slot, Rights::WRITE)? {
            Object::Page(pa) => (pa, PAGE_SIZE),
            Object::Extent { pa, pages } => (pa, pages * PAGE_SIZE),
            _ => return Err(Error::WrongType),
        };
        let slots = RingHeader::slots_for(bytes);
        if slots < RING_MIN_SLOTS {
            return Err(Error::BadArgument);
        }
        let ring = Ring { owner, pa, slots, produced: 0, drops: 0, users: 0 };
        phys::write_words(pa, &[0, 0, slots, RING_SLOT_SIZE, 0]);
        Ok(ring)
    }

    /// Copies `frame` (at most `MAX_FRAME` bytes) into the next slot if the owner has room.
    pub fn offer(&mut self, frame: &[u8]) -> Delivery {
        let consumer = phys::read_u64(self.pa + RingHeader::CONSUMER);
        if self.produced.wrapping_sub(consumer) >= self.slots {
            self.drops += 1;
            phys::write_words(self.pa + RingHeader::DROPS, &[self.drops]);
            return Delivery::Full;
        }
        let len = frame.len().min(MAX_FRAME);
        let slot = self.pa + RingHeader::slot_offset(self.produced, self.slots);
        // A slot never crosses a page (slots are 2048-byte aligned), so each write stays in a frame.
        phys::write_words(slot, &[len as u64]);
        phys::write(slot + RING_SLOT_DATA, &frame[..len]);
        self.produced += 1;
        phys::write_words(self.pa + RingHeader::PRODUCER, &[self.produced]);
        Delivery::Delivered
    }
}
