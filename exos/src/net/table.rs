//! The sockets of one stack, by index (the descriptor layer keeps the index): what each is, its
//! smoltcp socket(s), its local port, a listener's waiting sockets, a UDP socket's peer and how many
//! descriptors name it. The calls over them are in `socket.rs`.
use crate::fs::Errno;
use abi::net::PortKind;
use alloc::vec::Vec;
use smoltcp::iface::SocketHandle;
use smoltcp::wire::IpEndpoint;

/// What a socket is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Tcp,
    Listener,
    Udp,
    Icmp,
}

/// One socket of the table.
pub struct Entry {
    pub kind: Kind,
    /// The smoltcp socket (a listener's first waiting socket).
    pub handle: SocketHandle,
    /// The local port (ICMP: the echo identifier).
    pub port: u16,
    /// A listener's other sockets listening on the port.
    pub backlog: Vec<SocketHandle>,
    /// A UDP socket's connected peer (`connect`): where `write` sends and whence `read` takes.
    pub peer: Option<IpEndpoint>,
    /// Descriptors naming it (`dup`); [`close`] ends it with the last.
    pub refs: u32,
}

/// The sockets, by index.
#[derive(Default)]
pub struct Table {
    entries: Vec<Option<Entry>>,
}

impl Table {
    pub fn insert(&mut self, entry: Entry) -> usize {
        match self.entries.iter().position(Option::is_none) {
            Some(i) => {
                self.entries[i] = Some(entry);
                i
            }
            None => {
                self.entries.push(Some(entry));
                self.entries.len() - 1
            }
        }
    }

    pub fn get(&self, id: usize) -> Result<&Entry, Errno> {
        self.entries.get(id).and_then(Option::as_ref).ok_or(Errno::ENOTSOCK)
    }

    pub fn get_mut(&mut self, id: usize) -> Result<&mut Entry, Errno> {
        self.entries.get_mut(id).and_then(Option::as_mut).ok_or(Errno::ENOTSOCK)
    }

    /// How many sockets are open.
    pub fn len(&self) -> usize {
        self.entries.iter().flatten().count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes entry `id` out of the table.
    pub fn take(&mut self, id: usize) -> Result<Entry, Errno> {
        self.entries.get_mut(id).and_then(Option::take).ok_or(Errno::ENOTSOCK)
    }
}

/// The kind of port a socket of `kind` holds.
pub fn port_kind(kind: Kind) -> PortKind {
    match kind {
        Kind::Tcp | Kind::Listener => PortKind::Tcp,
        Kind::Udp => PortKind::Udp,
        Kind::Icmp => PortKind::IcmpId,
    }
}
