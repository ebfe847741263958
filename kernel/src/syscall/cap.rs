//! `cap_*` calls: granting, revoking and deleting capabilities.
use super::SysResult;
use crate::arch::x86_64::entry::TrapFrame;
use crate::bind::Progress;
use crate::env::PctState;
use crate::{bind, cap, envs};
use abi::{Error, Rights};

/// `cap_grant(slot, env, rights)` by the running environment: only into a table whose owner
/// consented (`kcore::cap::consent`: itself, a descendant, or the caller it is serving), so no
/// stranger can fill another environment's table.
pub fn sys_cap_grant(slot: u64, env: u64, rights: u64) -> SysResult {
    let rights = Rights(rights);
    if !rights.is_valid() {
        return Err(Error::BadArgument.into());
    }
    let id = envs::with_current(|e| e.id);
    let parent = |of: &u64| envs::with_env(*of, |e| e.parent).flatten();
    // The receiver is a caller the grantor serves when it is blocked in a `pct_call` to it (the
    // caller's side holds that record: a server may owe several replies at once).
    let Some((creator, calls_me)) = envs::with_env(env, |e| (e.parent, matches!(e.pct, PctState::Blocked(server) if server == id)))
    else {
        return Err(Error::NoSuchEnv.into());
    };
    let serving = calls_me.then_some(env);
    if kcore::cap::consent(id, env, serving, core::iter::successors(creator, parent)).is_none() {
        return Err(Error::NoRights.into());
    }
    let new = cap::grant_from(id, slot, env, rights)?;
    crate::stats::count(abi::stats::Counter::CapGrants);
    Ok(new as u64)
}

/// `cap_revoke(slot)` by the running environment, the slot in `rdi`: returns how many
/// capabilities went. A large revocation goes in bounded pieces, the call restarting itself
/// (`syscall::again`) until it is complete; the pieces' count so far is kept in the environment's
/// record (`syscall::resumed`).
pub fn sys_cap_revoke(regs: &mut TrapFrame) -> SysResult {
    let slot = regs.rdi;
    let before = super::resumed(regs);
    let id = envs::with_current(|env| env.id);
    match bind::revoke_some(id, slot)? {
        Progress::Done(n) => Ok(before + n),
        Progress::Again(n) => Err(super::again(regs, before + n)),
    }
}

/// `cap_delete(slot)` by the running environment, the slot in `rdi` (in bounded pieces,
/// restarting, like `cap_revoke`).
pub fn sys_cap_delete(regs: &mut TrapFrame) -> SysResult {
    let slot = regs.rdi;
    let id = envs::with_current(|env| env.id);
    finish(regs, bind::delete_some(id, slot)?)
}

/// The result of a bounded deletion: 0 when complete, else the call restarts.
pub fn finish(regs: &mut TrapFrame, progress: Progress) -> SysResult {
    match progress {
        Progress::Done(_) => Ok(0),
        Progress::Again(n) => Err(super::again(regs, n)),
    }
}
