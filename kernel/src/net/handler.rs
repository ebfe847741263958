//! Application-specific safe handlers (ASH) in the kernel: a handler verified by the `ash` crate,
//! bound to one filter, run on each frame the filter claims as it arrives (in the NIC's interrupt,
//! before any scheduling). This file gives the interpreter its host: the owner's region (read and
//! written by physical address, within the capability's memory), replies through the same transmit
//! check as `net_send` on the filter's port, and deliveries into the filter's ring. The binding
//! call is `net::bind_handler`; the calls `mem::phys`, `cap` and the device's transmit.
//!
//! Replies are checked at once but transmitted after the device's receive poll (the device is
//! locked while frames are handed out): a handler's checked reply waits in a queue of
//! [`QUEUED_REPLIES`] frames, which `flush` hands to the device at the end of the interrupt; a
//! reply that finds the queue full is refused with `Busy`.
use super::ring::{Delivery, Ring};
use crate::cap::{self, Object};
use crate::mem::phys;
use abi::layout::PAGE_SIZE;
use abi::net::{PortKind, ASH_NONE, MAX_ASH_REGION, MAX_FRAME, MIN_FRAME};
use abi::{Error, Rights};
use kcore::net::Interface;

/// Replies checked and waiting for the device, at most.
pub const QUEUED_REPLIES: usize = 16;

/// Checked replies waiting for the end of the receive poll.
struct Replies {
    frames: [[u8; MAX_FRAME]; QUEUED_REPLIES],
    lens: [u16; QUEUED_REPLIES],
    count: usize,
}

static REPLIES: spin::Mutex<Replies> =
    spin::Mutex::new(Replies { frames: [[0; MAX_FRAME]; QUEUED_REPLIES], lens: [0; QUEUED_REPLIES], count: 0 });

/// Queues a checked reply; `Busy` when the queue is full.
fn queue(frame: &[u8]) -> Result<(), Error> {
    let mut replies = REPLIES.lock();
    let i = replies.count;
    let (Some(slot), Some(len)) = (replies.frames.get_mut(i), frame.len().try_into().ok()) else { return Err(Error::Busy) };
    let Some(target) = slot.get_mut(..frame.len()) else { return Err(Error::Busy) };
    target.copy_from_slice(frame);
    replies.lens[i] = len;
    replies.count += 1;
    Ok(())
}

/// Hands the queued replies to the device (called once the receive poll released it); returns
/// (sent, failed).
pub fn flush() -> (u64, u64) {
    let mut replies = REPLIES.lock();
    let (mut sent, mut failed) = (0, 0);
    for i in 0..replies.count {
        let len = usize::from(replies.lens[i]);
        match replies.frames[i].get(..len).map(crate::dev::virtio_net::transmit) {
            Some(Ok(())) => sent += 1,
            _ => failed += 1,
        }
    }
    replies.count = 0;
    (sent, failed)
}

/// A handler bound to a filter.
pub struct Handler {
    program: ash::Program,
    region: Option<Region>,
    /// The capability slot of the region (`ASH_NONE`: none): the handler goes when it goes.
    pub region_slot: u64,
    /// The filter's port, which replies must fit.
    port: (PortKind, u16),
    /// Whether the port capability gives `PORT_SEND` (else every reply is refused).
    can_send: bool,
}

/// The owner's region: physically contiguous memory of a page or extent capability.
#[derive(Clone, Copy, Debug)]
pub struct Region {
    pa: u64,
    len: u64,
}

impl Region {
    /// The memory of `owner`'s capability `slot` (`WRITE` needed), or none for `ASH_NONE`.
    pub fn open(owner: u64, slot: u64) -> Result<Option<Region>, Error> {
        if slot == ASH_NONE {
            return Ok(None);
        }
        let (pa, len) = match cap::check(owner, slot, Rights::WRITE)? {
            Object::Page(pa) => (pa, PAGE_SIZE),
            Object::Extent { pa, pages } => (pa, pages.saturating_mul(PAGE_SIZE)),
            _ => return Err(Error::WrongType),
        };
        if len > MAX_ASH_REGION {
            return Err(Error::BadArgument);
        }
        Ok(Some(Region { pa, len }))
    }

