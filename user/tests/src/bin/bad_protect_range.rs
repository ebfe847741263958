//! Hostile test of `PROTECT_RANGE` (kernel `bind.rs`): one update that changes a run of pages,
//! all or none, with one check per page against the mapping's ceiling (the capability itself is
//! not looked up again: its mapping record is the cached binding). A run with a hole, a run with a
//! page mapped with fewer rights, an empty or oversized run, runs out of user space or into the
//! kernel's windows, and calls whose pages add up past `MAX_MAP_PAGES` must be refused with
//! nothing changed; a mapping whose capability was revoked must be gone for ranges too. A good
//! run crossing a page-table boundary changes every entry (rights, tags, own slot kept) and the
//! pages can be written once they are writable again. A write to any page of a run made read-only
//! faults, whether the kernel invalidated the TLB page by page or all at once (a long run), even
//! right after the page was written through a writable TLB entry.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use abi::layout::{USER_END, WINDOWS_START};
use abi::{Error, ExceptionFrame, MapUpdate, Rights, ANY_PAGE, MAX_MAP_PAGES};
use core::sync::atomic::{AtomicU64, Ordering};
use exos::sys::syscall::*;
use exos::sys::vm;
use user::Checks;

const PAGE: u64 = 4096;
/// Four pages below a 2 MiB boundary, so a run of 8 spans two last-level tables.
const BASE: u64 = 0x3000_0000 - 4 * PAGE;
/// Where the long run (more pages than the kernel invalidates one by one) goes.
const LONG: u64 = 0x3400_0000;
const LONG_PAGES: u64 = 40;
/// Where the page mapped through a derived capability goes.
const DERIVED: u64 = 0x3100_0000;
const RW: u64 = Rights::READ.0 | Rights::WRITE.0;
const RO: u64 = Rights::READ.0;

fn range(va: u64, pages: u64, rights: u64) -> MapUpdate {
    MapUpdate { op: MapUpdate::PROTECT_RANGE, va, slot: pages, rights }
}

fn map(va: u64, slot: u64, rights: u64) -> MapUpdate {
    MapUpdate { op: MapUpdate::MAP, va, slot, rights }
}

/// Whether each of the `n` pages from `va` is present with writability `writable`.
fn all(va: u64, n: u64, writable: bool) -> bool {
    (0..n).all(|i| vm::translate(va + i * PAGE).is_some_and(|e| (e & vm::WRITABLE != 0) == writable))
}

static FAULTS: AtomicU64 = AtomicU64::new(0);

/// Counts a write fault and makes the page writable again (the write then completes).
fn reopen(frame: &mut ExceptionFrame) -> bool {
    if frame.vector != 14 {
        return false;
    }
    FAULTS.fetch_add(1, Ordering::Relaxed);
    let page = frame.fault_address & !(PAGE - 1);
    sys_page_map(&[MapUpdate { op: MapUpdate::PROTECT, va: page, slot: 0, rights: RW }]) == (1, None)
}

fn poke(va: u64, value: u64) {
    // SAFETY: a page this program mapped (a read-only one faults into `reopen`, which opens it).
    unsafe { core::ptr::write_volatile(va as *mut u64, value) };
}

/// Writes each of the `n` pages from `va`, makes them read-only in one `PROTECT_RANGE` and writes
/// each again: the faults counted, and whether every second write landed.
fn faults_after_protecting(va: u64, n: u64) -> (u64, bool) {
    (0..n).for_each(|i| poke(va + i * PAGE, i));
    let protected = sys_page_map(&[range(va, n, RO)]) == (1, None);
    let before = FAULTS.load(Ordering::Relaxed);
    (0..n).for_each(|i| poke(va + i * PAGE, 0x7700 + i));
    // SAFETY: as `poke` (reading back).
    let landed = (0..n).all(|i| unsafe { core::ptr::read_volatile((va + i * PAGE) as *const u64) } == 0x7700 + i);
    (FAULTS.load(Ordering::Relaxed) - before, protected && landed)
}

