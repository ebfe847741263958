//! Shared by the DPF and ASH tests (each includes it with `#[path]`): claiming a port, a receive
//! ring and a region in the caller's memory, installing filters, and building frames for QEMU's
//! user-mode network (guest 10.0.2.15, gateway 10.0.2.2, whose MAC slirp fixes as 52:55:0a:00:02:02).
#![allow(dead_code)]

use abi::net::{PortKind, BOOT_NIC_SLOT};
use abi::{Error, Rights, SELF_ENV};
use exos::sys::syscall::*;

pub const RW: u64 = Rights::READ.0 | Rights::WRITE.0;
/// Where the rings and regions are mapped (64 KiB apart).
pub const MAP_BASE: u64 = 0x6200_0000;
pub const MY_IP: u32 = 0x0a00_020f;
pub const GATEWAY: u32 = 0x0a00_0202;
pub const NETMASK: u32 = 0xffff_ff00;
pub const GATEWAY_MAC: [u8; 6] = [0x52, 0x55, 0x0a, 0x00, 0x02, 0x02];

/// A receive ring or region: the extent's capability slot and where it is mapped.
#[derive(Clone, Copy, Debug)]
pub struct Memory {
    pub slot: u64,
    pub va: u64,
    /// Physical address of the first page.
    pub pa: u64,
}

/// An extent of `pages` pages mapped read-write at the `n`th mapping place.
pub fn memory(n: u64, pages: u64) -> Memory {
    let (pa, slot) = sys_extent_alloc(pages, 1).expect("an extent");
    let va = MAP_BASE + n * 0x10_0000;
    sys_extent_map(SELF_ENV, slot, va, 0, pages, RW).expect("map the extent");
    Memory { slot, va, pa }
}

/// Claims a port on the boot NIC; (slot, value).
pub fn claim(kind: PortKind, value: u16) -> Result<(u64, u16), Error> {
    sys_net_port_claim(BOOT_NIC_SLOT, kind, value)
}

/// Installs `filter` through `port`, delivering into `ring`.
pub fn install(port: u64, filter: &dpf::Filter, ring: &Memory) -> Result<u64, Error> {
    sys_net_filter_install(port, &filter.encode(), ring.slot, 0)
}

/// A port, a 2-page ring and a filter for it: (port slot, value, ring, filter id).
pub fn icmp_setup(ring_place: u64) -> (u64, u16, Memory, u64) {
    let (port, id) = claim(PortKind::IcmpId, 0).expect("an ICMP identifier");
    let ring = memory(ring_place, 2);
    let filter = install(port, &dpf::Filter::icmp_id(id), &ring).expect("install the filter");
    (port, id, ring, filter)
}

/// Byte `i` of the memory at `va` (read through the mapping; the kernel writes it).
pub fn byte(va: u64, i: usize) -> u8 {
    user::mapped_page(va & !0xfff)[(va & 0xfff) as usize + i]
}

/// The big-endian u32 at byte `i` of the memory at `va`.
pub fn be32(va: u64, i: usize) -> u32 {
    u32::from_be_bytes([byte(va, i), byte(va, i + 1), byte(va, i + 2), byte(va, i + 3)])
}

/// The ring's producer count (word 0 of its header).
pub fn produced(ring: &Memory) -> u64 {
    user::page_word(ring.va, 0)
}

/// The ones' complement checksum of `bytes`.
pub fn checksum(bytes: &[u8]) -> u16 {
    !(ash::interp::ones_complement_sum(bytes, 0) as u16)
}

/// An Ethernet header from `mac` to `to` of type `ethertype` into `f`.
fn ethernet(f: &mut [u8], to: [u8; 6], mac: [u8; 6], ethertype: u16) {
    f[0..6].copy_from_slice(&to);
    f[6..12].copy_from_slice(&mac);
    f[12..14].copy_from_slice(&ethertype.to_be_bytes());
}

/// An ARP request from (`mac`, 10.0.2.15) for 10.0.2.2.
pub fn arp_request(mac: [u8; 6]) -> [u8; 42] {
    let mut f = [0u8; 42];
    ethernet(&mut f, [0xff; 6], mac, 0x0806);
    f[14..22].copy_from_slice(&[0, 1, 8, 0, 6, 4, 0, 1]);
    f[22..28].copy_from_slice(&mac);
    f[28..32].copy_from_slice(&MY_IP.to_be_bytes());
    f[38..42].copy_from_slice(&GATEWAY.to_be_bytes());
    f
}

