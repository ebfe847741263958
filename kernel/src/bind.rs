//! Hardware secure bindings: the map, unmap and protect updates an environment applies (checked
//! and batched by `page_map`, `syscall/page.rs`) to its own page tables or a child's (`page_map`), including handing a page to a child
//! (`GIVE_MAP`: ownership moves) or sharing it (`GRANT_MAP`: a derived capability).
//!
//! Each update names the capability that authorizes it; the kernel checks the capability and the
//! rights, writes the page-table entry and records which capability the mapping came through, so
//! that revoking or freeing it removes the mapping. The batch stops at the first failure and
//! reports how many updates were applied. Page-table pages, kernel memory and the read-only windows
//! can never be mapped: only pages named by a capability are.
//!
//! When capabilities go (revoked, deleted, or their environment ends), this file undoes what they
//! allowed: the mappings made through them, in every environment (extent mappings through
//! `extent.rs`), and, for a page's or an extent's root capability, its pages, refunded to its
//! owner's budget ([`revoke`], [`delete`], [`remove_env`]).
//!
//! Every mapping has a payer (`Mapping::payer`, `budget.rs`): the environment whose `page_map`
//! made it (for `GIVE_MAP`, the receiver, whose page it becomes; for a boot program's image, the
//! program). The payer is charged for the mapping record and for the page-table pages the mapping
//! adds; unmapping refunds the record and frees the page-table pages it leaves empty, refunding
//! whoever paid for them.
//!
//! Every entry made through a capability of the mapped environment's own table carries
//! `pte::OWN_SLOT` and the slot (bits 52..61), and the library's two tag bits, so a library reads
//! through the self-map which of its capabilities backs each page.
use crate::cap::{self, Object};
use crate::env::{Env, Mapping};
use crate::{budget, envs};
use crate::mem::{owners, paging};
use alloc::vec::Vec;
use kcore::cap::Removed;
use abi::layout::{is_user_range, overlaps_windows, PAGE_SIZE};
use abi::pte::{OWN_SLOT, SLOT_SHIFT};
use abi::{env_index, Error, MapUpdate, Rights, MAX_MAP_PAGES};

// A capability's mapping index packs an environment's table index with a page address.
const _: () = assert!(abi::MAX_ENVS <= kcore::cap::MAPSET_ENVS);

/// The most pages one environment may have mapped through capabilities (its records are one
/// sorted vector on the kernel heap). Each record is also charged to its payer's budget
/// (`abi::RECORDS_PER_PAGE` a page), and all environments together are bounded by the heap's
/// reserve (`mem::heap::has_room`), not by a fixed count.
pub const MAX_MAPPINGS: usize = 8192;

/// Applies one update to `env`'s address space on behalf of environment `caller` (`giver` is the
/// caller's own record when `env` is another environment).
pub fn apply(env: &mut Env, caller: u64, giver: Option<&mut Env>, u: &MapUpdate) -> Result<(), Error> {
    let pages = u.pages();
    if pages == 0 || pages > MAX_MAP_PAGES {
        return Err(Error::BadArgument);
    }
    let len = pages * PAGE_SIZE;
    if !u.va.is_multiple_of(PAGE_SIZE) || !is_user_range(u.va, len) || overlaps_windows(u.va, len) {
        return Err(Error::BadAddress);
    }
    match u.op {
        MapUpdate::MAP => {
            let (rights, tags) = mapping_rights(u.rights)?;
            let pa = cap::page_pa(caller, u.slot, rights)?;
            room(env, u.va)?;
            install(env, u.va, pa, Mapping { owner: env_index(caller), slot: u.slot, ceiling: rights, tags, payer: caller })
        }
        MapUpdate::UNMAP => {
            let mapping = env.mappings.remove(u.va).ok_or(Error::NotMapped)?;
            forget_mapping(env_index(env.id), u.va, &mapping);
            let owner = env.id;
            paging::unmap_pruned(env.root, u.va, &mut |table| budget::paid_by_other(owner, table), &mut budget::table_freed);
            note_unmapped(env);
            Ok(())
        }
        MapUpdate::PROTECT | MapUpdate::PROTECT_RANGE => protect(env, u.va, pages, u.rights),
        MapUpdate::GIVE_MAP => give_map(env, caller, giver.ok_or(Error::BadArgument)?, u),
        MapUpdate::GRANT_MAP => {
            giver.ok_or(Error::BadArgument)?;
            let (rights, tags) = mapping_rights(u.rights)?;
            let pa = cap::page_pa(caller, u.slot, rights.union(Rights::GRANT))?;
            room(env, u.va)?;
            let slot = cap::grant_from(caller, u.slot, env.id, rights.union(Rights::GRANT))? as u64;
            let mapping = Mapping { owner: env_index(env.id), slot, ceiling: rights, tags, payer: caller };
            install(env, u.va, pa, mapping).inspect_err(|_| {
                // Unmapped and not a root: deleting it frees nothing and takes no other lock.
                let _ = delete(env.id, slot);
            })
        }
        _ => Err(Error::BadArgument),
    }
}

