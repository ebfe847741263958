//! A smoltcp interface over this process's device: the stack's clock (the kernel's, in
//! microseconds), the address configuration as `net_info` reports it, and building the interface
//! with the NIC's MAC, an address and a default route (used by the stack and by DHCP's own).
use super::device::Device;
use crate::sys::wait;
use abi::net::NetInfo;
use smoltcp::iface::{Config, Interface};
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr, Ipv4Address};

/// The address configuration the stack runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Addressing {
    pub ip: [u8; 4],
    pub prefix: u8,
    pub gateway: [u8; 4],
}


/// smoltcp's clock: the kernel's, in microseconds.
pub fn now() -> Instant {
    Instant::from_micros((wait::now_ns() / 1000) as i64)
}

/// The addressing `net_info` reports (`None`: not configured yet).
pub fn addressing(info: &NetInfo) -> Option<Addressing> {
    (info.ip != 0).then(|| Addressing {
        ip: info.ip.to_be_bytes(),
        prefix: info.netmask.leading_ones() as u8,
        gateway: info.gateway.to_be_bytes(),
    })
}

/// A smoltcp interface for `dev` with the NIC's MAC and, if given, `addressing`.
pub fn interface(dev: &mut Device, mac: [u8; 6], addressing: Option<Addressing>) -> Interface {
    let mut config = Config::new(HardwareAddress::Ethernet(EthernetAddress(mac)));
    config.random_seed = wait::now_ns() ^ crate::proc::process::id().rotate_left(32);
    let mut iface = Interface::new(config, dev, now());
    if let Some(a) = addressing {
        let [a0, a1, a2, a3] = a.ip;
        iface.update_ip_addrs(|addrs| {
            let _ = addrs.push(IpCidr::new(IpAddress::v4(a0, a1, a2, a3), a.prefix));
        });
        if a.gateway != [0; 4] {
            let _ = iface.routes_mut().add_default_ipv4_route(Ipv4Address::from(a.gateway));
        }
    }
    iface
}
