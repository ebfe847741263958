//! Shared-memory channels: a region shared by two environments carrying messages one way, as a
//! single-producer single-consumer queue of fixed slots with sequence numbers, and a blocking
//! receive that gives the CPU to the sender while the queue is empty (or, if the sender cannot
//! run, sleeps on the slot's sequence word until the sender moves it: `region::wait_word`).
//!
//! Page 0 holds the header (who sends, who receives, how many messages each side has handled);
//! pages 1.. hold the slots, [`SLOT_SIZE`] bytes each: a sequence word, the message length and up
//! to [`MAX_MESSAGE`] bytes. Message number `n` goes in slot `n % slots`. The slot's sequence word
//! says whose turn it is: `n` = free for message `n` (the sender's turn), `n + 1` = message `n` is
//! there (the receiver's turn); taking it sets `n + slots`, freeing the slot for the message one
//! lap later. Each side owns a slot while it is its turn, so no lock is needed. A side waiting on
//! a peer that has died gets [`ShmError::PeerGone`] instead of waiting forever (messages sent
//! before the sender died are still delivered).
use crate::ipc::region::{self, Region};
use abi::Error;
use core::sync::atomic::{AtomicU64, Ordering};

/// The size of one slot in bytes.
pub const SLOT_SIZE: usize = 256;
/// The longest message.
pub const MAX_MESSAGE: usize = SLOT_SIZE - 16;

const PAGE: usize = 4096;
const MAGIC: u64 = 0x4578_4f53_5348_4d43; // "ExOSSHMC"
const MAGIC_AT: usize = 0;
const SLOTS_AT: usize = 8;
const SENDER_AT: usize = 16;
const RECEIVER_AT: usize = 24;
/// Messages sent so far (written by the sender only).
const SENT_AT: usize = 32;
/// Messages received so far (written by the receiver only).
const RECEIVED_AT: usize = 40;
/// Nonzero once the creator has said who is on each side.
const CONNECTED_AT: usize = 48;
/// How many sides sleep on a slot's sequence word (`region::wait_word`): a side that moves a
/// sequence word calls the kernel to wake them only if some do.
const SLEEPERS_AT: usize = 56;

/// Why a channel operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShmError {
    /// The other side has died (and, for a receiver, every message it sent was taken).
    PeerGone,
    /// The message is longer than [`MAX_MESSAGE`].
    TooLong,
    /// The pages at the given address hold no channel.
    NotAChannel,
    /// A system call failed.
    Kernel(Error),
}

impl From<Error> for ShmError {
    fn from(e: Error) -> ShmError {
        ShmError::Kernel(e)
    }
}

impl core::fmt::Display for ShmError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ShmError::PeerGone => f.write_str("the other side has ended"),
            ShmError::TooLong => f.write_str("message too long"),
            ShmError::NotAChannel => f.write_str("not a channel"),
            ShmError::Kernel(e) => write!(f, "system call failed: {e:?}"),
        }
    }
}

/// A new channel in the environment that created it, before it has picked its side.
pub struct Channel {
    region: Region,
    me: u64,
}

impl Channel {
    /// Creates a channel with `slot_pages` pages of slots (16 slots per page; 1 to 15 pages).
    pub fn create(slot_pages: usize) -> Result<Channel, ShmError> {
        let region = Region::create(slot_pages + 1)?;
        let me = region::owner_of(region.base()).ok_or(ShmError::Kernel(Error::NotMapped))?;
        let slots = (slot_pages * PAGE / SLOT_SIZE) as u64;
        for n in 0..slots {
            region.at::<AtomicU64>(slot_offset(n, slots)).store(n, Ordering::Relaxed);
        }
        region.at::<AtomicU64>(SLOTS_AT).store(slots, Ordering::Relaxed);
        region.at::<AtomicU64>(MAGIC_AT).store(MAGIC, Ordering::Release);
        Ok(Channel { region, me })
    }

    /// The address the channel is mapped at (the same in both environments).
    pub fn base(&self) -> u64 {
        self.region.base()
    }

    /// The pages as `(address, capability slot)`, for `user::spawn`.
    pub fn shared_pages(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.region.shared_pages()
    }

    /// Maps the channel at the same address into the child named by capability `env_slot`.
    pub fn map_into(&self, env_slot: u64) -> Result<(), ShmError> {
        Ok(self.region.map_into(env_slot)?)
    }

    /// Takes the sending side; environment `receiver` receives (with [`Receiver::attach`]).
    pub fn sender(self, receiver: u64) -> Sender {
        let end = End::connect(self.region, self.me, receiver);
        Sender { end }
    }

    /// Takes the receiving side; environment `sender` sends (with [`Sender::attach`]).
    pub fn receiver(self, sender: u64) -> Receiver {
        let end = End::connect(self.region, sender, self.me);
        Receiver { end }
    }
}

/// The byte offset of the slot for message `n`.
fn slot_offset(n: u64, slots: u64) -> usize {
    PAGE + (n % slots) as usize * SLOT_SIZE
}

/// One side's view.
struct End {
    region: Region,
    slots: u64,
    peer: u64,
}

impl End {
    fn connect(region: Region, sender: u64, receiver: u64) -> End {
        let slots = region.at::<AtomicU64>(SLOTS_AT).load(Ordering::Relaxed);
        let me = region::owner_of(region.base()).unwrap_or(0);
        region.at::<AtomicU64>(SENDER_AT).store(sender, Ordering::Relaxed);
        region.at::<AtomicU64>(RECEIVER_AT).store(receiver, Ordering::Relaxed);
        region.at::<AtomicU64>(CONNECTED_AT).store(1, Ordering::Release);
        End { region, slots, peer: if sender == me { receiver } else { sender } }
    }

