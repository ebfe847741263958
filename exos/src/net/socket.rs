//! Sockets of this process's stack: TCP connections and listeners, UDP sockets and ICMP echo
//! sockets, each an index into the stack's table (`table.rs`; the descriptor layer keeps the
//! index, `fd.rs`). Each socket holds its port through the kernel's port capabilities (`link.rs`): a
//! listener its port, each accepted connection one more use of it, a client connection and an
//! unbound UDP socket an ephemeral port.
//!
//! Blocking calls wait through [`super::stack::block`] (in `env_wait`, never spinning). A TCP
//! `close` lingers until the peer has acknowledged the end of the stream (or [`LINGER_NS`]), so
//! a program that closes and exits has delivered everything it wrote.
use super::stack::{block, with, Stack};
use super::table::{port_kind, Entry, Kind};
use crate::fs::Errno;
use crate::sys::wait;
use abi::net::PortKind;
use alloc::vec;
use alloc::vec::Vec;
use smoltcp::iface::SocketHandle;
use smoltcp::socket::{icmp, tcp, udp};
use smoltcp::wire::{IpAddress, IpEndpoint, IpListenEndpoint, Ipv4Address};

/// Receive and send buffers of a TCP socket (the receive window with window scaling).
pub const TCP_RX: usize = 256 * 1024;
pub const TCP_TX: usize = 128 * 1024;
/// Connections a listener can have waiting for `accept`.
pub const BACKLOG: usize = 4;
/// Datagrams a UDP socket buffers each way, and their bytes.
pub const UDP_PACKETS: usize = 32;
pub const UDP_BYTES: usize = 64 * 1024;
/// How long a TCP connection attempt may take.
pub const CONNECT_NS: u64 = 10_000_000_000;
/// How long `close` waits for the peer to acknowledge the end of a TCP stream.
pub const LINGER_NS: u64 = 5_000_000_000;

fn new_tcp() -> tcp::Socket<'static> {
    let mut socket = tcp::Socket::new(tcp::SocketBuffer::new(vec![0; TCP_RX]), tcp::SocketBuffer::new(vec![0; TCP_TX]));
    // Delayed acknowledgements cap throughput badly (NETWORK.md): acknowledge at once.
    socket.set_ack_delay(None);
    socket.set_nagle_enabled(false);
    socket
}

fn ip(addr: [u8; 4]) -> IpAddress {
    IpAddress::Ipv4(Ipv4Address::from(addr))
}

/// `addr` as four octets (every address of this stack is IPv4).
pub fn octets(addr: IpAddress) -> [u8; 4] {
    match addr {
        IpAddress::Ipv4(a) => a.octets(),
    }
}

fn claim(s: &mut Stack, kind: PortKind, port: u16) -> Result<u16, Errno> {
    s.dev.link.claim(kind, port)
}

fn release(s: &mut Stack, kind: PortKind, port: u16) {
    let ip = s.addressing.ip;
    s.dev.link.release(kind, port, ip);
}

/// A TCP connection to `addr:port` from an ephemeral port; waits until it is established.
/// `ECONNREFUSED` on a reset, `ETIMEDOUT` after [`CONNECT_NS`].
pub fn tcp_connect(addr: [u8; 4], port: u16) -> Result<usize, Errno> {
    let id = with(|s| {
        let local = claim(s, PortKind::Tcp, 0)?;
        let mut socket = new_tcp();
        if let Err(e) = socket.connect(s.iface.context(), (ip(addr), port), local) {
            release(s, PortKind::Tcp, local);
            return Err(match e {
                tcp::ConnectError::Unaddressable => Errno::ENETUNREACH,
                tcp::ConnectError::InvalidState => Errno::EINVAL,
            });
        }
        let handle = s.sockets.add(socket);
        Ok(s.table.insert(Entry { kind: Kind::Tcp, handle, port: local, backlog: Vec::new(), peer: None, refs: 1 }))
    })?;
    let deadline = wait::now_ns() + CONNECT_NS;
    let connected = block(Some(deadline), |s| {
        let handle = s.table.get(id).ok()?.handle;
        match s.sockets.get::<tcp::Socket>(handle).state() {
            tcp::State::SynSent | tcp::State::SynReceived => None,
            tcp::State::Closed => Some(Err(Errno::ECONNREFUSED)),
            _ => Some(Ok(())),
        }
    });
    match connected {
        Ok(()) => Ok(id),
        Err(e) => {
            abort(id);
            Err(e)
        }
    }
}

