//! Virtual memory managed by the library: the region list, `mmap`-like demand-zero regions, shared
//! regions another environment can map too, `munmap`, `mprotect` (batched `page_map` updates),
//! dirty queries through the self-map, and per-region handlers for protection faults.
//!
//! The kernel only binds pages it is told to bind; everything here is library policy. A region is
//! a range of pages with a ceiling (`max`: the most rights any of its pages may ever have) and, per
//! page, the capability slot of its physical page (if it has one yet) and its current protection.
//!
//! - **Anonymous** regions ([`mmap`], [`Spec::anonymous`]) hold no page until one is touched: the
//!   fault reaches [`handle_fault`], which allocates a zeroed page (`page_alloc`), and maps it with
//!   the region's ceiling and then its protection in one `page_map` call (the kernel never lets a
//!   `PROTECT` exceed the rights a page was mapped with, so pages are always mapped at the ceiling).
//! - **Shared** regions ([`Spec::shared`]) get every page at once, so their capabilities can be
//!   handed to another environment ([`grant`]) or their pages mapped straight into a child
//!   ([`map_into`]). Another environment builds a region over granted capabilities with [`attach`].
//! - Protection `Rights::NONE` unmaps a page but keeps it; giving rights back maps it again.
//! - A protection fault (an access the page's protection forbids) goes to the region's
//!   [`FaultHandler`] ([`set_fault_handler`]), which may change protections and resume.
//!
//! [`handle_fault`] is a plain function with the signature of `exception::Handler`: a program that
//! has no exception handler gets it installed by the first region it creates; a program with its
//! own handler (or a library layer such as copy-on-write) calls it and goes on when it returns
//! `false`. The region list is behind a lock that is only ever tried: a call that finds it taken
//! (from an exception handler that interrupted the library itself) fails with `Error::Busy`
//! instead of deadlocking, and a fault that finds it taken is not handled.
pub use crate::mem::regions::{Access, Fault, FaultHandler, Kind, RegionInfo, BATCH, MAX_EXTENT_REGION, MAX_REGION, PAGE};
use crate::mem::regions::{check_prot, state_bytes, with_state, Page, Region, NO_SLOT, STATE};
use crate::sys::syscall::{sys_page_alloc, sys_page_free};
pub use crate::mem::protect::{clean, is_dirty, mprotect, protect_pages};
pub use crate::mem::share::{attach, grant, map_into};
use abi::{Error, ExceptionFrame, MapUpdate, Rights, ANY_PAGE};

/// Where the library places regions created without an address (one unmapped guard page is left
/// between any two).
pub use crate::layout::MMAP_BASE;
/// The end of the area regions are placed in.
pub use crate::layout::MMAP_END;

/// What [`map`] creates: `Spec::anonymous(len, prot)` or `Spec::shared(len, prot)`, optionally
/// `.at(address)`, `.max(rights)` and `.handler(f)`.
#[derive(Clone, Copy)]
pub struct Spec {
    /// A fixed, page-aligned address, or `None` to let the library choose.
    pub addr: Option<u64>,
    /// Bytes, rounded up to whole pages.
    pub len: u64,
    /// The initial protection of every page.
    pub prot: Rights,
    /// The ceiling: `mprotect` can never give a page rights beyond it.
    pub max: Rights,
    pub kind: Kind,
    pub handler: Option<FaultHandler>,
}

impl Spec {
    /// A demand-zero region whose ceiling is `prot` plus `READ`.
    pub const fn anonymous(len: u64, prot: Rights) -> Spec {
        Spec { addr: None, len, prot, max: Rights(prot.0 | Rights::READ.0), kind: Kind::Anonymous, handler: None }
    }

    /// A region whose pages exist from the start, so they can be shared.
    pub const fn shared(len: u64, prot: Rights) -> Spec {
        Spec { kind: Kind::Shared, ..Spec::anonymous(len, prot) }
    }

    /// A region whose pages exist from the start, from physically contiguous extents mapped with
    /// 2 MiB pages where the range allows (`sys::extent`): large memory in a few system calls.
    /// Its protection may not be `NONE`.
    pub const fn extent(len: u64, prot: Rights) -> Spec {
        Spec { kind: Kind::Extent, ..Spec::anonymous(len, prot) }
    }

    /// At this address instead of one the library chooses.
    pub const fn at(self, addr: u64) -> Spec {
        Spec { addr: Some(addr), ..self }
    }

    /// With this ceiling (it must contain `prot` and `READ`).
    pub const fn max(self, max: Rights) -> Spec {
        Spec { max, ..self }
    }

    /// With this protection-fault handler.
    pub const fn handler(self, handler: FaultHandler) -> Spec {
        Spec { handler: Some(handler), ..self }
    }
}

/// Whole pages in `len` bytes, for a region of `kind` (`TooLong` past [`MAX_REGION`], or
/// [`MAX_EXTENT_REGION`] for an extent region; `BadArgument` for 0).
fn page_count(len: u64, kind: Kind) -> Result<u64, Error> {
    let max = if kind == Kind::Extent { MAX_EXTENT_REGION } else { MAX_REGION };
    match len {
        0 => Err(Error::BadArgument),
        l if l > max => Err(Error::TooLong),
        l => Ok(l.div_ceil(PAGE)),
    }
}

