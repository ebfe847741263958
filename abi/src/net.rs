//! The network interface's part of the ABI: capability rights, port kinds, the receive ring's
//! layout in the owner's memory, the `net_info` record, limits and the notification bit.
//!
//! The kernel drives one Ethernet device (virtio-net) and knows Ethernet framing and the few header
//! fields its checks need, nothing above. Two kinds of capability name it:
//!
//! - **Nic**: the device. Every boot program gets one with all rights in slot [`BOOT_NIC_SLOT`]
//!   when the machine has a NIC (none otherwise). Rights: [`NIC_INFO`] (`READ`: `net_info`),
//!   [`NIC_CLAIM`] (`EXECUTE`: `net_port_claim`), [`NIC_CONFIG`] (`WRITE`: `net_config`,
//!   `net_default`), and `GRANT` to pass it on (a child may get it without `NIC_CONFIG`).
//! - **Port**: one claimed port ([`PortKind`] + value), the root capability of whoever claimed it
//!   (first come); it may be granted on like any capability. Rights: [`PORT_RECEIVE`] (`READ`:
//!   `net_filter_install`), [`PORT_SEND`] (`WRITE`: `net_send`). The port is free again when its
//!   root capability goes (deleted, or its holder ends); every filter installed through a
//!   capability goes with that capability.
//!
//! A **receive ring** is an extent (or page) the installer holds with `WRITE`: the first
//! [`RING_HEADER`] bytes are a [`RingHeader`], then slot `i` lies at `RING_HEADER + i *
//! RING_SLOT_SIZE`: a little-endian `u64` frame length, then the frame from its Ethernet
//! header (at most [`MAX_FRAME`] bytes). The kernel writes a slot, then `producer`; the owner reads
//! slots `consumer..producer` (free-running counters, slot `n % slots`) and advances `consumer`.
//! A frame that finds the ring full (`producer - consumer >= slots`) is dropped and counted in
//! `drops`. After each delivery the kernel sets [`NOTIFY_NET`] in the owner's notification word, so
//! an owner sleeping in `env_wait(WAIT_NOTIFY)` wakes; receivers never spin.

/// The capability slot where every boot program finds its Nic capability (when there is a NIC):
/// the kernel puts it there before the program's own pages.
pub const BOOT_NIC_SLOT: u64 = 0;

/// Nic right (`READ`): read the interface's state (`net_info`).
pub const NIC_INFO: u64 = 1;
/// Nic right (`EXECUTE`): claim ports (`net_port_claim`).
pub const NIC_CLAIM: u64 = 4;
/// Nic right (`WRITE`): configure the interface (`net_config`) and name the default owner
/// (`net_default`).
pub const NIC_CONFIG: u64 = 2;
/// Port right (`READ`): install filters inside the port (`net_filter_install`).
pub const PORT_RECEIVE: u64 = 1;
/// Port right (`WRITE`): transmit frames from the port (`net_send`).
pub const PORT_SEND: u64 = 2;

/// What a port capability binds (`net_port_claim`'s `kind`; the numbers are the `dpf` crate's).
#[repr(u64)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PortKind {
    /// Every frame of one Ethernet type (value: the ethertype; 0x0800 and 0x0806 are the IPv4
    /// and ARP ones).
    Ethertype = 1,
    /// Every IPv4 packet of one IP protocol (value: the protocol number, below 256).
    IpProto = 2,
    /// One local UDP port over IPv4 (value: the port; 0 asks for a free ephemeral one).
    Udp = 3,
    /// One local TCP port over IPv4 (value: the port; 0 asks for a free ephemeral one).
    Tcp = 4,
    /// One ICMP echo identifier over IPv4 (value: the identifier; 0 asks for a free one).
    IcmpId = 5,
}

impl PortKind {
    /// Every kind, by number.
    pub const ALL: [PortKind; 5] = [PortKind::Ethertype, PortKind::IpProto, PortKind::Udp, PortKind::Tcp, PortKind::IcmpId];

    /// The kind with this number.
    pub fn from_u64(n: u64) -> Option<PortKind> {
        PortKind::ALL.into_iter().find(|k| *k as u64 == n)
    }

    /// Whether value 0 asks the kernel for a free value.
    pub const fn has_ephemeral(self) -> bool {
        matches!(self, PortKind::Udp | PortKind::Tcp | PortKind::IcmpId)
    }

    /// The largest value of this kind.
    pub const fn max_value(self) -> u64 {
        match self {
            PortKind::IpProto => 255,
            _ => 0xffff,
        }
    }
}

