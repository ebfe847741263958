//! `cap_*` calls: granting, revoking and deleting capabilities.
use super::SysResult;
use crate::{bind, cap, envs};
use abi::{Error, Rights};

/// `cap_grant(slot, env, rights)` by the running environment.
pub fn sys_cap_grant(slot: u64, env: u64, rights: u64) -> SysResult {
    let rights = Rights(rights);
    if !rights.is_valid() {
        return Err(Error::BadArgument.into());
    }
    let id = envs::with_current(|e| e.id);
    if envs::with_env(env, |_| ()).is_none() {
        return Err(Error::NoSuchEnv.into());
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
