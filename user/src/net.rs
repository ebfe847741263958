//! Raw network helpers for the test programs (no IP stack: that is ExOS's): a receive ring in an
//! extent, frame builders (ARP request, ICMP echo), the ones' complement checksum, and waiting for
//! a frame in `env_wait` (never spinning). Traffic goes only to QEMU's user-mode gateway 10.0.2.2.
use abi::net::{ipv4, RingHeader, RING_SLOT_DATA};
use abi::{Rights, SELF_ENV, WAIT_DEADLINE, WAIT_NOTIFY};
use alloc::vec::Vec;
use exos::sys::syscall::{sys_env_wait, sys_extent_alloc, sys_extent_map};

/// The guest's address on QEMU's user-mode network.
pub const GUEST_IP: u32 = ipv4(10, 0, 2, 15);
/// Its gateway (answers ARP and ICMP echo inside QEMU).
pub const GATEWAY_IP: u32 = ipv4(10, 0, 2, 2);
pub const NETMASK: u32 = ipv4(255, 255, 255, 0);

/// A receive ring mapped in this program: the extent's capability slot and where it is mapped.
#[derive(Clone, Copy, Debug)]
pub struct Ring {
    pub slot: u64,
    pub va: u64,
}

impl Ring {
    /// Allocates an extent of `pages` pages and maps it read-write at `va`.
    pub fn new(pages: u64, va: u64) -> Result<Ring, abi::Error> {
        let (_, slot) = sys_extent_alloc(pages, 1)?;
        sys_extent_map(SELF_ENV, slot, va, 0, pages, Rights::READ.0 | Rights::WRITE.0)?;
        Ok(Ring { slot, va })
    }

    fn word(&self, offset: u64) -> u64 {
        crate::page_word(self.va + offset / 4096 * 4096, (offset % 4096 / 8) as usize)
    }

    /// The header's counters: (producer, consumer, slots, drops).
    pub fn header(&self) -> (u64, u64, u64, u64) {
        (self.word(RingHeader::PRODUCER), self.word(RingHeader::CONSUMER), self.word(RingHeader::SLOTS), self.word(RingHeader::DROPS))
    }

    /// Takes the next frame, if any (advancing `consumer`).
    pub fn take(&self) -> Option<Vec<u8>> {
        let (producer, consumer, slots, _) = self.header();
        if producer == consumer || slots == 0 {
            return None;
        }
        let offset = RingHeader::slot_offset(consumer, slots);
        let len = self.word(offset).min(2048 - RING_SLOT_DATA) as usize;
        let page = crate::mapped_page(self.va + offset / 4096 * 4096);
        let start = (offset % 4096 + RING_SLOT_DATA) as usize;
        let frame = page[start..start + len].to_vec();
        crate::set_page_word(self.va, (RingHeader::CONSUMER / 8) as usize, consumer + 1);
        Some(frame)
    }

    /// Waits in `env_wait` until a frame `wanted` accepts arrives or `timeout_ms` pass; frames
    /// it does not want are consumed and dropped. It waits for the kernel's notification before
    /// each look at the ring (the notification is sticky, so a frame that arrived before the wait
    /// ends it at once). Returns the frame and whether a wait reported `NOTIFY_NET`.
    pub fn wait_for(&self, timeout_ms: u64, mut wanted: impl FnMut(&[u8]) -> bool) -> (Option<Vec<u8>>, bool) {
        let deadline = exos::sys::vm::now_ns() + timeout_ms * 1_000_000;
        let mut notified = false;
        loop {
            let woke = sys_env_wait(WAIT_NOTIFY | WAIT_DEADLINE, deadline, 0, 0).unwrap_or(0);
            notified |= (woke >> abi::WAIT_NOTIFY_SHIFT) as u32 & abi::net::NOTIFY_NET != 0;
            while let Some(frame) = self.take() {
                if wanted(&frame) {
                    return (Some(frame), notified);
                }
            }
            if exos::sys::vm::now_ns() >= deadline {
                return (None, notified);
            }
        }
    }
}

/// The 16-bit ones' complement checksum of `data`.
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = data.chunks(2).map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))).sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn ethernet(dst: [u8; 6], src: [u8; 6], ethertype: u16) -> Vec<u8> {
    let mut f = Vec::with_capacity(98);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f
}

/// An ARP request from (`mac`, `ip`) asking for `target`.
pub fn arp_request(mac: [u8; 6], ip: u32, target: u32) -> Vec<u8> {
    let mut f = ethernet([0xff; 6], mac, 0x0806);
    f.extend_from_slice(&[0, 1, 8, 0, 6, 4, 0, 1]);
    f.extend_from_slice(&mac);
    f.extend_from_slice(&ip.to_be_bytes());
    f.extend_from_slice(&[0; 6]);
    f.extend_from_slice(&target.to_be_bytes());
    f
}

/// If `frame` is an ARP reply from `ip`, the MAC it gives.
pub fn arp_reply_from(frame: &[u8], ip: u32) -> Option<[u8; 6]> {
    let ok = frame.len() >= 42 && frame[12..14] == [8, 6] && frame[20..22] == [0, 2] && frame[28..32] == ip.to_be_bytes();
    ok.then(|| frame[22..28].try_into().unwrap_or([0; 6]))
}

