//! `extent_*` calls: allocating physically contiguous extents, freeing them, and mapping,
//! unmapping and re-protecting ranges of them in one call each (with 2 MiB pages where the library
//! asks and the kernel's checks allow). The mechanism is `crate::extent`; the checks of a range
//! against its extent are `kcore::extent`'s.
use super::SysResult;
use crate::cap::{self, Object};
use crate::mem::owners;
use crate::{bind, envs, page, revoke};
use abi::layout::{is_user_range, overlaps_windows, PAGE_SIZE};
use abi::{env_index, Error, Rights, EXTENT_HUGE, HUGE_PAGES, MAX_EXTENT_PAGES, SELF_ENV};
use kcore::extent::{check_map, Run};

/// `extent_alloc(pages, align)`: returns `physical address | slot`.
pub fn sys_extent_alloc(pages: u64, align: u64) -> SysResult {
    if pages > MAX_EXTENT_PAGES {
        return Err(Error::TooLong.into());
    }
    if pages == 0 || !align.is_power_of_two() || align > HUGE_PAGES {
        return Err(Error::BadArgument.into());
    }
    let id = envs::with_current(|env| env.id);
    if let Err(e) = envs::with_current(|env| page::charge(env, pages)) {
        if e == Error::NoMemory {
            revoke::pressure(id);
        }
        return Err(e.into());
    }
    let refund = || envs::with_current(|env| page::credit(env, pages));
    let Some(pa) = owners::alloc_extent(pages, align, id as u32) else {
        refund();
        revoke::pressure(id);
        return Err(Error::NoMemory.into());
    };
    match cap::insert_root(id, Object::Extent { pa, pages }, Rights::ALL) {
        Ok(slot) => {
            envs::with_current(|env| envs::publish(env));
            crate::stats::add(abi::stats::Counter::PagesAllocated, pages);
            Ok(pa | slot as u64)
        }
        Err(e) => {
            owners::free_extent(pa, pages);
            refund();
            Err(e.into())
        }
    }
}

/// `extent_free(slot)`: returns the number of pages freed.
pub fn sys_extent_free(slot: u64) -> SysResult {
    let id = envs::with_current(|env| env.id);
    let Object::Extent { pages, .. } = cap::check(id, slot, Rights::NONE)? else {
        return Err(Error::WrongType.into());
    };
    if !cap::is_root(id, slot)? {
        return Err(Error::NoRights.into());
    }
    // Its mappings, and those made through capabilities granted from it, must be gone first.
    if cap::subtree_mappings(env_index(id), slot) > 0 {
        return Err(Error::Busy.into());
    }
    bind::delete(id, slot)?;
    Ok(pages)
}

/// The environment a call acts on: the caller (`SELF_ENV`) or one its capability `env` names with
/// `WRITE`.
fn target(caller: u64, env: u64) -> Result<u64, Error> {
    match env {
        SELF_ENV => Ok(caller),
        slot => cap::env_of(caller, slot, Rights::WRITE),
    }
}

/// The rights of an extent mapping: defined bits only, `READ` required, no `GRANT`.
fn mapping_rights(bits: u64) -> Result<Rights, Error> {
    let rights = Rights(bits);
    if !rights.is_valid() || !rights.contains(Rights::READ) || rights.contains(Rights::GRANT) {
        return Err(Error::BadArgument);
    }
    Ok(rights)
}

/// Checks that `[va, va + pages * 4096)` is page-aligned user space outside the windows
/// (`pages` already bounded by `MAX_EXTENT_PAGES`).
fn check_range(va: u64, pages: u64) -> Result<(), Error> {
    let len = pages * PAGE_SIZE;
    if !va.is_multiple_of(PAGE_SIZE) || !is_user_range(va, len) || overlaps_windows(va, len) {
        return Err(Error::BadAddress);
    }
    Ok(())
}

/// `extent_map(env, slot, va, first, pages, rights)`.
pub fn sys_extent_map(env: u64, slot: u64, va: u64, first: u64, pages: u64, rights: u64) -> SysResult {
    let caller = envs::with_current(|e| e.id);
    let target = target(caller, env)?;
    let huge = rights & EXTENT_HUGE != 0;
    let rights = mapping_rights(rights & !EXTENT_HUGE)?;
    let Object::Extent { pa, pages: extent_pages } = cap::check(caller, slot, rights)? else {
        return Err(Error::WrongType.into());
    };
    let pa = check_map(pa, extent_pages, first, pages, va, huge).map_err(crate::extent::error)?;
    check_range(va, pages)?;
    let run = Run { va, pages, pa, owner: env_index(caller), slot, ceiling: rights, rights, huge };
    envs::with_env(target, |env| crate::extent::map(env, run, caller)).ok_or(Error::NoSuchEnv)??;
    crate::stats::add(abi::stats::Counter::MapUpdates, 1);
    Ok(0)
}

/// `extent_unmap(env, va, pages)`.
pub fn sys_extent_unmap(env: u64, va: u64, pages: u64) -> SysResult {
    let caller = envs::with_current(|e| e.id);
    let target = target(caller, env)?;
    check_count(pages)?;
    check_range(va, pages)?;
    envs::with_env(target, |env| crate::extent::unmap(env, va, pages)).ok_or(Error::NoSuchEnv)??;
    Ok(0)
}

/// `extent_protect(env, va, pages, rights)`.
pub fn sys_extent_protect(env: u64, va: u64, pages: u64, rights: u64) -> SysResult {
    let caller = envs::with_current(|e| e.id);
    let target = target(caller, env)?;
    let rights = mapping_rights(rights)?;
    check_count(pages)?;
    check_range(va, pages)?;
    envs::with_env(target, |env| crate::extent::protect(env, va, pages, rights)).ok_or(Error::NoSuchEnv)??;
    Ok(0)
}

fn check_count(pages: u64) -> Result<(), Error> {
    match pages {
        0 => Err(Error::BadArgument),
        p if p > MAX_EXTENT_PAGES => Err(Error::TooLong),
        _ => Ok(()),
    }
}
