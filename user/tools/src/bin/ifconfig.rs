//! `ifconfig`: the network interface as the kernel reports it (`net_info`): link state, MTU,
//! the IPv4 address, netmask and gateway (set by DHCP at boot), the MAC address and the
//! kernel's counters. `ifconfig: no network interface` (status 1) on a machine without a NIC.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use exoscore::net::show::{prefix_of, Interface};
use user::util;

const USAGE: &str = "ifconfig";

fn main() -> i64 {
    if !util::operands().is_empty() {
        return util::usage_error("ifconfig: no operands expected", USAGE);
    }
    let info = match exos::net::info() {
        Ok(info) => info,
        Err(_) => {
            exos::eprintln!("ifconfig: no network interface");
            return 1;
        }
    };
    let interface = Interface {
        mac: info.mac,
        mtu: u32::from(info.mtu),
        up: info.link_up,
        ip: info.ip.to_be_bytes(),
        prefix: prefix_of(info.netmask.to_be_bytes()),
        gateway: info.gateway.to_be_bytes(),
        rx_packets: info.rx_frames,
        rx_delivered: info.rx_delivered,
        tx_packets: info.tx_frames,
        interrupts: info.interrupts,
        filters: info.filters,
        ports: info.ports,
        rx_unclaimed: info.rx_unclaimed,
        rx_ring_full: info.rx_ring_full,
        tx_refused: info.tx_refused,
    };
    util::out(interface.report("eth0").as_bytes());
    0
}

exos::main!(main);
