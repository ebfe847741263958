//! The kernel's capability space: every environment's capability table (`kcore::cap`) over the
//! kernel objects, the derivation tree, the count of mappings made through each capability, and
//! the published count of capabilities per page (`PAGE_REFS_BASE`). Removing capabilities here
//! only returns what went; what they allowed (mappings, pages) is undone by `bind.rs`.
//!
//! Lock order: the environment table (`envs`) may be held while this module's lock is taken,
//! never the other way round. Calls only `envs` (to check an environment is alive) and `windows`.
use crate::envs;
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
    /// An extent: `pages` physically contiguous pages from physical address `pa`.
    Extent { pa: u64, pages: u64 },
    /// The network interface (`abi::net`: rights `NIC_INFO`, `NIC_CLAIM`, `NIC_CONFIG`).
    Nic,
    /// One claimed network port (`abi::net::PortKind` number and value; rights `PORT_RECEIVE`,
    /// `PORT_SEND`).
    Port { kind: u8, value: u16 },
}


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

/// Whether environment `owner` (table index) may take one more capability: the kernel heap has
/// room (it holds every capability node and table), and the growth of its table, if it must grow
/// (`kcore::cap::TABLE_GROWTH` slots at a time), is charged to it ([`charge_table_growth`]).
fn room(caps: &CapSpace<Object>, owner: usize) -> Result<(), Error> {
    if !crate::mem::heap::has_room() {
        return Err(Error::NoMemory);
    }
    match caps.growth(owner) {
        0 => Ok(()),
        bytes => charge_table_growth(owner, bytes),
    }
}

/// The one place capability-table growth is charged: environment `owner`'s table grows by
/// `bytes` of kernel memory. It is paid for already: an environment's record charge
/// (`abi::ENV_RECORD_PAGES`, `budget.rs`) includes its table at its largest (`MAX_SLOTS` slots, 2
/// pages), so no growth can outrun its budget and nothing is left to refund when it ends; the
/// kernel heap's reserve ([`room`]) bounds all tables together.
pub fn charge_table_growth(owner: usize, bytes: usize) -> Result<(), Error> {
    debug_assert!(bytes <= kcore::cap::MAX_SLOTS * core::mem::size_of::<Option<usize>>() && owner < abi::MAX_ENVS);
    const { assert!(kcore::cap::MAX_SLOTS * 8 <= 2 * abi::layout::PAGE_SIZE as usize) };
    Ok(())
}

/// Gives environment `owner` a root capability over `object`; returns its slot.
pub fn insert_root(owner: u64, object: Object, rights: Rights) -> Result<usize, Error> {
    let slot = {
        let mut caps = CAPS.lock();
        room(&caps, env_index(owner))?;
        caps.insert_root(env_index(owner), object, rights).map_err(error)?
    };
    counted(object, 1);
    Ok(slot)
}

/// Keeps the published capability count of a page (`PAGE_REFS_BASE`) in step: an extent's
/// capability counts on every one of its pages (at most `MAX_EXTENT_PAGES`).
fn counted(object: Object, delta: i32) {
    match object {
        Object::Page(pa) => crate::windows::add_ref(pa, delta),
        Object::Extent { pa, pages } => {
            for i in 0..pages {
                crate::windows::add_ref(pa + i * abi::layout::PAGE_SIZE, delta);
            }
        }
        Object::Env(_) | Object::Nic | Object::Port { .. } => {}
    }
}

/// Moves `owner`'s root capability `slot` (no grants) to environment `to`; returns the new slot.
pub fn give(owner: u64, slot: u64, to: u64) -> Result<usize, Error> {
    let mut caps = CAPS.lock();
    match caps.growth(env_index(to)) {
        0 => {}
        bytes => charge_table_growth(env_index(to), bytes)?,
    }
    caps.give(env_index(owner), slot, env_index(to)).map_err(error)
}

