//! Processes in the library: identity, exit status, `wait`, `kill` and signals.
//!
//! A process is an environment. Its parent keeps, for each child, the capability over the child's
//! environment and a **status page** shared with it: mapped in the parent at
//! `CHILDREN_BASE + k * 4096` (`k`: the library's number for the child, kept until it is reaped) and in the child at [`STATUS_VA`]. The child writes its exit
//! status there before `env_exit` (and, if a signal's default action ended it, the signal). A
//! child the kernel ended (a fault nobody handled) never writes it, so `wait` reports it as
//! killed. A parent reaps a child when the kernel's environment table shows the environment gone;
//! `wait` sleeps until then (the kernel notifies a creator when a child ends).
//!
//! **Signals** (`SIGINT`, `SIGKILL`, `SIGTERM`, `SIGCHLD`) follow a capability rule: a process may
//! signal any environment it holds a capability over: itself, its children (their creator's
//! capabilities), and any environment whose capability it was given and registered with
//! [`hold`]. Anyone else gets `NoRights` (and a pid that names no environment `NoSuchEnv`).
//! `SIGKILL` destroys the target through the capability (`env_destroy`, the `WRITE` right: the
//! target's descendants end with it); the others are notification bits (`env_notify`, the
//! `EXECUTE` right; bit `n` is signal `n`), so the kernel checks the right and a stranger's
//! attempt is refused there. [`kill_group`] signals a process group: the target and every
//! environment it created, directly or through its children (`NOTIFY_TREE`); the shell signals a
//! job so, and the terminal's Ctrl-C reaches a job's grandchildren without passing through their
//! parents. The target's library takes the bits when a sleep wakes (every ExOS sleep waits for
//! notifications, and a wake with signal bits runs [`check_signals`] before the sleep returns),
//! at its next slice-end upcall (at most one timer tick later), or whenever it calls into the
//! process layer, and then runs the handler the program set or the default action (end the
//! process for INT and TERM, nothing for CHLD). A parent gets `SIGCHLD` when it notices a child
//! has ended.
//!
//! As in the kernel, a process's children end with it: there is no reparenting to an init.

use crate::rt::hook::Hook;
use crate::rt::private::EXOS_PRIVATE;
use crate::sys::shared::Mapped;
use crate::sys::syscall::*;
use crate::sys::{vm, wait};
use abi::{env_index, Error, MapUpdate, Rights, ANY_PAGE};
use crate::layout::MAX_CHILDREN;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

pub const SIGINT: u32 = 2;
pub const SIGKILL: u32 = 9;
pub const SIGTERM: u32 = 15;
pub const SIGCHLD: u32 = 17;

/// This process's status page (shared with its parent), if it has a parent process.
pub use crate::layout::STATUS_VA;
/// The parent's view of its children's status pages, one page per child number.
use crate::layout::CHILDREN_BASE;

/// Words of a status page.
const STATE: usize = 0;
const CODE: usize = 1;
/// The signal whose default action ended the process (0: none).
const SIGNAL: usize = 2;
const PARENT: usize = 3;
const EXITED: u64 = 1;

/// How a child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// It returned from `main` or called [`exit`] with this code.
    Exited(i64),
    /// A signal ended it (`SIGKILL` through its capability, or the default action of INT or TERM).
    Signaled(u32),
    /// The kernel ended it (a fault it did not handle): no status was written.
    Killed,
}

impl Status {
    /// The shell's `$?` for it: the code, or 128 + the signal.
    pub fn code(self) -> i64 {
        match self {
            Status::Exited(code) => code,
            Status::Signaled(sig) => 128 + i64::from(sig),
            Status::Killed => 128 + i64::from(SIGKILL),
        }
    }
}

fn word(page: u64, i: usize) -> &'static AtomicU64 {
    // Callers pass a status page this process has mapped read-write (its own at STATUS_VA or a
    // child's in the children area) and keeps mapped while it uses the word; the words are shared
    // with one other process, so they are only accessed atomically.
    Mapped::library(page, 4096).at(i * 8)
}

fn child_page(index: usize) -> u64 {
    CHILDREN_BASE + index as u64 * 4096
}

