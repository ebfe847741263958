//! Hostile test of extents (kernel `syscall/extent.rs`, `extent.rs`, `kcore::extent`): every check
//! the kernel makes on `extent_alloc`, `extent_map`, `extent_unmap`, `extent_protect` and
//! `extent_free`, and on the other calls an extent capability could be slipped into. Each refused
//! call must change nothing (the mappings and memory around it are read back).
//!
//! - `bad_extent_huge_beyond`: a 2 MiB page over an extent of one page (the other 511 pages are not
//!   the caller's), or over the end of a larger one;
//! - `bad_extent_misaligned`: 2 MiB pages at an unaligned virtual address, from an unaligned
//!   physical page, or for a count that is not whole 2 MiB pages;
//! - `bad_extent_free_mapped`: freeing an extent that is still mapped (directly or through a
//!   capability granted from it), or through a granted capability;
//! - `bad_extent_part`: granting, giving, mapping or freeing an extent page by page (`page_map`
//!   `GRANT_MAP`/`GIVE_MAP`/`MAP`, `page_free`), unmapping or protecting part of a 2 MiB page, and
//!   unmapping an extent page with `page_map`;
//! - `bad_extent_args`: sizes, alignments, rights, addresses and quotas out of range, maps over
//!   mapped pages, rights beyond the capability's, revoked capabilities.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::layout::{PAGE_SIZE as PAGE, USER_END, WINDOWS_START};
use abi::{Error, MapUpdate, Rights, EXTENT_HUGE, HUGE_PAGES, MAX_EXTENT_PAGES, SELF_ENV};
use exos::sys::syscall::*;
use exos::sys::vm;
use user::{page_word, set_page_word, Checks};

const HUGE: u64 = HUGE_PAGES * PAGE;
const RW: u64 = Rights::READ.0 | Rights::WRITE.0;
const RO: u64 = Rights::READ.0;
/// Where the test maps its extents (2 MiB-aligned slots of 4 MiB).
const AREA: u64 = 0x4000_0000;

fn va(slot: u64) -> u64 {
    AREA + slot * 2 * HUGE
}

/// Whether every page of `[at, at + pages)` maps the frames from `pa` on, in order.
fn maps(at: u64, pages: u64, pa: u64) -> bool {
    (0..pages).all(|i| vm::physical(at + i * PAGE) == Some(pa + i * PAGE))
}

