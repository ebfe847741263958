//! Hostile test (`bad_dpf_outside_port`): filters that do not lie inside the port capability they
//! are installed through are refused (`OutsidePort`): another UDP port, a broader filter (the whole
//! IP protocol through one UDP port), another protocol, an ethertype port's filter for another type;
//! undecodable or oversized filters and bad arguments get their precise errors; a filter
//! identical to one's own is refused. The right filters are accepted.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use abi::net::{PortKind, BOOT_NIC_SLOT, MAX_FILTER_BYTES};
use abi::{Error, Sysnum};
use exos::sys::syscall::*;
use user::net::{self, Ring};
use user::Checks;

const RING_VA: u64 = 0x4000_0000;

fn main() -> i64 {
    let mut c = Checks::new("bad_dpf_outside_port");
    let nic = BOOT_NIC_SLOT;
    let ring = Ring::new(2, RING_VA).expect("a ring");
    let (udp, _) = sys_net_port_claim(nic, PortKind::Udp, 7).expect("UDP port 7");
    let (arp, _) = sys_net_port_claim(nic, PortKind::Ethertype, 0x0806).expect("the ARP ethertype");
    let install = |port, filter: &[u8]| sys_net_filter_install(port, filter, ring.slot, 0);
    c.equal("another UDP port", install(udp, &net::udp_filter(0, 8)).err(), Some(Error::OutsidePort));
    c.equal("the whole UDP protocol through one port", install(udp, &net::proto_filter(17)).err(), Some(Error::OutsidePort));
    c.equal("TCP port 7 through a UDP port", install(udp, &dpf::Filter::tcp_port(0, 7).encode()).err(), Some(Error::OutsidePort));
    c.equal("an ICMP identifier through a UDP port", install(udp, &net::icmp_filter(7)).err(), Some(Error::OutsidePort));
    c.equal("IPv4 through the ARP ethertype", install(arp, &dpf::Filter::ethertype(0x0800).encode()).err(), Some(Error::OutsidePort));
    c.equal("garbage bytes", install(udp, &[0xff; 40]).err(), Some(Error::BadArgument));
    let valid = net::udp_filter(0, 7);
    let (_, e) = user::raw_syscall(Sysnum::NetFilterInstall as u64, [udp, valid.as_ptr() as u64, 0, ring.slot, 0, 0]);
    c.equal("no bytes", e, Some(Error::BadArgument));
    let (_, e) = user::raw_syscall(Sysnum::NetFilterInstall as u64, [udp, valid.as_ptr() as u64, valid.len() as u64 - 1, ring.slot, 0, 0]);
    c.equal("a filter cut short", e, Some(Error::BadArgument));
    let huge = alloc::vec![0u8; MAX_FILTER_BYTES as usize + 1];
    c.equal("a filter over MAX_FILTER_BYTES", install(udp, &huge).err(), Some(Error::TooLong));
    let (_, e) = user::raw_syscall(Sysnum::NetFilterInstall as u64, [udp, 0xffff_8000_0000_0000, 64, ring.slot, 0, 0]);
    c.equal("a kernel pointer", e, Some(Error::BadAddress));
    c.equal("unknown flags", sys_net_filter_install(udp, &net::udp_filter(0, 7), ring.slot, 2).err(), Some(Error::BadArgument));
    c.equal("through a ring slot, not a port", install(ring.slot, &net::udp_filter(0, 7)).err(), Some(Error::WrongType));
    c.equal("through the Nic capability", install(nic, &net::udp_filter(0, 7)).err(), Some(Error::WrongType));
    // The right ones.
    let good = install(udp, &net::udp_filter(0, 7));
    c.check("UDP port 7's own filter", good.is_ok());
    c.equal("the same filter twice", install(udp, &net::udp_filter(0, 7)).err(), Some(Error::Overlaps));
    c.check("a more specific one inside the port (one address)", install(udp, &net::udp_filter(net::GUEST_IP, 7)).is_ok());
    c.check("the ARP ethertype's own filter", install(arp, &dpf::Filter::ethertype(0x0806).encode()).is_ok());
    c.finish()
}

exos::main!(main);
