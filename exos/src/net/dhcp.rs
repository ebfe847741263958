//! Configuring the interface by DHCP: a short-lived stack of its own (UDP port 68 claimed from
//! the kernel, no address) runs smoltcp's DHCP client until a lease comes, then stores the
//! address, netmask and gateway in the kernel with `net_config`, where every program's stack
//! reads them (`net_info`). Only a holder of the NIC's configuring right can; the shell does it
//! at start when it holds the right and the NIC has no address yet, and a program holding the
//! right that finds no address does it on first use.
use super::device::Device;
use super::link::{self, Link, NIC_SLOT};
use super::iface::{interface, now};
use crate::fs::Errno;
use crate::sys::syscall::sys_net_config;
use crate::sys::wait;
use abi::net::PortKind;
use abi::Error;
use smoltcp::iface::SocketSet;
use smoltcp::socket::dhcpv4;

/// How long to wait for a lease.
pub const TIMEOUT_NS: u64 = 10_000_000_000;

/// The DHCP client port.
const CLIENT_PORT: u16 = 68;

/// The lease DHCP gave: address, prefix length, gateway (0.0.0.0: none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lease {
    pub ip: [u8; 4],
    pub prefix: u8,
    pub gateway: [u8; 4],
}

/// Runs DHCP and configures the NIC with the lease. `ENETDOWN` without a NIC or without the
/// configuring right (`NoRights` from the kernel), `ETIMEDOUT` if no lease came in
/// [`TIMEOUT_NS`], `EADDRINUSE` if another program is running DHCP now (it holds port 68).
pub fn configure() -> Result<Lease, Errno> {
    let info = link::info()?;
    // Ask the kernel first whether this process may configure at all: keeping the present
    // (empty) configuration changes nothing.
    sys_net_config(NIC_SLOT, info.ip, info.netmask, info.gateway).map_err(|e| match e {
        Error::NoRights => Errno::ENETDOWN,
        e => Errno::Kernel(e),
    })?;
    let mut link = Link::open()?;
    link.claim(PortKind::Udp, CLIENT_PORT)?;
    let mut dev = Device::new(link);
    let mut iface = interface(&mut dev, info.mac, None);
    let mut sockets = SocketSet::new(alloc::vec::Vec::new());
    let handle = sockets.add(dhcpv4::Socket::new());
    let deadline = wait::now_ns() + TIMEOUT_NS;
    loop {
        iface.poll(now(), &mut dev, &mut sockets);
        if let Some(dhcpv4::Event::Configured(config)) = sockets.get_mut::<dhcpv4::Socket>(handle).poll() {
            let lease = Lease {
                ip: config.address.address().octets(),
                prefix: config.address.prefix_len(),
                gateway: config.router.map_or([0; 4], |r| r.octets()),
            };
            let mask = if lease.prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(lease.prefix)) };
            sys_net_config(NIC_SLOT, u32::from_be_bytes(lease.ip), mask, u32::from_be_bytes(lease.gateway))?;
            return Ok(lease);
        }
        let now_ns = wait::now_ns();
        if now_ns >= deadline {
            return Err(Errno::ETIMEDOUT);
        }
        let timer = iface.poll_delay(now(), &sockets).map(|d| now_ns + d.total_micros() * 1000);
        crate::proc::process::check_signals();
        wait::sleep(0, Some(timer.unwrap_or(deadline).min(deadline)));
    }
}

/// Configures the NIC by DHCP if there is one, it has no address and this process may: what a
/// session leader calls at start. Returns the lease it got, `None` when there was nothing to do.
pub fn configure_if_needed() -> Result<Option<Lease>, Errno> {
    match link::info() {
        Err(_) => Ok(None),
        Ok(info) if info.ip != 0 => Ok(None),
        Ok(_) => match configure() {
            Err(Errno::ENETDOWN) => Ok(None),
            other => other.map(Some),
        },
    }
}