/// A TCP listener on `port`, with [`BACKLOG`] connections waiting at most.
pub fn tcp_listen(port: u16) -> Result<usize, Errno> {
    with(|s| {
        let port = claim(s, PortKind::Tcp, port)?;
        let mut handles = Vec::new();
        for _ in 0..BACKLOG {
            let mut socket = new_tcp();
            if socket.listen(IpListenEndpoint { addr: None, port }).is_err() {
                release(s, PortKind::Tcp, port);
                return Err(Errno::EINVAL);
            }
            handles.push(s.sockets.add(socket));
        }
        let handle = handles.remove(0);
        Ok(s.table.insert(Entry { kind: Kind::Listener, handle, port, backlog: handles, peer: None, refs: 1 }))
    })
}

/// The next connection on listener `id` (waiting for one): its socket and the peer's address.
pub fn accept(id: usize) -> Result<(usize, [u8; 4], u16), Errno> {
    block(None, |s| {
        let entry = match s.table.get(id) {
            Ok(e) if e.kind == Kind::Listener => e,
            Ok(_) => return Some(Err(Errno::EINVAL)),
            Err(e) => return Some(Err(e)),
        };
        let port = entry.port;
        let all: Vec<SocketHandle> = core::iter::once(entry.handle).chain(entry.backlog.iter().copied()).collect();
        // A handshake that was reset left its socket closed: it listens again.
        for &h in &all {
            let socket = s.sockets.get_mut::<tcp::Socket>(h);
            if socket.state() == tcp::State::Closed {
                let _ = socket.listen(IpListenEndpoint { addr: None, port });
            }
        }
        let ready = all.into_iter().find(|&h| {
            let socket = s.sockets.get::<tcp::Socket>(h);
            !matches!(socket.state(), tcp::State::Listen | tcp::State::SynReceived | tcp::State::Closed)
        })?;
        // Replace it with a fresh listening socket and hand it out as a connection.
        let mut socket = new_tcp();
        if socket.listen(IpListenEndpoint { addr: None, port }).is_err() {
            return Some(Err(Errno::EINVAL));
        }
        let fresh = s.sockets.add(socket);
        let entry = s.table.get_mut(id).ok()?;
        if entry.handle == ready {
            entry.handle = fresh;
        } else if let Some(slot) = entry.backlog.iter_mut().find(|h| **h == ready) {
            *slot = fresh;
        }
        let remote = s.sockets.get::<tcp::Socket>(ready).remote_endpoint();
        let (addr, rport) = remote.map_or(([0; 4], 0), |e| (octets(e.addr), e.port));
        if let Err(e) = s.dev.link.share(PortKind::Tcp, port) {
            return Some(Err(e));
        }
        let conn = s.table.insert(Entry { kind: Kind::Tcp, handle: ready, port, backlog: Vec::new(), peer: None, refs: 1 });
        Some(Ok((conn, addr, rport)))
    })
}

/// A UDP socket bound to `port` (0: an ephemeral one); returns it and the port.
pub fn udp_bind(port: u16) -> Result<(usize, u16), Errno> {
    with(|s| {
        let port = claim(s, PortKind::Udp, port)?;
        let buffer = || udp::PacketBuffer::new(vec![udp::PacketMetadata::EMPTY; UDP_PACKETS], vec![0; UDP_BYTES]);
        let mut socket = udp::Socket::new(buffer(), buffer());
        if socket.bind(port).is_err() {
            release(s, PortKind::Udp, port);
            return Err(Errno::EINVAL);
        }
        let handle = s.sockets.add(socket);
        Ok((s.table.insert(Entry { kind: Kind::Udp, handle, port, backlog: Vec::new(), peer: None, refs: 1 }), port))
    })
}

