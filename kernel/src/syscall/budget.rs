//! `budget_*` calls: a creator moves memory budget to and from the children it created (the
//! accounts are `budget.rs`'s).
use super::SysResult;
use crate::{budget, cap, envs};
use abi::Rights;

/// `budget_give(env, pages)`. (Cold: kept out of the dispatcher.)
#[inline(never)]
pub fn sys_budget_give(env: u64, pages: u64) -> SysResult {
    let caller = envs::current_id();
    let child = cap::env_of(caller, env, Rights::WRITE)?;
    budget::give(caller, child, pages)?;
    Ok(0)
}

/// `budget_take(env, pages)`. (Cold: kept out of the dispatcher.)
#[inline(never)]
pub fn sys_budget_take(env: u64, pages: u64) -> SysResult {
    let caller = envs::current_id();
    let child = cap::env_of(caller, env, Rights::WRITE)?;
    budget::take(caller, child, pages)?;
    Ok(0)
}