/// This process's environment id.
pub fn id() -> u64 {
    EXOS_PRIVATE.self_id.load(Ordering::Relaxed)
}

/// Records this process's id (at start, before anything else).
pub fn set_id(id: u64) {
    EXOS_PRIVATE.self_id.store(id, Ordering::Relaxed);
}

/// At program start: a sleep woken with signal bits acts on them before it returns.
pub(crate) fn on_start() {
    wait::on_signal(act_on_signals);
}

/// Whether this process has a status page (it was created by a process, not by the kernel).
fn has_status() -> bool {
    vm::translate(STATUS_VA).is_some()
}

/// The id of the process that created this one, or 0 for a boot program.
pub fn parent() -> u64 {
    if has_status() { word(STATUS_VA, PARENT).load(Ordering::Relaxed) } else { 0 }
}

/// Ends this process by signal `sig`'s default action: exit status 128 + `sig`, and the signal
/// recorded for the parent's `wait` (`Status::Signaled`).
fn exit_by(sig: u32) -> ! {
    if has_status() {
        word(STATUS_VA, SIGNAL).store(u64::from(sig), Ordering::Relaxed);
    }
    exit(128 + i64::from(sig))
}

/// Ends this process with exit status `code` (reported to its parent by `wait`).
pub fn exit(code: i64) -> ! {
    if has_status() {
        word(STATUS_VA, CODE).store(code as u64, Ordering::Relaxed);
        word(STATUS_VA, STATE).store(EXITED, Ordering::Release);
    }
    sys_env_exit(code)
}

/// Called by `fork` in the parent once the child environment is built: gives it a status page.
pub(crate) fn attach_child(child: u64, env_slot: u64) -> Result<(), Error> {
    let index = CHILD_IDS.iter().position(|c| c.load(Ordering::Relaxed) == 0).ok_or(Error::TableFull)?;
    let (_, page) = sys_page_alloc(ANY_PAGE)?;
    let rw = Rights::READ.0 | Rights::WRITE.0;
    let mine = MapUpdate { op: MapUpdate::MAP, va: child_page(index), slot: page, rights: rw };
    if let (_, Some(e)) = sys_page_map(&[mine]) {
        let _ = sys_page_free(page);
        return Err(e);
    }
    let theirs = MapUpdate { op: MapUpdate::GRANT_MAP, va: STATUS_VA, slot: page, rights: rw };
    if let (_, Some(e)) = sys_page_map_into(env_slot, &[theirs]) {
        let _ = sys_page_free(page);
        return Err(e);
    }
    word(child_page(index), PARENT).store(id(), Ordering::Relaxed);
    STATUS_SLOTS[index].store(page + 1, Ordering::Relaxed);
    CHILD_IDS[index].store(child, Ordering::Relaxed);
    EXOS_PRIVATE.children[index].store(env_slot + 1, Ordering::Release);
    check_at_slice_ends();
    Ok(())
}

/// Forgets a child that could not be started.
pub(crate) fn forget_child(child: u64) {
    let Some(index) = number(child) else { return };
    EXOS_PRIVATE.children[index].store(0, Ordering::Relaxed);
    CHILD_IDS[index].store(0, Ordering::Relaxed);
    if let Some(page) = STATUS_SLOTS[index].swap(0, Ordering::Relaxed).checked_sub(1) {
        let _ = sys_page_free(page);
    }
}

/// Capability slots (+1) of the children's status pages, by child number. Only the parent's own
/// view matters; a child clears its copy in [`after_fork_child`].
static STATUS_SLOTS: [AtomicU64; MAX_CHILDREN] = [const { AtomicU64::new(0) }; MAX_CHILDREN];
/// Children whose end was already announced with SIGCHLD (bit per child number), on the private
/// page: [`check_signals`] writes it at slice-end upcalls, inside the exception handler.
static ANNOUNCED: &AtomicU64 = &EXOS_PRIVATE.announced;