/// Fixes a UDP socket's peer: `write` sends there and `read` takes only its datagrams.
pub fn udp_connect(id: usize, addr: [u8; 4], port: u16) -> Result<(), Errno> {
    with(|s| {
        let entry = s.table.get_mut(id)?;
        if entry.kind != Kind::Udp {
            return Err(Errno::EINVAL);
        }
        entry.peer = Some(IpEndpoint::new(ip(addr), port));
        Ok(())
    })
}

/// Sends one datagram to `addr:port` (waiting for room). `EMSGSIZE` if it can never fit.
pub fn send_to(id: usize, data: &[u8], addr: [u8; 4], port: u16) -> Result<usize, Errno> {
    if data.len() > 1472 {
        return Err(Errno::EMSGSIZE);
    }
    let to = IpEndpoint::new(ip(addr), port);
    block(None, |s| {
        let handle = match s.table.get(id) {
            Ok(e) if e.kind == Kind::Udp => e.handle,
            Ok(_) => return Some(Err(Errno::EINVAL)),
            Err(e) => return Some(Err(e)),
        };
        let socket = s.sockets.get_mut::<udp::Socket>(handle);
        match socket.send_slice(data, to) {
            Ok(()) => Some(Ok(data.len())),
            Err(udp::SendError::BufferFull) => None,
            Err(udp::SendError::Unaddressable) => Some(Err(Errno::ENETUNREACH)),
        }
    })
}

/// Receives one datagram (waiting for one, until `deadline` if given): its length (cut to
/// `buf`) and sender.
pub fn recv_from(id: usize, buf: &mut [u8], deadline: Option<u64>) -> Result<(usize, [u8; 4], u16), Errno> {
    block(deadline, |s| {
        let (handle, peer) = match s.table.get(id) {
            Ok(e) if e.kind == Kind::Udp => (e.handle, e.peer),
            Ok(_) => return Some(Err(Errno::EINVAL)),
            Err(e) => return Some(Err(e)),
        };
        let socket = s.sockets.get_mut::<udp::Socket>(handle);
        loop {
            let (n, meta) = socket.recv_slice(buf).ok()?;
            if peer.is_none_or(|p| p == meta.endpoint) {
                return Some(Ok((n, octets(meta.endpoint.addr), meta.endpoint.port)));
            }
        }
    })
}

/// An ICMP socket for echo requests and replies with a free identifier; returns it and the
/// identifier.
pub fn icmp_open() -> Result<(usize, u16), Errno> {
    with(|s| {
        let ident = claim(s, PortKind::IcmpId, 0)?;
        let buffer = || icmp::PacketBuffer::new(vec![icmp::PacketMetadata::EMPTY; 16], vec![0; 16 * 1024]);
        let mut socket = icmp::Socket::new(buffer(), buffer());
        if socket.bind(icmp::Endpoint::Ident(ident)).is_err() {
            release(s, PortKind::IcmpId, ident);
            return Err(Errno::EINVAL);
        }
        let handle = s.sockets.add(socket);
        Ok((s.table.insert(Entry { kind: Kind::Icmp, handle, port: ident, backlog: Vec::new(), peer: None, refs: 1 }), ident))
    })
}

/// Sends a raw ICMP message (its header included; the caller computes its checksum) to `addr`.
pub fn icmp_send(id: usize, message: &[u8], addr: [u8; 4]) -> Result<(), Errno> {
    block(None, |s| {
        let handle = match s.table.get(id) {
            Ok(e) if e.kind == Kind::Icmp => e.handle,
            Ok(_) => return Some(Err(Errno::EINVAL)),
            Err(e) => return Some(Err(e)),
        };
        match s.sockets.get_mut::<icmp::Socket>(handle).send_slice(message, ip(addr)) {
            Ok(()) => Some(Ok(())),
            Err(icmp::SendError::BufferFull) => None,
            Err(icmp::SendError::Unaddressable) => Some(Err(Errno::ENETUNREACH)),
        }
    })
}

