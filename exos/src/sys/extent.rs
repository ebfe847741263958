//! Large memory from extents: physically contiguous ranges the kernel allocates in one call
//! (`extent_alloc`) and maps in one call (`extent_map`), with 2 MiB pages where the range allows.
//! Allocating and mapping 1 GiB this way takes 64 system calls instead of 262,144 `page_alloc`s
//! and their `page_map` updates.
//!
//! Policy (the kernel only checks): a range is cut into chunks, each one extent mapped whole at its
//! place: 4 KiB-page chunks up to the first 2 MiB boundary, then 2 MiB-aligned chunks of up to
//! `MAX_EXTENT_PAGES` (32 MiB) allocated 2 MiB-aligned and mapped with 2 MiB pages, then the
//! tail with 4 KiB pages. Every extent is recorded here (a fixed table, no heap: the heap grows
//! through this module) with the pages of it still mapped; when none is left, it is freed.
//!
//! Users: `mmap`'s extent regions (`Spec::extent`), the heap's large growths (`rt::heap`), and
//! `exec` (which unmaps and frees every extent in its table of calls, `extent_unmap`s and
//! `extent_free`s) and `fork` (extent mappings carry no `OWN_SLOT`, so `fork` copies their pages
//! into the child as the child's own pages; the child forgets the parent's extents, [`after_fork`]).
use crate::sys::syscall::{sys_extent_alloc, sys_extent_free, sys_extent_map, sys_extent_protect, sys_extent_unmap};
use abi::{Error, Rights, EXTENT_HUGE, HUGE_PAGES, SELF_ENV};
use spin::Mutex;

const PAGE: u64 = 4096;

/// The most extents a process holds at once (4 GiB in 32 MiB chunks; the table is in every
/// program's bss, 4 KiB).
pub const MAX_EXTENTS: usize = 128;

/// One extent, mapped whole at `va` when it was made; `mapped` of its pages are still mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extent {
    pub va: u64,
    pub pages: u64,
    pub slot: u64,
    /// How many of its pages are still mapped (`huge`: with 2 MiB pages).
    pub mapped: u64,
    pub huge: bool,
}

impl Extent {
    pub fn end(&self) -> u64 {
        self.va + self.pages * PAGE
    }
}

/// The extents, sorted by address (they never overlap), in `items[..len]`.
struct Table {
    items: [Extent; MAX_EXTENTS],
    len: usize,
}

const NONE: Extent = Extent { va: 0, pages: 0, slot: 0, mapped: 0, huge: false };

static TABLE: Mutex<Table> = Mutex::new(Table { items: [NONE; MAX_EXTENTS], len: 0 });

impl Table {
    fn all(&self) -> &[Extent] {
        &self.items[..self.len]
    }

    fn insert(&mut self, extent: Extent) {
        let at = self.all().partition_point(|e| e.va < extent.va);
        self.items.copy_within(at..self.len, at + 1);
        self.items[at] = extent;
        self.len += 1;
    }

    fn remove(&mut self, at: usize) {
        self.items.copy_within(at + 1..self.len, at);
        self.len -= 1;
    }

    /// The index range of the extents overlapping `[va, end)`.
    fn overlapping(&self, va: u64, end: u64) -> core::ops::Range<usize> {
        let from = self.all().partition_point(|e| e.end() <= va);
        let to = self.all().partition_point(|e| e.va < end);
        from..to.max(from)
    }
}

pub use exoscore::extent::chunks;

/// Allocates and maps `[va, va + pages * 4096)` (page-aligned, free) with `rights`, from
/// extents; all or nothing (what was done is undone on a failure, whose error is returned).
pub fn map(va: u64, pages: u64, rights: Rights) -> Result<(), Error> {
    if !va.is_multiple_of(PAGE) || pages == 0 {
        return Err(Error::BadArgument);
    }
    let mut table = TABLE.lock();
    if chunks(va, pages).count() > MAX_EXTENTS - table.len {
        return Err(Error::QuotaExceeded);
    }
    for (at, n, huge) in chunks(va, pages) {
        if let Err(e) = map_chunk(&mut table, at, n, huge, rights) {
            drop(table);
            let _ = unmap(va, (at - va) / PAGE);
            return Err(e);
        }
    }
    Ok(())
}

