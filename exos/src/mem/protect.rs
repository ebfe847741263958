//! Protection changes of region pages, re-exported as `mmap::mprotect`, `mmap::clean`,
//! `mmap::protect_pages` and `mmap::is_dirty`: the region list (`mmap.rs`) records each page's
//! protection, and the kernel gets the changes of mapped pages as `page_map` updates.
//!
//! A span of pages ([`mprotect`], [`clean`]) is checked region by region, not page by page, and
//! its mapped pages whose protection changes alike go to the kernel as one `PROTECT_RANGE` update
//! per run; their dirty bits (which the kernel's fresh entries clear) are read through the
//! self-map once per page table. Scattered pages ([`protect_pages`]) are checked and sent one by
//! one, in one call.
use crate::mem::regions::{check_prot, with_state, Batch, Kind, PAGE};
use crate::sys::vm;
use abi::{Error, Rights};

/// The most pages one `PROTECT_RANGE` update built here covers.
const MAX_RUN: u64 = abi::MAX_MAP_BATCH;

/// Sets the protection of every page in `[addr, addr + len)` to `prot`, in as few `page_map`
/// calls as possible. Every page must belong to a region (`NotMapped` otherwise) and `prot` must
/// be within each region's ceiling (`NoRights`); nothing changes when either check fails. A page
/// whose protection does not change costs nothing. Changing a mapped page's protection clears its
/// dirty bit (the kernel writes a fresh entry).
pub fn mprotect(addr: u64, len: u64, prot: Rights) -> Result<(), Error> {
    match len {
        // One page (the common case in a fault handler): the shorter path.
        1..=PAGE if addr.is_multiple_of(PAGE) => protect_pages(&[(addr, prot)]),
        _ => {
            check_prot(prot)?;
            protect_span(addr, len, Some(prot))
        }
    }
}

/// Clears the dirty bit of every mapped page in `[addr, addr + len)` by rewriting its entry with
/// the same protection. Checked like [`mprotect`].
pub fn clean(addr: u64, len: u64) -> Result<(), Error> {
    protect_span(addr, len, None)
}

/// Whether the page holding `addr` has been written since it was mapped or its protection last
/// changed: the hardware's dirty bit, read through the self-map (no system call). `false` for a
/// page that is not mapped.
pub fn is_dirty(addr: u64) -> bool {
    vm::translate(addr).is_some_and(|entry| entry & vm::DIRTY != 0)
}

/// A run of mapped pages whose protection changes to the same rights, not yet in the batch.
#[derive(Clone, Copy)]
struct Run {
    va: u64,
    pages: u64,
    rights: Rights,
}

impl Run {
    /// Adds `page`, which goes to `rights`: extends the run, or sends it and starts another.
    fn add(&mut self, batch: &mut Batch, page: u64, rights: Rights) -> Result<(), Error> {
        if self.pages > 0 && self.pages < MAX_RUN && self.rights == rights && self.va + self.pages * PAGE == page {
            self.pages += 1;
            return Ok(());
        }
        self.flush(batch)?;
        *self = Run { va: page, pages: 1, rights };
        Ok(())
    }

    /// Puts the run into the batch (in order with the batch's other updates).
    fn flush(&mut self, batch: &mut Batch) -> Result<(), Error> {
        if self.pages == 0 {
            return Ok(());
        }
        let pages = core::mem::replace(&mut self.pages, 0);
        batch.protect_range(self.va, pages, self.rights)
    }
}

