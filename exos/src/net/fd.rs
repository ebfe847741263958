//! Sockets as file descriptors: the calls that make them (`tcp_connect`, `tcp_listen`,
//! `accept`, `udp_bind`, `icmp_open`), the datagram calls that need an address (`send_to`,
//! `recv_from`, `icmp_send`, `icmp_recv`), and the entry the descriptor layer calls for `read`,
//! `write`, `close`, `dup` and `poll` (registered with the first socket descriptor).
use super::{socket as net, stack};
use crate::fs::fd::poll::{POLLHUP, POLLIN, POLLNVAL, POLLOUT};
use crate::fs::fd::socket::{self as slot, Call};
use crate::fs::Errno;

/// What the descriptor layer asks of a socket (see `fs::fd::socket::Call`).
fn entry(call: Call<'_>) -> Result<usize, Errno> {
    match call {
        Call::Read(id, buf) => net::read(id, buf),
        Call::Write(id, data) => net::write(id, data),
        Call::Close(id) => net::close(id).map(|()| 0),
        Call::Retain(id) => net::retain(id).map(|()| 0),
        Call::Ready(sockets, timer) => stack::with(|s| {
            s.poll();
            for (id, events) in sockets.iter_mut() {
                *events = match net::ready(s, *id) {
                    Ok(r) => {
                        (if r.read { POLLIN } else { 0 }) | (if r.write { POLLOUT } else { 0 }) | (if r.hangup { POLLHUP } else { 0 })
                    }
                    Err(_) => POLLNVAL,
                };
            }
            *timer = s.next_timer();
            Ok(0)
        }),
    }
}

/// A descriptor for socket `id` (closing the socket if the table is full).
fn install(id: usize) -> Result<u32, Errno> {
    slot::register(entry);
    slot::install(id).inspect_err(|_| net::abort(id))
}

/// A TCP connection to `addr:port` (waits until established; `ECONNREFUSED`, `ETIMEDOUT`).
pub fn tcp_connect(addr: [u8; 4], port: u16) -> Result<u32, Errno> {
    install(net::tcp_connect(addr, port)?)
}

/// A TCP listener on `port` (`EADDRINUSE` if another environment holds it).
pub fn tcp_listen(port: u16) -> Result<u32, Errno> {
    install(net::tcp_listen(port)?)
}

/// The next connection on listener `fd` (waits): its descriptor and the peer's address and port.
pub fn accept(fd: u32) -> Result<(u32, [u8; 4], u16), Errno> {
    let (id, addr, port) = net::accept(slot::socket_of(fd)?)?;
    Ok((install(id)?, addr, port))
}

/// A UDP socket on `port` (0: ephemeral): its descriptor and port.
pub fn udp_bind(port: u16) -> Result<(u32, u16), Errno> {
    let (id, port) = net::udp_bind(port)?;
    Ok((install(id)?, port))
}

/// Fixes UDP socket `fd`'s peer (for `read` and `write`).
pub fn udp_connect(fd: u32, addr: [u8; 4], port: u16) -> Result<(), Errno> {
    net::udp_connect(slot::socket_of(fd)?, addr, port)
}

/// One datagram to `addr:port`.
pub fn send_to(fd: u32, data: &[u8], addr: [u8; 4], port: u16) -> Result<usize, Errno> {
    net::send_to(slot::socket_of(fd)?, data, addr, port)
}

/// One datagram (waits, until `deadline` in nanoseconds since boot if given): its length and sender.
pub fn recv_from(fd: u32, buf: &mut [u8], deadline: Option<u64>) -> Result<(usize, [u8; 4], u16), Errno> {
    net::recv_from(slot::socket_of(fd)?, buf, deadline)
}

/// An ICMP echo socket: its descriptor and identifier.
pub fn icmp_open() -> Result<(u32, u16), Errno> {
    let (id, ident) = net::icmp_open()?;
    Ok((install(id)?, ident))
}

/// Sends an ICMP message (header and checksum made by the caller) to `addr`.
pub fn icmp_send(fd: u32, message: &[u8], addr: [u8; 4]) -> Result<(), Errno> {
    net::icmp_send(slot::socket_of(fd)?, message, addr)
}

/// Receives an ICMP message for this socket's identifier (until `deadline`).
pub fn icmp_recv(fd: u32, buf: &mut [u8], deadline: Option<u64>) -> Result<(usize, [u8; 4]), Errno> {
    net::icmp_recv(slot::socket_of(fd)?, buf, deadline)
}

/// Ends the sending half of TCP connection `fd` (`shutdown(SHUT_WR)`).
pub fn shutdown_write(fd: u32) -> Result<(), Errno> {
    net::shutdown_write(slot::socket_of(fd)?)
}

/// The local port (ICMP: identifier) of socket `fd`.
pub fn local_port(fd: u32) -> Result<u16, Errno> {
    net::local_port(slot::socket_of(fd)?)
}
