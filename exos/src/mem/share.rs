//! Shared regions, the part of the region list (`mmap.rs`) that crosses environments: granting a
//! shared region's pages to another environment ([`grant`]), mapping them straight into a child
//! ([`map_into`]), and building a region over pages granted to this one ([`attach`]). The functions
//! are re-exported as `mmap::grant`, `mmap::map_into` and `mmap::attach`.
use crate::mem::mmap::{ensure_handler, munmap};
use crate::mem::regions::{check_prot, with_state, Batch, Kind, Page, Region, BATCH, MAX_REGION, NO_SLOT, PAGE};
use crate::sys::syscall::{sys_cap_grant, sys_page_map_into};
use abi::{Error, MapUpdate, Rights};
use alloc::vec::Vec;

/// Creates a region over pages another environment granted this one: `slots` are the capability
/// slots (in page order; `grant` returns them), `prot` the initial protection and `max` the ceiling
/// (each capability must carry it). `at` is a fixed address or `None`. The pages are mapped now.
pub fn attach(at: Option<u64>, slots: &[u64], prot: Rights, max: Rights) -> Result<u64, Error> {
    check_prot(prot)?;
    check_prot(max)?;
    if slots.is_empty() || !max.contains(prot) || !max.contains(Rights::READ) {
        return Err(Error::BadArgument);
    }
    if slots.len() as u64 > MAX_REGION / PAGE {
        return Err(Error::TooLong);
    }
    if slots.iter().any(|&slot| slot >= u64::from(NO_SLOT)) {
        return Err(Error::BadSlot);
    }
    ensure_handler()?;
    let start = with_state(|s| {
        let start = s.place(at, slots.len() as u64)?;
        let pages = slots.iter().map(|&slot| Page { slot: slot as u16, prot: prot.0 as u8, written: false }).collect();
        Ok(s.insert(Region { start, pages, max, kind: Kind::Attached, handler: None }))
    })?;
    let mapped = with_state(|s| {
        for (i, &slot) in slots.iter().enumerate() {
            s.batch.change(start + i as u64 * PAGE, slot as u16, max, Rights::NONE, prot)?;
        }
        Ok(())
    });
    if let Err(e) = mapped {
        let _ = munmap(start, slots.len() as u64 * PAGE);
        return Err(e);
    }
    Ok(start)
}

/// Runs `f` on the capability slots of a shared region's pages in `[addr, addr + len)`.
fn for_shared_pages(addr: u64, len: u64, mut f: impl FnMut(&mut Batch, u64, u16, Rights) -> Result<(), Error>) -> Result<(), Error> {
    if !addr.is_multiple_of(PAGE) || len == 0 {
        return Err(Error::BadArgument);
    }
    with_state(|s| {
        let r = s.find(addr).ok_or(Error::NotMapped)?;
        let region = &s.regions[r];
        let end = addr.checked_add(len).and_then(|e| e.checked_next_multiple_of(PAGE)).ok_or(Error::BadArgument)?;
        if region.kind != Kind::Shared || end > region.end() {
            return Err(if region.kind != Kind::Shared { Error::WrongType } else { Error::NotMapped });
        }
        let first = ((addr - region.start) / PAGE) as usize;
        let slots: Vec<u16> = region.pages[first..first + ((end - addr) / PAGE) as usize].iter().map(|p| p.slot).collect();
        let max = region.max;
        for (i, slot) in slots.into_iter().enumerate() {
            f(&mut s.batch, addr + i as u64 * PAGE, slot, max)?;
        }
        Ok(())
    })
}

/// Grants environment `env` (an id) capabilities with `rights` for the pages of the shared region
/// in `[addr, addr + len)`; returns their slots in `env`'s table, in page order, for it to pass to
/// [`attach`]. `rights` must be within the region's ceiling (`NoRights`); `WrongType` if the region
/// is not shared. Freeing the region (`munmap`) takes the pages back from `env`.
pub fn grant(addr: u64, len: u64, env: u64, rights: Rights) -> Result<Vec<u64>, Error> {
    let mut slots = Vec::new();
    for_shared_pages(addr, len, |_, _, slot, max| {
        if !max.contains(rights) {
            return Err(Error::NoRights);
        }
        slots.push(sys_cap_grant(u64::from(slot), env, rights)?);
        Ok(())
    })?;
    Ok(slots)
}

/// Maps the pages of the shared region in `[addr, addr + len)` into the environment named by
/// capability `env_slot` (which needs `WRITE`: a parent and its child) at `at`, with `rights`
/// (within the region's ceiling), in batched `page_map` calls.
pub fn map_into(env_slot: u64, addr: u64, len: u64, at: u64, rights: Rights) -> Result<(), Error> {
    check_prot(rights)?;
    let mut updates = Vec::new();
    for_shared_pages(addr, len, |_, va, slot, max| {
        if !max.contains(rights) || rights == Rights::NONE {
            return Err(Error::NoRights);
        }
        updates.push(MapUpdate { op: MapUpdate::MAP, va: (va - addr).wrapping_add(at), slot: u64::from(slot), rights: rights.0 });
        Ok(())
    })?;
    for chunk in updates.chunks(BATCH) {
        if let (_, Some(e)) = sys_page_map_into(env_slot, chunk) {
            return Err(e);
        }
    }
    Ok(())
}

