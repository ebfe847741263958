//! `nc [-u] [-w SECONDS] HOST PORT` and `nc -l [-u] PORT`: copies stdin to a network peer and
//! what the peer sends to stdout, waiting on both at once with `poll` (the terminal or a pipe,
//! and the socket).
//!
//! - TCP client (`nc HOST PORT`): connects; at the end of stdin sends its FIN and goes on printing
//!   until the peer closes.
//! - TCP listener (`nc -l PORT`): accepts one connection, then as the client.
//! - UDP (`-u`): each read of stdin is one datagram to the peer; every datagram from the peer is
//!   printed. A listener's peer is whoever sends the first datagram. At the end of stdin a UDP
//!   client waits `-w` seconds (default 0) for answers, then ends.
//!
//! Exit status 0, 1 on a network error, 2 on a usage error.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use exos::fs::fd::poll::{poll, PollFd, POLLHUP, POLLIN};
use exos::fs::fd;
use exos::net::fd as socket;
use exos::fs::Errno;
use exos::sys::wait::now_ns;
use exoscore::net::url::{parse_ipv4, parse_port};
use user::util;

const USAGE: &str = "nc [-u] [-w SECONDS] HOST PORT | nc -l [-u] PORT";

struct Options {
    listen: bool,
    udp: bool,
    wait_s: u64,
    host: [u8; 4],
    port: u16,
}

fn options() -> Result<Options, alloc::string::String> {
    let args = util::operands();
    let mut o = Options { listen: false, udp: false, wait_s: 0, host: [0; 4], port: 0 };
    let mut rest = alloc::vec::Vec::new();
    let mut i = 0;
    while i < args.len() {
        match args[i] {
            "-l" => o.listen = true,
            "-u" => o.udp = true,
            "-lu" | "-ul" => (o.listen, o.udp) = (true, true),
            "-w" => {
                i += 1;
                o.wait_s = args.get(i).and_then(|w| w.parse().ok()).ok_or("nc: -w needs a number of seconds")?;
            }
            other if other.starts_with('-') => return Err(alloc::format!("nc: unknown option {other}")),
            other => rest.push(other),
        }
        i += 1;
    }
    match (o.listen, &rest[..]) {
        (true, [port]) => o.port = parse_port(port).map_err(|e| alloc::format!("nc: {port}: {e}"))?,
        (false, [host, port]) => {
            o.host = parse_ipv4(host).map_err(|e| alloc::format!("nc: {host}: {e}"))?;
            o.port = parse_port(port).map_err(|e| alloc::format!("nc: {port}: {e}"))?;
        }
        _ => return Err("nc: wrong operands".into()),
    }
    Ok(o)
}

/// Copies between stdin and the connected socket `sock` until both are done.
fn relay(sock: u32, udp: bool, wait_s: u64) -> Result<(), Errno> {
    let mut buf = alloc::vec![0u8; 16 * 1024];
    let mut stdin_open = true;
    let mut linger_until = None;
    loop {
        let mut fds = [PollFd::new(sock, POLLIN), PollFd::new(0, POLLIN)];
        let watched = if stdin_open { 2 } else { 1 };
        let timeout = linger_until.map(|t: u64| t.saturating_sub(now_ns()));
        if poll(&mut fds[..watched], timeout)? == 0 {
            return Ok(()); // the UDP client's wait after the end of stdin is over
        }
        if fds[0].revents & (POLLIN | POLLHUP) != 0 {
            let n = fd::read(sock, &mut buf)?;
            if n == 0 && !udp {
                return Ok(()); // the peer closed
            }
            util::out(&buf[..n]);
        }
        if stdin_open && fds[1].revents & (POLLIN | POLLHUP) != 0 {
            let n = fd::read(0, &mut buf)?;
            if n == 0 {
                stdin_open = false;
                if udp {
                    linger_until = Some(now_ns() + wait_s * 1_000_000_000);
                } else {
                    socket::shutdown_write(sock)?;
                }
            } else {
                fd::write_all(sock, &buf[..n])?;
            }
        }
    }
}

fn run(o: &Options) -> Result<(), Errno> {
    let sock = match (o.listen, o.udp) {
        (false, false) => socket::tcp_connect(o.host, o.port)?,
        (true, false) => {
            let listener = socket::tcp_listen(o.port)?;
            let (conn, _, _) = socket::accept(listener)?;
            fd::close(listener)?;
            conn
        }
        (false, true) => {
            let (sock, _) = socket::udp_bind(0)?;
            socket::udp_connect(sock, o.host, o.port)?;
            sock
        }
        (true, true) => {
            let (sock, _) = socket::udp_bind(o.port)?;
            // The first datagram names the peer.
            let mut buf = [0u8; 2048];
            let (n, addr, port) = socket::recv_from(sock, &mut buf, None)?;
            util::out(&buf[..n]);
            socket::udp_connect(sock, addr, port)?;
            sock
        }
    };
    let result = relay(sock, o.udp, o.wait_s);
    fd::close(sock)?;
    result
}

fn main() -> i64 {
    let o = match options() {
        Ok(o) => o,
        Err(message) => return util::usage_error(&message, USAGE),
    };
    match run(&o) {
        Ok(()) => 0,
        Err(e) => {
            exos::eprintln!("nc: {e}");
            1
        }
    }
}

exos::main!(main);
