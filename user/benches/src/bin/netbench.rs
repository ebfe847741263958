//! `netbench`: Exo's side of `cargo xtask bench net` (issue 18 item 7). The host's "wire" program
//! (xtask/src/bench/wire.rs) is the only other station on a QEMU datagram netdev and times every
//! round trip; this program only sets up the answering paths and then serves:
//!
//! - a static address (`net_config`: 10.0.2.15/24, gateway 10.0.2.2, the wire; no DHCP there);
//! - UDP port 7: echoed by the library-OS stack (smoltcp in this process, an ExOS UDP socket:
//!   `udp_echo`, `udp_echo_1k`);
//! - UDP port 8: echoed from the kernel path by an ASH (`ash::programs::udp_echo`, bound to a DPF
//!   filter on the port: `ash_echo`), the frame never reaches this process;
//! - ICMP echo requests with identifier [`ICMP_ID`]: answered by an ASH (`ash::programs::icmp_echo`)
//!   on the claimed identifier (`icmp_echo`);
//!
//! A datagram to port 7 whose payload is `BUSY <n>` first starts busy environments (copies of this
//! program spinning in user mode) until `n` run, then is echoed: the busy variants of the
//! latency lines (the paper's Figure 2). The program prints `NETBENCH ready` once everything is
//! bound and runs until QEMU is stopped.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

#[path = "../../../tests/src/netkit/mod.rs"]
mod netkit;

use abi::net::{PortKind, ASH_NONE, BOOT_NIC_SLOT};
use exos::net::fd as socket;
use exos::sys::syscall::{sys_net_config, sys_net_filter_ash};

/// The guest's static address on the wire, its netmask and the wire's address (the gateway).
const GUEST_IP: u32 = netkit::MY_IP;
const WIRE_IP: u32 = netkit::GATEWAY;
/// The ports of the answering paths (see the module doc).
const UDP_STACK_PORT: u16 = 7;
const UDP_ASH_PORT: u16 = 8;
/// The ICMP identifier this program claims; the wire's echo requests carry it.
pub const ICMP_ID: u16 = 0x4242;
/// The longest single receive sleep (then the program sleeps again).
const RECV_SLICE_NS: u64 = 1_000_000_000;
/// At most this many busy environments.
const MAX_BUSY: usize = 16;

/// A busy environment: spins in user mode for ever (destroyed with the machine).
extern "C" fn spin() -> ! {
    loop {
        core::hint::spin_loop();
    }
}

/// Claims `kind`/`value`, installs `filter` into a fresh 2-page ring and binds `program` to it.
fn ash(place: u64, kind: PortKind, value: u16, filter: &dpf::Filter, program: &[u8]) -> Result<(), alloc::string::String> {
    let (port, _) = netkit::claim(kind, value).map_err(|e| alloc::format!("claim {kind:?} {value}: {e:?}"))?;
    let ring = netkit::memory(place, 2);
    let id = netkit::install(port, filter, &ring).map_err(|e| alloc::format!("install filter: {e:?}"))?;
    sys_net_filter_ash(id, program, ASH_NONE).map_err(|(e, why)| alloc::format!("bind ASH: {e:?} {why:?}"))
}

fn main() -> i64 {
    if let Err(e) = sys_net_config(BOOT_NIC_SLOT, GUEST_IP, netkit::NETMASK, WIRE_IP) {
        exos::eprintln!("netbench: net_config: {e:?}");
        return 1;
    }
    let echo = ash::programs::udp_echo();
    if let Err(why) = ash(0, PortKind::Udp, UDP_ASH_PORT, &dpf::Filter::udp_port(GUEST_IP, UDP_ASH_PORT), &echo) {
        exos::eprintln!("netbench: UDP ASH: {why}");
        return 1;
    }
    let icmp = ash::programs::icmp_echo();
    if let Err(why) = ash(1, PortKind::IcmpId, ICMP_ID, &dpf::Filter::icmp_id(ICMP_ID), &icmp) {
        exos::eprintln!("netbench: ICMP ASH: {why}");
        return 1;
    }
    let sock = match socket::udp_bind(UDP_STACK_PORT) {
        Ok((sock, _)) => sock,
        Err(e) => {
            exos::eprintln!("netbench: udp port {UDP_STACK_PORT}: {e}");
            return 1;
        }
    };
    exos::println!("NETBENCH ready");
    let mut busy = 0usize;
    let mut buf = [0u8; 2048];
    loop {
        // A deadline keeps the sleep wakeable in the kernel's eyes: its "can anything ever wake
        // a sleeper" check counts deadlines but not frames, so a sleep on frames alone with no
        // other environment runnable would be ended as a deadlock.
        let deadline = exos::sys::wait::now_ns() + RECV_SLICE_NS;
        let Ok((n, addr, from)) = socket::recv_from(sock, &mut buf, Some(deadline)) else { continue };
        if let Some(want) = buf[..n].strip_prefix(b"BUSY ").and_then(|w| core::str::from_utf8(w).ok()?.trim().parse::<usize>().ok()) {
            while busy < want.min(MAX_BUSY) {
                if let Err(e) = user::spawn(spin, &[]) {
                    exos::eprintln!("netbench: spawn a busy environment: {e:?}");
                    break;
                }
                busy += 1;
            }
        }
        let _ = socket::send_to(sock, &buf[..n], addr, from);
    }
}

exos::main!(main);
