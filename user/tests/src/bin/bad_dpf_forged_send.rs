//! Hostile test (`bad_dpf_forged_send`): the transmit check. Through a UDP port capability, frames
//! with a forged source port, source IP address or source MAC, another protocol, a non-IPv4 type, an
//! ARP frame claiming another address, a truncated header, or sizes out of range are refused
//! (`OutsidePort`, `BadArgument`, `TooLong`) and counted; a port capability without `PORT_SEND`
//! cannot send (`NoRights`). The one honest datagram goes to the slirp gateway's discard port.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::net::{PortKind, BOOT_NIC_SLOT, MAX_FRAME, PORT_RECEIVE};
use abi::{Error, Rights};
use exos::sys::syscall::*;
use user::net::{self, GATEWAY_IP, GUEST_IP, NETMASK};
use user::Checks;

const SPORT: u16 = 5555;

fn main() -> i64 {
    let mut c = Checks::new("bad_dpf_forged_send");
    let nic = BOOT_NIC_SLOT;
    let info = sys_net_info(nic).expect("net_info");
    let mac = info.mac;
    // Unconfigured: no source address is ours yet.
    let (port, _) = sys_net_port_claim(nic, PortKind::Udp, SPORT).expect("a UDP port");
    let gw = [0x52, 0x55, 10, 0, 2, 2];
    let udp = |src_mac, src, sport| net::udp_frame(gw, src_mac, src, GATEWAY_IP, sport, 9, b"exo");
    c.equal("from an address before net_config", sys_net_send(port, &udp(mac, GUEST_IP, SPORT)), Err(Error::OutsidePort));
    c.equal("configure", sys_net_config(nic, GUEST_IP, NETMASK, GATEWAY_IP), Ok(()));
    c.equal("a forged source port", sys_net_send(port, &udp(mac, GUEST_IP, SPORT + 1)), Err(Error::OutsidePort));
    c.equal("a forged source address", sys_net_send(port, &udp(mac, GUEST_IP + 1, SPORT)), Err(Error::OutsidePort));
    c.equal("0.0.0.0 from a port other than DHCP's", sys_net_send(port, &udp(mac, 0, SPORT)), Err(Error::OutsidePort));
    let mut other_mac = mac;
    other_mac[5] ^= 1;
    c.equal("a forged source MAC", sys_net_send(port, &udp(other_mac, GUEST_IP, SPORT)), Err(Error::OutsidePort));
    let icmp = net::icmp_echo(gw, mac, GUEST_IP, GATEWAY_IP, SPORT, 1);
    c.equal("ICMP through a UDP port", sys_net_send(port, &icmp), Err(Error::OutsidePort));
    let mut ipv6 = udp(mac, GUEST_IP, SPORT);
    ipv6[12..14].copy_from_slice(&0x86ddu16.to_be_bytes());
    c.equal("another ethertype", sys_net_send(port, &ipv6), Err(Error::OutsidePort));
    c.equal("ARP for another address", sys_net_send(port, &net::arp_request(mac, GUEST_IP + 1, GATEWAY_IP)), Err(Error::OutsidePort));
    c.equal("ARP with another MAC", sys_net_send(port, &net::arp_request(other_mac, GUEST_IP, GATEWAY_IP)), Err(Error::OutsidePort));
    let frame = udp(mac, GUEST_IP, SPORT);
    c.equal("a header cut short", sys_net_send(port, &frame[..14 + 20 + 1]), Err(Error::OutsidePort));
    c.equal("shorter than an Ethernet header", sys_net_send(port, &frame[..13]), Err(Error::BadArgument));
    let long = alloc::vec![0u8; MAX_FRAME + 1];
    c.equal("longer than MAX_FRAME", sys_net_send(port, &long), Err(Error::TooLong));
    let receive_only = sys_cap_grant(port, exos::proc::process::id(), Rights(PORT_RECEIVE)).expect("a receive-only copy");
    c.equal("without PORT_SEND", sys_net_send(receive_only, &frame), Err(Error::NoRights));
    c.equal("through the Nic capability", sys_net_send(nic, &frame), Err(Error::WrongType));
    let refused = sys_net_info(nic).map(|i| i.tx_refused - info.tx_refused);
    c.equal("the refusals were counted", refused, Ok(10));
    c.equal("the honest datagram goes", sys_net_send(port, &frame), Ok(()));
    c.finish()
}

extern crate alloc;

exos::main!(main);