fn main() -> i64 {
    let mut c = Checks::new("bad_extents");
    user::install_probes();
    let me = exos::proc::process::id() as u32;

    // --- bad_extent_args: the allocation's arguments.
    c.equal("0 pages", sys_extent_alloc(0, 1), Err(Error::BadArgument));
    c.equal("MAX_EXTENT_PAGES + 1 pages", sys_extent_alloc(MAX_EXTENT_PAGES + 1, 1), Err(Error::TooLong));
    c.equal("u64::MAX pages", sys_extent_alloc(u64::MAX, 1), Err(Error::TooLong));
    c.equal("alignment 3", sys_extent_alloc(4, 3), Err(Error::BadArgument));
    c.equal("alignment 0", sys_extent_alloc(4, 0), Err(Error::BadArgument));
    c.equal("alignment beyond 2 MiB", sys_extent_alloc(4, 2 * HUGE_PAGES), Err(Error::BadArgument));
    // An extent's pages are charged to the caller's budget: with all but 50 free pages of it lent
    // to a child, 51 pages are refused, and nothing is charged.
    let (_, lender) = sys_env_create(abi::ENV_RECORD_PAGES).expect("a child to lend budget to");
    let budget = || exos::sys::vm::budget_info(abi::env_index(exos::proc::process::id()));
    let lent = budget().free().saturating_sub(50);
    c.equal("lend all but 50 free pages", sys_budget_give(lender, lent), Ok(()));
    let used = budget().used;
    c.equal("more than the budget", sys_extent_alloc(51, 1), Err(Error::OutOfMemory));
    c.equal("... charges nothing", budget().used, used);
    c.equal("take the budget back", sys_budget_take(lender, lent), Ok(()));
    c.equal("end the lender", sys_env_destroy(lender), Ok(()));

    // --- bad_extent_huge_beyond: one page, 2 MiB-aligned; a 2 MiB page over it would map 511
    // pages that are not the caller's.
    let one = sys_extent_alloc(1, HUGE_PAGES);
    c.check("a one-page extent, 2 MiB-aligned", one.is_ok_and(|(pa, _)| pa.is_multiple_of(HUGE)));
    let (one_pa, one) = one.unwrap_or((0, 0));
    c.equal("a 2 MiB page over a one-page extent", sys_extent_map(SELF_ENV, one, va(0), 0, HUGE_PAGES, RW | EXTENT_HUGE), Err(Error::BadArgument));
    c.equal("... mapped nothing", vm::translate(va(0)), None);
    c.equal("... nor the page after it", vm::translate(va(0) + PAGE), None);
    c.equal("512 small pages over a one-page extent", sys_extent_map(SELF_ENV, one, va(0), 0, HUGE_PAGES, RW), Err(Error::BadArgument));
    c.equal("... mapped nothing", vm::translate(va(0) + PAGE), None);
    c.equal("page 1 of a one-page extent", sys_extent_map(SELF_ENV, one, va(0), 1, 1, RW), Err(Error::BadArgument));
    c.equal("first + pages wrapping around", sys_extent_map(SELF_ENV, one, va(0), u64::MAX, 2, RW), Err(Error::BadArgument));
    c.equal("the one page itself", sys_extent_map(SELF_ENV, one, va(0), 0, 1, RW), Ok(()));
    c.check("... maps its frame", maps(va(0), 1, one_pa));
    c.equal("... and nothing after it", vm::translate(va(0) + PAGE), None);
    c.equal("its owner is me", vm::owner(one_pa / PAGE), Some(me));

    // --- bad_extent_misaligned, over a 2 MiB-aligned extent of 520 pages.
    let big = sys_extent_alloc(HUGE_PAGES + 8, HUGE_PAGES);
    c.check("a 520-page extent, 2 MiB-aligned", big.is_ok_and(|(pa, _)| pa.is_multiple_of(HUGE)));
    let (big_pa, big) = big.unwrap_or((0, 0));
    c.check("each of its pages is mine, named by one capability", (0..HUGE_PAGES + 8).all(|i| vm::owner(big_pa / PAGE + i) == Some(me) && vm::refs(big_pa / PAGE + i) == 1));
    c.equal("2 MiB pages at an unaligned address", sys_extent_map(SELF_ENV, big, va(1) + PAGE, 0, HUGE_PAGES, RW | EXTENT_HUGE), Err(Error::BadAddress));
    c.equal("2 MiB pages from an unaligned physical page", sys_extent_map(SELF_ENV, big, va(1), 8, HUGE_PAGES, RW | EXTENT_HUGE), Err(Error::BadAddress));
    c.equal("2 MiB pages for 256 pages", sys_extent_map(SELF_ENV, big, va(1), 0, 256, RW | EXTENT_HUGE), Err(Error::BadArgument));
    c.equal("2 MiB pages past the end (520 of 520 from page 8)", sys_extent_map(SELF_ENV, big, va(1), 8, 2 * HUGE_PAGES, RW | EXTENT_HUGE), Err(Error::BadArgument));
    c.check("... none of them mapped anything", (0..4).all(|i| vm::translate(va(1) + i * HUGE / 2).is_none()));
    c.equal("a 2 MiB page, aligned", sys_extent_map(SELF_ENV, big, va(1), 0, HUGE_PAGES, RW | EXTENT_HUGE), Ok(()));
    c.check("... maps the whole 2 MiB, in order", maps(va(1), HUGE_PAGES, big_pa));
    set_page_word(va(1) + 5 * PAGE, 0, 0xe7e7);
    c.equal("... and takes writes", page_word(va(1) + 5 * PAGE, 0), 0xe7e7);
    c.equal("its tail (8 pages) with small pages elsewhere", sys_extent_map(SELF_ENV, big, va(2), HUGE_PAGES, 8, RO), Ok(()));
    c.check("... maps the tail's frames", maps(va(2), 8, big_pa + HUGE));

    // --- bad_extent_part: no part of an extent goes anywhere page by page.
    let (child_id, child) = sys_env_create(user::child_pages()).expect("a child");
    let page_update = |op, slot, rights| MapUpdate { op, va: 0x7000_0000, slot, rights };
    c.equal("GRANT_MAP of an extent", sys_page_map_into(child, &[page_update(MapUpdate::GRANT_MAP, big, RO)]), (0, Some(Error::WrongType)));
    c.equal("GIVE_MAP of an extent", sys_page_map_into(child, &[page_update(MapUpdate::GIVE_MAP, one, RO)]), (0, Some(Error::WrongType)));
    c.equal("MAP of an extent through page_map", sys_page_map(&[page_update(MapUpdate::MAP, big, RO)]), (0, Some(Error::WrongType)));
    c.equal("... none mapped a page", vm::translate(0x7000_0000), None);
    c.equal("page_free of an extent", sys_page_free(big), Err(Error::WrongType));
    c.equal("page_set_vital of an extent", sys_page_set_vital(big, true), Err(Error::WrongType));
    let unmap = |va| MapUpdate { op: MapUpdate::UNMAP, va, slot: 0, rights: 0 };
    c.equal("page_map UNMAP of an extent page", sys_page_map(&[unmap(va(2))]), (0, Some(Error::NotMapped)));
    c.equal("page_map UNMAP inside a 2 MiB page", sys_page_map(&[unmap(va(1) + 5 * PAGE)]), (0, Some(Error::NotMapped)));
    let protect = MapUpdate { op: MapUpdate::PROTECT_RANGE, va: va(1), slot: 4, rights: RO };
    c.equal("page_map PROTECT_RANGE of extent pages", sys_page_map(&[protect]), (0, Some(Error::NotMapped)));
    c.equal("unmapping part of a 2 MiB page", sys_extent_unmap(SELF_ENV, va(1) + PAGE, 1), Err(Error::SplitsHugePage));
    c.equal("unmapping 2 MiB that cut the 2 MiB page", sys_extent_unmap(SELF_ENV, va(1) + PAGE, HUGE_PAGES), Err(Error::NotMapped));
    c.equal("unmapping the first half", sys_extent_unmap(SELF_ENV, va(1), HUGE_PAGES / 2), Err(Error::SplitsHugePage));
    c.equal("protecting part of a 2 MiB page", sys_extent_protect(SELF_ENV, va(1) + HUGE - PAGE, 1, Rights::READ), Err(Error::SplitsHugePage));
    c.check("... the 2 MiB page is whole and writable", maps(va(1), HUGE_PAGES, big_pa) && !user::write_faults(va(1) + HUGE - PAGE));
    c.equal("... with the data written", page_word(va(1) + 5 * PAGE, 0), 0xe7e7);
    c.equal("a page mapped into a 2 MiB page", sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: va(1) + 3 * PAGE, slot: one, rights: RW }]), (0, Some(Error::WrongType)));
    let (_, page) = sys_page_alloc(abi::ANY_PAGE).expect("a page");
    c.equal("a 4 KiB page mapped inside a 2 MiB page", sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: va(1) + 3 * PAGE, slot: page, rights: RW }]), (0, Some(Error::AlreadyMapped)));
    c.equal("a 4 KiB page over a small extent page", sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: va(2), slot: page, rights: RW }]), (0, Some(Error::AlreadyMapped)));
    c.equal("... freed", sys_page_free(page), Ok(()));

    // --- bad_extent_args: maps over mapped pages, out of range, beyond the capability's rights.
    c.equal("over the one-page mapping", sys_extent_map(SELF_ENV, big, va(0), 0, 2, RW), Err(Error::AlreadyMapped));
    c.equal("... left it as it was", vm::translate(va(0) + PAGE), None);
    c.equal("over the program image", sys_extent_map(SELF_ENV, big, 0x40_0000, 0, 1, RW), Err(Error::AlreadyMapped));
    c.equal("at an unaligned address", sys_extent_map(SELF_ENV, big, va(3) + 8, 0, 1, RW), Err(Error::BadAddress));
    c.equal("into the kernel's windows", sys_extent_map(SELF_ENV, big, WINDOWS_START, 0, 1, RW), Err(Error::BadAddress));
    c.equal("past the end of user space", sys_extent_map(SELF_ENV, big, USER_END - PAGE, 0, 2, RW), Err(Error::BadAddress));
    c.equal("into the kernel half", sys_extent_map(SELF_ENV, big, abi::layout::KERNEL_BASE, 0, 1, RW), Err(Error::BadAddress));
    c.equal("without READ", sys_extent_map(SELF_ENV, big, va(3), 0, 1, Rights::WRITE.0), Err(Error::BadArgument));
    c.equal("with GRANT", sys_extent_map(SELF_ENV, big, va(3), 0, 1, RW | Rights::GRANT.0), Err(Error::BadArgument));
    c.equal("with undefined bits", sys_extent_map(SELF_ENV, big, va(3), 0, 1, RW | 1 << 40), Err(Error::BadArgument));
    c.equal("0 pages", sys_extent_map(SELF_ENV, big, va(3), 0, 0, RW), Err(Error::BadArgument));
    c.equal("MAX_EXTENT_PAGES + 1 pages", sys_extent_map(SELF_ENV, big, va(3), 0, MAX_EXTENT_PAGES + 1, RW), Err(Error::TooLong));
    c.equal("an empty slot", sys_extent_map(SELF_ENV, 1000, va(3), 0, 1, RW), Err(Error::EmptySlot));
    c.equal("a slot out of range", sys_extent_map(SELF_ENV, 5000, va(3), 0, 1, RW), Err(Error::BadSlot));
    c.equal("an environment capability", sys_extent_map(SELF_ENV, child, va(3), 0, 1, RW), Err(Error::WrongType));
    c.equal("into an 'environment' that is an extent", sys_extent_map(big, big, va(3), 0, 1, RW), Err(Error::WrongType));
    let weak = sys_cap_grant(big, child_id, Rights::READ);
    c.check("grant the whole extent to my child, read-only", weak.is_ok());
    c.equal("extent_unmap of nothing", sys_extent_unmap(SELF_ENV, va(3), 1), Err(Error::NotMapped));
    c.equal("extent_unmap of 0 pages", sys_extent_unmap(SELF_ENV, va(2), 0), Err(Error::BadArgument));
    c.equal("extent_protect beyond the mapping's rights", sys_extent_protect(SELF_ENV, va(2), 8, Rights(RW)), Err(Error::NoRights));
    c.equal("extent_protect with GRANT", sys_extent_protect(SELF_ENV, va(2), 8, Rights(RO | Rights::GRANT.0)), Err(Error::BadArgument));
    c.equal("extent_protect over a hole", sys_extent_protect(SELF_ENV, va(2), 9, Rights::READ), Err(Error::NotMapped));
    c.check("... the tail is still read-only", user::write_faults(va(2)) && !user::read_faults(va(2) + 7 * PAGE));

    // A read-only derived capability maps read-only, in me (I derive one for myself).
    let mine = sys_cap_grant(big, me as u64, Rights::READ);
    c.check("derive a read-only capability for myself", mine.is_ok());
    let mine = mine.unwrap_or(0);
    c.equal("map it writable", sys_extent_map(SELF_ENV, mine, va(3), 0, 4, RW), Err(Error::NoRights));
    c.equal("map it read-only", sys_extent_map(SELF_ENV, mine, va(3), 0, 4, RO), Ok(()));
    c.equal("... it cannot free the extent", sys_extent_free(mine), Err(Error::NoRights));

    // --- bad_extent_free_mapped.
    c.equal("free while mapped (directly and through the derived capability)", sys_extent_free(big), Err(Error::Busy));
    c.check("... still mapped", maps(va(1), HUGE_PAGES, big_pa) && maps(va(3), 4, big_pa));
    c.equal("unmap the 2 MiB page", sys_extent_unmap(SELF_ENV, va(1), HUGE_PAGES), Ok(()));
    c.equal("unmap the tail", sys_extent_unmap(SELF_ENV, va(2), 8), Ok(()));
    c.equal("free while mapped through the derived capability only", sys_extent_free(big), Err(Error::Busy));
    c.equal("revoke what was derived (mine and the child's)", sys_cap_revoke(big), Ok(2));
    c.equal("... the derived mapping went with it", vm::translate(va(3)), None);
    c.equal("extent_map through the revoked slot", sys_extent_map(SELF_ENV, mine, va(3), 0, 1, RO), Err(Error::EmptySlot));
    c.equal("free, unmapped", sys_extent_free(big), Ok(HUGE_PAGES + 8));
    c.check("its pages are free again", (0..HUGE_PAGES + 8).all(|i| vm::owner(big_pa / PAGE + i).is_none() && vm::refs(big_pa / PAGE + i) == 0));
    c.equal("free it again", sys_extent_free(big), Err(Error::EmptySlot));
    c.equal("the one-page extent while mapped", sys_extent_free(one), Err(Error::Busy));
    c.equal("cap_delete of a mapped extent unmaps and frees it", sys_cap_delete(one), Ok(()));
    c.equal("... unmapped", vm::translate(va(0)), None);
    c.equal("... freed", vm::owner(one_pa / PAGE), None);
    let _ = sys_env_destroy(child);
    c.finish()
}

exos::main!(main);
