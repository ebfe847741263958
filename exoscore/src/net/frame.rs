//! What an outgoing Ethernet frame is bound to, for choosing the port capability the kernel will
//! check it against (`exos/src/net/link.rs`): its ethertype, and for IPv4 its protocol and its
//! source port (UDP, TCP) or echo identifier (ICMP echo request or reply). Bounds-checked: a
//! short or malformed frame gives `None`, never a panic.

/// What a frame's sender must hold a port for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binding {
    /// An ARP frame (any IPv4 port of the sender, or an ARP ethertype port, will do).
    Arp,
    /// A UDP datagram from this source port.
    Udp(u16),
    /// A TCP segment from this source port.
    Tcp(u16),
    /// An ICMP echo request or reply with this identifier.
    IcmpId(u16),
    /// Another IPv4 packet of this protocol (including ICMP messages other than echo).
    IpProto(u8),
    /// A frame of another ethertype.
    Ethertype(u16),
}

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_ARP: u16 = 0x0806;

fn be16(frame: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*frame.get(at)?, *frame.get(at + 1)?]))
}

/// The binding of `frame` (from its Ethernet header on).
pub fn binding(frame: &[u8]) -> Option<Binding> {
    let ethertype = be16(frame, 12)?;
    match ethertype {
        ETHERTYPE_ARP => return Some(Binding::Arp),
        ETHERTYPE_IPV4 => {}
        other => return Some(Binding::Ethertype(other)),
    }
    let ip = 14;
    let version_ihl = *frame.get(ip)?;
    if version_ihl >> 4 != 4 || version_ihl & 0xf < 5 {
        return None;
    }
    let l4 = ip + usize::from(version_ihl & 0xf) * 4;
    let proto = *frame.get(ip + 9)?;
    // A fragment after the first has no transport header.
    let fragment_offset = be16(frame, ip + 6)? & 0x1fff;
    if fragment_offset != 0 {
        return Some(Binding::IpProto(proto));
    }
    Some(match proto {
        17 => Binding::Udp(be16(frame, l4)?),
        6 => Binding::Tcp(be16(frame, l4)?),
        1 if matches!(frame.get(l4)?, 0 | 8) => Binding::IcmpId(be16(frame, l4 + 4)?),
        other => Binding::IpProto(other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn ipv4(proto: u8, ihl: u8, l4: &[u8]) -> Vec<u8> {
        let mut f = alloc::vec![0u8; 14];
        f[12..14].copy_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
        let mut ip = alloc::vec![0u8; usize::from(ihl) * 4];
        ip[0] = 0x40 | ihl;
        ip[9] = proto;
        f.extend_from_slice(&ip);
        f.extend_from_slice(l4);
        f
    }

    #[test]
    fn bindings() {
        assert_eq!(binding(&ipv4(17, 5, &[0, 68, 0, 67])), Some(Binding::Udp(68)));
        assert_eq!(binding(&ipv4(6, 6, &[0x1f, 0x90, 0, 80])), Some(Binding::Tcp(8080)));
        assert_eq!(binding(&ipv4(1, 5, &[8, 0, 0, 0, 0x12, 0x34])), Some(Binding::IcmpId(0x1234)));
        assert_eq!(binding(&ipv4(1, 5, &[0, 0, 0, 0, 0, 7])), Some(Binding::IcmpId(7)));
        assert_eq!(binding(&ipv4(1, 5, &[3, 3, 0, 0, 0, 7])), Some(Binding::IpProto(1)));
        assert_eq!(binding(&ipv4(47, 5, &[])), Some(Binding::IpProto(47)));
        let mut arp = alloc::vec![0u8; 42];
        arp[12..14].copy_from_slice(&ETHERTYPE_ARP.to_be_bytes());
        assert_eq!(binding(&arp), Some(Binding::Arp));
        let mut v6 = alloc::vec![0u8; 60];
        v6[12..14].copy_from_slice(&0x86ddu16.to_be_bytes());
        assert_eq!(binding(&v6), Some(Binding::Ethertype(0x86dd)));
    }

    #[test]
    fn short_and_malformed_frames() {
        assert_eq!(binding(&[]), None);
        assert_eq!(binding(&[0; 13]), None);
        let udp = ipv4(17, 5, &[0, 68, 0, 67]);
        for cut in 14..35 {
            assert_eq!(binding(&udp[..cut]), None, "cut at {cut}");
        }
        assert_eq!(binding(&ipv4(17, 4, &[0, 68])), None);
        let mut v6_in_v4 = ipv4(17, 5, &[0, 68]);
        v6_in_v4[14] = 0x65;
        assert_eq!(binding(&v6_in_v4), None);
        let mut fragment = ipv4(17, 5, &[0, 68, 0, 67]);
        fragment[21] = 1;
        assert_eq!(binding(&fragment), Some(Binding::IpProto(17)));
    }
}
