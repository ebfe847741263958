//! The kernel's side of this process's network stack: the NIC capability, the port
//! capabilities this process claimed with their filters, the receive ring the kernel fills, and
//! transmission through the port each frame belongs to.
//!
//! **One ring per process.** Every filter this process installs delivers into the same ring (an
//! extent mapped at [`crate::layout::NET_RINGS`]), so the stack reads one queue in arrival order
//! and sleeps in `env_wait` until the kernel's `NOTIFY_NET` says a frame came. One filter of the
//! stack asks for ARP copies too (`FILTER_ARP`; they move to another port's filter when its port
//! goes, `Link::release`): every stack keeps its own ARP cache.
//!
//! **Transmission** goes through a port capability: the kernel checks that the frame's source
//! MAC, IP, protocol and port match it. [`Link::send`] reads the frame's headers and picks the
//! claimed port that matches (ARP frames go through any IP port). A frame that matches none of
//! this process's ports (e.g. a reset smoltcp would send for a port another process owns) is not
//! sent and is counted in [`Link::unbound`].
use super::filter::{self, Port};
use crate::fs::Errno;
use crate::layout::{NET_RINGS, NET_RING_STRIDE};
use crate::sys::shared::Mapped;
use crate::sys::syscall::{
    sys_cap_delete, sys_extent_alloc, sys_extent_free, sys_extent_map, sys_extent_unmap, sys_net_filter_install, sys_net_info,
    sys_net_port_claim, sys_net_send,
};
use abi::net::{NetInfo, PortKind, RingHeader, BOOT_NIC_SLOT, FILTER_ARP, RING_SLOT_DATA, RING_SLOT_SIZE};
use abi::{Error, Rights, SELF_ENV};
use alloc::vec::Vec;
use core::cell::Cell;
use core::sync::atomic::{AtomicU64, Ordering};

/// Pages of the receive ring: 129 slots of 2 KiB after the header (enough for a 256 KiB TCP
/// window of full frames in flight).
pub const RING_PAGES: u64 = 65;

/// Where this process finds its NIC capability (boot programs get it from the kernel, children
/// from `spawn` and `fork`, [`give_nic`]).
pub const NIC_SLOT: u64 = BOOT_NIC_SLOT;

/// Which ring area addresses are in use (one bit per stride), so a stack made again after one was
/// dropped maps its ring at a fresh place.
static RING_AREAS: AtomicU64 = AtomicU64::new(0);

/// The interface's state from the kernel (`net_info`). `ENETDOWN` without a NIC capability.
pub fn info() -> Result<NetInfo, Errno> {
    sys_net_info(NIC_SLOT).map_err(|e| match e {
        Error::BadSlot | Error::WrongType | Error::NoRights => Errno::ENETDOWN,
        e => Errno::Kernel(e),
    })
}

/// Hands this process's NIC capability to child `env` (just created and holding no capability
/// yet, so it lands in the child's [`NIC_SLOT`]): without the configuring right unless
/// `configure`. Nothing to do without a NIC.
pub fn give_nic(env: u64, configure: bool) -> Result<(), Error> {
    if sys_net_info(NIC_SLOT).is_err() {
        return Ok(());
    }
    let mut rights = abi::net::NIC_INFO | abi::net::NIC_CLAIM | Rights::GRANT.0;
    if configure {
        rights |= abi::net::NIC_CONFIG;
    }
    match crate::sys::syscall::sys_cap_grant(NIC_SLOT, env, Rights(rights)) {
        Ok(NIC_SLOT) => Ok(()),
        // Somewhere else the child would not find it (it is destroyed by the caller).
        Ok(_) => Err(Error::BadSlot),
        Err(e) => Err(e),
    }
}

/// In a child right after `fork`: no ring area is in use (the parent's rings are not mapped).
pub(crate) fn after_fork() {
    RING_AREAS.store(0, Ordering::Relaxed);
}

/// The receive ring: an extent this process maps read-write; the kernel writes slots and
/// `producer`, this side reads them and advances `consumer`.
struct Ring {
    view: Mapped,
    slot: u64,
    slots: u64,
    area: u32,
}