/// One extent of `pages` mapped at `at`.
fn map_chunk(table: &mut Table, at: u64, pages: u64, huge: bool, rights: Rights) -> Result<(), Error> {
    let (_, slot) = sys_extent_alloc(pages, if huge { HUGE_PAGES } else { 1 })?;
    let flags = rights.0 | if huge { EXTENT_HUGE } else { 0 };
    if let Err(e) = sys_extent_map(SELF_ENV, slot, at, 0, pages, flags) {
        let _ = sys_extent_free(slot);
        return Err(e);
    }
    table.insert(Extent { va: at, pages, slot, mapped: pages, huge });
    Ok(())
}

/// Unmaps the extent pages of `[va, va + pages * 4096)` (pages of no extent are skipped) and frees
/// each extent none of whose pages stay mapped. A range that ends inside a 2 MiB page changes
/// nothing (`SplitsHugePage`); otherwise the first failure is returned and the rest go on.
pub fn unmap(va: u64, pages: u64) -> Result<(), Error> {
    let end = va + pages * PAGE;
    let mut table = TABLE.lock();
    // A cut inside a 2 MiB page is refused before anything changes.
    let huge = HUGE_PAGES * PAGE;
    let splits = |e: &Extent| e.huge && [va, end].iter().any(|&edge| e.va < edge && edge < e.end() && !edge.is_multiple_of(huge));
    let range = table.overlapping(va, end);
    if table.all()[range.clone()].iter().any(splits) {
        return Err(Error::SplitsHugePage);
    }
    let mut result = Ok(());
    let mut i = range.start;
    let mut stop = range.end;
    while i < stop {
        let extent = &mut table.items[i];
        let (lo, hi) = (extent.va.max(va), extent.end().min(end));
        let n = (hi - lo) / PAGE;
        match sys_extent_unmap(SELF_ENV, lo, n) {
            Ok(()) => extent.mapped -= n.min(extent.mapped),
            // Pages already unmapped (a second unmap of a range): nothing to do.
            Err(Error::NotMapped) => {}
            Err(e) => result = result.and(Err(e)),
        }
        if extent.mapped == 0 {
            let slot = extent.slot;
            table.remove(i);
            stop -= 1;
            result = result.and(sys_extent_free(slot).map(drop));
        } else {
            i += 1;
        }
    }
    result
}

/// Sets the protection of the extent pages of `[va, va + pages * 4096)` to `rights` (which must
/// not be `NONE`: unmap instead).
pub fn protect(va: u64, pages: u64, rights: Rights) -> Result<(), Error> {
    let end = va + pages * PAGE;
    let table = TABLE.lock();
    for extent in &table.all()[table.overlapping(va, end)] {
        let (lo, hi) = (extent.va.max(va), extent.end().min(end));
        sys_extent_protect(SELF_ENV, lo, (hi - lo) / PAGE, rights)?;
    }
    Ok(())
}

/// Whether `va` lies in an extent of this process.
pub fn contains(va: u64) -> bool {
    let table = TABLE.lock();
    !table.overlapping(va, va + 1).is_empty()
}

/// Calls `f` with each extent (for `exec`'s table of calls).
pub fn for_each(mut f: impl FnMut(&Extent)) {
    for extent in TABLE.lock().all() {
        f(extent);
    }
}

/// How many extents this process holds.
pub fn count() -> usize {
    TABLE.lock().len
}

/// In a child right after `fork`: the parent's extents are not the child's (it got copies of their
/// pages as pages of its own), so the table starts empty.
pub fn after_fork() {
    TABLE.lock().len = 0;
}