/// `PROTECT` of `pages` pages from `va`, all or none: each must be mapped through a capability,
/// with `rights` within those it was mapped with.
///
/// The capabilities are not looked up again. A mapping record is the cached secure binding: it
/// exists only while its capability does (removing a capability, by revocation, deletion, or its
/// environment's end, removes every mapping made through it: `bind::release`; a root capability
/// cannot be given away while something maps it), capability rights never change, and the
/// mapping's ceiling was checked against the capability when it was made. So the ceiling is the
/// whole check (test `bad_protect_range`).
fn protect(env: &mut Env, va: u64, pages: u64, rights: u64) -> Result<(), Error> {
    let (rights, tags) = mapping_rights(rights)?;
    let index = env_index(env.id);
    let run = env.mappings.run_mut(va, pages as usize, PAGE_SIZE).ok_or(Error::NotMapped)?;
    if run.iter().any(|(_, mapping)| !mapping.ceiling.contains(rights)) {
        return Err(Error::NoRights);
    }
    let base = paging::user_flags(rights) | tags;
    let mut mappings = run.iter_mut();
    // Every mapping record has its entry (they are made and removed together, here only).
    // A `move` closure: its copies of `base`, `tags` and `index` stay in registers (captured by
    // reference, they were loaded again for every page, since the entry stores might alias them).
    let rewritten = paging::protect_run(env.root, va, pages, move || match mappings.next() {
        Some((_, mapping)) => {
            mapping.tags = tags;
            base | own_slot_bits(index, mapping)
        }
        None => base,
    });
    debug_assert!(rewritten.is_some(), "a mapping record without its page-table entry");
    note_unmapped(env);
    Ok(())
}

/// `GIVE_MAP`: the caller's root capability `u.slot` (unmapped, without grants) moves to `env`,
/// with the page's ownership and its charge, and is mapped there (the receiver pays for the
/// mapping). A child of the caller gets the budget for all of it from the caller; any other
/// receiver's budget must have room.
fn give_map(env: &mut Env, caller: u64, giver: &mut Env, u: &MapUpdate) -> Result<(), Error> {
    let (rights, tags) = mapping_rights(u.rights)?;
    let pa = cap::page_pa(caller, u.slot, rights)?;
    if !cap::is_root(caller, u.slot)? {
        return Err(Error::NoRights);
    }
    // A page is given away only while nothing maps it (mappings are counted in the capability).
    if cap::mappings(env_index(caller), u.slot) > 0 {
        return Err(Error::Busy);
    }
    room(env, u.va)?;
    // The page, the page-table pages and the record, all charged to the receiver.
    let receiver = env.id;
    let moved = budget::move_page(caller, receiver, paging::tables_needed(env.root, u.va))?;
    let slot = match cap::give(caller, u.slot, receiver) {
        Ok(slot) => slot as u64,
        Err(e) => {
            budget::unmove_page(caller, receiver, moved);
            return Err(e);
        }
    };
    let mapping = Mapping { owner: env_index(env.id), slot, ceiling: rights, tags, payer: env.id };
    if let Err(e) = install(env, u.va, pa, mapping) {
        // Back to the giver: its table has at least the slot just emptied, so this cannot fail.
        // (Deleting the capability instead would free the page, which takes the environment table's lock
        // that this call already holds.)
        let back = cap::give(env.id, slot, caller);
        debug_assert!(back.is_ok(), "a given page could not go back");
        budget::unmove_page(caller, receiver, moved);
        return Err(e);
    }
    giver.page_gone(u.slot);
    giver.pages -= 1;
    env.pages += 1;
    owners::set(pa, env.id as u32);
    envs::publish(giver);
    envs::publish(env);
    Ok(())
}