fn main() -> i64 {
    let mut c = Checks::new("bad_protect_range");
    let mut slots = [0u64; 9];
    for slot in &mut slots {
        *slot = sys_page_alloc(ANY_PAGE).expect("a page").1;
    }
    let mut maps = [MapUpdate::default(); 9];
    for (i, m) in maps.iter_mut().enumerate() {
        // The ninth page is mapped read-only: its ceiling is READ.
        *m = map(BASE + i as u64 * PAGE, slots[i], if i == 8 { RO } else { RW });
    }
    c.equal("map 9 pages", sys_page_map(&maps), (9, None));

    let tag0 = MapUpdate::TAG0;
    c.equal("protect 8 pages read-only (tagged) in one update", sys_page_map(&[range(BASE, 8, RO | tag0)]), (1, None));
    let entries: [u64; 8] = core::array::from_fn(|i| vm::translate(BASE + i as u64 * PAGE).unwrap_or(0));
    c.check("every entry of the run is read-only, tagged and still names its own slot", entries.iter().zip(slots).all(|(&e, slot)| {
        e & vm::WRITABLE == 0 && e & abi::pte::TAG0 != 0 && abi::pte::own_slot(e) == Some(slot)
    }));

    c.equal("a run reaching a page mapped read-only cannot make it writable", sys_page_map(&[range(BASE, 9, RW)]), (0, Some(Error::NoRights)));
    c.check("... and changed nothing", all(BASE, 9, false));
    c.equal("a run of writable pages", sys_page_map(&[range(BASE, 8, RW)]), (1, None));
    for i in 0..8 {
        // SAFETY: the page was just made writable and this program maps nothing else there.
        unsafe { core::ptr::write_volatile((BASE + i * PAGE) as *mut u64, 0x5a00 + i) };
    }
    // SAFETY: as above (read back).
    let back = (0..8).all(|i| unsafe { core::ptr::read_volatile((BASE + i * PAGE) as *const u64) } == 0x5a00 + i);
    c.check("each page of the run takes a write across the table boundary", back && all(BASE, 8, true));

    // A hole: nothing changes, the first pages included.
    let unmap = MapUpdate { op: MapUpdate::UNMAP, va: BASE + 5 * PAGE, slot: 0, rights: 0 };
    c.equal("unmap page 5", sys_page_map(&[unmap]), (1, None));
    c.equal("a run over a hole", sys_page_map(&[range(BASE, 8, RO)]), (0, Some(Error::NotMapped)));
    c.check("... changed none of the pages before the hole", all(BASE, 5, true));
    c.equal("a run starting at an unmapped page", sys_page_map(&[range(BASE + 5 * PAGE, 2, RO)]), (0, Some(Error::NotMapped)));
    c.equal("a run of pages never mapped", sys_page_map(&[range(0x3200_0000, 4, RO)]), (0, Some(Error::NotMapped)));

    // Malformed runs.
    c.equal("an empty run", sys_page_map(&[range(BASE, 0, RO)]), (0, Some(Error::BadArgument)));
    c.equal("a run past MAX_MAP_PAGES", sys_page_map(&[range(BASE, MAX_MAP_PAGES + 1, RO)]), (0, Some(Error::TooLong)));
    c.equal("a run of u64::MAX pages", sys_page_map(&[range(BASE, u64::MAX, RO)]), (0, Some(Error::TooLong)));
    let two = [range(BASE, 4, RO), range(0x4000_0000, MAX_MAP_PAGES - 3, RO)];
    c.equal("runs adding up past MAX_MAP_PAGES in one call", sys_page_map(&two), (0, Some(Error::TooLong)));
    c.check("... applied none of them", all(BASE, 5, true));
    c.equal("a run past the end of user space", sys_page_map(&[range(USER_END - 2 * PAGE, 4, RO)]), (0, Some(Error::BadAddress)));
    c.equal("a run into the kernel's windows", sys_page_map(&[range(WINDOWS_START - PAGE, 2, RO)]), (0, Some(Error::BadAddress)));
    c.equal("a run without READ", sys_page_map(&[range(BASE, 2, Rights::WRITE.0)]), (0, Some(Error::BadArgument)));
    c.equal("a run with GRANT", sys_page_map(&[range(BASE, 2, RW | Rights::GRANT.0)]), (0, Some(Error::BadArgument)));
    c.check("after all of those the first pages are unchanged", all(BASE, 5, true));

    // A mapping made through a derived capability goes when the capability is revoked: a run over
    // it must not find it (the kernel does not look the capability up again).
    let me = exos::proc::process::id();
    let derived = sys_cap_grant(slots[0], me, Rights(RW));
    c.check("derive a capability for my own page", derived.is_ok());
    let derived = derived.unwrap_or(0);
    c.equal("map it a second time through the derived capability", sys_page_map(&[map(DERIVED, derived, RW)]), (1, None));
    c.equal("a run over it works while the capability lives", sys_page_map(&[range(DERIVED, 1, RO)]), (1, None));
    c.equal("revoke what was derived from the page", sys_cap_revoke(slots[0]), Ok(1));
    c.equal("the revoked capability's mapping is gone", vm::translate(DERIVED), None);
    c.equal("a run over it is refused", sys_page_map(&[range(DERIVED, 1, RW)]), (0, Some(Error::NotMapped)));
    c.equal("a single PROTECT too", sys_page_map(&[MapUpdate { op: MapUpdate::PROTECT, va: DERIVED, slot: 0, rights: RW }]), (0, Some(Error::NotMapped)));
    c.check("the root's own mapping stays", all(BASE, 1, true));

    // The TLB: entries cached writable must go, page by page for a short run, all at once for a
    // long one.
    c.equal("a fault handler", exos::rt::exception::set_handler(reopen), Ok(()));
    c.equal("a short run made read-only faults on every page", faults_after_protecting(BASE, 4), (4, true));
    let mut long = [MapUpdate::default(); LONG_PAGES as usize];
    for (i, m) in long.iter_mut().enumerate() {
        *m = map(LONG + i as u64 * PAGE, sys_page_alloc(ANY_PAGE).expect("a page").1, RW);
    }
    c.equal("map a long run", sys_page_map(&long), (LONG_PAGES, None));
    c.equal("a long run made read-only faults on every page", faults_after_protecting(LONG, LONG_PAGES), (LONG_PAGES, true));
    c.finish()
}

exos::main!(main);
