//! The network interface's hardware-free logic: the port table (who holds which port, ephemeral
//! values) and the transmit check (`net_send`: a frame must lie inside the sender's port binding).
//! The kernel's `net/` owns the state and the device; this file only decides.
use abi::net::{PortKind, EPHEMERAL_FIRST, MAX_FRAME, MAX_PORTS, MIN_FRAME};
use alloc::collections::BTreeMap;

/// Ethernet type of IPv4.
pub const ETHERTYPE_IPV4: u16 = 0x0800;
/// Ethernet type of ARP.
pub const ETHERTYPE_ARP: u16 = 0x0806;
/// IP protocol numbers the checks know.
pub const PROTO_ICMP: u8 = 1;
pub const PROTO_TCP: u8 = 6;
pub const PROTO_UDP: u8 = 17;
/// The DHCP client's UDP port: the only one that may send from 0.0.0.0.
pub const DHCP_CLIENT_PORT: u16 = 68;

/// Why a claim failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimError {
    /// Another holder has the port.
    Taken,
    /// No ephemeral value is free.
    Exhausted,
    /// [`MAX_PORTS`] ports are claimed.
    Full,
    /// The value is out of the kind's range, or 0 where the kind has no ephemeral values.
    BadValue,
}

/// Who holds a port: the environment's id and the slot of its root Port capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Holder {
    pub id: u64,
    pub slot: u64,
}

/// The ports claimed on the NIC, first come.
#[derive(Debug, Default)]
pub struct Ports {
    held: BTreeMap<(u8, u16), Holder>,
    /// Where the next ephemeral search starts, per kind.
    cursor: [u16; 8],
}

impl Ports {
    /// No port claimed.
    pub const fn new() -> Ports {
        Ports { held: BTreeMap::new(), cursor: [0; 8] }
    }

    /// How many ports are claimed.
    pub fn len(&self) -> usize {
        self.held.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// The value `claim` would give (`value` or a free ephemeral one), without claiming it. At most
    /// [`MAX_PORTS`] + 1 probes: claimed values are at most that many.
    pub fn pick(&mut self, kind: PortKind, value: u64) -> Result<u16, ClaimError> {
        if value > kind.max_value() || (value == 0 && !kind.has_ephemeral()) {
            return Err(ClaimError::BadValue);
        }
        if self.held.len() >= MAX_PORTS {
            return Err(ClaimError::Full);
        }
        let k = kind as u8;
        if value != 0 {
            return if self.held.contains_key(&(k, value as u16)) { Err(ClaimError::Taken) } else { Ok(value as u16) };
        }
        let span = 0x1_0000 - EPHEMERAL_FIRST;
        let start = u64::from(self.cursor[usize::from(k)]);
        for i in 0..=(MAX_PORTS as u64) {
            let v = (EPHEMERAL_FIRST + (start + i) % span) as u16;
            if !self.held.contains_key(&(k, v)) {
                self.cursor[usize::from(k)] = ((start + i + 1) % span) as u16;
                return Ok(v);
            }
        }
        Err(ClaimError::Exhausted)
    }

    /// Records that `holder` holds (`kind`, `value`), a value `pick` gave.
    pub fn insert(&mut self, kind: PortKind, value: u16, holder: Holder) {
        self.held.insert((kind as u8, value), holder);
    }

    /// Frees the port if `is_holder` says its holder is the one going; returns that holder.
    pub fn release(&mut self, kind: u8, value: u16, is_holder: impl FnOnce(&Holder) -> bool) -> Option<Holder> {
        let holder = *self.held.get(&(kind, value))?;
        is_holder(&holder).then(|| {
            self.held.remove(&(kind, value));
            holder
        })
    }
}

/// The interface as the transmit check sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interface {
    pub mac: [u8; 6],
    /// The configured IPv4 address (0: none).
    pub ip: u32,
}

/// Why `net_send` refused a frame (all `Error::OutsidePort`, but tests and logs name the check).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Shorter than an Ethernet header, or than the headers the binding needs.
    Short,
    /// Longer than [`MAX_FRAME`].
    Long,
    /// The source MAC is not the NIC's.
    SourceMac,
    /// An `Ethertype` port's type differs from the frame's.
    Ethertype,
    /// An IP port and the frame is not IPv4 (version 4, header length 20..=60).
    NotIpv4,
    /// The IP protocol is not the port's.
    Protocol,
    /// The source IP is not the configured address (nor 0.0.0.0 from the DHCP client port).
    SourceIp,
    /// The UDP/TCP source port is not the port's.
    SourcePort,
    /// An ICMP port and the message is not an echo request/reply with the port's identifier.
    IcmpId,
    /// An ARP frame whose sender MAC or IP is not the NIC's / the configured address (or 0.0.0.0).
    ArpSender,
}

fn be16(f: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*f.get(at)?, *f.get(at + 1)?]))
}

fn be32(f: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([*f.get(at)?, *f.get(at + 1)?, *f.get(at + 2)?, *f.get(at + 3)?]))
}

