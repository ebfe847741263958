//! The terminal: the line discipline of the serial console, shared by every process of a session.
//!
//! The kernel only hands over the bytes typed (`console_read`, non-blocking). This module owns
//! what a Unix tty driver does with them: line editing (backspace, Ctrl-U), echo, end of file
//! (Ctrl-D), the interrupt key (Ctrl-C) and the foreground process, in cooked or raw mode.
//!
//! **One state for the session**, in a page at [`TTY_VA`] mapped with the `SHARED` tag
//! (`cow::MAP_SHARED`): `fork` shares it as it is, `spawn` grants it to the child ([`share_with`]),
//! `exec` keeps it. The first process that touches the terminal creates it (a session leader such
//! as the shell should touch it, e.g. with [`set_raw`], before it forks or spawns). The page holds
//! the mode, the echo flag, the line being edited, the queue of completed input, the foreground
//! process and a lock (a word holding the holder's id: spin with `env_yield`; a holder that has
//! ended is overtaken).
//!
//! **Moving input**: [`pump`] takes what the kernel buffered (only when `SysInfo::console_input`
//! says something waits, so an idle poll costs no system call) and applies it, then bumps the
//! page's `changes` word and wakes whoever sleeps on it. A reader with nothing to take sleeps
//! (`env_wait`) until console input arrives or `changes` moves (another process of the session
//! pumped), so an idle terminal costs no CPU. Cooked mode:
//! printable bytes go to the line and are echoed; Enter (`\r` or `\n`) completes the line;
//! backspace (0x7f or 0x08) erases one character (`"\x08 \x08"`); Ctrl-U the whole line; Ctrl-D
//! completes the line without a newline (on an empty line: end of file, a read returns 0); Ctrl-C
//! discards the line, prints `^C` and interrupts the foreground process. Raw mode: every byte is
//! queued as typed (escape sequences such as `ESC [ A` arrive whole), nothing is echoed, Ctrl-C is
//! an ordinary byte.
//!
//! **Interrupts**: signals follow capabilities (`process::kill`), and the foreground job's
//! capabilities are held by the process that put it in the foreground (the shell: its children),
//! the terminal's **owner**, recorded in the page next to the foreground process. Any process of
//! the session that pumps records a Ctrl-C in the page (and wakes the session's sleepers); the
//! owner, at its next `pump`, sends `SIGINT` to the process group of every process of the job
//! ([`set_foreground_job`]): one `env_notify` with `NOTIFY_TREE` each, so the job's grandchildren
//! get it directly, whatever their parents do with it. A process that puts itself in the
//! foreground leaves the delivery to its parent (which holds its capability), or, without one
//! (a session leader), delivers to itself. A shell therefore waits for a foreground job with
//! [`wait_foreground`] (or calls `pump` in its own wait loop). The readers of the terminal get no
//! capability over the job: the power to interrupt it stays with its owner.
use crate::mem::cow::MAP_SHARED;
use crate::proc::process::{self, Status, SIGINT};
use crate::sys::syscall::{sys_console_read, sys_console_write, sys_page_alloc, sys_page_free, sys_page_map, sys_page_map_into};
use crate::ipc::region;
use crate::layout::MAX_CHILDREN;
use crate::sys::shared::Mapped;
use crate::sys::{vm, wait};
use abi::{Error, MapUpdate, Rights, ANY_PAGE, MAX_CONSOLE_WRITE, WAIT_CONSOLE};
use core::sync::atomic::{AtomicU64, Ordering::*};

/// Where the terminal's shared page is mapped in every process of the session.
pub use crate::layout::TTY_VA;
pub use exoscore::tty::{LINE_MAX, QUEUE_SIZE};
use exoscore::tty::Terminal as State;

const MAGIC: u64 = u64::from_le_bytes(*b"EXOS-TTY");

/// The session's terminal state, created (zeroed page at [`TTY_VA`]) if this process has none.
fn state() -> &'static State {
    if vm::translate(TTY_VA).is_none() {
        create();
    }
    // A page is mapped read-write at TTY_VA (just checked or created) and stays mapped for the
    // life of the session; `State` is atomics only, shareable with the other processes.
    Mapped::library(TTY_VA, 4096).at(0)
}

fn create() {
    let rw = Rights::READ.0 | Rights::WRITE.0;
    let Ok((_, slot)) = sys_page_alloc(ANY_PAGE) else { crate::sys::syscall::sys_env_exit(124) };
    if sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: TTY_VA, slot, rights: rw | MAP_SHARED }]) != (1, None) {
        let _ = sys_page_free(slot);
        crate::sys::syscall::sys_env_exit(124);
    }
    state().magic.store(MAGIC, Relaxed);
}

/// Makes sure this process has the terminal page (creating the session's state if none exists).
pub fn init() {
    state();
}