/// Ephemeral values (`net_port_claim` with value 0) are taken from `EPHEMERAL_FIRST..=0xffff`.
pub const EPHEMERAL_FIRST: u64 = 49152;
/// `net_port_claim` returns `slot | value << PORT_VALUE_SHIFT`.
pub const PORT_VALUE_SHIFT: u32 = 32;

/// Ports claimed at once, all environments together.
pub const MAX_PORTS: usize = 1024;
/// Filters installed at once, all environments together.
pub const MAX_FILTERS: usize = 256;
/// The longest encoded filter `net_filter_install` reads (the `dpf` crate's wire format).
pub const MAX_FILTER_BYTES: u64 = 1024;
/// Budget pages charged for each claimed port (its record and its share of the port table).
pub const PORT_CHARGE_PAGES: u64 = 1;
/// Budget pages charged for each installed filter (its record, atoms and trie nodes).
pub const FILTER_CHARGE_PAGES: u64 = 1;

/// `net_filter_install` flag: the ring also gets a copy of every ARP frame the NIC receives (each
/// library stack keeps its own ARP cache; no stack state is shared between environments).
pub const FILTER_ARP: u64 = 1;
/// Every `net_filter_install` flag.
pub const FILTER_FLAGS: u64 = FILTER_ARP;

/// The notification bit the kernel sets in a ring's owner after delivering a frame into it.
/// Like `NOTIFY_CHILD`, `env_notify` may not send it.
pub const NOTIFY_NET: u32 = 1 << 30;

/// Bytes of a ring's header region (slot 0 starts after it; 2048 keeps every slot inside one page).
pub const RING_HEADER: u64 = 2048;
/// Bytes of one ring slot.
pub const RING_SLOT_SIZE: u64 = 2048;
/// Offset of the frame in a slot (after its `u64` length).
pub const RING_SLOT_DATA: u64 = 8;
/// The fewest slots a ring may have (a two-page extent gives 3).
pub const RING_MIN_SLOTS: u64 = 2;
/// The largest frame (Ethernet header + 1500-byte payload, no frame check sequence).
pub const MAX_FRAME: usize = 1514;
/// The smallest frame `net_send` accepts (an Ethernet header).
pub const MIN_FRAME: usize = 14;

/// A receive ring's header, at the start of the ring memory (little-endian `u64`s).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RingHeader {
    /// Frames the kernel has written (free-running); written by the kernel only.
    pub producer: u64,
    /// Frames the owner has consumed (free-running); written by the owner only.
    pub consumer: u64,
    /// Slots in the ring (set by the kernel at install).
    pub slots: u64,
    /// Bytes per slot ([`RING_SLOT_SIZE`]).
    pub slot_size: u64,
    /// Frames dropped because the ring was full (kernel).
    pub drops: u64,
}

impl RingHeader {
    /// Offset of `producer`.
    pub const PRODUCER: u64 = 0;
    /// Offset of `consumer`.
    pub const CONSUMER: u64 = 8;
    /// Offset of `slots`.
    pub const SLOTS: u64 = 16;
    /// Offset of `slot_size`.
    pub const SLOT_SIZE: u64 = 24;
    /// Offset of `drops`.
    pub const DROPS: u64 = 32;

    /// Slots a ring of `bytes` bytes holds.
    pub const fn slots_for(bytes: u64) -> u64 {
        bytes.saturating_sub(RING_HEADER) / RING_SLOT_SIZE
    }

    /// Offset of slot `n` (`n % slots`) from the ring's start.
    pub const fn slot_offset(n: u64, slots: u64) -> u64 {
        RING_HEADER + (n % slots) * RING_SLOT_SIZE
    }
}

/// What `net_info` writes at its `out` pointer ([`NetInfo::WORDS`] little-endian `u64`s).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetInfo {
    /// The MAC address, in transmission order.
    pub mac: [u8; 6],
    /// The largest IP packet (1500).
    pub mtu: u16,
    /// Whether the link is up.
    pub link_up: bool,
    /// The configured IPv4 address (network order packed big-endian in the low 32 bits; 0 until
    /// `net_config`).
    pub ip: u32,
    /// The configured netmask.
    pub netmask: u32,
    /// The configured gateway.
    pub gateway: u32,
    /// Frames received from the device.
    pub rx_frames: u64,
    /// Frames delivered into rings (a frame copied to several rings counts once per ring).
    pub rx_delivered: u64,
    /// Frames no filter claimed and no default owner took: dropped.
    pub rx_unclaimed: u64,
    /// Frames dropped because their ring was full.
    pub rx_ring_full: u64,
    /// Frames transmitted.
    pub tx_frames: u64,
    /// `net_send` calls refused by the transmit check.
    pub tx_refused: u64,
    /// Receive interrupts taken.
    pub interrupts: u64,
    /// Filters installed now.
    pub filters: u64,
    /// Ports claimed now.
    pub ports: u64,
    /// TSC cycles the kernel spent in receive interrupts (acknowledge, classify, copy, wake); under
    /// `-icount shift=0` these are guest instructions.
    pub rx_cycles: u64,
}