/// Runs in a new child right after `fork` returns there.
pub(crate) fn after_fork_child() {
    for s in STATUS_SLOTS.iter().chain(&CHILD_IDS).chain(&KILLED_WITH).chain(&HELD_IDS).chain(&HELD_SLOTS) {
        s.store(0, Ordering::Relaxed);
    }
    ANNOUNCED.store(0, Ordering::Relaxed);
    // Signals are noticed at slice ends (the parent's `fork` registered the check before the copy).
    let _ = sys_env_set_slice_upcall(true);
}

/// The capability slot over `child` if it is a live or unreaped child of this process.
fn child_slot(child: u64) -> Option<u64> {
    EXOS_PRIVATE.children[number(child)?].load(Ordering::Acquire).checked_sub(1)
}

/// The library's number for child `child` (its status page and records), while it is unreaped.
fn number(child: u64) -> Option<usize> {
    (child != 0).then(|| CHILD_IDS.iter().position(|c| c.load(Ordering::Relaxed) == child))?
}

/// Ids of the children, by child number (0: none).
static CHILD_IDS: [AtomicU64; MAX_CHILDREN] = [const { AtomicU64::new(0) }; MAX_CHILDREN];

fn alive(child: u64) -> bool {
    u64::from(vm::env_id(env_index(child))) == child
}

/// This process's children not yet reaped: their ids.
pub fn children() -> impl Iterator<Item = u64> {
    CHILD_IDS.iter().map(|c| c.load(Ordering::Relaxed)).filter(|&c| c != 0)
}

/// Waits for child `pid` to end and reaps it. Errors: `NoSuchEnv` if it is not a child of
/// this process (or was reaped already).
pub fn wait(pid: u64) -> Result<Status, Error> {
    let slot = child_slot(pid).ok_or(Error::NoSuchEnv)?;
    loop {
        check_signals();
        if !alive(pid) {
            return Ok(reap(number(pid).ok_or(Error::NoSuchEnv)?, slot));
        }
        // The kernel notifies a creator when its child ends (`NOTIFY_CHILD`), sticky, so an end
        // between the look above and the sleep is not missed.
        wait::sleep(0, None);
    }
}

/// Waits for any child to end: returns its id and status. `NoSuchEnv` if this process has no
/// children.
pub fn wait_any() -> Result<(u64, Status), Error> {
    loop {
        check_signals();
        let mut any = false;
        for pid in children() {
            any = true;
            if !alive(pid) {
                let slot = child_slot(pid).ok_or(Error::NoSuchEnv)?;
                return Ok((pid, reap(number(pid).ok_or(Error::NoSuchEnv)?, slot)));
            }
        }
        if !any {
            return Err(Error::NoSuchEnv);
        }
        wait::sleep(0, None);
    }
}

fn reap(index: usize, env_slot: u64) -> Status {
    let page = child_page(index);
    let status = match (word(page, STATE).load(Ordering::Acquire), KILLED_WITH[index].swap(0, Ordering::Relaxed)) {
        (_, sig) if sig != 0 => Status::Signaled(sig as u32),
        (EXITED, _) => match word(page, SIGNAL).load(Ordering::Relaxed) {
            0 => Status::Exited(word(page, CODE).load(Ordering::Relaxed) as i64),
            sig => Status::Signaled(sig as u32),
        },
        _ => Status::Killed,
    };
    let _ = sys_page_map(&[MapUpdate { op: MapUpdate::UNMAP, va: page, slot: 0, rights: 0 }]);
    if let Some(status_slot) = STATUS_SLOTS[index].swap(0, Ordering::Relaxed).checked_sub(1) {
        let _ = sys_page_free(status_slot);
    }
    let _ = sys_cap_delete(env_slot);
    EXOS_PRIVATE.children[index].store(0, Ordering::Release);
    CHILD_IDS[index].store(0, Ordering::Relaxed);
    ANNOUNCED.fetch_and(!(1 << index), Ordering::Relaxed);
    crate::mem::cow::sweep();
    status
}

/// Sleeps `ms` milliseconds by the kernel's clock (the CPU halts if nothing else runs), acting on
/// signals as they come (a signal's notification wakes the sleep; the default action of INT or
/// TERM ends the process).
pub fn sleep_ms(ms: u64) {
    let until = wait::now_ns().saturating_add(ms.saturating_mul(1_000_000));
    wait::sleep_until(until, || {
        check_signals();
        false
    });
}

