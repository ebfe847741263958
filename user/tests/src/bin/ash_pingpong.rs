//! A handler answers the gateway's ICMP echo replies from the kernel path: each reply is counted
//! in the handler's region and answered with a new echo request built in the transmit buffer
//! (addresses swapped, checksum by the helper), three rounds in all, without the program running;
//! the frames it consumed never reach the ring.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

#[path = "../netkit/mod.rs"]
mod netkit;

use abi::net::BOOT_NIC_SLOT;
use exos::sys::syscall::{sys_net_filter_ash, sys_net_info};
use user::Checks;

fn main() -> i64 {
    let mut c = Checks::new("ash_pingpong");
    let (port, id, ring, filter) = netkit::icmp_setup(0);
    let region = netkit::memory(1, 1);
    let handler = netkit::pingpong(3, false).finish().unwrap_or_default();
    c.equal("bind the handler", sys_net_filter_ash(filter, &handler, region.slot).map_err(|e| e.0), Ok(()));
    let before = sys_net_info(BOOT_NIC_SLOT).expect("net_info");
    netkit::ping_gateway(port, id);
    let rounds = || netkit::be32(region.va, 0);
    c.check("three replies handled in the kernel", netkit::wait_until(500, || rounds() >= 3));
    c.equal("rounds", rounds(), 3);
    c.equal("the handler's replies were sent", netkit::be32(region.va, 4), 0);
    let after = sys_net_info(BOOT_NIC_SLOT).expect("net_info");
    c.check("two frames sent by the handler, two by the program", after.tx_frames >= before.tx_frames + 4);
    c.equal("nothing refused", after.tx_refused, before.tx_refused);
    c.equal("the consumed frames never reached the ring", netkit::produced(&ring), 0);
    c.finish()
}

exos::main!(main);