/// An ICMP echo request from (`mac`, 10.0.2.15) to the gateway with identifier `id`.
pub fn echo_request(mac: [u8; 6], id: u16, seq: u16) -> [u8; 74] {
    let mut f = [0u8; 74];
    ethernet(&mut f, GATEWAY_MAC, mac, 0x0800);
    let ip = &mut f[14..34];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&60u16.to_be_bytes());
    ip[8] = 64;
    ip[9] = 1;
    ip[12..16].copy_from_slice(&MY_IP.to_be_bytes());
    ip[16..20].copy_from_slice(&GATEWAY.to_be_bytes());
    let sum = checksum(ip);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    let icmp = &mut f[34..74];
    icmp[0] = 8;
    icmp[4..6].copy_from_slice(&id.to_be_bytes());
    icmp[6..8].copy_from_slice(&seq.to_be_bytes());
    for (i, b) in icmp[8..].iter_mut().enumerate() {
        *b = i as u8;
    }
    let sum = checksum(icmp);
    icmp[2..4].copy_from_slice(&sum.to_be_bytes());
    f
}

/// Waits (yielding, at most about `ticks` timer ticks) until `done` holds; whether it did.
pub fn wait_until(ticks: u64, mut done: impl FnMut() -> bool) -> bool {
    let start = exos::sys::vm::sysinfo().ticks;
    while exos::sys::vm::sysinfo().ticks < start + ticks {
        if done() {
            return true;
        }
        let _ = sys_env_yield(abi::ANY_ENV);
    }
    done()
}

/// A handler for ICMP echo replies from the gateway that answers each with a new echo request
/// from the kernel path, `rounds` times in all: it counts the replies in region word 0 (big-endian
/// u32), and stores the `reply` helper's result in word 1. With `spoof`, the new request keeps the
/// gateway's address as its source (the transmit check must refuse it).
pub fn pingpong(rounds: i32, spoof: bool) -> ash::Asm {
    use ash::{Asm, Helper};
    let mut a = Asm::new();
    let pass = a.label();
    let done = a.label();
    a.jlt_imm(2, 42, pass).mov(6, 1).mov(7, 2).mov(8, 5).mov(9, 4);
    a.ld32(0, 8, 0).add_imm(0, 1).st32(8, 0, 0).jcond_imm(ash::insn::Cond::Ge, 0, rounds, done);
    // Ethernet addresses swapped; IPv4 addresses swapped unless spoofing.
    a.ld32(0, 6, 6).st32(9, 0, 0).ld16(0, 6, 10).st16(9, 4, 0).ld32(0, 6, 0).st32(9, 6, 0).ld16(0, 6, 4).st16(9, 10, 0);
    if !spoof {
        a.ld32(0, 6, 30).st32(9, 26, 0).ld32(0, 6, 26).st32(9, 30, 0);
    }
    // An echo request (type 8) with its checksum over the ICMP message (frame length - 34).
    a.sti8(9, 34, 8).sti16(9, 36, 0).mov(1, 9).add_imm(1, 34).mov(2, 7).sub_imm(2, 34).mov_imm(3, 0).call(Helper::Csum);
    a.xor_imm(0, 0xffff).st16(9, 36, 0).mov(1, 7).call(Helper::Reply).st32(8, 4, 0);
    a.bind(done).mov_imm(0, 1).exit();
    a.bind(pass).mov_imm(0, 0).exit();
    a
}

/// Configures 10.0.2.15/24 with gateway 10.0.2.2, then sends an ARP request and an echo request
/// with identifier `id` through `port`; returns the NIC's MAC.
pub fn ping_gateway(port: u64, id: u16) -> [u8; 6] {
    sys_net_config(BOOT_NIC_SLOT, MY_IP, NETMASK, GATEWAY).expect("configure the address");
    let mac = sys_net_info(BOOT_NIC_SLOT).expect("net_info").mac;
    sys_net_send(port, &arp_request(mac)).expect("send the ARP request");
    sys_net_send(port, &echo_request(mac, id, 1)).expect("send the echo request");
    mac
}

/// The caller's environment id.
pub fn me(memory: &Memory) -> u64 {
    u64::from(exos::sys::vm::owner(memory.pa >> 12).unwrap_or(0))
}