/// Whether `env` can take one more capability mapping at `va`.
fn room(env: &Env, va: u64) -> Result<(), Error> {
    if env.mappings.contains_key(va) || paging::translate(env.root, va).is_some() {
        return Err(Error::AlreadyMapped);
    }
    // Mapping records live on the kernel heap (page-table pages and records are charged to
    // budgets when the mapping is made: `install`).
    if env.mappings.len() >= MAX_MAPPINGS {
        return Err(Error::QuotaExceeded);
    }
    if !crate::mem::heap::has_room() {
        return Err(Error::NoMemory);
    }
    Ok(())
}

/// Maps `pa` at `va` in `env` as `mapping` says and records it (after [`room`] said yes), charging
/// `mapping.payer` for the record and the page-table pages it adds (`OutOfMemory` if its budget
/// cannot cover them: nothing changes).
pub fn install(env: &mut Env, va: u64, pa: u64, mapping: Mapping) -> Result<(), Error> {
    let payer = mapping.payer;
    budget::charge_record(payer)?;
    // Page-table pages are charged once made (most mappings make none): if the payer cannot
    // cover them, the mapping is taken down again with the tables it made.
    let (mut created, mut count) = ([0u64; 3], 0);
    let mapped = paging::map_noting(env.root, va, pa, pte_flags(env_index(env.id), &mapping, mapping.ceiling), &mut |frame| {
        if let Some(slot) = created.get_mut(count) {
            *slot = frame;
        }
        count += 1;
    });
    let tables = budget::charge_tables(payer, count as u64);
    if let (Ok(()), Err(_)) = (mapped, tables) {
        // The tables just made are nobody's yet: all of them go (and nothing is refunded).
        let fresh = &created[..count.min(3)];
        paging::unmap_pruned(env.root, va, &mut |table| fresh.contains(&table), &mut |_| {});
    }
    if let Err(e) = mapped.map_err(|e| match e {
        paging::MapError::OutOfMemory => Error::NoMemory,
        paging::MapError::AlreadyMapped => Error::AlreadyMapped,
    }).and(tables) {
        if e == Error::NoMemory && tables.is_ok() {
            // The tables made before the machine ran out stay, charged (the next mapping uses them).
            created.iter().take(count).for_each(|&frame| budget::note_table(payer, frame));
        } else if tables.is_ok() {
            budget::uncharge_tables(payer, count as u64);
        }
        budget::refund_record(payer);
        return Err(e);
    }
    created.iter().take(count).for_each(|&frame| budget::note_table(payer, frame));
    env.mappings.insert(va, mapping);
    cap::note_mapped(mapping.owner, mapping.slot, env_index(env.id), va);
    Ok(())
}

/// The page-table flags of `mapping` in the environment at table index `index` with `rights`.
fn pte_flags(index: usize, mapping: &Mapping, rights: Rights) -> u64 {
    paging::user_flags(rights) | mapping.tags | own_slot_bits(index, mapping)
}

/// `OWN_SLOT` and the slot, for a mapping made through a capability of the mapped environment
/// (at table index `index`) itself.
fn own_slot_bits(index: usize, mapping: &Mapping) -> u64 {
    if mapping.owner == index { OWN_SLOT | (mapping.slot << SLOT_SHIFT) } else { 0 }
}

