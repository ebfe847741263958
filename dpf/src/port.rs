//! Port capabilities' canonical prefixes, the check that a filter lies within a port, and the
//! builders of the usual filters.
//!
//! | kind | canonical prefix (offsets from the frame start; after the shift, from the new base) |
//! |---|---|
//! | `Ethertype(t)` | `u16@12 == t` |
//! | `IpProto(p)` | `u16@12 == 0x0800`, `u8@23 == p` |
//! | `UdpPort(n)` | `u16@12 == 0x0800`, `u8@23 == 17`, shift `(u8@14 & 0x0f) << 2`, `u16@16 == n` (destination port) |
//! | `TcpPort(n)` | as UDP with protocol 6 |
//! | `IcmpId(i)` | `u16@12 == 0x0800`, `u8@23 == 1`, shift, `u16@18 == i` (echo identifier) |
//!
//! A filter is within a port when every frame it matches satisfies the port's prefix: the
//! prefix's shift atoms begin the filter's and every byte the prefix tests is tested the same way
//! by the filter ([`crate::overlap::Constraints::implies`]). Extra atoms anywhere only narrow it.

use crate::atom::{Atom, Filter, FilterError};
use crate::overlap::{Constraints, Missing};
use alloc::vec::Vec;

/// IPv4's ethertype.
pub const ETHERTYPE_IPV4: u16 = 0x0800;
/// ARP's ethertype.
pub const ETHERTYPE_ARP: u16 = 0x0806;
/// IP protocol numbers.
pub const PROTO_ICMP: u8 = 1;
/// TCP's IP protocol number.
pub const PROTO_TCP: u8 = 6;
/// UDP's IP protocol number.
pub const PROTO_UDP: u8 = 17;
/// Offset of the IPv4 destination address from the frame start.
pub const IP_DST: u16 = 30;
/// Offset of the IPv4 source address from the frame start.
pub const IP_SRC: u16 = 26;
/// Offset of a UDP/TCP destination port from the base after [`Atom::IP_HEADER_SHIFT`].
pub const L4_DST_PORT: u16 = 16;
/// Offset of a UDP/TCP source port from the base after the IP header shift.
pub const L4_SRC_PORT: u16 = 14;
/// Offset of an ICMP echo identifier from the base after the IP header shift.
pub const ICMP_ID: u16 = 18;

/// The kinds of port capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum PortKind {
    /// An Ethernet type (e.g. 0x0806 for ARP).
    Ethertype = 1,
    /// An IPv4 protocol number.
    IpProto = 2,
    /// A local UDP port.
    UdpPort = 3,
    /// A local TCP port.
    TcpPort = 4,
    /// An ICMP echo identifier.
    IcmpId = 5,
}

impl PortKind {
    /// The kind numbered `n` in the ABI.
    pub const fn from_u8(n: u8) -> Option<PortKind> {
        match n {
            1 => Some(PortKind::Ethertype),
            2 => Some(PortKind::IpProto),
            3 => Some(PortKind::UdpPort),
            4 => Some(PortKind::TcpPort),
            5 => Some(PortKind::IcmpId),
            _ => None,
        }
    }
}

/// One port: a kind and its value (an IP protocol fits in the low byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Port {
    /// What the value names.
    pub kind: PortKind,
    /// The ethertype, protocol, port number or identifier.
    pub value: u16,
}

impl Port {
    /// A port.
    pub const fn new(kind: PortKind, value: u16) -> Port {
        Port { kind, value }
    }

    /// The canonical prefix: the atoms every filter within this port must imply.
    pub fn prefix(&self) -> Vec<Atom> {
        let ip = Atom::eq16(12, ETHERTYPE_IPV4);
        let l4 = |proto: u8, offset: u16| {
            alloc::vec![ip, Atom::eq8(23, proto), Atom::IP_HEADER_SHIFT, Atom::eq16(offset, self.value)]
        };
        match self.kind {
            PortKind::Ethertype => alloc::vec![Atom::eq16(12, self.value)],
            PortKind::IpProto => alloc::vec![ip, Atom::eq8(23, self.value as u8)],
            PortKind::UdpPort => l4(PROTO_UDP, L4_DST_PORT),
            PortKind::TcpPort => l4(PROTO_TCP, L4_DST_PORT),
            PortKind::IcmpId => l4(PROTO_ICMP, ICMP_ID),
        }
    }
}

impl Filter {
    /// Checks that every frame this filter matches lies within `port`; else
    /// [`FilterError::NotWithinPort`] names the first atom of the port's prefix the filter does
    /// not imply.
    pub fn within(&self, port: &Port) -> Result<(), FilterError> {
        let prefix = port.prefix();
        let mine = Constraints::of(self.atoms())?;
        let theirs = Constraints::of(&prefix)?;
        match mine.implies(&theirs) {
            Ok(()) => Ok(()),
            Err(missing) => Err(FilterError::NotWithinPort { atom: prefix_atom(&prefix, missing) }),
        }
    }

    /// Frames of one ethertype.
    pub fn ethertype(ethertype: u16) -> Filter {
        Filter::built(&[Atom::eq16(12, ethertype)])
    }

    /// IPv4 frames of one protocol.
    pub fn ip_proto(proto: u8) -> Filter {
        Filter::built(&[Atom::eq16(12, ETHERTYPE_IPV4), Atom::eq8(23, proto)])
    }

    /// UDP datagrams to `port`, and to the IPv4 address `ip` unless it is 0.
    pub fn udp_port(ip: u32, port: u16) -> Filter {
        Filter::transport(PROTO_UDP, ip, L4_DST_PORT, port)
    }

    /// TCP segments to `port`, and to `ip` unless it is 0.
    pub fn tcp_port(ip: u32, port: u16) -> Filter {
        Filter::transport(PROTO_TCP, ip, L4_DST_PORT, port)
    }

    /// ICMP messages whose echo identifier is `id`.
    pub fn icmp_id(id: u16) -> Filter {
        Filter::transport(PROTO_ICMP, 0, ICMP_ID, id)
    }

    fn transport(proto: u8, ip: u32, offset: u16, value: u16) -> Filter {
        let mut atoms = alloc::vec![Atom::eq16(12, ETHERTYPE_IPV4), Atom::eq8(23, proto)];
        if ip != 0 {
            atoms.push(Atom::eq32(IP_DST, ip));
        }
        atoms.push(Atom::IP_HEADER_SHIFT);
        atoms.push(Atom::eq16(offset, value));
        Filter::built(&atoms)
    }

    /// A filter of the builders' own atoms, constants within every limit (the unit tests check
    /// each builder's result against [`Filter::new`]).
    fn built(atoms: &[Atom]) -> Filter {
        Filter::trusted(atoms)
    }
}

/// The index in `prefix` of the atom behind a missing rule.
fn prefix_atom(prefix: &[Atom], missing: Missing) -> usize {
    let mut shifts = 0usize;
    for (index, atom) in prefix.iter().enumerate() {
        match (*atom, missing) {
            (Atom::Shift { .. }, Missing::Shift(n)) if n == shifts => return index,
            (Atom::Shift { .. }, _) => shifts += 1,
            (Atom::Cmp { offset, size, .. }, Missing::Byte { ctx, pos })
                if ctx as usize == shifts && pos >= offset && (pos as usize) < offset as usize + size.bytes() =>
            {
                return index;
            }
            _ => {}
        }
    }
    0
}