/// Receives one ICMP message for this socket's identifier (until `deadline`): its length and
/// sender. `ETIMEDOUT` at the deadline.
pub fn icmp_recv(id: usize, buf: &mut [u8], deadline: Option<u64>) -> Result<(usize, [u8; 4]), Errno> {
    block(deadline, |s| {
        let handle = match s.table.get(id) {
            Ok(e) if e.kind == Kind::Icmp => e.handle,
            Ok(_) => return Some(Err(Errno::EINVAL)),
            Err(e) => return Some(Err(e)),
        };
        let (n, from) = s.sockets.get_mut::<icmp::Socket>(handle).recv_slice(buf).ok()?;
        Some(Ok((n, octets(from))))
    })
}

/// Reads from a socket: TCP bytes (waiting for some; 0 at the end of the stream), or one UDP
/// datagram (from the connected peer if any).
pub fn read(id: usize, buf: &mut [u8]) -> Result<usize, Errno> {
    let kind = with(|s| Ok(s.table.get(id)?.kind))?;
    match kind {
        Kind::Udp => recv_from(id, buf, None).map(|(n, _, _)| n),
        Kind::Icmp => icmp_recv(id, buf, None).map(|(n, _)| n),
        Kind::Listener => Err(Errno::EINVAL),
        Kind::Tcp => block(None, |s| {
            let handle = s.table.get(id).ok()?.handle;
            let socket = s.sockets.get_mut::<tcp::Socket>(handle);
            if socket.can_recv() {
                return Some(socket.recv_slice(buf).map_err(|_| Errno::ECONNRESET));
            }
            // The peer ended the stream (FIN), or the connection was reset: end of file.
            (!socket.may_recv() || buf.is_empty()).then_some(Ok(0))
        }),
    }
}

/// Writes to a socket: TCP bytes (waiting for room; returns how many were queued, at least
/// one), or one UDP datagram to the connected peer (`ENOTCONN` without one). `EPIPE` once the
/// TCP connection can send no more.
pub fn write(id: usize, data: &[u8]) -> Result<usize, Errno> {
    let (kind, peer) = with(|s| {
        let e = s.table.get(id)?;
        Ok((e.kind, e.peer))
    })?;
    match kind {
        Kind::Udp => {
            let peer = peer.ok_or(Errno::ENOTCONN)?;
            send_to(id, data, octets(peer.addr), peer.port)
        }
        Kind::Tcp => block(None, |s| {
            let handle = s.table.get(id).ok()?.handle;
            let socket = s.sockets.get_mut::<tcp::Socket>(handle);
            if !socket.may_send() {
                return Some(Err(if socket.state() == tcp::State::Closed { Errno::ECONNRESET } else { Errno::EPIPE }));
            }
            if data.is_empty() {
                return Some(Ok(0));
            }
            if socket.can_send() {
                return Some(socket.send_slice(data).map_err(|_| Errno::EPIPE));
            }
            None
        }),
        _ => Err(Errno::EINVAL),
    }
}

/// What [`poll`] finds a socket ready for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ready {
    /// A read (or an accept) would not wait.
    pub read: bool,
    /// A write would not wait.
    pub write: bool,
    /// The connection is over (reset, or closed both ways).
    pub hangup: bool,
}

