//! `net_*` calls: the network interface's state and configuration, port claims, packet filters,
//! transmission and the default owner. The checks and state are `net/`; this file decodes
//! arguments and moves bytes across the user boundary.
use super::SysResult;
use crate::{envs, net, uaccess};
use abi::net::{MAX_FILTER_BYTES, MAX_FRAME, MIN_FRAME, NetInfo, PORT_VALUE_SHIFT};
use abi::Error;

/// `net_info(nic, out)`.
pub fn sys_net_info(nic: u64, out: u64) -> SysResult {
    let id = envs::current_id();
    let info = net::info(id, nic)?;
    let words: [u64; NetInfo::WORDS] = info.words();
    uaccess::write_words_to_user(envs::current_root(), out, &words)?;
    Ok(0)
}

/// `net_config(nic, ip, netmask, gateway)`.
pub fn sys_net_config(nic: u64, ip: u64, netmask: u64, gateway: u64) -> SysResult {
    net::config(envs::current_id(), nic, ip, netmask, gateway)?;
    Ok(0)
}

/// `net_port_claim(nic, kind, value)`: `slot | value << 32`.
pub fn sys_net_port_claim(nic: u64, kind: u64, value: u64) -> SysResult {
    let (slot, value) = net::claim(envs::current_id(), nic, kind, value)?;
    Ok(slot | u64::from(value) << PORT_VALUE_SHIFT)
}

/// `net_filter_install(port, filter, len, ring, flags)`: the filter's id.
pub fn sys_net_filter_install(port: u64, filter: u64, len: u64, ring: u64, flags: u64) -> SysResult {
    if len > MAX_FILTER_BYTES {
        return Err(Error::TooLong.into());
    }
    let mut bytes = [0u8; MAX_FILTER_BYTES as usize];
    let bytes = &mut bytes[..len as usize];
    uaccess::copy_from_user(envs::current_root(), filter, bytes)?;
    Ok(net::install(envs::current_id(), port, bytes, ring, flags)?)
}

/// `net_filter_remove(id)`.
pub fn sys_net_filter_remove(id: u64) -> SysResult {
    net::remove(envs::current_id(), id)?;
    Ok(0)
}

/// `net_send(port, frame, len)`.
pub fn sys_net_send(port: u64, frame: u64, len: u64) -> SysResult {
    if len > MAX_FRAME as u64 {
        return Err(Error::TooLong.into());
    }
    if len < MIN_FRAME as u64 {
        return Err(Error::BadArgument.into());
    }
    let mut bytes = [0u8; MAX_FRAME];
    let bytes = &mut bytes[..len as usize];
    uaccess::copy_from_user(envs::current_root(), frame, bytes)?;
    net::send(envs::current_id(), port, bytes)?;
    Ok(0)
}

/// `net_default(nic, ring)`.
pub fn sys_net_default(nic: u64, ring: u64) -> SysResult {
    net::set_default(envs::current_id(), nic, ring)?;
    Ok(0)
}
