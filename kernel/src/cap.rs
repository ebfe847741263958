//! The kernel's capability space: every environment's capability table (`kcore::cap`) over the
//! kernel objects, and what happens when capabilities disappear: their mappings are removed and,
//! when the root capability of a page goes, the page returns to the free pool.
//!
//! Lock order: the run list (`sched`) may be held while this module's lock is taken, never the
//! other way round.
use crate::bind;
use crate::env::Env;
use crate::mem::frames;
use crate::sched;
use abi::{env_index, Error, Rights};
use alloc::vec::Vec;
use kcore::cap::{CapError, CapSpace, Removed};

/// What a capability names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Object {
    /// A physical page, by physical address.
    Page(u64),
    /// An environment, by id (a dead one's id never matches a live environment again).
    Env(u64),
}

/// The most capabilities all environments together may hold (they live on the kernel heap).
pub const MAX_TOTAL_CAPS: usize = 16384;

static CAPS: spin::Mutex<CapSpace<Object>> = spin::Mutex::new(CapSpace::new());

fn error(e: CapError) -> Error {
    match e {
        CapError::SlotOutOfRange(_) => Error::BadSlot,
        CapError::EmptySlot(_) => Error::EmptySlot,
        CapError::TableFull => Error::TableFull,
        CapError::MissingRights { .. } | CapError::NotRoot(_) => Error::NoRights,
        CapError::HasGrants(_) => Error::Busy,
    }
}

/// Gives environment `owner` a root capability over `object`; returns its slot.
pub fn insert_root(owner: u64, object: Object, rights: Rights) -> Result<usize, Error> {
    if CAPS.lock().live() >= MAX_TOTAL_CAPS {
        return Err(Error::TableFull);
    }
    let slot = CAPS.lock().insert_root(env_index(owner), object, rights).map_err(error)?;
    counted(object, 1);
    Ok(slot)
}

/// Keeps the published capability count of a page (`PAGE_REFS_BASE`) in step.
fn counted(object: Object, delta: i32) {
    if let Object::Page(pa) = object {
        crate::page::add_ref(pa, delta);
    }
}

/// Moves `owner`'s root capability `slot` (no grants) to environment `to`; returns the new slot.
pub fn give(owner: u64, slot: u64, to: u64) -> Result<usize, Error> {
    CAPS.lock().give(env_index(owner), slot, env_index(to)).map_err(error)
}

/// Grants environment `to` a capability derived from `owner`'s `slot`; returns the new slot.
pub fn grant_from(owner: u64, slot: u64, to: u64, rights: Rights) -> Result<usize, Error> {
    let mut caps = CAPS.lock();
    if caps.live() >= MAX_TOTAL_CAPS {
        return Err(Error::TableFull);
    }
    let new = caps.grant(env_index(owner), slot, env_index(to), rights).map_err(error)?;
    let (object, _) = caps.lookup(env_index(to), new as u64).map_err(error)?;
    drop(caps);
    counted(object, 1);
    Ok(new)
}

/// The object in `owner`'s `slot`, if the capability has every right in `need`.
pub fn check(owner: u64, slot: u64, need: Rights) -> Result<Object, Error> {
    CAPS.lock().check(env_index(owner), slot, need).map_err(error)
}

/// Counts `delta` more mappings through the capability in slot `slot` of the environment at table
/// index `owner` (`bind` counts every mapping it makes or removes: a page is given away only while
/// nothing maps it, and a removed capability's mappings are searched for only when it had some).
pub fn note_mappings(owner: usize, slot: u64, delta: i32) {
    CAPS.lock().note_mappings(owner, slot, delta);
}

/// How many mappings go through that capability.
pub fn mappings(owner: usize, slot: u64) -> u32 {
    CAPS.lock().mappings(owner, slot)
}

/// Whether `owner`'s `slot` holds a root capability.
pub fn is_root(owner: u64, slot: u64) -> Result<bool, Error> {
    CAPS.lock().is_root(env_index(owner), slot).map_err(error)
}

/// How many pages `owner` holds through `page_alloc` (its quota use).
pub fn pages_held(owner: u64) -> u64 {
    sched::with_current(|env| if env.id == owner { env.pages } else { 0 })
}

/// The pages environment `owner` holds root capabilities for: (slot, physical address).
pub fn page_roots(owner: u64) -> Vec<(usize, u64)> {
    let roots = CAPS.lock().roots(env_index(owner));
    roots.into_iter().filter_map(|(slot, object)| match object {
        Object::Page(pa) => Some((slot, pa)),
        Object::Env(_) => None,
    }).collect()
}

/// Revokes everything granted from `owner`'s `slot`; returns how many capabilities went.
pub fn revoke(owner: u64, slot: u64) -> Result<u64, Error> {
    let removed = CAPS.lock().revoke(env_index(owner), slot).map_err(error)?;
    let count = removed.len() as u64;
    release(removed, None);
    Ok(count)
}

/// Deletes `owner`'s `slot` and everything granted from it.
pub fn delete(owner: u64, slot: u64) -> Result<(), Error> {
    let removed = CAPS.lock().delete(env_index(owner), slot).map_err(error)?;
    release(removed, None);
    Ok(())
}

/// Removes every capability of `env`, which is being destroyed (and is no longer in the
/// environment table), with what they hold: mappings made through them anywhere, and their pages.
pub fn remove_env(env: &mut Env) {
    let removed = CAPS.lock().remove_owner(env_index(env.id));
    release(removed, Some(env));
}

/// Undoes what removed capabilities allowed: removes the mappings made through them, in every
/// environment (`dying` is one that has already left the table), and frees the pages whose root
/// capability went, crediting the owner's quota.
fn release(removed: Vec<Removed<Object>>, mut dying: Option<&mut Env>) {
    for r in removed {
        counted(r.object, -1);
        // Every mapping is counted in its capability, so one that had none needs no search.
        if r.mappings > 0 {
            sched::for_each_env(|env| bind::unmap_slot(env, r.owner, r.slot as u64));
            if let Some(env) = dying.as_deref_mut() {
                bind::unmap_slot(env, r.owner, r.slot as u64);
            }
        }
        if let (Object::Page(pa), true) = (r.object, r.root) {
            frames::free(pa);
            crate::page::note_freed();
            crate::stats::count(abi::stats::Counter::PagesFreed);
            let credit = |env: &mut Env| {
                if env_index(env.id) == r.owner {
                    env.pages -= 1;
                    crate::revoke::page_gone(env, r.owner, r.slot as u64);
                    sched::publish(env);
                }
            };
            sched::for_each_env(credit);
            if let Some(env) = dying.as_deref_mut() {
                credit(env);
            }
        }
    }
}

/// The live environment named by the caller's capability `slot`, which must have `need`.
pub fn env_of(caller: u64, slot: u64, need: Rights) -> Result<u64, Error> {
    match check(caller, slot, need)? {
        Object::Env(id) if sched::with_env(id, |_| ()).is_some() => Ok(id),
        Object::Env(_) => Err(Error::NoSuchEnv),
        Object::Page(_) => Err(Error::WrongType),
    }
}