/// Installs [`handle_fault`] as the program's exception handler if it has none.
pub(crate) fn ensure_handler() -> Result<(), Error> {
    if crate::rt::exception::handler().is_none() { install() } else { Ok(()) }
}

/// Makes [`handle_fault`] the program's exception handler (on the library's exception stack).
pub fn install() -> Result<(), Error> {
    crate::rt::exception::set_handler(handle_fault)
}

/// Creates a demand-zero region of `len` bytes with protection `prot` (`READ`, `READ|WRITE`, ...;
/// its ceiling is `prot` plus `READ`); returns its address. No page is allocated until touched.
pub fn mmap(len: u64, prot: Rights) -> Result<u64, Error> {
    map(Spec::anonymous(len, prot))
}

/// Creates the region `spec` describes; returns its address. Errors: `BadArgument` (a bad length
/// or protection, or `prot` beyond `max`), `TooLong` (over [`MAX_REGION`]), `BadAddress` (a fixed
/// address that is unaligned or not user space), `AlreadyMapped` (it overlaps a region or a mapped
/// page), and for shared regions whatever `page_alloc` and `page_map` answer (nothing is left
/// behind on failure).
pub fn map(spec: Spec) -> Result<u64, Error> {
    let pages = page_count(spec.len, spec.kind)?;
    check_prot(spec.prot)?;
    check_prot(spec.max)?;
    if !spec.max.contains(spec.prot) || !spec.max.contains(Rights::READ) || spec.kind == Kind::Attached {
        return Err(Error::BadArgument);
    }
    if spec.kind == Kind::Extent && spec.prot == Rights::NONE {
        return Err(Error::BadArgument);
    }
    ensure_handler()?;
    crate::mem::reclaim::install_default();
    let prot = spec.prot.0 as u8;
    let start = with_state(|s| {
        // Extent regions start on a 2 MiB boundary when the library chooses, for 2 MiB pages.
        let align = if spec.kind == Kind::Extent { abi::HUGE_PAGES * PAGE } else { PAGE };
        let start = s.place_aligned(spec.addr, pages, align)?;
        let page = Page { slot: NO_SLOT, prot, written: false };
        let region = Region { start, pages: alloc::vec![page; pages as usize], max: spec.max, kind: spec.kind, handler: spec.handler };
        Ok(s.insert(region))
    })?;
    if spec.kind == Kind::Shared
        && let Err(e) = populate(start)
    {
        let _ = munmap(start, pages * PAGE);
        return Err(e);
    }
    if spec.kind == Kind::Extent
        && let Err(e) = crate::sys::extent::map(start, pages, spec.prot)
    {
        // Nothing is mapped (all or nothing): only the region goes.
        let _ = with_state(|s| {
            let r = s.find(start).ok_or(Error::NotMapped)?;
            s.regions.remove(r);
            Ok(())
        });
        return Err(e);
    }
    Ok(start)
}

/// Gives every page of the (shared) region at `start` its physical page now.
fn populate(start: u64) -> Result<(), Error> {
    with_state(|s| {
        let r = s.find(start).ok_or(Error::NotMapped)?;
        for index in 0..s.regions[r].pages.len() {
            let (_, slot) = sys_page_alloc(ANY_PAGE)?;
            let region = &mut s.regions[r];
            let page = &mut region.pages[index];
            page.slot = slot as u16;
            let (va, max, prot) = (region.start + index as u64 * PAGE, region.max, Rights(u64::from(page.prot)));
            s.batch.change(va, slot as u16, max, Rights::NONE, prot)?;
        }
        Ok(())
    })
}

/// Removes every region page in `[addr, addr + len)` (pages outside regions are ignored; regions
/// are split as needed): their pages are freed (`page_free`, which also takes them from every
/// environment they were granted to), or for attached regions unmapped. `BadArgument` for an
/// unaligned `addr` or a zero `len`. All pages are released even if one fails (its error is
/// returned).
pub fn munmap(addr: u64, len: u64) -> Result<(), Error> {
    if !addr.is_multiple_of(PAGE) || len == 0 {
        return Err(Error::BadArgument);
    }
    let end = addr.checked_add(len).and_then(|e| e.checked_next_multiple_of(PAGE)).unwrap_or(!(PAGE - 1));
    with_state(|s| {
        let mut first_error = Ok(());
        for mut r in core::mem::take(&mut s.regions) {
            let (start, stop) = (r.start, r.end());
            if stop <= addr || start >= end {
                s.regions.push(r);
                continue;
            }
            let (lo, hi) = (start.max(addr), stop.min(end));
            if r.kind == Kind::Extent
                && let Err(e) = crate::sys::extent::unmap(lo, (hi - lo) / PAGE)
            {
                // Part of a 2 MiB page: nothing of this region changes.
                first_error = first_error.and(Err(e));
                s.regions.push(r);
                continue;
            }
            let after = r.pages.split_off(((hi - start) / PAGE) as usize);
            let removed = r.pages.split_off(((lo - start) / PAGE) as usize);
            for (i, page) in removed.iter().enumerate().filter(|(_, p)| p.backed()) {
                let result = match r.kind {
                    Kind::Attached if page.prot == 0 => Ok(()),
                    Kind::Attached => s.batch.push(MapUpdate::UNMAP, lo + i as u64 * PAGE, 0, Rights::NONE),
                    _ => sys_page_free(u64::from(page.slot)),
                };
                first_error = first_error.and(result);
            }
            if !after.is_empty() {
                let tail = r.like(hi, after);
                if !r.pages.is_empty() {
                    s.regions.push(r);
                }
                s.regions.push(tail);
            } else if !r.pages.is_empty() {
                s.regions.push(r);
            }
        }
        first_error
    })
}