/// What socket `id` is ready for now (the caller has polled the stack).
pub fn ready(s: &mut Stack, id: usize) -> Result<Ready, Errno> {
    let entry = s.table.get(id)?;
    Ok(match entry.kind {
        Kind::Tcp => {
            let socket = s.sockets.get::<tcp::Socket>(entry.handle);
            Ready {
                read: socket.can_recv() || !socket.may_recv(),
                write: socket.can_send() || !socket.may_send(),
                hangup: socket.state() == tcp::State::Closed || (!socket.may_recv() && !socket.may_send()),
            }
        }
        Kind::Listener => {
            let ready = core::iter::once(entry.handle).chain(entry.backlog.iter().copied()).any(|h| {
                !matches!(s.sockets.get::<tcp::Socket>(h).state(), tcp::State::Listen | tcp::State::SynReceived | tcp::State::Closed)
            });
            Ready { read: ready, write: false, hangup: false }
        }
        Kind::Udp => {
            let socket = s.sockets.get::<udp::Socket>(entry.handle);
            Ready { read: socket.can_recv(), write: socket.can_send(), hangup: false }
        }
        Kind::Icmp => {
            let socket = s.sockets.get::<icmp::Socket>(entry.handle);
            Ready { read: socket.can_recv(), write: socket.can_send(), hangup: false }
        }
    })
}

/// Removes socket `id` from the stack at once (a TCP connection is reset) and drops its use of
/// its port.
pub fn abort(id: usize) {
    let _ = with(|s| {
        let entry = s.table.take(id)?;
        for handle in core::iter::once(entry.handle).chain(entry.backlog.iter().copied()) {
            if entry.kind == Kind::Tcp || entry.kind == Kind::Listener {
                s.sockets.get_mut::<tcp::Socket>(handle).abort();
            }
        }
        s.poll();
        for handle in core::iter::once(entry.handle).chain(entry.backlog) {
            s.sockets.remove(handle);
        }
        release(s, port_kind(entry.kind), entry.port);
        Ok(())
    });
}

/// Ends the sending half of TCP connection `id` (its FIN goes after what is queued); reading
/// goes on until the peer ends its half.
pub fn shutdown_write(id: usize) -> Result<(), Errno> {
    with(|s| {
        let e = s.table.get(id)?;
        if e.kind != Kind::Tcp {
            return Err(Errno::EINVAL);
        }
        let handle = e.handle;
        s.sockets.get_mut::<tcp::Socket>(handle).close();
        s.poll();
        Ok(())
    })
}

/// One more descriptor names socket `id`.
pub fn retain(id: usize) -> Result<(), Errno> {
    with(|s| {
        s.table.get_mut(id)?.refs += 1;
        Ok(())
    })
}

/// Closes socket `id` (when the last descriptor naming it goes). A TCP connection sends what is queued and its FIN, and the call waits
/// until the peer acknowledged them (or [`LINGER_NS`]); then the socket and its use of the port go.
pub fn close(id: usize) -> Result<(), Errno> {
    let (kind, handle, last) = with(|s| {
        let e = s.table.get_mut(id)?;
        e.refs = e.refs.saturating_sub(1);
        Ok((e.kind, e.handle, e.refs == 0))
    })?;
    if !last {
        return Ok(());
    }
    if kind == Kind::Tcp {
        let _ = with(|s| {
            s.sockets.get_mut::<tcp::Socket>(handle).close();
            Ok(())
        });
        let deadline = wait::now_ns() + LINGER_NS;
        let _ = block(Some(deadline), |s| {
            let state = s.sockets.get::<tcp::Socket>(handle).state();
            // FinWait2: the peer acknowledged everything, our FIN included.
            matches!(state, tcp::State::Closed | tcp::State::TimeWait | tcp::State::FinWait2).then_some(Ok(()))
        });
    }
    with(|s| {
        let entry = s.table.take(id)?;
        for handle in core::iter::once(entry.handle).chain(entry.backlog) {
            s.sockets.remove(handle);
        }
        release(s, port_kind(entry.kind), entry.port);
        Ok(())
    })
}

/// The local port of socket `id` (ICMP: its identifier).
pub fn local_port(id: usize) -> Result<u16, Errno> {
    with(|s| Ok(s.table.get(id)?.port))
}
