//! Hostile test (`bad_dpf_ring`): the receive ring must be memory the installer holds with `WRITE`
//! and big enough: a single page (one slot) is too small (`BadArgument`), a read-only capability
//! (`NoRights`), an empty slot (`EmptySlot`), an environment's or the Nic's capability
//! (`WrongType`). A filter goes with its ring: freeing the ring's extent removes the filter (the
//! kernel never writes memory that went back to the pool). `net_default` checks its ring the same
//! way.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::net::{PortKind, BOOT_NIC_SLOT};
use abi::{Error, Rights, ANY_PAGE, SELF_ENV};
use exos::sys::syscall::*;
use user::net::{self, Ring};
use user::Checks;

const RING_VA: u64 = 0x4000_0000;

fn main() -> i64 {
    let mut c = Checks::new("bad_dpf_ring");
    let nic = BOOT_NIC_SLOT;
    let (port, _) = sys_net_port_claim(nic, PortKind::Udp, 7).expect("UDP port 7");
    let filter = net::udp_filter(0, 7);
    let (_, page) = sys_page_alloc(ANY_PAGE).expect("a page");
    c.equal("a one-page ring (one slot)", sys_net_filter_install(port, &filter, page, 0).err(), Some(Error::BadArgument));
    let (_, extent) = sys_extent_alloc(2, 1).expect("an extent");
    let read_only = sys_cap_grant(extent, exos::proc::process::id(), Rights::READ).expect("a read-only copy");
    c.equal("a read-only ring", sys_net_filter_install(port, &filter, read_only, 0).err(), Some(Error::NoRights));
    c.equal("an empty slot", sys_net_filter_install(port, &filter, 1000, 0).err(), Some(Error::EmptySlot));
    c.equal("a slot beyond the table", sys_net_filter_install(port, &filter, 5000, 0).err(), Some(Error::BadSlot));
    c.equal("the Nic capability as a ring", sys_net_filter_install(port, &filter, nic, 0).err(), Some(Error::WrongType));
    let (_, child) = sys_env_create(abi::ENV_RECORD_PAGES).expect("a child");
    c.equal("an environment as a ring", sys_net_filter_install(port, &filter, child, 0).err(), Some(Error::WrongType));
    c.equal("net_default with a one-page ring", sys_net_default(nic, page), Err(Error::BadArgument));
    c.equal("net_default with a read-only ring", sys_net_default(nic, read_only), Err(Error::NoRights));
    // A filter goes with its ring's memory.
    let ring = Ring::new(2, RING_VA).expect("a ring");
    let id = sys_net_filter_install(port, &filter, ring.slot, 0).expect("the filter");
    c.equal("the ring's header says 3 slots", ring.header().2, 3);
    c.equal("unmap the ring", sys_extent_unmap(SELF_ENV, RING_VA, 2), Ok(()));
    c.check("free the ring's extent", sys_extent_free(ring.slot).is_ok());
    c.equal("the filter went with it", sys_net_filter_remove(id), Err(Error::BadArgument));
    c.check("the port's filter can be installed again", sys_net_filter_install(port, &filter, extent, 0).is_ok());
    c.finish()
}

exos::main!(main);