    /// Bytes.
    pub fn len(region: Option<Region>) -> usize {
        region.map_or(0, |r| r.len as usize)
    }

    /// The physical address of `[at, at + len)`, if inside.
    fn span(&self, at: usize, len: usize) -> Option<u64> {
        let end = (at as u64).checked_add(len as u64)?;
        (end <= self.len).then_some(self.pa + at as u64)
    }
}

impl Handler {
    /// Verifies `bytes` for a region of `region`'s size; the refusal is (instruction, rule code).
    pub fn new(bytes: &[u8], region: Option<Region>, region_slot: u64, port: (PortKind, u16), can_send: bool) -> Result<Handler, (u32, u32)> {
        let limits = ash::Limits { region_len: Region::len(region) };
        match ash::verify(bytes, limits) {
            Ok(program) => Ok(Handler { program, region, region_slot, port, can_send }),
            Err(e) => {
                log::debug!("net: handler refused: {e}");
                Err((e.pc as u32, e.kind.code()))
            }
        }
    }
}

/// What one run did, for the interface's counters.
#[derive(Clone, Copy, Debug, Default)]
pub struct Outcome {
    /// Replies checked and queued.
    pub sent: u64,
    pub refused: u64,
    pub delivered: u64,
    pub full: u64,
}

/// The interpreter's view of the kernel during one run.
struct Host<'a> {
    handler: &'a Handler,
    ring: Option<&'a mut Ring>,
    nic: Interface,
    outcome: Outcome,
}

impl ash::AshHost for Host<'_> {
    fn region_len(&self) -> usize {
        Region::len(self.handler.region)
    }

    fn region_read(&mut self, at: usize, out: &mut [u8]) -> bool {
        match self.handler.region.and_then(|r| r.span(at, out.len())) {
            Some(pa) => {
                out.copy_from_slice(phys::bytes(pa, out.len() as u64));
                true
            }
            None => false,
        }
    }

    fn region_write(&mut self, at: usize, bytes: &[u8]) -> bool {
        match self.handler.region.and_then(|r| r.span(at, bytes.len())) {
            Some(pa) => {
                phys::write(pa, bytes);
                true
            }
            None => false,
        }
    }

    fn reply(&mut self, frame: &[u8]) -> u64 {
        let (kind, value) = self.handler.port;
        let verdict = if !self.handler.can_send {
            Err(Error::NoRights)
        } else if frame.len() < MIN_FRAME {
            Err(Error::BadArgument)
        } else if kcore::net::check_send(frame, kind, value, &self.nic).is_err() {
            Err(Error::OutsidePort)
        } else {
            queue(frame)
        };
        match verdict {
            Ok(()) => {
                self.outcome.sent += 1;
                0
            }
            Err(e) => {
                self.outcome.refused += 1;
                e.code()
            }
        }
    }

    fn deliver(&mut self, bytes: &[u8]) -> u64 {
        match self.ring.as_mut().map(|ring| ring.offer(bytes)) {
            Some(Delivery::Delivered) => {
                self.outcome.delivered += 1;
                0
            }
            _ => {
                self.outcome.full += 1;
                1
            }
        }
    }
}

/// Runs `handler` over `frame`, with the filter's `ring` for deliveries.
pub fn run(handler: &Handler, frame: &[u8], ring: Option<&mut Ring>, nic: Interface) -> (ash::Action, Outcome) {
    let mut host = Host { handler, ring, nic, outcome: Outcome::default() };
    let action = ash::run(&handler.program, &mut host, frame);
    if let ash::Action::Fault(fault) = action {
        log::debug!("net: handler fault {fault:?}");
    }
    (action, host.outcome)
}
