//! Socket descriptors: the slot that names a socket of this process's network stack, and the
//! one registered function through which `read`, `write`, `close`, `dup` and `poll` reach it.
//!
//! The stack (`net/`) is above this layer and registers its entry ([`register`]) when it makes
//! its first socket descriptor (`net::fd`), so a program that never opens a socket links no
//! network code, and this layer imports nothing of the network's.
use super::*;
use spin::Mutex;

/// What the descriptor layer asks of a socket.
pub enum Call<'a> {
    /// Read into the buffer (TCP bytes, or one datagram).
    Read(usize, &'a mut [u8]),
    /// Write the bytes (TCP), or send them as one datagram to the connected peer.
    Write(usize, &'a [u8]),
    /// One descriptor fewer names the socket (the last one closes it).
    Close(usize),
    /// One descriptor more names the socket (`dup`).
    Retain(usize),
    /// Run the stack once and fill each `(socket, events)` with the `poll::POLL*` bits it is ready
    /// for (`POLLNVAL` for no such socket); the second field gets the stack's next timer
    /// (nanoseconds since boot), if any.
    Ready(&'a mut [(usize, u16)], &'a mut Option<u64>),
}

/// The stack's entry.
pub type Entry = fn(Call<'_>) -> Result<usize, Errno>;

static ENTRY: Mutex<Option<Entry>> = Mutex::new(None);

/// Registers the stack's entry (the network layer, when it makes a socket descriptor).
pub fn register(entry: Entry) {
    let mut slot = ENTRY.lock();
    if slot.is_none() {
        *slot = Some(entry);
    }
}

/// Passes `c` to the stack (`ENOTSOCK` if no socket was ever made here).
pub(crate) fn call(c: Call<'_>) -> Result<usize, Errno> {
    let entry = *ENTRY.lock();
    entry.ok_or(Errno::ENOTSOCK)?(c)
}

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

/// A descriptor (the lowest free) for socket `id` of this process's stack. `EMFILE` when the table
/// is full (the caller then closes the socket).
pub fn install(id: usize) -> Result<u32, Errno> {
    let fd = free_fd()?;
    set(fd, Slot { kind: Type::Socket, a: id as u64, b: me()?, ..FREE })?;
    Ok(fd)
}

/// Drops a descriptor's hold on its socket (`close`).
pub(crate) fn release(slot: &Slot) -> Result<(), Errno> {
    match id(slot) {
        Ok(id) => call(Call::Close(id)).map(drop),
        // A copy from another process: nothing of this process's to close.
        Err(_) => Ok(()),
    }
}