/// Checks that `frame` may leave through a port capability binding (`kind`, `value`) on
/// interface `nic`. Every field read is bounds-checked (a short frame is refused, never read past).
pub fn check_send(frame: &[u8], kind: PortKind, value: u16, nic: &Interface) -> Result<(), Refusal> {
    if frame.len() < MIN_FRAME {
        return Err(Refusal::Short);
    }
    if frame.len() > MAX_FRAME {
        return Err(Refusal::Long);
    }
    if frame[6..12] != nic.mac {
        return Err(Refusal::SourceMac);
    }
    let ethertype = be16(frame, 12).ok_or(Refusal::Short)?;
    // ARP goes through any port: each library stack resolves its own neighbours, but only as
    // itself (the NIC's MAC and the configured address, or 0.0.0.0 for a probe).
    if ethertype == ETHERTYPE_ARP && kind != PortKind::Ethertype {
        let sender_mac = frame.get(22..28).ok_or(Refusal::Short)?;
        let sender_ip = be32(frame, 28).ok_or(Refusal::Short)?;
        if sender_mac != nic.mac || (sender_ip != nic.ip && sender_ip != 0) {
            return Err(Refusal::ArpSender);
        }
        return Ok(());
    }
    if kind == PortKind::Ethertype {
        return if ethertype == value { Ok(()) } else { Err(Refusal::Ethertype) };
    }
    if ethertype != ETHERTYPE_IPV4 {
        return Err(Refusal::NotIpv4);
    }
    let vihl = *frame.get(14).ok_or(Refusal::Short)?;
    let ihl = usize::from(vihl & 0xf) * 4;
    if vihl >> 4 != 4 || ihl < 20 {
        return Err(Refusal::NotIpv4);
    }
    let proto = *frame.get(23).ok_or(Refusal::Short)?;
    let source = be32(frame, 26).ok_or(Refusal::Short)?;
    let l4 = 14 + ihl;
    let want = match kind {
        PortKind::IpProto => value as u8,
        PortKind::Udp => PROTO_UDP,
        PortKind::Tcp => PROTO_TCP,
        PortKind::IcmpId => PROTO_ICMP,
        PortKind::Ethertype => unreachable!("handled above"),
    };
    if kind == PortKind::IpProto && value > 255 || proto != want {
        return Err(Refusal::Protocol);
    }
    let dhcp = kind == PortKind::Udp && value == DHCP_CLIENT_PORT && source == 0;
    if (source != nic.ip || source == 0) && !dhcp {
        return Err(Refusal::SourceIp);
    }
    match kind {
        PortKind::Udp | PortKind::Tcp => {
            if be16(frame, l4).ok_or(Refusal::Short)? != value {
                return Err(Refusal::SourcePort);
            }
        }
        PortKind::IcmpId => {
            let icmp_type = *frame.get(l4).ok_or(Refusal::Short)?;
            if !matches!(icmp_type, 0 | 8) || be16(frame, l4 + 4).ok_or(Refusal::Short)? != value {
                return Err(Refusal::IcmpId);
            }
        }
        PortKind::IpProto | PortKind::Ethertype => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    const MAC: [u8; 6] = [0x52, 0x54, 0, 0x12, 0x34, 0x56];
    const IP: u32 = 0x0a00_020f;
    const NIC: Interface = Interface { mac: MAC, ip: IP };

    fn ip_frame(proto: u8, src: u32, l4: &[u8]) -> Vec<u8> {
        let mut f = Vec::new();
        f.extend_from_slice(&[0xff; 6]);
        f.extend_from_slice(&MAC);
        f.extend_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
        let mut ip = [0u8; 20];
        ip[0] = 0x45;
        ip[9] = proto;
        ip[12..16].copy_from_slice(&src.to_be_bytes());
        ip[16..20].copy_from_slice(&0x0a00_0202u32.to_be_bytes());
        f.extend_from_slice(&ip);
        f.extend_from_slice(l4);
        f
    }

    fn arp(sender_mac: [u8; 6], sender_ip: u32) -> Vec<u8> {
        let mut f = Vec::new();
        f.extend_from_slice(&[0xff; 6]);
        f.extend_from_slice(&MAC);
        f.extend_from_slice(&ETHERTYPE_ARP.to_be_bytes());
        f.extend_from_slice(&[0, 1, 8, 0, 6, 4, 0, 1]);
        f.extend_from_slice(&sender_mac);
        f.extend_from_slice(&sender_ip.to_be_bytes());
        f.extend_from_slice(&[0; 6]);
        f.extend_from_slice(&0x0a00_0202u32.to_be_bytes());
        f
    }

    #[test]
    fn udp_from_the_bound_port_passes_and_forgeries_fail() {
        let good = ip_frame(PROTO_UDP, IP, &[0x1f, 0x90, 0, 7, 0, 8, 0, 0]);
        assert_eq!(check_send(&good, PortKind::Udp, 8080, &NIC), Ok(()));
        assert_eq!(check_send(&good, PortKind::Udp, 8081, &NIC), Err(Refusal::SourcePort));
        assert_eq!(check_send(&good, PortKind::Tcp, 8080, &NIC), Err(Refusal::Protocol));
        let forged_ip = ip_frame(PROTO_UDP, IP + 1, &[0x1f, 0x90, 0, 7, 0, 8, 0, 0]);
        assert_eq!(check_send(&forged_ip, PortKind::Udp, 8080, &NIC), Err(Refusal::SourceIp));
        let mut forged_mac = good.clone();
        forged_mac[11] ^= 1;
        assert_eq!(check_send(&forged_mac, PortKind::Udp, 8080, &NIC), Err(Refusal::SourceMac));
        let truncated = &good[..14 + 20 + 1];
        assert_eq!(check_send(truncated, PortKind::Udp, 8080, &NIC), Err(Refusal::Short));
    }

    #[test]
    fn dhcp_may_send_from_zero_only_from_port_68() {
        let dhcp = ip_frame(PROTO_UDP, 0, &[0, 68, 0, 67, 0, 8, 0, 0]);
        assert_eq!(check_send(&dhcp, PortKind::Udp, 68, &Interface { mac: MAC, ip: 0 }), Ok(()));
        let other = ip_frame(PROTO_UDP, 0, &[0, 69, 0, 67, 0, 8, 0, 0]);
        assert_eq!(check_send(&other, PortKind::Udp, 69, &Interface { mac: MAC, ip: 0 }), Err(Refusal::SourceIp));
    }

    #[test]
    fn icmp_echo_needs_the_identifier() {
        let echo = ip_frame(PROTO_ICMP, IP, &[8, 0, 0, 0, 0x12, 0x34, 0, 1]);
        assert_eq!(check_send(&echo, PortKind::IcmpId, 0x1234, &NIC), Ok(()));
        assert_eq!(check_send(&echo, PortKind::IcmpId, 0x1235, &NIC), Err(Refusal::IcmpId));
        let unreachable = ip_frame(PROTO_ICMP, IP, &[3, 0, 0, 0, 0x12, 0x34, 0, 1]);
        assert_eq!(check_send(&unreachable, PortKind::IcmpId, 0x1234, &NIC), Err(Refusal::IcmpId));
    }

    #[test]
    fn arp_only_as_ourselves() {
        assert_eq!(check_send(&arp(MAC, IP), PortKind::IcmpId, 1, &NIC), Ok(()));
        assert_eq!(check_send(&arp(MAC, 0), PortKind::Udp, 1, &NIC), Ok(()));
        assert_eq!(check_send(&arp(MAC, IP + 1), PortKind::Udp, 1, &NIC), Err(Refusal::ArpSender));
        let mut other = MAC;
        other[0] ^= 2;
        assert_eq!(check_send(&arp(other, IP), PortKind::Udp, 1, &NIC), Err(Refusal::ArpSender));
        assert_eq!(check_send(&arp(MAC, IP), PortKind::Ethertype, ETHERTYPE_IPV4, &NIC), Err(Refusal::Ethertype));
        assert_eq!(check_send(&arp(MAC, IP), PortKind::Ethertype, ETHERTYPE_ARP, &NIC), Ok(()));
    }

    #[test]
    fn ports_first_come_and_ephemeral() {
        let mut ports = Ports::new();
        let a = Holder { id: 1, slot: 3 };
        let b = Holder { id: 2, slot: 4 };
        assert_eq!(ports.pick(PortKind::Udp, 7), Ok(7));
        ports.insert(PortKind::Udp, 7, a);
        assert_eq!(ports.pick(PortKind::Udp, 7), Err(ClaimError::Taken));
        assert_eq!(ports.pick(PortKind::Tcp, 7), Ok(7));
        assert_eq!(ports.pick(PortKind::Ethertype, 0), Err(ClaimError::BadValue));
        assert_eq!(ports.pick(PortKind::IpProto, 256), Err(ClaimError::BadValue));
        let e = ports.pick(PortKind::Udp, 0).unwrap();
        assert!(u64::from(e) >= EPHEMERAL_FIRST);
        ports.insert(PortKind::Udp, e, b);
        assert_ne!(ports.pick(PortKind::Udp, 0).unwrap(), e);
        assert_eq!(ports.release(PortKind::Udp as u8, 7, |h| *h == b), None, "only the holder releases");
        assert_eq!(ports.release(PortKind::Udp as u8, 7, |h| *h == a), Some(a));
        assert_eq!(ports.pick(PortKind::Udp, 7), Ok(7));
    }

    #[test]
    fn ports_table_is_bounded() {
        let mut ports = Ports::new();
        for i in 0..MAX_PORTS {
            let v = ports.pick(PortKind::Tcp, 0).unwrap();
            ports.insert(PortKind::Tcp, v, Holder { id: i as u64, slot: 0 });
        }
        assert_eq!(ports.pick(PortKind::Tcp, 0), Err(ClaimError::Full));
    }
}
