//! Sockets as file descriptors: the calls that make them (`tcp_connect`, `tcp_listen`,
//! `accept`, `udp_bind`, `icmp_open`), the datagram calls that need an address (`send_to`,
//! `recv_from`), and the slot's link to the socket of this process's stack (`net::socket`).
//! `read`, `write`, `close`, `dup` and `poll` work on them through `fd/mod.rs` and `poll.rs`.
use super::*;
use crate::net::socket as net;

/// The socket index of a socket slot; `ENOTSOCK` for another kind, or for a slot copied from
/// another process (a forked child's table: the socket is in its parent's stack).
pub(crate) fn id(slot: &Slot) -> Result<usize, Errno> {
    if slot.kind != Type::Socket || slot.b != me()? {
        return Err(Errno::ENOTSOCK);
    }
    Ok(slot.a as usize)
}

/// The socket index behind descriptor `fd`.
pub fn socket_of(fd: u32) -> Result<usize, Errno> {
    id(&get(fd)?)
}

/// A descriptor for socket `id` (closing the socket if the table is full).
fn install(id: usize) -> Result<u32, Errno> {
    let fd = match free_fd() {
        Ok(fd) => fd,
        Err(e) => {
            net::abort(id);
            return Err(e);
        }
    };
    set(fd, Slot { kind: Type::Socket, a: id as u64, b: me()?, ..FREE })?;
    Ok(fd)
}

/// Drops a descriptor's hold on its socket (`close`).
pub(crate) fn release(slot: &Slot) -> Result<(), Errno> {
    match id(slot) {
        Ok(id) => net::close(id),
        // A copy from another process: nothing of this process's to close.
        Err(_) => Ok(()),
    }
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
    let (id, addr, port) = net::accept(socket_of(fd)?)?;
    Ok((install(id)?, addr, port))
}

/// A UDP socket on `port` (0: ephemeral): its descriptor and port.
pub fn udp_bind(port: u16) -> Result<(u32, u16), Errno> {
    let (id, port) = net::udp_bind(port)?;
    Ok((install(id)?, port))
}

/// Fixes UDP socket `fd`'s peer (for `read` and `write`).
pub fn udp_connect(fd: u32, addr: [u8; 4], port: u16) -> Result<(), Errno> {
    net::udp_connect(socket_of(fd)?, addr, port)
}

/// One datagram to `addr:port`.
pub fn send_to(fd: u32, data: &[u8], addr: [u8; 4], port: u16) -> Result<usize, Errno> {
    net::send_to(socket_of(fd)?, data, addr, port)
}

/// One datagram (waits, until `deadline` in nanoseconds since boot if given): its length and sender.
pub fn recv_from(fd: u32, buf: &mut [u8], deadline: Option<u64>) -> Result<(usize, [u8; 4], u16), Errno> {
    net::recv_from(socket_of(fd)?, buf, deadline)
}

/// An ICMP echo socket: its descriptor and identifier.
pub fn icmp_open() -> Result<(u32, u16), Errno> {
    let (id, ident) = net::icmp_open()?;
    Ok((install(id)?, ident))
}

/// Sends an ICMP message (header and checksum made by the caller) to `addr`.
pub fn icmp_send(fd: u32, message: &[u8], addr: [u8; 4]) -> Result<(), Errno> {
    net::icmp_send(socket_of(fd)?, message, addr)
}

/// Receives an ICMP message for this socket's identifier (until `deadline`).
pub fn icmp_recv(fd: u32, buf: &mut [u8], deadline: Option<u64>) -> Result<(usize, [u8; 4]), Errno> {
    net::icmp_recv(socket_of(fd)?, buf, deadline)
}

/// Ends the sending half of TCP connection `fd` (`shutdown(SHUT_WR)`).
pub fn shutdown_write(fd: u32) -> Result<(), Errno> {
    net::shutdown_write(socket_of(fd)?)
}

/// The local port (ICMP: identifier) of socket `fd`.
pub fn local_port(fd: u32) -> Result<u16, Errno> {
    net::local_port(socket_of(fd)?)
}
