//! `cap_*` calls: granting, revoking and deleting capabilities.
use super::SysResult;
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

/// `cap_revoke(slot)` by the running environment: returns how many capabilities went.
pub fn sys_cap_revoke(slot: u64) -> SysResult {
    let id = envs::with_current(|env| env.id);
    Ok(bind::revoke(id, slot)?)
}

/// `cap_delete(slot)` by the running environment.
pub fn sys_cap_delete(slot: u64) -> SysResult {
    let id = envs::with_current(|env| env.id);
    bind::delete(id, slot)?;
    Ok(0)
}
