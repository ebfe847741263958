//! The raw network path end to end, without an IP stack: claims an ICMP identifier, installs its
//! filter (with ARP copies) over a ring in an extent, configures the interface, sends an ARP request
//! for the gateway 10.0.2.2 and then ICMP echo requests to it as raw frames (`net_send`), and
//! receives the replies through its ring, sleeping in `env_wait` until the kernel's `NOTIFY_NET`
//! wakes it (it never spins). Prints the round trips and the kernel's receive cost per interrupt.
//! Needs a NIC (QEMU's user-mode network); traffic goes only to the gateway inside QEMU.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::net::{PortKind, BOOT_NIC_SLOT, FILTER_ARP};
use exos::println;
use exos::sys::syscall::*;
use user::net::{self, Ring, GATEWAY_IP, GUEST_IP, NETMASK};
use user::Checks;

const RING_VA: u64 = 0x4000_0000;
const PINGS: u16 = 3;

fn main() -> i64 {
    let mut c = Checks::new("net_ping");
    let nic = BOOT_NIC_SLOT;
    let Ok(info) = sys_net_info(nic) else {
        println!("net_ping: no NIC capability in slot {nic}");
        return 1;
    };
    println!("net_ping: MAC {:02x?} link {}", info.mac, info.link_up);
    c.check("the link is up", info.link_up);
    c.equal("configure 10.0.2.15/24 via 10.0.2.2", sys_net_config(nic, GUEST_IP, NETMASK, GATEWAY_IP), Ok(()));
    let ring = Ring::new(4, RING_VA).expect("a ring");
    let (port, id) = sys_net_port_claim(nic, PortKind::IcmpId, 0).expect("an ICMP identifier");
    c.check("an ephemeral identifier", id >= 49152);
    let filter = sys_net_filter_install(port, &net::icmp_filter(id), ring.slot, FILTER_ARP);
    c.check("the filter is installed", filter.is_ok());
    let (_, _, slots, _) = ring.header();
    c.equal("the kernel set the ring's slot count", slots, 7);

    // ARP for the gateway.
    c.equal("send the ARP request", sys_net_send(port, &net::arp_request(info.mac, GUEST_IP, GATEWAY_IP)), Ok(()));
    let (reply, notified) = ring.wait_for(3000, |f| net::arp_reply_from(f, GATEWAY_IP).is_some());
    let Some(gateway_mac) = reply.and_then(|f| net::arp_reply_from(&f, GATEWAY_IP)) else {
        c.check("an ARP reply from the gateway", false);
        return c.finish();
    };
    println!("net_ping: 10.0.2.2 is at {gateway_mac:02x?}");
    c.check("env_wait reported NOTIFY_NET for the reply", notified);

    let mut received = 0;
    for seq in 1..=PINGS {
        let echo = net::icmp_echo(gateway_mac, info.mac, GUEST_IP, GATEWAY_IP, id, seq);
        let start = exos::sys::vm::now_ns();
        c.equal("send the echo request", sys_net_send(port, &echo), Ok(()));
        let (reply, notified) = ring.wait_for(3000, |f| net::is_echo_reply(f, id, seq));
        if reply.is_some() {
            received += 1;
            let us = (exos::sys::vm::now_ns() - start) / 1000;
            println!("net_ping: reply from 10.0.2.2: icmp_seq={seq} time={us} us");
            c.check("woken by NOTIFY_NET", notified);
        }
    }
    println!("net_ping: {PINGS} packets transmitted, {received} received");
    c.equal("every echo was answered", received, PINGS);
    let after = sys_net_info(nic).expect("net_info");
    println!(
        "net_ping: kernel counters: rx {} delivered {} unclaimed {} ring-full {} tx {} refused {} interrupts {}; {} cycles per receive interrupt",
        after.rx_frames, after.rx_delivered, after.rx_unclaimed, after.rx_ring_full, after.tx_frames, after.tx_refused, after.interrupts,
        after.rx_cycles.checked_div(after.interrupts).unwrap_or(0)
    );
    c.check("frames were delivered", after.rx_delivered > u64::from(PINGS));
    c.check("frames were sent", after.tx_frames > u64::from(PINGS));
    c.equal("remove the filter", sys_net_filter_remove(filter.unwrap_or(0)), Ok(()));
    c.equal("it is gone", sys_net_filter_remove(filter.unwrap_or(0)), Err(abi::Error::BadArgument));
    c.finish()
}

exos::main!(main);