    /// The other side of the channel at `base`, waiting (giving the CPU to the creator) until the
    /// creator has connected it.
    fn attach(base: u64, peer_at: usize) -> Result<End, ShmError> {
        let first = Region::attach(base, 1)?;
        let word = |offset| first.at::<AtomicU64>(offset).load(Ordering::Acquire);
        let slots = word(SLOTS_AT);
        if word(MAGIC_AT) != MAGIC || slots == 0 || !(slots as usize).is_multiple_of(PAGE / SLOT_SIZE) {
            return Err(ShmError::NotAChannel);
        }
        let region = Region::attach(base, 1 + slots as usize * SLOT_SIZE / PAGE)?;
        let creator = region::owner_of(base).unwrap_or(0);
        while word(CONNECTED_AT) == 0 {
            if !region::alive(creator) {
                return Err(ShmError::PeerGone);
            }
            region::yield_to(creator);
        }
        Ok(End { slots, peer: word(peer_at), region })
    }

    fn word(&self, offset: usize) -> &'static AtomicU64 {
        self.region.at::<AtomicU64>(offset)
    }

    /// Waits until the sequence word of message `n`'s slot is `expected`; false if the peer died
    /// first.
    #[inline(always)]
    fn wait(&self, n: u64, expected: u64) -> bool {
        let sequence = self.word(slot_offset(n, self.slots));
        loop {
            if sequence.load(Ordering::Acquire) == expected {
                return true;
            }
            // Look at the peer, then at the slot again: what it did before it died counts.
            let peer_alive = region::alive(self.peer);
            if sequence.load(Ordering::Acquire) == expected {
                return true;
            }
            if !peer_alive {
                return false;
            }
            // To the peer if it can run; else sleep until the sequence word moves.
            let seen = sequence.load(Ordering::Acquire);
            if seen != expected {
                region::wait_word(sequence, seen, self.peer, self.word(SLEEPERS_AT));
            }
        }
    }

    /// The sequence word of the slot at `slot` moved to `value`: wakes a peer sleeping on it.
    fn publish(&self, slot: usize, value: u64) {
        let sequence = self.word(slot);
        sequence.store(value, Ordering::Release);
        region::wake_word(sequence, self.word(SLEEPERS_AT));
    }
}

/// The sending side of a channel.
pub struct Sender {
    end: End,
}

impl Sender {
    /// The sending side of the channel at `base`, in the environment the creator named as sender.
    pub fn attach(base: u64) -> Result<Sender, ShmError> {
        Ok(Sender { end: End::attach(base, RECEIVER_AT)? })
    }

    /// Sends `message` (at most [`MAX_MESSAGE`] bytes), waiting while the queue is full.
    pub fn send(&mut self, message: &[u8]) -> Result<(), ShmError> {
        if message.len() > MAX_MESSAGE {
            return Err(ShmError::TooLong);
        }
        let e = &self.end;
        let n = e.word(SENT_AT).load(Ordering::Relaxed);
        if !e.wait(n, n) {
            return Err(ShmError::PeerGone);
        }
        let slot = slot_offset(n, e.slots);
        e.word(slot + 8).store(message.len() as u64, Ordering::Relaxed);
        e.region.write_bytes(slot + 16, message);
        e.publish(slot, n + 1);
        e.word(SENT_AT).store(n + 1, Ordering::Relaxed);
        Ok(())
    }

    /// How many messages have been sent.
    pub fn sent(&self) -> u64 {
        self.end.word(SENT_AT).load(Ordering::Relaxed)
    }
}

/// The receiving side of a channel.
pub struct Receiver {
    end: End,
}

impl Receiver {
    /// The receiving side of the channel at `base`, in the environment the creator named as
    /// receiver.
    pub fn attach(base: u64) -> Result<Receiver, ShmError> {
        Ok(Receiver { end: End::attach(base, SENDER_AT)? })
    }

    /// Receives the next message into `buf`, waiting while there is none; returns its length
    /// (a message longer than `buf` is cut to fit; the full length is returned).
    pub fn recv(&mut self, buf: &mut [u8]) -> Result<usize, ShmError> {
        let e = &self.end;
        let n = e.word(RECEIVED_AT).load(Ordering::Relaxed);
        if !e.wait(n, n + 1) {
            return Err(ShmError::PeerGone);
        }
        Ok(self.take(n, buf))
    }

    /// Receives the next message if there is one, without waiting.
    pub fn try_recv(&mut self, buf: &mut [u8]) -> Option<usize> {
        let n = self.end.word(RECEIVED_AT).load(Ordering::Relaxed);
        let ready = self.end.word(slot_offset(n, self.end.slots)).load(Ordering::Acquire) == n + 1;
        ready.then(|| self.take(n, buf))
    }

    fn take(&mut self, n: u64, buf: &mut [u8]) -> usize {
        let e = &self.end;
        let slot = slot_offset(n, e.slots);
        // The length is the sender's word: bound it, the receiver must not trust it.
        let len = (e.word(slot + 8).load(Ordering::Relaxed) as usize).min(MAX_MESSAGE);
        let copy = len.min(buf.len());
        e.region.read_bytes(slot + 16, &mut buf[..copy]);
        e.publish(slot, n + e.slots);
        e.word(RECEIVED_AT).store(n + 1, Ordering::Relaxed);
        len
    }

    /// How many messages have been received.
    pub fn received(&self) -> u64 {
        self.end.word(RECEIVED_AT).load(Ordering::Relaxed)
    }
}