/// The rights of a mapping and its tag bits: defined bits only, and READ is required (x86 has no
/// write-only pages).
fn mapping_rights(bits: u64) -> Result<(Rights, u64), Error> {
    let tags = bits & (MapUpdate::TAG0 | MapUpdate::TAG1);
    let rights = Rights(bits & !tags);
    if !rights.is_valid() || !rights.contains(Rights::READ) || rights.contains(Rights::GRANT) {
        return Err(Error::BadArgument);
    }
    Ok((rights, tags << 2))
}

/// Removes every extent run in `env` made through capability `slot` of environment index `owner`
/// (the capability went; runs are counted in it, not listed: `extent.rs`).
fn unmap_extent_runs(env: &mut Env, owner: usize, slot: u64) {
    crate::extent::remove_slot(env, owner, slot);
}

/// A translation of `env` was removed or weakened. In the active address space `paging` has
/// already invalidated it; otherwise its PCID-tagged TLB entries must go before it runs again.
fn note_unmapped(env: &mut Env) {
    if !paging::is_active(env.root) {
        env.tlb_stale = true;
    }
}

/// Removes every mapping in `env` made through a capability (its address space is going away; the
/// pages belong to their capabilities, not to it; its page-table pages go with it, refunded then).
pub fn unmap_all(env: &mut Env) {
    crate::extent::unmap_all(env);
    let index = env_index(env.id);
    for (va, m) in core::mem::take(&mut env.mappings) {
        paging::unmap(env.root, va);
        forget_mapping(index, va, &m);
    }
}

/// A mapping record at `va` in the environment at table index `env` went: its capability's index
/// and its payer are told.
fn forget_mapping(env: usize, va: u64, m: &Mapping) {
    cap::note_unmapped(m.owner, m.slot, env, va);
    budget::refund_record(m.payer);
}

/// The work one kernel entry does at most when it removes capabilities (`kcore::cap::removal_work`:
/// a capability counts 1, each of its mappings 1): with the mapping index this is well under a
/// millisecond, a small fraction of a timer tick, on the slowest machine the tests run on
/// (measured: docs/ABI.md, "Bounded kernel work"). A call with more to do does this much and is
/// restarted ([`Progress::Again`]).
pub const REMOVAL_WORK: usize = 1024;

/// How far a bounded removal got.
pub enum Progress {
    /// Complete: this many capabilities went in this piece.
    Done(u64),
    /// This many went; more is left, the call must run again.
    Again(u64),
}

/// Revokes everything granted from `owner`'s `slot`, a bounded piece at a time ([`REMOVAL_WORK`]),
/// and undoes what the removed capabilities allowed.
pub fn revoke_some(owner: u64, slot: u64) -> Result<Progress, Error> {
    let (removed, done) = cap::revoke_some(owner, slot, REMOVAL_WORK)?;
    let count = removed.len() as u64;
    release(removed, None);
    Ok(if done { Progress::Done(count) } else { Progress::Again(count) })
}

/// Deletes `owner`'s `slot` and everything granted from it, a bounded piece at a time (the slot
/// itself last), and undoes what they allowed.
pub fn delete_some(owner: u64, slot: u64) -> Result<Progress, Error> {
    let (removed, done) = cap::delete_some(owner, slot, REMOVAL_WORK)?;
    let count = removed.len() as u64;
    release(removed, None);
    Ok(if done { Progress::Done(count) } else { Progress::Again(count) })
}

/// Deletes `owner`'s `slot` and everything granted from it, whole (the kernel's own uses: the
/// abort protocol's repossession and a failed grant-map, where the capability has no grants or
/// its holder's table bounds them).
pub fn delete(owner: u64, slot: u64) -> Result<(), Error> {
    while let Progress::Again(_) = delete_some(owner, slot)? {}
    Ok(())
}

/// Removes every capability of `env`, which is being taken apart (and is no longer in the
/// environment table), with what they hold: mappings made through them anywhere, and their pages.
pub fn remove_env(env: &mut Env) {
    let removed = cap::remove_owner(env_index(env.id));
    release(removed, Some(env));
}

