//! Hostile test through `net_filter_install`: no environment can take another's packets. A child
//! installs a filter for UDP port 7000 (through a port capability its parent granted it); the
//! parent, holding the whole of UDP (an `IpProto` 17 port) and the port-7000 capability itself,
//! tries to claim all of UDP, exactly port 7000, a more specific part of it (one source port),
//! and port 7000 read at a fixed offset: each refused with `Overlaps`. Filters outside the port
//! they are installed through are refused with `OutsidePort`. A disjoint filter is accepted, and
//! once the child has ended its port's traffic can be claimed.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

#[path = "../netkit/mod.rs"]
mod netkit;

use abi::net::PortKind;
use abi::{Error, Rights};
use dpf::{Atom, Filter};
use exos::sys::syscall::*;
use user::{page_word, set_page_word, spawn, Checks};

const SHARED: u64 = 0x6100_0000;
const PORT: u16 = 7000;

/// The child: installs UDP port 7000 through the granted capability (word 0 = its slot + 1),
/// reports (word 1 = 1 + error code, or 1 for success), and stays until word 2 is set.
extern "C" fn child() -> ! {
    while page_word(SHARED, 0) == 0 {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
    // It has no heap: the encoded filter is at byte 64 of the shared page (word 3: its length).
    let port = page_word(SHARED, 0) - 1;
    let ring = netkit::memory(4, 2);
    let len = page_word(SHARED, 3) as usize;
    let result = sys_net_filter_install(port, &user::mapped_page(SHARED)[64..64 + len], ring.slot, 0);
    set_page_word(SHARED, 1, 1 + result.err().map_or(0, |e| e.code()));
    while page_word(SHARED, 2) == 0 {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
    sys_env_exit(0)
}

fn main() -> i64 {
    let mut c = Checks::new("bad_dpf_steal");
    let (pa, page) = sys_page_alloc(abi::ANY_PAGE).expect("a page");
    let me = u64::from(exos::sys::vm::owner(pa >> 12).unwrap_or(0));
    let map = abi::MapUpdate { op: abi::MapUpdate::MAP, va: SHARED, slot: page, rights: netkit::RW };
    c.equal("map the shared page", sys_page_map(&[map]), (1, None));
    let (udp7000, _) = netkit::claim(PortKind::Udp, PORT).expect("claim UDP 7000");
    let (child_id, _) = spawn(child, &[(SHARED, page)]).expect("spawn");
    let granted = sys_cap_grant(udp7000, child_id, Rights::ALL).expect("grant the port to the child");
    let encoded = Filter::udp_port(0, PORT).encode();
    user::mapped_page_mut(SHARED)[64..64 + encoded.len()].copy_from_slice(&encoded);
    set_page_word(SHARED, 3, encoded.len() as u64);
    set_page_word(SHARED, 0, granted + 1);
    c.check("the child installed its filter", netkit::wait_until(500, || page_word(SHARED, 1) != 0));
    c.equal("the child's filter", page_word(SHARED, 1), 1);

    let (udp, _) = netkit::claim(PortKind::IpProto, 17).expect("claim all of UDP");
    let ring = netkit::memory(0, 2);
    let install = |port, filter: &Filter| netkit::install(port, filter, &ring);
    c.equal("all of UDP", install(udp, &Filter::ip_proto(17)), Err(Error::Overlaps));
    c.equal("exactly the child's port", install(udp, &Filter::udp_port(0, PORT)), Err(Error::Overlaps));
    c.equal("the child's port at one address", install(udp, &Filter::udp_port(netkit::MY_IP, PORT)), Err(Error::Overlaps));
    let subset = Filter::new(&[
        Atom::eq16(12, 0x0800),
        Atom::eq8(23, 17),
        Atom::IP_HEADER_SHIFT,
        Atom::eq16(16, PORT),
        Atom::eq16(14, 4000),
    ])
    .expect("a filter");
    c.equal("a more specific part of the child's port", install(udp, &subset), Err(Error::Overlaps));
    let fixed = Filter::new(&[Atom::eq16(12, 0x0800), Atom::eq8(23, 17), Atom::eq16(36, PORT)]).expect("a filter");
    c.equal("the port read at a fixed offset", install(udp, &fixed), Err(Error::Overlaps));
    c.equal("the child's port through the parent's own capability", install(udp7000, &Filter::udp_port(0, PORT)), Err(Error::Overlaps));
    c.equal("another port through port 7000's capability", install(udp7000, &Filter::udp_port(0, PORT + 1)), Err(Error::OutsidePort));
    c.equal("TCP through a UDP capability", install(udp, &Filter::tcp_port(0, PORT)), Err(Error::OutsidePort));
    c.equal("ARP through a UDP capability", install(udp, &Filter::ethertype(0x0806)), Err(Error::OutsidePort));
    c.check("a disjoint port inside its own", install(udp, &Filter::udp_port(0, PORT + 1)).is_ok());

    set_page_word(SHARED, 2, 1);
    c.check("the child ended", netkit::wait_until(500, || exos::sys::vm::env_info(abi::env_index(child_id)).id as u64 != child_id));
    c.check("its port is free to claim now", install(udp, &Filter::udp_port(0, PORT)).is_ok());
    let _ = me;
    c.finish()
}

exos::main!(main);