/// An IPv4 packet (`proto`, from `src` to `dst`) in an Ethernet frame, with its header checksum.
pub fn ipv4_frame(dst_mac: [u8; 6], src_mac: [u8; 6], proto: u8, src: u32, dst: u32, payload: &[u8]) -> Vec<u8> {
    let mut f = ethernet(dst_mac, src_mac, 0x0800);
    let total = (20 + payload.len()) as u16;
    let mut ip = [0u8; 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&total.to_be_bytes());
    ip[8] = 64;
    ip[9] = proto;
    ip[12..16].copy_from_slice(&src.to_be_bytes());
    ip[16..20].copy_from_slice(&dst.to_be_bytes());
    let sum = checksum(&ip);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    f.extend_from_slice(&ip);
    f.extend_from_slice(payload);
    f
}

/// An ICMP echo request (identifier `id`, sequence `seq`, 32 bytes of payload).
pub fn icmp_echo(dst_mac: [u8; 6], src_mac: [u8; 6], src: u32, dst: u32, id: u16, seq: u16) -> Vec<u8> {
    let mut icmp = Vec::with_capacity(40);
    icmp.extend_from_slice(&[8, 0, 0, 0]);
    icmp.extend_from_slice(&id.to_be_bytes());
    icmp.extend_from_slice(&seq.to_be_bytes());
    icmp.extend((0..32u8).map(|i| b'a' + i % 26));
    let sum = checksum(&icmp);
    icmp[2..4].copy_from_slice(&sum.to_be_bytes());
    ipv4_frame(dst_mac, src_mac, 1, src, dst, &icmp)
}

/// Whether `frame` is an ICMP echo reply with identifier `id` and sequence `seq`.
pub fn is_echo_reply(frame: &[u8], id: u16, seq: u16) -> bool {
    frame.len() >= 42 && frame[12..14] == [8, 0] && frame[23] == 1 && {
        let l4 = 14 + usize::from(frame[14] & 0xf) * 4;
        frame.len() >= l4 + 8 && frame[l4] == 0 && frame[l4 + 4..l4 + 6] == id.to_be_bytes() && frame[l4 + 6..l4 + 8] == seq.to_be_bytes()
    }
}

/// The encoded filter of ICMP echo identifier `id` (the port's canonical prefix).
pub fn icmp_filter(id: u16) -> Vec<u8> {
    dpf::Filter::icmp_id(id).encode()
}

/// The encoded filter of UDP port `port` to `ip` (0: any address).
pub fn udp_filter(ip: u32, port: u16) -> Vec<u8> {
    dpf::Filter::udp_port(ip, port).encode()
}

/// The encoded filter of IP protocol `proto`.
pub fn proto_filter(proto: u8) -> Vec<u8> {
    dpf::Filter::ip_proto(proto).encode()
}

/// Word of a shared page where a helper child finds its Nic capability's slot (+1; 0: not yet).
const NIC_WORD: usize = 0;
/// Word a helper child sets to 1 when it has written its results.
const DONE_WORD: usize = 511;

/// Starts `entry` in a child (a copy of this program, as `crate::spawn`) sharing the page
/// `(va, slot)`, grants it the Nic capability `nic` with `rights`, and tells it the slot. Returns
/// the child's id.
pub fn spawn_with_nic(entry: extern "C" fn() -> !, shared: (u64, u64), nic: u64, rights: u64) -> Result<u64, abi::Error> {
    crate::set_page_word(shared.0, DONE_WORD, 0);
    crate::set_page_word(shared.0, NIC_WORD, 0);
    let (id, _) = crate::spawn(entry, &[shared])?;
    let slot = exos::sys::syscall::sys_cap_grant(nic, id, Rights(rights))?;
    crate::set_page_word(shared.0, NIC_WORD, slot + 1);
    Ok(id)
}

/// In a child started by [`spawn_with_nic`]: waits (yielding) for its Nic slot.
pub fn child_nic(shared_va: u64) -> u64 {
    while crate::page_word(shared_va, NIC_WORD) == 0 {
        let _ = exos::sys::syscall::sys_env_yield(abi::ANY_ENV);
    }
    crate::page_word(shared_va, NIC_WORD) - 1
}

/// In the child: its results are written.
pub fn child_done(shared_va: u64) {
    crate::set_page_word(shared_va, DONE_WORD, 1);
}

/// In the parent: waits (yielding) until the child said it is done, at most `ticks` timer ticks.
pub fn wait_child(shared_va: u64, ticks: u64) -> bool {
    let start = exos::sys::vm::sysinfo().ticks;
    while crate::page_word(shared_va, DONE_WORD) == 0 {
        if exos::sys::vm::sysinfo().ticks > start + ticks {
            return false;
        }
        let _ = exos::sys::syscall::sys_env_yield(abi::ANY_ENV);
    }
    true
}

/// Encodes a call's result for a shared page word: 0 for success, else the error's code.
pub fn code<T>(result: Result<T, abi::Error>) -> u64 {
    result.err().map_or(0, abi::Error::code)
}

/// A UDP datagram (from `sport` to `dport`, with `payload`) in an IPv4 frame; no UDP checksum.
pub fn udp_frame(dst_mac: [u8; 6], src_mac: [u8; 6], src: u32, dst: u32, sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut udp = Vec::with_capacity(8 + payload.len());
    udp.extend_from_slice(&sport.to_be_bytes());
    udp.extend_from_slice(&dport.to_be_bytes());
    udp.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(payload);
    ipv4_frame(dst_mac, src_mac, 17, src, dst, &udp)
}
