//! The ports a stack holds, the packet filters it installs in them (the `dpf` crate's wire
//! format), and the choice of the port a frame is sent through, from the frame's binding
//! (`exoscore::net::frame`).
use abi::net::PortKind;
use alloc::vec::Vec;
use dpf::Filter;
use exoscore::net::frame::{binding, Binding, ETHERTYPE_ARP};

/// One port this process claimed, with the filter it installed inside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Port {
    pub kind: PortKind,
    pub value: u16,
    /// The port capability.
    pub slot: u64,
    /// Sockets of the stack using it; the capability goes when the last one does.
    pub users: u32,
    /// A filter of this port asks for the ARP copies (one port of the stack does).
    pub arp: bool,
}

/// The encoded filter for port `value` of `kind`: frames to that port, and to address `ip`
/// unless it is 0.0.0.0 (the stack's filters take any destination address: the port is this
/// environment's alone; a second filter of a UDP or TCP port names the address, so that it is
/// not identical to the first, when the ARP copies move to it, `link.rs`).
pub fn for_port(kind: PortKind, value: u16, ip: [u8; 4]) -> Vec<u8> {
    let ip = u32::from_be_bytes(ip);
    let filter = match kind {
        PortKind::Udp => Filter::udp_port(ip, value),
        PortKind::Tcp => Filter::tcp_port(ip, value),
        PortKind::IcmpId => Filter::icmp_id(value),
        PortKind::IpProto => Filter::ip_proto(value as u8),
        PortKind::Ethertype => Filter::ethertype(value),
    };
    filter.encode()
}

/// The capability of the port among `ports` that `frame` must be sent through, if any.
pub fn port_of(frame: &[u8], ports: &[Port]) -> Option<u64> {
    let find = |kind: PortKind, value: u16| ports.iter().find(|p| p.kind == kind && p.value == value).map(|p| p.slot);
    match binding(frame)? {
        Binding::Arp => find(PortKind::Ethertype, ETHERTYPE_ARP)
            .or_else(|| ports.iter().find(|p| p.kind != PortKind::Ethertype).map(|p| p.slot)),
        Binding::Udp(port) => find(PortKind::Udp, port),
        Binding::Tcp(port) => find(PortKind::Tcp, port),
        Binding::IcmpId(id) => find(PortKind::IcmpId, id).or_else(|| find(PortKind::IpProto, 1)),
        Binding::IpProto(proto) => find(PortKind::IpProto, u16::from(proto)),
        Binding::Ethertype(t) => find(PortKind::Ethertype, t),
    }
}