impl Ring {
    fn new() -> Result<Ring, Errno> {
        let area = loop {
            let used = RING_AREAS.load(Ordering::Acquire);
            let free = (!used).trailing_zeros();
            if u64::from(free) >= (NET_RINGS.end - NET_RINGS.start) / NET_RING_STRIDE {
                return Err(Errno::EMFILE);
            }
            if RING_AREAS.compare_exchange(used, used | 1 << free, Ordering::AcqRel, Ordering::Acquire).is_ok() {
                break free;
            }
        };
        let va = NET_RINGS.start + u64::from(area) * NET_RING_STRIDE;
        let release_area = || RING_AREAS.fetch_and(!(1 << area), Ordering::AcqRel);
        let (_, slot) = sys_extent_alloc(RING_PAGES, 1).inspect_err(|_| {
            release_area();
        })?;
        if let Err(e) = sys_extent_map(SELF_ENV, slot, va, 0, RING_PAGES, Rights::READ.0 | Rights::WRITE.0) {
            let _ = sys_extent_free(slot);
            release_area();
            return Err(e.into());
        }
        // The extent is mapped read-write at `va` just above and stays mapped until `drop`.
        let view = Mapped::library(va, (RING_PAGES * 4096) as usize);
        Ok(Ring { view, slot, slots: RingHeader::slots_for(RING_PAGES * 4096), area })
    }

    fn word(&self, offset: u64) -> &'static AtomicU64 {
        self.view.at::<AtomicU64>(offset as usize)
    }

    /// The frame at the consumer index, if the kernel has produced one.
    fn peek(&self) -> Option<&'static [u8]> {
        let consumer = self.word(RingHeader::CONSUMER).load(Ordering::Relaxed);
        let producer = self.word(RingHeader::PRODUCER).load(Ordering::Acquire);
        if consumer == producer {
            return None;
        }
        let slots = self.word(RingHeader::SLOTS).load(Ordering::Relaxed).clamp(1, self.slots);
        let at = RingHeader::slot_offset(consumer, slots) as usize;
        let mut len = [0u8; 4];
        self.view.read_bytes(at, &mut len);
        let len = (u32::from_le_bytes(len) as u64).min(RING_SLOT_SIZE - RING_SLOT_DATA) as usize;
        let start = at + RING_SLOT_DATA as usize;
        Some(&self.view.bytes()[start..start + len])
    }

    /// Gives the slot at the consumer index back to the kernel.
    fn pop(&self) {
        self.word(RingHeader::CONSUMER).fetch_add(1, Ordering::Release);
    }

    fn drops(&self) -> u64 {
        self.word(RingHeader::DROPS).load(Ordering::Relaxed)
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // Every filter delivering here went with its port capability first (`Link::drop`).
        let _ = sys_extent_unmap(SELF_ENV, self.view.base(), RING_PAGES);
        let _ = sys_extent_free(self.slot);
        RING_AREAS.fetch_and(!(1 << self.area), Ordering::AcqRel);
    }
}

/// The kernel link of one stack.
pub struct Link {
    ring: Ring,
    ports: Vec<Port>,
    /// Frames not sent because no port of this process matches them.
    pub unbound: Cell<u64>,
    /// Sends the kernel refused.
    pub refused: Cell<u64>,
}

impl Link {
    /// Opens the link: checks the NIC capability and makes the receive ring.
    pub fn open() -> Result<Link, Errno> {
        info()?;
        Ok(Link { ring: Ring::new()?, ports: Vec::new(), unbound: Cell::new(0), refused: Cell::new(0) })
    }