/// Maps this process's terminal page into the child named by capability `env_slot` (before it
/// starts), if this process has one. Called by `spawn`.
pub(crate) fn share_with(env_slot: u64) -> Result<(), Error> {
    let Some(slot) = vm::own_slot(TTY_VA) else { return Ok(()) };
    let rights = Rights::READ.0 | Rights::WRITE.0 | MAP_SHARED;
    match sys_page_map_into(env_slot, &[MapUpdate { op: MapUpdate::GRANT_MAP, va: TTY_VA, slot, rights }]) {
        (_, Some(e)) => Err(e),
        _ => Ok(()),
    }
}

/// Holds the terminal's lock; released on drop.
struct Guard(&'static State);

fn lock(s: &'static State) -> Guard {
    region::lock_shared(&s.lock);
    Guard(s)
}

impl Drop for Guard {
    fn drop(&mut self) {
        region::unlock_shared(&self.0.lock);
    }
}

/// Echo output gathered under the lock and written after it.
struct Echo {
    bytes: [u8; 512],
    len: usize,
}

impl Echo {
    fn push(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.len == self.bytes.len() {
                self.flush();
            }
            self.bytes[self.len] = b;
            self.len += 1;
        }
    }

    fn flush(&mut self) {
        if self.len > 0 {
            let _ = sys_console_write(&self.bytes[..self.len]);
            self.len = 0;
        }
    }
}

/// What one [`pump`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pumped {
    /// Bytes taken from the kernel.
    pub bytes: usize,
    /// Ctrl-C was typed, for this foreground process (0: there was none). `pump` has delivered
    /// `SIGINT` to the foreground job already if this process is the terminal's owner; else the
    /// owner's `pump` will.
    pub interrupt: Option<u64>,
}

/// Moves the bytes typed at the console into the terminal: editing, echo, end of file and
/// interrupts as the mode says (see the module's documentation). Never blocks for input.
pub fn pump() -> Pumped {
    let s = state();
    let mut pumped = Pumped::default();
    let mut echo = Echo { bytes: [0; 512], len: 0 };
    if vm::sysinfo().console_input > 0 {
        let mut input = [0u8; 256];
        let _guard = lock(s);
        let n = sys_console_read(&mut input).unwrap_or(0);
        pumped.bytes = n;
        for &b in &input[..n] {
            if let Some(fg) = s.typed(b, &mut |bytes: &[u8]| echo.push(bytes)) {
                pumped.interrupt = Some(fg);
            }
        }
    }
    echo.flush();
    if pumped.bytes > 0 {
        // Readers and waiters of the session sleep on this word: input moved.
        wait::bump(&s.changes);
    }
    deliver_interrupt(s);
    pumped
}

/// The foreground job this process put in the foreground (ids; 0: none), while it is the
/// terminal's owner: Ctrl-C goes to each one's process group. Only the owner's copy matters.
static JOB: [AtomicU64; MAX_CHILDREN] = [const { AtomicU64::new(0) }; MAX_CHILDREN];

/// Delivers a recorded Ctrl-C if it is this process's to deliver (it is the terminal's owner):
/// `SIGINT` to the process group of every process of its foreground job (of the foreground
/// process alone if it is not one of the job's), or to itself if it is the foreground process.
/// Forgets one whose foreground process or owner ended.
fn deliver_interrupt(s: &State) {
    let target = s.interrupt.load(Acquire);
    if target == 0 {
        return;
    }
    let me = process::id();
    let owner = s.owner.load(Acquire);
    let mine = owner == me || (owner == 0 && target == me);
    let gone = !region::listed(target) || (owner != 0 && !region::listed(owner));
    if !(mine || gone) {
        return;
    }
    let claimed = s.interrupt.compare_exchange(target, 0, AcqRel, Relaxed).is_ok();
    if !(claimed && mine) {
        return;
    }
    if target == me {
        let _ = process::kill(me, SIGINT);
    } else if JOB.iter().any(|p| p.load(Relaxed) == target) {
        for pid in JOB.iter().map(|p| p.load(Relaxed)).filter(|&p| p != 0) {
            let _ = process::kill_group(pid, SIGINT);
        }
    } else {
        let _ = process::kill_group(target, SIGINT);
    }
}

/// Reads input. Cooked mode: waits for a complete line and returns it with its `\n` (at most
/// `buf.len()` bytes; the rest comes with the next read), or the bytes before a Ctrl-D; 0 means
/// end of file (Ctrl-D on an empty line). Raw mode: waits for at least one byte and returns what
/// is queued. Waiting sleeps (`env_wait`) until console input arrives or another process of the
/// session moves input (the `changes` word); pending signals are acted on meanwhile.
pub fn read(buf: &mut [u8]) -> Result<usize, Error> {
    if buf.is_empty() {
        return Ok(0);
    }
    let s = state();
    loop {
        let seen = changes();
        pump();
        if let Some(n) = take(s, buf) {
            return Ok(n);
        }
        process::check_signals();
        sleep(seen);
    }
}