/// Undoes what removed capabilities allowed: removes exactly the mappings recorded in them (each
/// environment's at once; extent runs, which are counted rather than listed, by looking at each
/// environment's runs), and frees the pages whose root capability went, refunding the owner's
/// budget. `dying` is an environment that has already left the table. The cost is proportional to
/// what was removed (capabilities and their mappings), not to the page mappings that exist.
fn release(removed: Vec<Removed<Object>>, mut dying: Option<&mut Env>) {
    // The mappings to remove: (environment index, address, capability owner, slot), by environment.
    if removed.iter().any(|r| !r.mappings.is_empty()) {
        let mut unmaps: Vec<(usize, u64, usize, u64)> = Vec::new();
        for r in &removed {
            unmaps.extend(r.mappings.iter().map(|(env, va)| (env, va, r.owner, r.slot as u64)));
        }
        unmaps.sort_unstable();
        for group in unmaps.chunk_by(|a, b| a.0 == b.0) {
            with_index(group[0].0, dying.as_deref_mut(), |env| unmap_listed(env, group));
        }
    }
    for r in removed {
        cap::forget(r.object);
        crate::net::cap_removed(r.owner, r.slot as u64, r.object, r.root);
        if r.extent_runs > 0 {
            envs::for_each_env(|env| unmap_extent_runs(env, r.owner, r.slot as u64));
            if let Some(env) = dying.as_deref_mut() {
                unmap_extent_runs(env, r.owner, r.slot as u64);
            }
        }
        if let (Object::Extent { pa, pages }, true) = (r.object, r.root) {
            owners::free_extent(pa, pages);
            crate::stats::add(abi::stats::Counter::PagesFreed, pages);
            with_index(r.owner, dying.as_deref_mut(), |env| {
                crate::page::credit(env, pages);
                env.pages_gone(r.slot as u64, pages);
                envs::publish(env);
            });
        }
        if let (Object::Page(pa), true) = (r.object, r.root) {
            owners::free(pa);
            crate::page::note_freed();
            crate::stats::count(abi::stats::Counter::PagesFreed);
            with_index(r.owner, dying.as_deref_mut(), |env| {
                budget::refund(env.id, 1);
                env.pages -= 1;
                env.page_gone(r.slot as u64);
                envs::publish(env);
            });
        }
    }
}

/// Runs `f` on the environment at table index `index`: `dying` if it is that one (out of the
/// table), else the live one there, if any.
fn with_index(index: usize, dying: Option<&mut Env>, f: impl FnOnce(&mut Env)) {
    match dying {
        Some(env) if env_index(env.id) == index => f(env),
        _ => envs::with(|t| t.get_mut(index).map(f)).unwrap_or(()),
    }
}

/// Removes from `env` the mappings `listed` (its own, sorted by address, each with the capability
/// it must have been made through): one search each for a few, one pass for many.
fn unmap_listed(env: &mut Env, listed: &[(usize, u64, usize, u64)]) {
    let (root, id) = (env.root, env.id);
    let unmap = |va: u64, m: &Mapping, owner: usize, slot: u64| {
        debug_assert!(m.owner == owner && m.slot == slot, "the mapping index disagrees with the mapping at {va:#x}");
        paging::unmap_pruned(root, va, &mut |table| budget::paid_by_other(id, table), &mut budget::table_freed);
        // Its capability is gone (and its index with it): only the record's payer.
        budget::refund_record(m.payer);
    };
    if listed.len() <= 4 {
        for &(_, va, owner, slot) in listed {
            if let Some(m) = env.mappings.remove(va) {
                unmap(va, &m, owner, slot);
            }
        }
    } else {
        let mut next = listed.iter().peekable();
        env.mappings.retain(|va, m| {
            while next.next_if(|l| l.1 < va).is_some() {}
            match next.next_if(|l| l.1 == va) {
                Some(&(_, _, owner, slot)) => {
                    unmap(va, m, owner, slot);
                    false
                }
                None => true,
            }
        });
    }
    note_unmapped(env);
}
