//! Hostile test of the calls a library uses to build a child: giving a page away (`GIVE_MAP`),
//! sharing one with a derived capability (`GRANT_MAP`), deleting a capability (`cap_delete`), the
//! tag bits and capability slots the page-table entries expose, and the capability-count table.
//! Each check the kernel makes is tried the wrong way first.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::{env_index, Error, MapUpdate, Rights, ANY_PAGE};
use exos::sys::syscall::*;
use exos::sys::vm;
use user::{install_probes, write_faults, Checks};

const VA: u64 = 0x2000_0000;
const R: u64 = Rights::READ.0;
const RW: u64 = Rights::READ.0 | Rights::WRITE.0;

fn op(op: u64, va: u64, slot: u64, rights: u64) -> MapUpdate {
    MapUpdate { op, va, slot, rights }
}

fn main() -> i64 {
    install_probes();
    let mut c = Checks::new("bad_give");
    let (pa, page) = sys_page_alloc(ANY_PAGE).expect("a page");
    let me = u64::from(vm::owner(pa >> 12).unwrap_or(0));
    let (child, child_slot) = sys_env_create(user::child_pages()).expect("a child");
    let pages = |id: u64| vm::env_info(env_index(id)).pages;

    // The image is made of ordinary capabilities of mine, visible in the page-table entries.
    let code = vm::own_slot(0x40_0000);
    c.check("my code page is mapped through my own capability", code.is_some());
    c.equal("the page-count of my code page is 1", vm::refs(vm::physical(0x40_0000).unwrap_or(0) >> 12), 1);

    // Tags and slots in my own entries.
    c.equal("map with both tags", sys_page_map(&[op(MapUpdate::MAP, VA, page, RW | MapUpdate::TAG0 | MapUpdate::TAG1)]), (1, None));
    let entry = vm::translate(VA).unwrap_or(0);
    c.equal("tags in the entry", entry & (abi::pte::TAG0 | abi::pte::TAG1), abi::pte::TAG0 | abi::pte::TAG1);
    c.equal("slot in the entry", abi::pte::own_slot(entry), Some(page));
    c.equal("protect clears a tag", sys_page_map(&[op(MapUpdate::PROTECT, VA, 0, R | MapUpdate::TAG1)]), (1, None));
    c.equal("tags after protect", vm::translate(VA).unwrap_or(0) & (abi::pte::TAG0 | abi::pte::TAG1 | abi::pte::WRITABLE), abi::pte::TAG1);
    c.equal("tags are not rights: undefined bits still refused", sys_page_map(&[op(MapUpdate::PROTECT, VA, 0, R | 1 << 10)]), (0, Some(Error::BadArgument)));

    // GIVE_MAP: only into another environment, only an unmapped root without grants.
    c.equal("give into myself", sys_page_map(&[op(MapUpdate::GIVE_MAP, VA + 0x1000, page, RW)]), (0, Some(Error::BadArgument)));
    c.equal("give a mapped page", sys_page_map_into(child_slot, &[op(MapUpdate::GIVE_MAP, VA, page, RW)]), (0, Some(Error::Busy)));
    let (_, loose) = sys_page_alloc(ANY_PAGE).expect("a page");
    let weak = sys_cap_grant(loose, me, Rights(R | Rights::GRANT.0)).expect("a grant");
    c.equal("give a page with grants", sys_page_map_into(child_slot, &[op(MapUpdate::GIVE_MAP, VA, loose, R)]), (0, Some(Error::Busy)));
    c.equal("give a granted capability", sys_page_map_into(child_slot, &[op(MapUpdate::GIVE_MAP, VA, weak, R)]), (0, Some(Error::NoRights)));
    c.equal("give my code", sys_page_map_into(child_slot, &[op(MapUpdate::GIVE_MAP, VA, code.unwrap_or(0), R)]), (0, Some(Error::Busy)));
    c.equal("give an environment", sys_page_map_into(child_slot, &[op(MapUpdate::GIVE_MAP, VA, child_slot, R)]), (0, Some(Error::WrongType)));
    c.equal("delete the grant", sys_cap_delete(weak), Ok(()));
    c.equal("a deleted capability is gone", sys_cap_delete(weak), Err(Error::EmptySlot));
    let (before_me, before_child) = (pages(me), pages(child));
    c.equal("give into a kernel window address", sys_page_map_into(child_slot, &[op(MapUpdate::GIVE_MAP, abi::layout::SELF_MAP_BASE, loose, R)]), (0, Some(Error::BadAddress)));
    c.equal("give", sys_page_map_into(child_slot, &[op(MapUpdate::GIVE_MAP, VA, loose, RW)]), (1, None));
    c.equal("the slot is empty after giving", sys_page_free(loose), Err(Error::EmptySlot));
    let loose_pa = {
        // The page went to the child: find it by ownership.
        (0..vm::sysinfo().frames).find(|&f| vm::owner(f) == Some(child as u32))
    };
    c.check("the child owns a page now", loose_pa.is_some());
    c.equal("quota moved with it", (pages(me), pages(child)), (before_me - 1, before_child + 1));

    // GRANT_MAP: the source needs GRANT and every right asked for.
    let (_, shared) = sys_page_alloc(ANY_PAGE).expect("a page");
    let shared_pa = {
        sys_page_map(&[op(MapUpdate::MAP, VA + 0x2000, shared, RW)]);
        vm::physical(VA + 0x2000).unwrap_or(0) >> 12
    };
    let read_only = sys_cap_grant(shared, me, Rights(R | Rights::GRANT.0)).expect("a grant");
    let no_grant = sys_cap_grant(shared, me, Rights(RW)).expect("a grant");
    c.equal("refs: root and two grants", vm::refs(shared_pa), 3);
    c.equal("grant-map into myself", sys_page_map(&[op(MapUpdate::GRANT_MAP, VA + 0x3000, shared, R)]), (0, Some(Error::BadArgument)));
    c.equal("grant-map without GRANT", sys_page_map_into(child_slot, &[op(MapUpdate::GRANT_MAP, VA + 0x1000, no_grant, R)]), (0, Some(Error::NoRights)));
    c.equal("grant-map amplifying", sys_page_map_into(child_slot, &[op(MapUpdate::GRANT_MAP, VA + 0x1000, read_only, RW)]), (0, Some(Error::NoRights)));
    c.equal("grant-map over the given page", sys_page_map_into(child_slot, &[op(MapUpdate::GRANT_MAP, VA, shared, R)]), (0, Some(Error::AlreadyMapped)));
    c.equal("grant-map", sys_page_map_into(child_slot, &[op(MapUpdate::GRANT_MAP, VA + 0x1000, read_only, R)]), (1, None));
    c.equal("refs after grant-map", vm::refs(shared_pa), 4);
    c.equal("the child's capability is revocable by me", sys_cap_revoke(read_only), Ok(1));
    c.equal("refs after the revoke", vm::refs(shared_pa), 3);
    c.equal("delete the other grant", sys_cap_delete(no_grant), Ok(()));
    c.equal("delete my grant", sys_cap_delete(read_only), Ok(()));
    c.equal("refs: the root alone", vm::refs(shared_pa), 1);
    c.equal("cap_delete on a root frees the page", sys_cap_delete(shared), Ok(()));
    c.equal("freed: no owner", vm::owner(shared_pa), None);
    c.check("unmapped with it", vm::translate(VA + 0x2000).is_none());
    c.equal("cap_delete out of range", sys_cap_delete(5000), Err(Error::BadSlot));

    // The new windows are read-only; the boot archive is there.
    c.check("the capability-count table is read-only", write_faults(abi::layout::PAGE_REFS_BASE));
    c.check("the boot archive is read-only", write_faults(abi::layout::INITRD_BASE));
    c.check("the boot archive starts with a cpio header", vm::initrd().starts_with(b"070701"));
    c.check("system information: pages", vm::sysinfo().total_pages > vm::sysinfo().free_pages);

    // The child holds a page; destroying it returns it (the run forbids a leak).
    c.equal("destroy the child", sys_env_destroy(child_slot), Ok(()));
    c.equal("its page went with it", loose_pa.and_then(vm::owner), None);
    c.finish()
}

exos::main!(main);
