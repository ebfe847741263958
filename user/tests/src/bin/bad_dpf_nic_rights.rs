//! Hostile test (`bad_dpf_nic_rights`): the Nic capability's rights. A copy with only `NIC_INFO`
//! reads the state but cannot claim ports, configure or become the default owner (`NoRights`); one
//! with `NIC_CLAIM` but not `NIC_CONFIG` claims but cannot configure; other capabilities are not
//! NICs (`WrongType`); `env_notify` cannot forge the kernel's `NOTIFY_NET`; port kinds and values
//! out of range are refused; a removed filter id and another's are refused.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::net::{PortKind, BOOT_NIC_SLOT, NIC_CLAIM, NIC_INFO, NOTIFY_NET};
use abi::{Error, Rights, Sysnum, ANY_PAGE};
use exos::sys::syscall::*;
use user::net::{GATEWAY_IP, GUEST_IP, NETMASK};
use user::Checks;

fn main() -> i64 {
    let mut c = Checks::new("bad_dpf_nic_rights");
    let nic = BOOT_NIC_SLOT;
    let me = exos::proc::process::id();
    let info_only = sys_cap_grant(nic, me, Rights(NIC_INFO)).expect("an info-only copy");
    c.check("info-only reads the state", sys_net_info(info_only).is_ok());
    c.equal("info-only cannot claim", sys_net_port_claim(info_only, PortKind::Udp, 7).err(), Some(Error::NoRights));
    c.equal("info-only cannot configure", sys_net_config(info_only, GUEST_IP, NETMASK, GATEWAY_IP), Err(Error::NoRights));
    c.equal("info-only cannot be the default owner", sys_net_default(info_only, u64::MAX), Err(Error::NoRights));
    let claimer = sys_cap_grant(nic, me, Rights(NIC_INFO | NIC_CLAIM)).expect("a claiming copy");
    c.check("a claimer claims", sys_net_port_claim(claimer, PortKind::Udp, 7).is_ok());
    c.equal("but cannot configure", sys_net_config(claimer, GUEST_IP, NETMASK, GATEWAY_IP), Err(Error::NoRights));
    let none = sys_cap_grant(nic, me, Rights(Rights::GRANT.0)).expect("a copy without rights");
    c.equal("no right, no state", sys_net_info(none).err(), Some(Error::NoRights));
    let (_, page) = sys_page_alloc(ANY_PAGE).expect("a page");
    c.equal("a page is not a NIC", sys_net_info(page).err(), Some(Error::WrongType));
    c.equal("nor is a port", sys_net_port_claim(sys_net_port_claim(nic, PortKind::Tcp, 0).map(|p| p.0).unwrap_or(0), PortKind::Udp, 9).err(), Some(Error::WrongType));
    c.equal("an empty slot", sys_net_info(999).err(), Some(Error::EmptySlot));
    let (_, e) = user::raw_syscall(Sysnum::NetInfo as u64, [nic, 0xffff_8000_0000_0000, 0, 0, 0, 0]);
    c.equal("net_info into kernel memory", e, Some(Error::BadAddress));
    c.equal("port kind 0", user::raw_syscall(Sysnum::NetPortClaim as u64, [nic, 0, 7, 0, 0, 0]).1, Some(Error::BadArgument));
    c.equal("port kind 6", user::raw_syscall(Sysnum::NetPortClaim as u64, [nic, 6, 7, 0, 0, 0]).1, Some(Error::BadArgument));
    c.equal("UDP port 65536", user::raw_syscall(Sysnum::NetPortClaim as u64, [nic, PortKind::Udp as u64, 65536, 0, 0, 0]).1, Some(Error::BadArgument));
    c.equal("IP protocol 256", user::raw_syscall(Sysnum::NetPortClaim as u64, [nic, PortKind::IpProto as u64, 256, 0, 0, 0]).1, Some(Error::BadArgument));
    c.equal("ephemeral ethertype", sys_net_port_claim(nic, PortKind::Ethertype, 0).err(), Some(Error::BadArgument));
    c.equal("an address beyond 32 bits", user::raw_syscall(Sysnum::NetConfig as u64, [nic, 1 << 32, 0, 0, 0, 0]).1, Some(Error::BadArgument));
    c.equal("a netmask with holes", sys_net_config(nic, GUEST_IP, 0xff00_ff00, GATEWAY_IP), Err(Error::BadArgument));
    c.equal("no such filter", sys_net_filter_remove(12345), Err(Error::BadArgument));
    c.equal("a filter id beyond 32 bits", sys_net_filter_remove(1 << 40), Err(Error::BadArgument));
    let (_, child) = sys_env_create(abi::ENV_RECORD_PAGES).expect("a child");
    c.equal("env_notify cannot forge NOTIFY_NET", sys_env_notify(child, NOTIFY_NET), Err(Error::BadArgument));
    c.finish()
}

exos::main!(main);
