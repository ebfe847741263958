//! `udpecho PORT`: a UDP echo server: every datagram received on PORT goes back to its sender
//! unchanged. Runs until killed; prints `udpecho: listening on UDP port PORT` once the port is
//! claimed (from the kernel: `EADDRINUSE` if another program holds it).
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use exos::net::fd as socket;
use exoscore::net::url::parse_port;
use user::util;

const USAGE: &str = "udpecho PORT";

fn main() -> i64 {
    let args = util::operands();
    let [port] = args[..] else { return util::usage_error("udpecho: one port expected", USAGE) };
    let Ok(port) = parse_port(port) else { return util::usage_error(&alloc::format!("udpecho: bad port '{port}'"), USAGE) };
    let (sock, port) = match socket::udp_bind(port) {
        Ok(s) => s,
        Err(e) => {
            exos::eprintln!("udpecho: port {port}: {e}");
            return 1;
        }
    };
    exos::println!("udpecho: listening on UDP port {port}");
    let mut buf = [0u8; 2048];
    loop {
        match socket::recv_from(sock, &mut buf, None) {
            Ok((n, addr, from)) => {
                if let Err(e) = socket::send_to(sock, &buf[..n], addr, from) {
                    exos::eprintln!("udpecho: send: {e}");
                }
            }
            Err(e) => {
                exos::eprintln!("udpecho: receive: {e}");
                return 1;
            }
        }
    }
}

exos::main!(main);