    /// Claims port `value` of `kind` (0: a free ephemeral one) and installs the filter that sends
    /// its frames to this process's ring; returns the value. `EADDRINUSE` if any environment holds
    /// it, this one included (a second socket on a port: see [`Link::share`]).
    pub fn claim(&mut self, kind: PortKind, value: u16) -> Result<u16, Errno> {
        if value != 0 && self.ports.iter().any(|p| p.kind == kind && p.value == value) {
            return Err(Errno::EADDRINUSE);
        }
        let (slot, value) = sys_net_port_claim(NIC_SLOT, kind, value).map_err(|e| match e {
            Error::Busy | Error::Overlaps => Errno::EADDRINUSE,
            e => Errno::Kernel(e),
        })?;
        let arp = !self.ports.iter().any(|p| p.arp);
        let filter = filter::for_port(kind, value, [0; 4]);
        if let Err(e) = sys_net_filter_install(slot, &filter, self.ring.slot, if arp { FILTER_ARP } else { 0 }) {
            let _ = sys_cap_delete(slot);
            return Err(Errno::Kernel(e));
        }
        self.ports.push(Port { kind, value, slot, users: 1, arp });
        Ok(value)
    }

    /// One more socket uses port `value` of `kind`, which this stack holds (a connection a
    /// listener accepted).
    pub fn share(&mut self, kind: PortKind, value: u16) -> Result<(), Errno> {
        let port = self.ports.iter_mut().find(|p| p.kind == kind && p.value == value).ok_or(Errno::EINVAL)?;
        port.users += 1;
        Ok(())
    }

    /// Drops one user of port `value` of `kind`; the capability (and its filter) goes with the
    /// last. If that filter carried the ARP copies and other ports remain, the copies first move
    /// to a second filter of a remaining UDP or TCP port, naming the address `ip` (a port kept
    /// otherwise, until it can move or is the last).
    pub fn release(&mut self, kind: PortKind, value: u16, ip: [u8; 4]) {
        let Some(i) = self.ports.iter().position(|p| p.kind == kind && p.value == value) else { return };
        self.ports[i].users = self.ports[i].users.saturating_sub(1);
        let orphans: Vec<usize> = (0..self.ports.len()).filter(|&k| self.ports[k].users == 0).collect();
        for k in orphans.into_iter().rev() {
            let port = self.ports[k];
            let others = self.ports.len() > 1;
            if port.arp && others && !self.move_arp(k, ip) {
                continue;
            }
            self.ports.swap_remove(k);
            let _ = sys_cap_delete(port.slot);
        }
    }

    /// Installs a second filter with the ARP copies on a port other than `from`, still used;
    /// whether one took them.
    fn move_arp(&mut self, from: usize, ip: [u8; 4]) -> bool {
        if ip == [0; 4] {
            return false;
        }
        for k in (0..self.ports.len()).filter(|&k| k != from && self.ports[k].users > 0) {
            let to = self.ports[k];
            if !matches!(to.kind, PortKind::Udp | PortKind::Tcp) {
                continue;
            }
            let filter = filter::for_port(to.kind, to.value, ip);
            if sys_net_filter_install(to.slot, &filter, self.ring.slot, FILTER_ARP).is_ok() {
                self.ports[k].arp = true;
                self.ports[from].arp = false;
                return true;
            }
        }
        false
    }

    /// The ports held now.
    pub fn ports(&self) -> &[Port] {
        &self.ports
    }

    /// The next received frame, if any (the slot stays the stack's until [`Link::pop`]).
    pub fn peek(&self) -> Option<&'static [u8]> {
        self.ring.peek()
    }

    /// Gives the frame [`Link::peek`] returned back to the kernel.
    pub fn pop(&self) {
        self.ring.pop()
    }

    /// Frames the kernel dropped because this ring was full.
    pub fn ring_drops(&self) -> u64 {
        self.ring.drops()
    }

    /// Sends `frame` through the port it belongs to.
    pub fn send(&self, frame: &[u8]) -> Result<(), Error> {
        let Some(slot) = filter::port_of(frame, &self.ports) else {
            self.unbound.set(self.unbound.get() + 1);
            return Err(Error::NoRights);
        };
        sys_net_send(slot, frame).inspect_err(|_| self.refused.set(self.refused.get() + 1))
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        for port in self.ports.drain(..) {
            let _ = sys_cap_delete(port.slot);
        }
    }
}