/// The signal a parent ended a child with (by child number), reported by `wait`.
static KILLED_WITH: [AtomicU64; MAX_CHILDREN] = [const { AtomicU64::new(0) }; MAX_CHILDREN];

/// How many capabilities over other environments (not children) a process can register.
pub const MAX_HELD: usize = 16;
/// Environments this process was given a capability over ([`hold`]): their ids (0: free), and
/// the slots + 1. A forked child holds none of them (capabilities are not copied).
static HELD_IDS: [AtomicU64; MAX_HELD] = [const { AtomicU64::new(0) }; MAX_HELD];
static HELD_SLOTS: [AtomicU64; MAX_HELD] = [const { AtomicU64::new(0) }; MAX_HELD];

/// Registers capability `slot` (in this process's table: granted to it, or one it made) as the
/// one to signal environment `pid` through. `kill` then works for `pid` as far as the
/// capability's rights go (`EXECUTE` for the notified signals, `WRITE` for `SIGKILL`; the kernel
/// checks). Errors: `TableFull` with [`MAX_HELD`] registered, `BadArgument` for pid 0.
pub fn hold(pid: u64, slot: u64) -> Result<(), Error> {
    if pid == 0 {
        return Err(Error::BadArgument);
    }
    release(pid);
    let free = HELD_IDS.iter().position(|h| h.load(Ordering::Relaxed) == 0).ok_or(Error::TableFull)?;
    HELD_SLOTS[free].store(slot + 1, Ordering::Relaxed);
    HELD_IDS[free].store(pid, Ordering::Release);
    Ok(())
}

/// Forgets the capability registered for `pid` (the slot itself stays: deleting it is the caller's).
pub fn release(pid: u64) {
    for (id, slot) in HELD_IDS.iter().zip(&HELD_SLOTS) {
        if pid != 0 && id.load(Ordering::Relaxed) == pid {
            id.store(0, Ordering::Relaxed);
            slot.store(0, Ordering::Relaxed);
        }
    }
}

/// The capability slot this process holds over `pid`: a child's (the creator's, with every
/// right, e.g. to grant a weaker copy to another process), or one registered with [`hold`].
pub fn capability(pid: u64) -> Option<u64> {
    cap_over(pid)
}

/// The capability slot this process signals `pid` through: a child's, or one registered with [`hold`].
fn cap_over(pid: u64) -> Option<u64> {
    child_slot(pid).or_else(|| {
        let k = HELD_IDS.iter().position(|h| pid != 0 && h.load(Ordering::Acquire) == pid)?;
        HELD_SLOTS[k].load(Ordering::Relaxed).checked_sub(1)
    })
}

/// Sends signal `sig` to `pid`: this process, or an environment it holds a capability over (a
/// child, or one registered with [`hold`]). Errors: `NoRights` for a live environment it holds no
/// capability over (or one without the right: `EXECUTE`, `WRITE` for `SIGKILL`), `NoSuchEnv` for
/// a pid that names none, `BadArgument` for an unknown signal.
pub fn kill(pid: u64, sig: u32) -> Result<(), Error> {
    send(pid, sig, false)
}

/// Sends signal `sig` to the process group of `pid`: `pid` and every process it created,
/// directly or through its children (one `env_notify` with `NOTIFY_TREE`; `SIGKILL` destroys the
/// tree). The same capability rule and errors as [`kill`]; for this process itself, its
/// children's groups and then itself.
pub fn kill_group(pid: u64, sig: u32) -> Result<(), Error> {
    send(pid, sig, true)
}

