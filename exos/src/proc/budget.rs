//! Memory budgets of processes: how much of its own budget a process gives each child it
//! starts (the kernel's rules are in docs/ABI.md, "Memory budgets").
//!
//! The policy: a child is created with just its record (`abi::ENV_RECORD_PAGES`), built (the
//! pages of its image are given to it, each with the budget that covers it), and then gets
//! [`DEFAULT_PAGES`] (or what [`set_default`] chose), but never so much that the parent keeps less
//! than [`RESERVE_PAGES`] for itself ([`endow`]): so a fork bomb in a child with a limited budget
//! runs out inside that child. A launcher that wants a child to use all the memory
//! it can spare (the shell's foreground command) gives [`remaining`]; a program that needs more
//! than the default asks its launcher for it (`budget PAGES command` at the shell, or
//! `spawn::spawn_budget` from a program). A parent can take unused budget back from its children
//! ([`take_back`]). `fork`, `spawn` and the shell follow this policy; `exec` keeps the process's
//! budget (it stays in the same environment).
use crate::sys::syscall::{sys_budget_give, sys_budget_take};
use crate::sys::vm;
use abi::Error;
use core::sync::atomic::{AtomicU64, Ordering};

/// A child's budget unless the parent says otherwise: 8 MiB (the image, stack, heap and tables of
/// an ordinary program with room to spare; the old fixed quota was 3 MiB).
pub const DEFAULT_PAGES: u64 = 2048;
/// What a parent keeps for itself when it gives budgets away: 1 MiB.
pub const RESERVE_PAGES: u64 = 256;

/// The budget `fork` needs free before it starts (it fails with `OutOfMemory` below it), and the
/// margin each side keeps beyond the pages they share copy-on-write ([`endow_fork`]).
pub const FORK_MIN: u64 = 64;

static DEFAULT: AtomicU64 = AtomicU64::new(DEFAULT_PAGES);

/// Sets the budget this process's children get by default (from now on).
pub fn set_default(pages: u64) {
    DEFAULT.store(pages, Ordering::Relaxed);
}

/// This process's own budget (limit and pages charged), as the kernel publishes it.
pub fn own() -> abi::BudgetInfo {
    let id = match super::process::id() {
        // A program that did not start through ExOS's runtime finds its id the slow way.
        0 => crate::ipc::region::self_id().unwrap_or(0),
        id => id,
    };
    vm::budget_info(abi::env_index(id))
}

/// The budget a new child gets by default: the default, at most what leaves the parent
/// [`RESERVE_PAGES`] (perhaps 0).
pub fn child_budget() -> u64 {
    share(DEFAULT.load(Ordering::Relaxed))
}

/// All this process can give a child and still keep [`RESERVE_PAGES`]: what a shell gives its
/// foreground command.
pub fn remaining() -> u64 {
    share(u64::MAX)
}

/// `requested` pages, at most what leaves this process [`RESERVE_PAGES`].
pub fn share(requested: u64) -> u64 {
    requested.min(own().free().saturating_sub(RESERVE_PAGES))
}

/// Gives a child just built (capability slot `env`, created with `abi::ENV_RECORD_PAGES`, its
/// image already given to it) its budget: `requested` pages, at most what leaves this process
/// [`RESERVE_PAGES`]. How `fork` and `spawn` finish a child: its budget is given last, so the
/// pages that built it did not have to fit beside it.
pub fn endow(env: u64, requested: u64) -> Result<(), Error> {
    match share(requested) {
        0 => Ok(()),
        pages => sys_budget_give(env, pages),
    }
}

/// Gives a child just forked (capability slot `env`) its budget: at least `need` pages (room to
/// copy every page it shares copy-on-write with this process, and some), the default share when
/// more is free, while this process keeps `need` too for its own copies (and [`RESERVE_PAGES`]
/// when it can). `OutOfMemory` when both cannot have `need`: the fork fails, and a fork bomb's
/// processes see that instead of dying at a copy-on-write fault they cannot pay for.
pub fn endow_fork(env: u64, need: u64) -> Result<(), Error> {
    let free = own().free();
    if free < need.saturating_mul(2) {
        return Err(Error::OutOfMemory);
    }
    let pages = DEFAULT.load(Ordering::Relaxed).min(free.saturating_sub(need.max(RESERVE_PAGES))).max(need);
    sys_budget_give(env, pages)
}

/// Gives child `env` (capability slot) `pages` more pages of this process's budget.
pub fn give(env: u64, pages: u64) -> Result<(), Error> {
    sys_budget_give(env, pages)
}

/// Takes back all the budget child `env` (capability slot) does not use; returns how much.
pub fn take_back(env: u64, id: u64) -> Result<u64, Error> {
    let free = vm::budget_info(abi::env_index(id)).free();
    sys_budget_take(env, free).map(|()| free)
}