/// In a child right after `fork`: its extent regions hold copies of the parent's pages as pages of
/// its own (`fork` copied them), so they become anonymous regions over those pages.
pub fn after_fork() {
    let _ = with_state(|s| {
        for region in s.regions.iter_mut().filter(|r| r.kind == Kind::Extent) {
            region.kind = Kind::Anonymous;
            let start = region.start;
            for (i, page) in region.pages.iter_mut().enumerate() {
                page.slot = crate::sys::vm::own_slot(start + i as u64 * PAGE).map_or(NO_SLOT, |slot| slot as u16);
            }
        }
        Ok(())
    });
}

/// Sets (or with `None` removes) the protection-fault handler of the region holding `addr`.
pub fn set_fault_handler(addr: u64, handler: Option<FaultHandler>) -> Result<(), Error> {
    with_state(|s| {
        let r = s.find(addr).ok_or(Error::NotMapped)?;
        s.regions[r].handler = handler;
        Ok(())
    })
}

/// The protection of the page holding `addr`, if it is in a region.
pub fn protection(addr: u64) -> Option<Rights> {
    with_state(|s| {
        let r = s.find(addr).ok_or(Error::NotMapped)?;
        let region = &s.regions[r];
        Ok(Rights(u64::from(region.pages[((addr - region.start) / PAGE) as usize].prot)))
    })
    .ok()
}

/// The region holding `addr`, if any.
pub fn region(addr: u64) -> Option<RegionInfo> {
    with_state(|s| {
        let r = &s.regions[s.find(addr).ok_or(Error::NotMapped)?];
        let resident = r.pages.iter().filter(|p| p.backed()).count() as u64;
        Ok(RegionInfo { start: r.start, len: r.end() - r.start, max: r.max, kind: r.kind, resident })
    })
    .ok()
}

/// The page-fault side of the region list, with the signature of `exception::Handler`: returns
/// `true` when it handled the exception (the faulting code resumes), `false` when it is not a
/// page fault on a region page it can resolve. It gives an untouched anonymous page its zeroed
/// page, and passes an access the page's protection forbids to the region's [`FaultHandler`].
pub fn handle_fault(frame: &mut ExceptionFrame) -> bool {
    const WRITE: u64 = 1 << 1;
    const FETCH: u64 = 1 << 4;
    if frame.vector != 14 {
        return false;
    }
    let address = frame.fault_address;
    let access = match frame.error_code {
        e if e & FETCH != 0 => Access::Execute,
        e if e & WRITE != 0 => Access::Write,
        _ => Access::Read,
    };
    // In a forked process the region list may still be copy-on-write.
    crate::mem::cow::prepare_write(state_bytes());
    let (fault, handler) = 'locked: {
        let Some(mut s) = STATE.try_lock() else { return false };
        let Some(r) = s.find(address) else { return false };
        let region = &s.regions[r];
        let index = ((address - region.start) / PAGE) as usize;
        let page = region.pages[index];
        let prot = Rights(u64::from(page.prot));
        let needed = match access {
            Access::Read => Rights::READ,
            Access::Write => Rights::WRITE,
            Access::Execute => Rights::EXECUTE,
        };
        if prot.contains(needed) && prot != Rights::NONE {
            if page.backed() || region.kind != Kind::Anonymous {
                return false; // mapped as allowed, yet it faulted: the page was taken away
            }
            match s.demand_zero(r, index) {
                Ok(()) => {
                    crate::mem::reclaim::got_memory();
                    return true;
                }
                // Out of pages: handled below, with the region list unlocked.
                Err(Error::NoMemory) => break 'locked (None, None),
                Err(e) => {
                    crate::println!("exos: mmap: no page for {address:#x}: {e}");
                    return false;
                }
            }
        }
        let fault = Fault { address, page: address & !(PAGE - 1), access, prot, region: region.start };
        (Some(fault), region.handler)
    };
    let Some(fault) = fault else {
        // The kernel asked another environment for pages; answer a request against this one,
        // make room from its own clean pages, or wait, and fault again (`reclaim`).
        if crate::mem::reclaim::on_no_memory() {
            return true;
        }
        crate::println!("exos: mmap: no page for {address:#x}: {}", Error::NoMemory);
        return false;
    };
    handler.is_some_and(|h| h(&fault, frame))
}
