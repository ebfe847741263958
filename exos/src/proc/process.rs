//! Processes in the library: identity, exit status, `wait`, `kill` and signals.
//!
//! A process is an environment. Its parent keeps, for each child, the capability over the child's
//! environment and a **status page** shared with it: mapped in the parent at
//! `CHILDREN_BASE + k * 4096` (`k`: the library's number for the child, kept until it is reaped) and in the child at [`STATUS_VA`]. The child writes its exit
//! status there before `env_exit`; the parent sets pending signals there. A child the kernel ended
//! (a fault nobody handled) never writes it, so `wait` reports it as killed. A parent reaps a
//! child when the kernel's environment table shows the environment gone; `wait` sleeps until
//! then (the kernel notifies a creator when a child ends).
//!
//! Signals (`SIGINT`, `SIGKILL`, `SIGTERM`, `SIGCHLD`) are delivered by the library: `SIGKILL`
//! destroys the child through its capability; the others set a bit and notify the child (waking it
//! if it sleeps: every ExOS sleep waits for notifications); its library notices at its next
//! slice-end upcall (at most one timer tick later) or whenever it calls into the process layer, and then runs the handler the program set or the default action (end the process for INT
//! and TERM, nothing for CHLD). A parent gets `SIGCHLD` when it notices a child has ended.
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
const PENDING: usize = 2;
const PARENT: usize = 3;
const EXITED: u64 = 1;

/// How a child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// It returned from `main` or called [`exit`] with this code.
    Exited(i64),
    /// A signal ended it (`SIGKILL` from its parent, or the default action of INT or TERM).
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

/// Whether this process has a status page (it was created by a process, not by the kernel).
fn has_status() -> bool {
    vm::translate(STATUS_VA).is_some()
}

/// The id of the process that created this one, or 0 for a boot program.
pub fn parent() -> u64 {
    if has_status() { word(STATUS_VA, PARENT).load(Ordering::Relaxed) } else { 0 }
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
    for s in STATUS_SLOTS.iter().chain(&CHILD_IDS).chain(&KILLED_WITH).chain(&SIGNAL_EXIT) {
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
        (EXITED, _) => {
            let code = word(page, CODE).load(Ordering::Relaxed) as i64;
            match code {
                c if c >= 128 && SIGNAL_EXIT[index].load(Ordering::Relaxed) != 0 => Status::Signaled((c - 128) as u32),
                c => Status::Exited(c),
            }
        }
        _ => Status::Killed,
    };
    SIGNAL_EXIT[index].store(0, Ordering::Relaxed);
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
/// Children the parent sent a signal whose default action ends them (so an exit code of
/// 128 + n reads as that signal).
static SIGNAL_EXIT: [AtomicU64; MAX_CHILDREN] = [const { AtomicU64::new(0) }; MAX_CHILDREN];

/// Sends signal `sig` to `pid`, which must be this process or one of its children.
/// Errors: `NoSuchEnv` for anyone else, `BadArgument` for an unknown signal.
pub fn kill(pid: u64, sig: u32) -> Result<(), Error> {
    if ![SIGINT, SIGKILL, SIGTERM, SIGCHLD].contains(&sig) {
        return Err(Error::BadArgument);
    }
    if pid == id() {
        deliver(sig);
        return Ok(());
    }
    let slot = child_slot(pid).ok_or(Error::NoSuchEnv)?;
    if !alive(pid) {
        return Ok(()); // ended already: `wait` reports how
    }
    let index = number(pid).ok_or(Error::NoSuchEnv)?;
    if sig == SIGKILL {
        KILLED_WITH[index].store(u64::from(SIGKILL), Ordering::Relaxed);
        return sys_env_destroy(slot);
    }
    SIGNAL_EXIT[index].store(1, Ordering::Relaxed);
    word(child_page(index), PENDING).fetch_or(1 << sig, Ordering::AcqRel);
    // Wakes it if it sleeps (every ExOS sleep waits for notifications), then lets it act.
    let _ = sys_env_notify(slot, wait::NOTIFY_SIGNAL);
    let _ = sys_env_yield(pid);
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
        None => exit(128 + i64::from(sig)),
    }
}

/// Runs the actions of pending signals: those the parent set, and SIGCHLD for children that
/// ended since the last check.
pub fn check_signals() {
    if has_status() {
        let pending = word(STATUS_VA, PENDING).swap(0, Ordering::AcqRel);
        for sig in (1..32).filter(|s| pending & (1 << s) != 0) {
            deliver(sig);
        }
    }
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
