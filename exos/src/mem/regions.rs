//! The region list: regions (a page range with a ceiling and, per page, its capability slot and
//! protection), the list behind its try-only lock ([`with_state`]), placement of new regions in
//! `layout::MMAP`, and the batch of `page_map` updates the calls over it build. The calls
//! themselves are `mmap.rs`, `protect.rs` and `share.rs`; `reclaim.rs` walks the list too.
use crate::layout;
use exoscore::batch::Updates;
use exoscore::place::{self, Placer};
use crate::sys::syscall::{sys_page_alloc, sys_page_map};
use crate::sys::vm;
use abi::{Error, ExceptionFrame, MapUpdate, Rights, ANY_PAGE};
use alloc::vec::Vec;
use spin::Mutex;

/// The page size.
pub const PAGE: u64 = 4096;
/// The largest region, in bytes (its bookkeeping is 4 bytes a page).
pub const MAX_REGION: u64 = 1 << 30;
/// The largest extent region (`Kind::Extent`), in bytes: what `sys::extent` can hold
/// (`MAX_EXTENTS` extents of `abi::MAX_EXTENT_PAGES` pages).
pub const MAX_EXTENT_REGION: u64 = crate::sys::extent::MAX_EXTENTS as u64 * abi::MAX_EXTENT_PAGES * PAGE / 2;
/// The most updates the library sends in one `page_map` call (the kernel's `MAX_MAP_BATCH`).
pub const BATCH: usize = abi::MAX_MAP_BATCH as usize;

/// The kind of access that faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    Execute,
}

/// A protection fault on a region page, as its handler sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The address the access touched.
    pub address: u64,
    /// Its page.
    pub page: u64,
    pub access: Access,
    /// The page's protection when it faulted.
    pub prot: Rights,
    /// The start of the region.
    pub region: u64,
}

/// A region's protection-fault handler. It runs on the exception stack (it must not fault itself)
/// and may call [`mprotect`] and the other functions here. Returning `true` resumes the faulting
/// instruction at `frame.rip` (which faults again if the access is still forbidden); `false` leaves
/// the fault unhandled (the program ends unless a later handler takes it).
pub type FaultHandler = fn(&Fault, &mut ExceptionFrame) -> bool;

/// Where a region's pages come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Demand-zero pages, allocated on first touch; freed by `munmap`.
    Anonymous,
    /// Pages allocated at creation, so they can be granted or mapped elsewhere; freed by `munmap`
    /// (which takes them away from everyone they were given to).
    Shared,
    /// Pages named by capabilities another environment granted (`share::attach`); `munmap` unmaps them
    /// only (the kernel has no call to drop a granted capability, so the slots stay in use).
    Attached,
    /// Pages from extents (`sys::extent`), all allocated and mapped at creation with 2 MiB pages
    /// where the range allows (a few system calls for any size); `munmap` unmaps them and frees
    /// each extent once none of its pages is mapped. Unmapping or protecting part of a 2 MiB page
    /// is refused (`SplitsHugePage`), and so is protection `NONE` (`BadArgument`: unmap instead).
    /// `fork` gives the child copies of their pages as ordinary pages (an anonymous region there).
    Extent,
}

/// One page of a region: its capability slot (`NO_SLOT` until it has a page), protection, and
/// whether it may hold data its dirty bit no longer shows (a rewrite of its entry cleared the bit
/// after a write): `reclaim` never gives such a page back.
#[derive(Clone, Copy)]
pub(crate) struct Page {
    pub(crate) slot: u16,
    pub(crate) prot: u8,
    pub(crate) written: bool,
}

pub(crate) const NO_SLOT: u16 = u16::MAX;

impl Page {
    pub(crate) fn backed(self) -> bool {
        self.slot != NO_SLOT
    }
}

pub(crate) struct Region {
    pub(crate) start: u64,
    pub(crate) pages: Vec<Page>,
    pub(crate) max: Rights,
    pub(crate) kind: Kind,
    pub(crate) handler: Option<FaultHandler>,
}

impl Region {
    pub(crate) fn end(&self) -> u64 {
        self.start + self.pages.len() as u64 * PAGE
    }

    fn span(&self) -> core::ops::Range<u64> {
        self.start..self.end()
    }

    /// A region like this one (same ceiling, kind and handler) over other pages.
    pub(crate) fn like(&self, start: u64, pages: Vec<Page>) -> Region {
        Region { start, pages, max: self.max, kind: self.kind, handler: self.handler }
    }
}

/// What a region looks like from outside: `mmap::region`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegionInfo {
    pub start: u64,
    pub len: u64,
    pub max: Rights,
    pub kind: Kind,
    /// Pages that have a physical page (for anonymous regions: those touched so far).
    pub resident: u64,
}

/// `page_map` updates waiting to be sent, at most [`BATCH`] per call (runs of protection changes
/// merged into ranges).
pub(crate) struct Batch(Updates<BATCH>);

impl Batch {
    pub(crate) fn push(&mut self, op: u64, va: u64, slot: u16, rights: Rights) -> Result<(), Error> {
        self.send(MapUpdate { op, va, slot: u64::from(slot), rights: rights.0 })
    }

