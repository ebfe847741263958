//! Hostile test: a handler's reply goes through the same transmit check as `net_send`. The handler
//! answers the gateway's echo reply with a request that keeps the gateway's IP address as its
//! source; the kernel refuses to transmit it (`OutsidePort` in the handler's r0, `tx_refused`
//! counted) and nothing more arrives. A handler bound to a port capability without `PORT_SEND`
//! cannot reply at all (`NoRights`).
#![no_std]
#![no_main]
#![deny(unsafe_code)]

#[path = "../netkit/mod.rs"]
mod netkit;

use abi::net::{BOOT_NIC_SLOT, PORT_RECEIVE};
use abi::{Error, Rights};
use exos::sys::syscall::{sys_cap_grant, sys_net_filter_ash, sys_net_filter_install, sys_net_filter_remove, sys_net_info};
use user::Checks;

fn main() -> i64 {
    let mut c = Checks::new("bad_ash_spoof");
    let (port, id, ring, filter) = netkit::icmp_setup(0);
    let region = netkit::memory(1, 1);
    let handler = netkit::pingpong(3, true).finish().unwrap_or_default();
    c.equal("bind the spoofing handler", sys_net_filter_ash(filter, &handler, region.slot).map_err(|e| e.0), Ok(()));
    let before = sys_net_info(BOOT_NIC_SLOT).expect("net_info");
    let mac = netkit::ping_gateway(port, id);
    let rounds = || netkit::be32(region.va, 0);
    c.check("the handler ran", netkit::wait_until(500, || rounds() >= 1));
    netkit::wait_until(50, || false);
    c.equal("its reply was refused by the transmit check", netkit::be32(region.va, 4), Error::OutsidePort.code() as u32);
    c.equal("so no second round came", rounds(), 1);
    let after = sys_net_info(BOOT_NIC_SLOT).expect("net_info");
    c.equal("one refusal counted", after.tx_refused, before.tx_refused + 1);
    c.equal("consumed, not delivered", netkit::produced(&ring), 0);

    // Through a capability that may receive but not send.
    c.equal("remove the filter", sys_net_filter_remove(filter), Ok(()));
    let receive_only = sys_cap_grant(port, netkit::me(&region), Rights(PORT_RECEIVE)).expect("a receive-only port capability");
    let ring2 = netkit::memory(2, 2);
    let region2 = netkit::memory(3, 1);
    let filter = sys_net_filter_install(receive_only, &dpf::Filter::icmp_id(id).encode(), ring2.slot, 0).expect("install");
    let honest = netkit::pingpong(3, false).finish().unwrap_or_default();
    c.equal("bind an honest handler", sys_net_filter_ash(filter, &honest, region2.slot).map_err(|e| e.0), Ok(()));
    let sent = sys_net_info(BOOT_NIC_SLOT).expect("net_info").tx_frames;
    let _ = exos::sys::syscall::sys_net_send(port, &netkit::echo_request(mac, id, 2));
    c.check("it ran", netkit::wait_until(500, || netkit::be32(region2.va, 0) >= 1));
    netkit::wait_until(50, || false);
    c.equal("its reply was refused: the port capability lacks PORT_SEND", netkit::be32(region2.va, 4), Error::NoRights.code() as u32);
    c.equal("only the program's request went out", sys_net_info(BOOT_NIC_SLOT).expect("net_info").tx_frames, sent + 1);
    c.finish()
}

exos::main!(main);