/// Grants environment `to` a capability derived from `owner`'s `slot`; returns the new slot.
pub fn grant_from(owner: u64, slot: u64, to: u64, rights: Rights) -> Result<usize, Error> {
    let mut caps = CAPS.lock();
    room(&caps, env_index(to))?;
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

/// The environment id named by `owner`'s `slot`, if the capability has every right in `need`
/// (`WrongType` if it names something else). Only the id leaves the capability space: copying the
/// whole [`Object`] out used SSE moves, which made every protected control transfer pay a lazy FPU
/// save (`arch/x86_64/entry.rs`).
#[inline(always)]
pub fn env_id(owner: u64, slot: u64, need: Rights) -> Result<u64, Error> {
    let id = CAPS.lock().check_with(env_index(owner), slot, need, |object| match *object {
        Object::Env(id) => Some(id),
        _ => None,
    });
    id.map_err(error)?.ok_or(Error::WrongType)
}

/// The physical address of the page named by `owner`'s `slot`, if the capability has every right
/// in `need` (`WrongType` if it names something else); like [`env_id`], only the address leaves
/// the capability space.
#[inline(always)]
pub fn page_pa(owner: u64, slot: u64, need: Rights) -> Result<u64, Error> {
    let pa = CAPS.lock().check_with(env_index(owner), slot, need, |object| match *object {
        Object::Page(pa) => Some(pa),
        _ => None,
    });
    pa.map_err(error)?.ok_or(Error::WrongType)
}

/// Records the mapping at `va` in the environment at table index `env`, made through the
/// capability in slot `slot` of the environment at table index `owner` (`bind` records every
/// mapping it makes and forgets every one it removes: a page is given away only while nothing maps
/// it, and a removed capability carries exactly its mappings out, for `bind` to remove).
pub fn note_mapped(owner: usize, slot: u64, env: usize, va: u64) {
    CAPS.lock().note_mapped(owner, slot, env, va);
}

/// Forgets that mapping (it was removed).
pub fn note_unmapped(owner: usize, slot: u64, env: usize, va: u64) {
    CAPS.lock().note_unmapped(owner, slot, env, va);
}

/// Counts `delta` more extent mappings (runs, `extent.rs`) made through `owner`'s `slot`: an
/// extent is freed only when none is left, and a removed capability with runs makes `bind` look
/// for them.
pub fn note_extent_runs(owner: usize, slot: u64, delta: i32) {
    CAPS.lock().note_extent_runs(owner, slot, delta);
}

/// How many mappings go through that capability.
pub fn mappings(owner: usize, slot: u64) -> usize {
    CAPS.lock().mappings(owner, slot)
}

/// How many mappings go through that capability of `owner`'s and those granted from it.
pub fn subtree_mappings(owner: usize, slot: u64) -> u32 {
    CAPS.lock().subtree_mappings(owner, slot)
}

/// Whether `owner`'s `slot` holds a root capability.
pub fn is_root(owner: u64, slot: u64) -> Result<bool, Error> {
    CAPS.lock().is_root(env_index(owner), slot).map_err(error)
}

/// The pages environment `owner` holds root capabilities for: (slot, physical address).
pub fn page_roots(owner: u64) -> Vec<(usize, u64)> {
    let roots = CAPS.lock().roots(env_index(owner));
    roots.into_iter().filter_map(|(slot, object)| match object {
        Object::Page(pa) => Some((slot, pa)),
        _ => None,
    }).collect()
}

/// The extents environment `owner` holds root capabilities for: (slot, physical address, pages).
pub fn extent_roots(owner: u64) -> Vec<(usize, u64, u64)> {
    let roots = CAPS.lock().roots(env_index(owner));
    roots.into_iter().filter_map(|(slot, object)| match object {
        Object::Extent { pa, pages } => Some((slot, pa, pages)),
        _ => None,
    }).collect()
}

/// Removes what was granted from `owner`'s `slot` (not the capability itself), transitively, as
/// far as `budget` units of work allow (`kcore::cap::removal_work`:
/// a capability and its mappings); also says whether the revocation is complete.
pub fn revoke_some(owner: u64, slot: u64, budget: usize) -> Result<(Vec<Removed<Object>>, bool), Error> {
    CAPS.lock().revoke_some(env_index(owner), slot, budget).map_err(error)
}

/// Removes `owner`'s `slot` and everything granted from it as far as `budget` allows (the slot
/// itself last); returns what went and whether the slot is now empty.
pub fn delete_some(owner: u64, slot: u64, budget: usize) -> Result<(Vec<Removed<Object>>, bool), Error> {
    CAPS.lock().delete_some(env_index(owner), slot, budget).map_err(error)
}

/// Removes every capability of the environment at table index `owner`; returns what went.
pub fn remove_owner(owner: usize) -> Vec<Removed<Object>> {
    CAPS.lock().remove_owner(owner)
}

/// A removed capability no longer names its object: keeps the published count in step.
pub fn forget(object: Object) {
    counted(object, -1);
}

/// The live environment named by the caller's capability `slot`, which must have `need`.
pub fn env_of(caller: u64, slot: u64, need: Rights) -> Result<u64, Error> {
    let id = env_id(caller, slot, need)?;
    envs::with_env(id, |_| ()).ok_or(Error::NoSuchEnv).map(|()| id)
}