/// Gives the pages of `[addr, addr + len)` protection `prot` (`None`: rewrites each mapped page
/// with its own protection, which clears its dirty bit).
fn protect_span(addr: u64, len: u64, prot: Option<Rights>) -> Result<(), Error> {
    if !addr.is_multiple_of(PAGE) || len == 0 {
        return Err(Error::BadArgument);
    }
    let end = len.div_ceil(PAGE).checked_mul(PAGE).and_then(|bytes| addr.checked_add(bytes)).ok_or(Error::NotMapped)?;
    with_state(|s| {
        // Every page in a region (regions are sorted and never overlap), within every ceiling.
        let first = s.find(addr).ok_or(Error::NotMapped)?;
        let mut at = addr;
        for region in &s.regions[first..] {
            if at >= end {
                break;
            }
            if region.start > at {
                return Err(Error::NotMapped);
            }
            if !region.max.contains(prot.unwrap_or(Rights::NONE)) {
                return Err(Error::NoRights);
            }
            if region.kind == Kind::Extent && prot == Some(Rights::NONE) {
                return Err(Error::BadArgument);
            }
            at = region.end();
        }
        if at < end {
            return Err(Error::NotMapped);
        }
        let (regions, batch) = (&mut s.regions, &mut s.batch);
        let mut run = Run { va: 0, pages: 0, rights: Rights::NONE };
        let mut at = addr;
        for region in &mut regions[first..] {
            if at >= end {
                break;
            }
            let (lo, n) = ((at - region.start) / PAGE, (end.min(region.end()) - at) / PAGE);
            if region.kind == Kind::Extent {
                // Extent pages change through `extent_protect`, one call per extent.
                if let Some(new) = prot {
                    run.flush(batch)?;
                    crate::sys::extent::protect(at, n, new)?;
                    region.pages[lo as usize..(lo + n) as usize].iter_mut().for_each(|p| p.prot = new.0 as u8);
                }
                at += n * PAGE;
                continue;
            }
            let (max, entries) = (region.max, &mut region.pages[lo as usize..(lo + n) as usize]);
            let mut result = Ok(());
            vm::for_each_entry(at, n, |i, pte| {
                // After a failure nothing more changes (the call fails; the kernel changed none
                // of the pages that follow).
                if result.is_err() {
                    return;
                }
                let entry = &mut entries[i as usize];
                let old = Rights(u64::from(entry.prot));
                let new = prot.unwrap_or(old);
                entry.prot = new.0 as u8;
                let rewrite = old != new || (prot.is_none() && new != Rights::NONE);
                if !entry.backed() || !rewrite {
                    return;
                }
                entry.written |= pte.is_some_and(|e| e & vm::DIRTY != 0); // the rewrite clears it
                let page = at + i * PAGE;
                result = if old != Rights::NONE && new != Rights::NONE {
                    run.add(batch, page, new)
                } else {
                    run.flush(batch).and_then(|()| batch.change(page, entry.slot, max, old, new))
                };
            });
            result?;
            at += n * PAGE;
        }
        run.flush(batch)
    })
}

/// Sets the protection of each listed page (page address, protection): many unrelated pages in one
/// `page_map` call. Checked like [`mprotect`], all before any change.
pub fn protect_pages(changes: &[(u64, Rights)]) -> Result<(), Error> {
    with_state(|s| {
        for &(page, prot) in changes {
            check_prot(prot)?;
            let r = s.find(page).filter(|_| page.is_multiple_of(PAGE)).ok_or(Error::NotMapped)?;
            if !s.regions[r].max.contains(prot) {
                return Err(Error::NoRights);
            }
            if s.regions[r].kind == Kind::Extent && prot == Rights::NONE {
                return Err(Error::BadArgument);
            }
        }
        for &(page, new) in changes {
            let r = s.find(page).ok_or(Error::NotMapped)?;
            let region = &mut s.regions[r];
            let (max, index) = (region.max, ((page - region.start) / PAGE) as usize);
            let entry = &mut region.pages[index];
            let old = Rights(u64::from(entry.prot));
            if region.kind == Kind::Extent {
                if old != new {
                    crate::sys::extent::protect(page, 1, new)?;
                    entry.prot = new.0 as u8;
                }
                continue;
            }
            entry.prot = new.0 as u8;
            if entry.backed() && old != new {
                entry.written |= is_dirty(page); // the rewrite clears the bit
                s.batch.change(page, entry.slot, max, old, new)?;
            }
        }
        Ok(())
    })
}
