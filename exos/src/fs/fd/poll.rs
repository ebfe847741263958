//! `poll`: waits until one of several descriptors is ready (sockets and the terminal together,
//! pipes, files) or a timeout, blocking in `env_wait` and never spinning.
//!
//! Each round: move the terminal's input (`tty::readable` pumps), run this process's network
//! stack once (every frame in, every frame due out; through the entry `socket.rs` holds) and look
//! at every descriptor. If none is
//! ready, sleep until something can change the answer: console input or another process of the
//! session moving it (the terminal's `changes` word, when the terminal is in the set), a frame
//! for this process (the kernel's `NOTIFY_NET`, a notification: every sleep ends on those), the
//! stack's next timer, a signal, or the timeout. A pipe can only be watched by re-looking: with a
//! pipe in the set the sleep lasts at most [`PIPE_RECHECK_NS`].
use super::*;
use crate::sys::wait;

/// Data to read (or a connection to accept, or end of file).
pub const POLLIN: u16 = 0x1;
/// Room to write.
pub const POLLOUT: u16 = 0x4;
/// An error (a pipe with no reader left, for a writer).
pub const POLLERR: u16 = 0x8;
/// The other side hung up (a pipe with no writer, a connection closed both ways or reset).
pub const POLLHUP: u16 = 0x10;
/// Not an open descriptor.
pub const POLLNVAL: u16 = 0x20;

/// How long a sleep lasts at most while a pipe is watched.
pub const PIPE_RECHECK_NS: u64 = 10_000_000;

/// One descriptor to watch: `events` asked, `revents` found (`POLLERR`, `POLLHUP` and
/// `POLLNVAL` are reported whether asked or not).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PollFd {
    pub fd: u32,
    pub events: u16,
    pub revents: u16,
}

impl PollFd {
    pub fn new(fd: u32, events: u16) -> PollFd {
        PollFd { fd, events, revents: 0 }
    }
}

/// What descriptor `fd` (not a socket) is ready for now.
fn ready_now(slot: &Slot) -> Result<u16, Errno> {
    Ok(match slot.kind {
        Type::Console => POLLOUT | if tty::readable() { POLLIN } else { 0 },
        Type::PipeRead => {
            let reader = PipeReader::from_parts(slot.a, slot.b as usize, me()?).map_err(pipe_error)?;
            let (buffered, writers) = (reader.buffered(), reader.writers());
            reader.into_parts();
            match (buffered, writers) {
                (0, 0) => POLLIN | POLLHUP,
                (0, _) => 0,
                _ => POLLIN,
            }
        }
        Type::PipeWrite => {
            let writer = PipeWriter::from_parts(slot.a, slot.b as usize, me()?).map_err(pipe_error)?;
            let (room, readers) = (writer.capacity() - writer.buffered(), writer.readers());
            writer.into_parts();
            match (room, readers) {
                (_, 0) => POLLERR,
                (0, _) => 0,
                _ => POLLOUT,
            }
        }
        Type::File | Type::TmpFile => POLLIN | POLLOUT,
        Type::Dir | Type::TmpDir => POLLIN,
        Type::Socket | Type::Free => 0,
    })
}

/// Waits until one of `fds` is ready or `timeout_ns` (nanoseconds; `None`: no limit, `Some(0)`:
/// look once) has passed; fills each `revents` and returns how many are non-zero (0: timed out).
pub fn poll(fds: &mut [PollFd], timeout_ns: Option<u64>) -> Result<usize, Errno> {
    let deadline = timeout_ns.map(|t| wait::now_ns().saturating_add(t));
    let slots: alloc::vec::Vec<Option<Slot>> = fds.iter().map(|p| get(p.fd).ok()).collect();
    let console = slots.iter().flatten().any(|s| s.kind == Type::Console);
    let pipes = slots.iter().flatten().any(|s| matches!(s.kind, Type::PipeRead | Type::PipeWrite));
    let sockets = slots.iter().flatten().any(|s| s.kind == Type::Socket);
    loop {
        let seen = console.then(tty::changes);
        let mut timer = None;
        if sockets {
            // Each socket slot's index (or none: a slot copied from another process).
            let mut ready: alloc::vec::Vec<(usize, u16)> = alloc::vec::Vec::new();
            for slot in slots.iter().flatten().filter(|s| s.kind == Type::Socket) {
                ready.push((socket::id(slot).unwrap_or(usize::MAX), 0));
            }
            socket::call(socket::Call::Ready(&mut ready, &mut timer))?;
            let mut found = ready.into_iter();
            for (p, slot) in fds.iter_mut().zip(&slots) {
                if slot.is_some_and(|s| s.kind == Type::Socket) {
                    p.revents = found.next().map_or(POLLNVAL, |(_, events)| events);
                }
            }
        }
        for (p, slot) in fds.iter_mut().zip(&slots) {
            match slot {
                None => p.revents = POLLNVAL,
                Some(slot) if slot.kind != Type::Socket => p.revents = ready_now(slot)?,
                Some(_) => {}
            }
            p.revents &= p.events | POLLERR | POLLHUP | POLLNVAL;
        }
        let ready = fds.iter().filter(|p| p.revents != 0).count();
        let now = wait::now_ns();
        if ready > 0 || deadline.is_some_and(|d| now >= d) {
            return Ok(ready);
        }
        crate::proc::process::check_signals();
        let mut wake = [timer, deadline, pipes.then(|| now + PIPE_RECHECK_NS)].into_iter().flatten().min();
        if let Some(w) = wake.as_mut() {
            *w = (*w).max(now);
        }
        match seen {
            Some(seen) => tty::sleep_until(seen, wake),
            None => {
                wait::sleep(0, wake);
            }
        }
    }
}