fn send(pid: u64, sig: u32, group: bool) -> Result<(), Error> {
    if ![SIGINT, SIGKILL, SIGTERM, SIGCHLD].contains(&sig) {
        return Err(Error::BadArgument);
    }
    if pid == id() {
        if group {
            for child in children() {
                let _ = send(child, sig, true);
            }
        }
        deliver(sig);
        return Ok(());
    }
    let Some(slot) = cap_over(pid) else {
        return Err(if pid != 0 && alive(pid) { Error::NoRights } else { Error::NoSuchEnv });
    };
    let child = number(pid);
    if !alive(pid) {
        // A child that ended already: `wait` reports how.
        return if child.is_some() { Ok(()) } else { Err(Error::NoSuchEnv) };
    }
    if sig == SIGKILL {
        if let Some(index) = child {
            KILLED_WITH[index].store(u64::from(SIGKILL), Ordering::Relaxed);
        }
        return sys_env_destroy(slot);
    }
    if group {
        sys_env_notify_tree(slot, 1 << sig)?;
    } else {
        sys_env_notify(slot, 1 << sig)?;
    }
    if child.is_some() {
        // Wakes it if it sleeps (every ExOS sleep waits for notifications); now let it act.
        let _ = sys_env_yield(pid);
    }
    Ok(())
}

/// What a signal does: the default action, ignore it, or call a function.
#[derive(Clone, Copy, Debug)]
pub enum Action {
    Default,
    Ignore,
    Handle(fn(u32)),
}

/// The handlers set with [`Action::Handle`], by signal.
static HANDLERS: [Hook<fn(u32)>; 32] = [const { Hook::new() }; 32];
/// Signals set to [`Action::Ignore`] (a bit per signal).
static IGNORED: AtomicU32 = AtomicU32::new(0);

/// Sets what signal `sig` does (SIGKILL cannot be changed). Returns `BadArgument` otherwise.
pub fn signal(sig: u32, action: Action) -> Result<(), Error> {
    if sig == SIGKILL || sig as usize >= HANDLERS.len() || sig == 0 {
        return Err(Error::BadArgument);
    }
    let bit = 1 << sig;
    match action {
        Action::Default | Action::Ignore => HANDLERS[sig as usize].clear(),
        Action::Handle(f) => HANDLERS[sig as usize].set(f),
    }
    if matches!(action, Action::Ignore) {
        IGNORED.fetch_or(bit, Ordering::Release);
    } else {
        IGNORED.fetch_and(!bit, Ordering::Release);
    }
    Ok(())
}

fn deliver(sig: u32) {
    let sig = sig % 32;
    match HANDLERS[sig as usize].get() {
        _ if IGNORED.load(Ordering::Acquire) & (1 << sig) != 0 => {}
        Some(handler) => handler(sig),
        None if sig == SIGCHLD => {}
        None => exit_by(sig),
    }
}

/// Runs the actions of the signals sleeps and polls took (registered with `wait::on_signal`, so a
/// sleep woken by a signal runs it).
fn act_on_signals() {
    let pending = wait::notes(wait::NOTIFY_SIGNALS);
    for sig in (1..32).filter(|s| pending & (1 << s) != 0) {
        deliver(sig);
    }
}

/// Runs the actions of pending signals: those sent to this process (taken from the kernel's
/// notification word without sleeping), and SIGCHLD for children that ended since the last check.
pub fn check_signals() {
    wait::poll();
    act_on_signals();
    for (index, child) in CHILD_IDS.iter().enumerate() {
        let bit = 1u64 << index;
        let child = child.load(Ordering::Relaxed);
        if child != 0 && ANNOUNCED.load(Ordering::Relaxed) & bit == 0 && !alive(child) {
            ANNOUNCED.fetch_or(bit, Ordering::Relaxed);
            deliver(SIGCHLD);
        }
    }
}

/// Called at each slice-end upcall (from the exception dispatcher, once registered by
/// [`check_at_slice_ends`]).
fn on_slice_end() {
    check_signals();
}

/// Makes every slice-end upcall check signals first: registers [`on_slice_end`] with the
/// exception dispatcher. Done where signals become possible with slice upcalls on: by `fork`
/// (for the forked child, which turns the upcall on, and the parent), in a parent of spawned
/// children (their ends), and when threads turn on preemption. Without it a slice end has no signal to check.
pub fn check_at_slice_ends() {
    crate::rt::exception::register_slice_end(on_slice_end);
}