impl NetInfo {
    /// Words of the record.
    pub const WORDS: usize = 14;

    /// The record as words: 0 MAC (low 48 bits, first byte lowest) | mtu << 48; 1 link; 2 ip |
    /// netmask << 32; 3 gateway; then the counters in field order.
    pub const fn words(&self) -> [u64; NetInfo::WORDS] {
        let m = self.mac;
        let mac = m[0] as u64 | (m[1] as u64) << 8 | (m[2] as u64) << 16 | (m[3] as u64) << 24 | (m[4] as u64) << 32 | (m[5] as u64) << 40;
        [
            mac | (self.mtu as u64) << 48,
            self.link_up as u64,
            self.ip as u64 | (self.netmask as u64) << 32,
            self.gateway as u64,
            self.rx_frames,
            self.rx_delivered,
            self.rx_unclaimed,
            self.rx_ring_full,
            self.tx_frames,
            self.tx_refused,
            self.interrupts,
            self.filters,
            self.ports,
            self.rx_cycles,
        ]
    }

    /// The record from its words.
    pub const fn from_words(w: [u64; NetInfo::WORDS]) -> NetInfo {
        let m = w[0];
        NetInfo {
            mac: [m as u8, (m >> 8) as u8, (m >> 16) as u8, (m >> 24) as u8, (m >> 32) as u8, (m >> 40) as u8],
            mtu: (m >> 48) as u16,
            link_up: w[1] != 0,
            ip: w[2] as u32,
            netmask: (w[2] >> 32) as u32,
            gateway: w[3] as u32,
            rx_frames: w[4],
            rx_delivered: w[5],
            rx_unclaimed: w[6],
            rx_ring_full: w[7],
            tx_frames: w[8],
            tx_refused: w[9],
            interrupts: w[10],
            filters: w[11],
            ports: w[12],
            rx_cycles: w[13],
        }
    }
}

/// An IPv4 address as the calls take it: `a.b.c.d` is `u32::from_be_bytes([a, b, c, d])`.
pub const fn ipv4(a: u8, b: u8, c: u8, d: u8) -> u32 {
    u32::from_be_bytes([a, b, c, d])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_words_round_trip() {
        let info = NetInfo {
            mac: [0x52, 0x54, 0, 0x12, 0x34, 0x56],
            mtu: 1500,
            link_up: true,
            ip: ipv4(10, 0, 2, 15),
            netmask: ipv4(255, 255, 255, 0),
            gateway: ipv4(10, 0, 2, 2),
            rx_frames: 1,
            rx_delivered: 2,
            rx_unclaimed: 3,
            rx_ring_full: 4,
            tx_frames: 5,
            tx_refused: 6,
            interrupts: 7,
            filters: 8,
            ports: 9,
            rx_cycles: 10,
        };
        assert_eq!(NetInfo::from_words(info.words()), info);
    }

    #[test]
    fn ring_geometry() {
        assert_eq!(RingHeader::slots_for(4096), 1);
        assert_eq!(RingHeader::slots_for(8192), 3);
        assert_eq!(RingHeader::slot_offset(4, 3), RING_HEADER + RING_SLOT_SIZE);
        // Every slot lies inside one page.
        for n in 0..16 {
            let off = RingHeader::slot_offset(n, 16);
            assert_eq!(off / 4096, (off + RING_SLOT_SIZE - 1) / 4096);
        }
        assert!(RING_SLOT_DATA + MAX_FRAME as u64 <= RING_SLOT_SIZE);
    }

    #[test]
    fn port_kinds() {
        for k in PortKind::ALL {
            assert_eq!(PortKind::from_u64(k as u64), Some(k));
        }
        assert_eq!(PortKind::from_u64(0), None);
        assert_eq!(PortKind::from_u64(6), None);
    }
}
