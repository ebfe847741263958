//! Hardware secure bindings: the checked batch of map, unmap and protect updates an environment
//! applies to its own page tables (`page_map`).
//!
//! Each update names the capability that authorizes it; the kernel checks the capability and the
//! rights, writes the page-table entry and records which capability the mapping came through, so
//! that revoking or freeing it removes the mapping. The batch stops at the first failure and
//! reports how many updates were applied. Page-table pages, kernel memory and the read-only windows
//! can never be mapped: only pages named by a capability are.
use crate::env::{Env, Mapping};
use crate::mem::{frames, paging};
use crate::{cap, sched, uaccess};
use abi::layout::{is_user_range, overlaps_windows, PAGE_SIZE};
use abi::{env_index, Error, MapUpdate, Rights, MAX_MAP_BATCH, SELF_ENV};
use alloc::vec;
use core::sync::atomic::{AtomicUsize, Ordering};

/// The most pages one environment may have mapped through capabilities.
pub const MAX_MAPPINGS: usize = 2048;
/// The most capability mappings all environments together may have (their records live on the
/// kernel heap, which must never run out).
pub const MAX_TOTAL_MAPPINGS: usize = 16384;
static MAPPINGS: AtomicUsize = AtomicUsize::new(0);

/// The most page-table frames one environment's mappings may cost.
pub const MAX_TABLES: u64 = 512;

/// `page_map(env, updates, count)`: returns the number applied and the first failure, if any.
pub fn page_map(target: u64, updates: u64, count: u64) -> (u64, Option<Error>) {
    if count > MAX_MAP_BATCH {
        return (0, Some(Error::TooLong));
    }
    let caller = sched::with_current(|env| env.id);
    let target = match target {
        SELF_ENV => caller,
        slot => match cap::env_of(caller, slot, Rights::WRITE) {
            Ok(id) => id,
            Err(e) => return (0, Some(e)),
        },
    };
    let mut bytes = vec![0u8; count as usize * MapUpdate::SIZE];
    if let Err(e) = uaccess::copy_from_user(sched::current_root(), updates, &mut bytes) {
        return (0, Some(e));
    }
    sched::with_env(target, |env| {
        for (done, chunk) in bytes.chunks_exact(MapUpdate::SIZE).enumerate() {
            let update = MapUpdate::from_bytes(chunk.try_into().expect("32-byte chunk"));
            if let Err(e) = apply(env, caller, &update) {
                return (done as u64, Some(e));
            }
        }
        (count, None)
    })
    .unwrap_or((0, Some(Error::NoSuchEnv)))
}

/// Applies one update to `env`'s address space on behalf of environment `caller`.
fn apply(env: &mut Env, caller: u64, u: &MapUpdate) -> Result<(), Error> {
    if !u.va.is_multiple_of(PAGE_SIZE) || !is_user_range(u.va, PAGE_SIZE) || overlaps_windows(u.va, PAGE_SIZE) {
        return Err(Error::BadAddress);
    }
    match u.op {
        MapUpdate::MAP => map(env, caller, u.va, u.slot, mapping_rights(u.rights)?),
        MapUpdate::UNMAP => {
            env.mappings.remove(&u.va).ok_or(Error::NotMapped)?;
            MAPPINGS.fetch_sub(1, Ordering::Relaxed);
            paging::unmap(env.root, u.va);
            note_unmapped(env);
            Ok(())
        }
        MapUpdate::PROTECT => {
            let rights = mapping_rights(u.rights)?;
            let mapping = *env.mappings.get(&u.va).ok_or(Error::NotMapped)?;
            if !mapping.ceiling.contains(rights) {
                return Err(Error::NoRights);
            }
            cap::check_at(mapping.owner, mapping.slot, rights)?;
            paging::protect(env.root, u.va, paging::user_flags(rights));
            note_unmapped(env);
            Ok(())
        }
        _ => Err(Error::BadArgument),
    }
}

fn map(env: &mut Env, caller: u64, va: u64, slot: u64, rights: Rights) -> Result<(), Error> {
    let cap::Object::Page(pa) = cap::check(caller, slot, rights)? else {
        return Err(Error::WrongType);
    };
    if env.mappings.contains_key(&va) || paging::translate(env.root, va).is_some() {
        return Err(Error::AlreadyMapped);
    }
    // The kernel's own memory spent on an environment is bounded too: mapping records live on the
    // kernel heap, and sparse mappings cost page-table frames.
    if env.mappings.len() >= MAX_MAPPINGS || env.tables >= MAX_TABLES || MAPPINGS.load(Ordering::Relaxed) >= MAX_TOTAL_MAPPINGS {
        return Err(Error::QuotaExceeded);
    }
    let free_before = frames::free_count();
    let mapped = paging::map(env.root, va, pa, paging::user_flags(rights));
    env.tables += free_before - frames::free_count();
    mapped.map_err(|e| match e {
        paging::MapError::OutOfMemory => Error::NoMemory,
        paging::MapError::AlreadyMapped => Error::AlreadyMapped,
    })?;
    env.mappings.insert(va, Mapping { owner: env_index(caller), slot, ceiling: rights });
    MAPPINGS.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

/// The rights of a mapping: defined bits only, and READ is required (x86 has no write-only pages).
fn mapping_rights(bits: u64) -> Result<Rights, Error> {
    let rights = Rights(bits);
    if !rights.is_valid() || !rights.contains(Rights::READ) || rights.contains(Rights::GRANT) {
        return Err(Error::BadArgument);
    }
    Ok(rights)
}

/// Removes every mapping in `env` made through capability `slot` of environment index `owner`
/// (without allocating: this runs when capabilities die, whatever the heap's state).
pub fn unmap_slot(env: &mut Env, owner: usize, slot: u64) {
    let root = env.root;
    let mut removed = false;
    env.mappings.retain(|&va, m| {
        let keep = m.owner != owner || m.slot != slot;
        if !keep {
            paging::unmap(root, va);
            MAPPINGS.fetch_sub(1, Ordering::Relaxed);
            removed = true;
        }
        keep
    });
    if removed {
        note_unmapped(env);
    }
}

/// A translation of `env` was removed or weakened. In the active address space `paging` has
/// already invalidated it; otherwise its PCID-tagged TLB entries must go before it runs again.
fn note_unmapped(env: &mut Env) {
    if !paging::is_active(env.root) {
        env.tlb_stale = true;
    }
}

/// Removes every mapping in `env` made through a capability (its address space is going away; the
/// pages belong to their capabilities, not to it).
pub fn unmap_all(env: &mut Env) {
    for (va, _) in core::mem::take(&mut env.mappings) {
        paging::unmap(env.root, va);
        MAPPINGS.fetch_sub(1, Ordering::Relaxed);
    }
}