    /// A `PROTECT` of `pages` consecutive mapped pages from `va` to `rights`.
    pub(crate) fn protect_range(&mut self, va: u64, pages: u64, rights: Rights) -> Result<(), Error> {
        self.send(MapUpdate { op: MapUpdate::PROTECT_RANGE, va, slot: pages, rights: rights.0 })
    }

    /// Adds `update`, sending what is waiting first when it does not fit.
    fn send(&mut self, update: MapUpdate) -> Result<(), Error> {
        if !self.0.push(update) {
            self.flush()?;
            if !self.0.push(update) {
                return Err(Error::TooLong);
            }
        }
        Ok(())
    }

    /// The updates that take page `va` (slot `slot`, ceiling `max`) from protection `old` to `new`.
    pub(crate) fn change(&mut self, va: u64, slot: u16, max: Rights, old: Rights, new: Rights) -> Result<(), Error> {
        match (old == Rights::NONE, new == Rights::NONE) {
            (true, true) => Ok(()),
            (false, true) => self.push(MapUpdate::UNMAP, va, 0, Rights::NONE),
            (true, false) => {
                self.push(MapUpdate::MAP, va, slot, max)?;
                if new != max { self.push(MapUpdate::PROTECT, va, 0, new) } else { Ok(()) }
            }
            (false, false) => self.push(MapUpdate::PROTECT, va, 0, new),
        }
    }

    fn flush(&mut self) -> Result<(), Error> {
        if self.0.is_empty() {
            return Ok(());
        }
        let (_, failure) = sys_page_map(self.0.as_slice());
        self.0.clear();
        failure.map_or(Ok(()), Err)
    }
}

pub(crate) struct State {
    /// Sorted by start, never overlapping.
    pub(crate) regions: Vec<Region>,
    /// Where the next region without an address goes (`exoscore::place`).
    placer: Placer,
    pub(crate) batch: Batch,
}

pub(crate) static STATE: Mutex<State> = Mutex::new(State {
    regions: Vec::new(),
    placer: Placer::new(layout::MMAP),
    batch: Batch(Updates::new()),
});

/// The bytes of the region list with its lock and batch (a handler must find all their pages
/// writable before trying the lock: they span more than one page).
pub(crate) fn state_bytes() -> core::ops::Range<u64> {
    let start = &raw const STATE as u64;
    start..start + core::mem::size_of_val(&STATE) as u64
}

/// Runs `f` on the region list; `Busy` if it is in use (a handler interrupted the library).
pub(crate) fn with_state<T>(f: impl FnOnce(&mut State) -> Result<T, Error>) -> Result<T, Error> {
    let mut state = STATE.try_lock().ok_or(Error::Busy)?;
    let result = f(&mut state);
    let flushed = state.batch.flush();
    result.and_then(|value| flushed.map(|()| value))
}

impl State {
    /// The index of the region holding `addr`.
    pub(crate) fn find(&self, addr: u64) -> Option<usize> {
        place::find(&self.regions, addr, Region::span)
    }

    /// Whether `[start, end)` is free of regions.
    fn is_free(&self, start: u64, end: u64) -> bool {
        place::is_free(&self.regions, start..end, Region::span)
    }

    pub(crate) fn insert(&mut self, region: Region) -> u64 {
        let start = region.start;
        let i = place::insertion_point(&self.regions, start, Region::span);
        self.regions.insert(i, region);
        start
    }

    /// Places `pages` pages at `addr` or at the next free address; checks the range.
    pub(crate) fn place(&mut self, addr: Option<u64>, pages: u64) -> Result<u64, Error> {
        self.place_aligned(addr, pages, PAGE)
    }

    /// As [`State::place`], a chosen start being a multiple of `align` bytes.
    pub(crate) fn place_aligned(&mut self, addr: Option<u64>, pages: u64, align: u64) -> Result<u64, Error> {
        let len = pages * PAGE;
        let start = self.placer.place_aligned(addr, pages, align)?;
        let taken = (0..pages).any(|i| vm::translate(start + i * PAGE).is_some());
        if !self.is_free(start, start + len) || taken {
            return Err(Error::AlreadyMapped);
        }
        Ok(start)
    }

    /// Gives page `index` of region `r` a fresh zeroed page, mapped with its protection.
    pub(crate) fn demand_zero(&mut self, r: usize, index: usize) -> Result<(), Error> {
        let (_, slot) = sys_page_alloc(ANY_PAGE)?;
        let region = &mut self.regions[r];
        let va = region.start + index as u64 * PAGE;
        let page = &mut region.pages[index];
        page.slot = slot as u16;
        let (max, prot) = (region.max, Rights(u64::from(page.prot)));
        self.batch.change(va, slot as u16, max, Rights::NONE, prot)?;
        self.batch.flush()
    }
}

/// The protection `prot` is one a page can have: `NONE`, or `READ` with `WRITE`/`EXECUTE`.
pub(crate) fn check_prot(prot: Rights) -> Result<(), Error> {
    let valid = prot.is_valid() && !prot.contains(Rights::GRANT);
    if !valid || (prot != Rights::NONE && !prot.contains(Rights::READ)) {
        return Err(Error::BadArgument);
    }
    Ok(())
}