/// Whether a read would return at once (a complete line, end of file, or in raw mode any byte),
/// after moving what the kernel buffered. For `poll`.
pub fn readable() -> bool {
    pump();
    let s = state();
    let _guard = lock(s);
    s.readable()
}

/// The session's input counter: read it before [`pump`] and pass it to [`sleep`].
pub fn changes() -> u64 {
    state().changes.load(Acquire)
}

/// Sleeps until something a terminal waiter cares about happens: bytes typed at the console,
/// input another process of the session moved since the counter read `seen` (a line it queued, a
/// Ctrl-C it recorded), or a notification (a child's end, a signal). Returns at once if the
/// counter moved already. The caller then pumps and looks again.
pub fn sleep(seen: u64) {
    wait::sleep_on(&state().changes, seen, WAIT_CONSOLE, None);
}

/// [`sleep`], but no later than `deadline` (nanoseconds since boot) if given.
pub fn sleep_until(seen: u64, deadline: Option<u64>) {
    wait::sleep_on(&state().changes, seen, WAIT_CONSOLE, deadline);
}

/// What a read can take from the queue now, if anything (`Terminal::take`, under the lock).
fn take(s: &'static State, buf: &mut [u8]) -> Option<usize> {
    let _guard = lock(s);
    s.take(buf)
}

/// Writes `buf` to the console (the kernel turns `\n` into `\r\n` for the terminal). Returns
/// `buf.len()`.
pub fn write(buf: &[u8]) -> Result<usize, Error> {
    for chunk in buf.chunks(MAX_CONSOLE_WRITE as usize) {
        sys_console_write(chunk)?;
    }
    Ok(buf.len())
}

/// Raw mode (`true`: bytes as typed, no echo, no editing, no interrupt key) or cooked (`false`).
/// A line half edited when raw mode starts is queued as typed.
pub fn set_raw(raw: bool) {
    let s = state();
    let _guard = lock(s);
    s.set_raw(raw);
}

/// Whether the terminal is in raw mode.
pub fn is_raw() -> bool {
    state().raw.load(Relaxed) != 0
}

/// Whether cooked mode echoes what is typed (on by default).
pub fn set_echo(echo: bool) {
    state().echo_off.store(u64::from(!echo), Relaxed);
}

/// Makes `pid` the foreground process: the one Ctrl-C interrupts (0: none). This process
/// becomes the terminal's owner and delivers the `SIGINT` to `pid`'s process group, so it must
/// hold a capability over `pid` (a child, or one registered with `process::hold`). A process
/// putting itself in the foreground makes its parent the owner (it holds this process's
/// capability), or itself if it has none.
pub fn set_foreground(pid: u64) {
    let _ = set_foreground_job(&[pid]);
}

/// Makes the processes `pids` the foreground job, the first the terminal's foreground process:
/// Ctrl-C sends `SIGINT` to the process group of each (the process and everything it created),
/// delivered by this process as the terminal's owner (it must hold their capabilities, as the
/// shell holds its children's). Errors: `TooLong` for more than `MAX_CHILDREN` processes.
pub fn set_foreground_job(pids: &[u64]) -> Result<(), Error> {
    if pids.len() > JOB.len() {
        return Err(Error::TooLong);
    }
    let me = process::id();
    let first = pids.first().copied().unwrap_or(0);
    let owner = if first == me && process::parent() != 0 { process::parent() } else { me };
    for (k, slot) in JOB.iter().enumerate() {
        slot.store(pids.get(k).copied().filter(|&p| p != me).unwrap_or(0), Relaxed);
    }
    let s = state();
    s.owner.store(owner, Release);
    s.foreground.store(first, Release);
    Ok(())
}

/// The process that delivers the foreground's Ctrl-C (0: none).
pub fn owner() -> u64 {
    state().owner.load(Acquire)
}

/// The foreground process (0: none).
pub fn foreground() -> u64 {
    state().foreground.load(Acquire)
}

/// How many times Ctrl-C was typed in this session.
pub fn interrupts() -> u64 {
    state().interrupts.load(Relaxed)
}

/// Runs child `pid` in the foreground until it ends: makes it the foreground process, pumps the
/// terminal (so Ctrl-C reaches it as `SIGINT` even if it never reads), reaps it, and takes the
/// foreground back for this process. (A child may also make itself the foreground process as soon
/// as it starts, so that a Ctrl-C typed before its parent gets here is not lost.)
/// Errors: `NoSuchEnv` if `pid` is not a child of this process.
pub fn wait_foreground(pid: u64) -> Result<Status, Error> {
    if !process::children().any(|c| c == pid) {
        return Err(Error::NoSuchEnv);
    }
    set_foreground(pid);
    let status = loop {
        let seen = changes();
        pump();
        if !region::listed(pid) {
            break process::wait(pid);
        }
        process::check_signals();
        sleep(seen);
    };
    set_foreground(process::id());
    status
}
