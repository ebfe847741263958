//! Hostile test (`bad_dpf_steal_port`): another environment tries to take this one's packets. The
//! parent claims UDP port 7 and IP protocol 17 and installs the protocol's filter over its ring; a
//! child holding the Nic capability then tries to claim UDP port 7 (`Busy`: first come), to claim a
//! UDP port of its own and install its filter, which would take a subset of the parent's UDP
//! frames by longest match, as Xok allowed (`Overlaps`), to remove the parent's filter (`NoRights`),
//! and to send through a port it does not hold (`EmptySlot`). Its own claims of free ports work.
//! When the child ends, its port and filter go with it. Then the parent's port goes (`cap_delete`):
//! the port is free again and its filter is gone.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::net::{PortKind, BOOT_NIC_SLOT, NIC_CLAIM, NIC_INFO};
use abi::{Error, MapUpdate, Rights, ANY_PAGE};
use exos::sys::syscall::*;
use user::net::{self, code, Ring};
use user::{page_word, set_page_word, Checks};

const SHARED: u64 = 0x3000_0000;
const RING_VA: u64 = 0x4000_0000;
const CHILD_RING_VA: u64 = 0x4100_0000;

extern "C" fn child() -> ! {
    let nic = net::child_nic(SHARED);
    let parent_filter = page_word(SHARED, 1);
    let parent_port = page_word(SHARED, 2);
    set_page_word(SHARED, 10, code(sys_net_port_claim(nic, PortKind::Udp, 7)));
    set_page_word(SHARED, 11, code(sys_net_port_claim(nic, PortKind::IpProto, 17)));
    let ring = Ring::new(2, CHILD_RING_VA).expect("a ring");
    let mine = sys_net_port_claim(nic, PortKind::Udp, 5353);
    set_page_word(SHARED, 12, code(mine));
    let (port, _) = mine.unwrap_or((u64::MAX, 0));
    // The child has no heap (it is a copy of the image only): its filters come encoded in the page.
    let page = user::mapped_page(SHARED);
    let udp_filter = &page[2048..2048 + page_word(SHARED, 3) as usize];
    let tcp_filter = &page[3072..3072 + page_word(SHARED, 4) as usize];
    set_page_word(SHARED, 13, code(sys_net_filter_install(port, udp_filter, ring.slot, 0)));
    set_page_word(SHARED, 14, code(sys_net_filter_remove(parent_filter)));
    set_page_word(SHARED, 15, code(sys_net_send(parent_port, &[0u8; 60])));
    let tcp = sys_net_port_claim(nic, PortKind::Tcp, 7);
    set_page_word(SHARED, 16, code(tcp));
    let (tcp_port, _) = tcp.unwrap_or((u64::MAX, 0));
    set_page_word(SHARED, 17, code(sys_net_filter_install(tcp_port, tcp_filter, ring.slot, 0)));
    net::child_done(SHARED);
    sys_env_exit(0)
}

fn main() -> i64 {
    let mut c = Checks::new("bad_dpf_steal_port");
    let nic = BOOT_NIC_SLOT;
    let (_, shared) = sys_page_alloc(ANY_PAGE).expect("a shared page");
    let rw = Rights::READ.0 | Rights::WRITE.0;
    c.equal("map the shared page", sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: SHARED, slot: shared, rights: rw }]), (1, None));
    let ring = Ring::new(2, RING_VA).expect("a ring");
    let (udp7, value) = sys_net_port_claim(nic, PortKind::Udp, 7).expect("UDP port 7");
    c.equal("the port claimed is the one asked for", value, 7);
    c.equal("claiming it twice is refused too", sys_net_port_claim(nic, PortKind::Udp, 7).err(), Some(Error::Busy));
    let (proto, _) = sys_net_port_claim(nic, PortKind::IpProto, 17).expect("IP protocol 17");
    let filter = sys_net_filter_install(proto, &net::proto_filter(17), ring.slot, 0).expect("the UDP protocol's filter");
    set_page_word(SHARED, 1, filter);
    set_page_word(SHARED, 2, udp7);
    let (udp_filter, tcp_filter) = (net::udp_filter(0, 5353), dpf::Filter::tcp_port(0, 7).encode());
    user::mapped_page_mut(SHARED)[2048..2048 + udp_filter.len()].copy_from_slice(&udp_filter);
    user::mapped_page_mut(SHARED)[3072..3072 + tcp_filter.len()].copy_from_slice(&tcp_filter);
    set_page_word(SHARED, 3, udp_filter.len() as u64);
    set_page_word(SHARED, 4, tcp_filter.len() as u64);
    let spawned = net::spawn_with_nic(child, (SHARED, shared), nic, NIC_INFO | NIC_CLAIM | Rights::GRANT.0);
    c.check("a child with the Nic capability", spawned.is_ok());
    c.check("the child finished", net::wait_child(SHARED, 500));
    c.equal("the child cannot claim UDP port 7", page_word(SHARED, 10), Error::Busy.code());
    c.equal("nor IP protocol 17", page_word(SHARED, 11), Error::Busy.code());
    c.equal("it may claim a free UDP port", page_word(SHARED, 12), 0);
    c.equal("but not filter a subset of the parent's UDP frames", page_word(SHARED, 13), Error::Overlaps.code());
    c.equal("nor remove the parent's filter", page_word(SHARED, 14), Error::NoRights.code());
    c.equal("nor send through the parent's port slot (not its own)", page_word(SHARED, 15), Error::EmptySlot.code());
    c.equal("a TCP port of its own works", page_word(SHARED, 16), 0);
    c.equal("and its filter (disjoint protocol) too", page_word(SHARED, 17), 0);
    // The child's end releases its ports and filters (teardown).
    let child = spawned.unwrap_or(0);
    let start = exos::sys::vm::sysinfo().ticks;
    while exos::sys::vm::env_info(abi::env_index(child)).id == child as u32 && exos::sys::vm::sysinfo().ticks < start + 500 {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
    let tcp7 = sys_net_port_claim(nic, PortKind::Tcp, 7);
    c.check("the child's TCP port 7 is free after its end", tcp7.is_ok());
    c.check("and its filter went: the same filter installs here", sys_net_filter_install(tcp7.map(|p| p.0).unwrap_or(0), &dpf::Filter::tcp_port(0, 7).encode(), ring.slot, 0).is_ok());
    // The port goes with its root capability, and the filter installed through it.
    c.equal("delete the protocol port", sys_cap_delete(proto), Ok(()));
    c.equal("its filter went with it", sys_net_filter_remove(filter), Err(Error::BadArgument));
    c.equal("delete UDP port 7", sys_cap_delete(udp7), Ok(()));
    let again = sys_net_port_claim(nic, PortKind::Udp, 7);
    c.check("UDP port 7 is free again", again.is_ok());
    c.finish()
}

exos::main!(main);
