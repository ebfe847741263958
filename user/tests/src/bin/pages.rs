//! Physical pages and checked mappings, used as a library OS would: allocate any page and a
//! specific page by number, map them, read the page-ownership table and the self-map of the page
//! tables (present, writable, accessed, dirty bits and the physical page) without system calls,
//! map a batch, protect, unmap, grant a weaker capability, revoke it, and free.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::{MapUpdate, Rights, ANY_PAGE};
use exos::sys::syscall::{sys_cap_grant, sys_cap_revoke, sys_page_alloc, sys_page_free, sys_page_map};
use exos::sys::vm;
use user::{install_probes, last_fault, read_faults, write_faults, Checks};

const VA: u64 = 0x1000_0000;
const RW: u64 = Rights::READ.0 | Rights::WRITE.0;

fn map(va: u64, slot: u64, rights: u64) -> MapUpdate {
    MapUpdate { op: MapUpdate::MAP, va, slot, rights }
}

fn main() -> i64 {
    install_probes();
    let mut c = Checks::new("pages");
    let (pa, slot) = sys_page_alloc(ANY_PAGE).expect("allocating a page");
    let me = vm::owner(pa >> 12).unwrap_or(0);
    c.check("a fresh page is owned by me, not the kernel", me != 0 && !vm::is_kernel(me));

    // Map it read-write and look at the mapping through the self-map.
    c.equal("map", sys_page_map(&[map(VA, slot, RW)]), (1, None));
    let entry = vm::translate(VA).unwrap_or(0);
    c.equal("self-map: physical page", entry & 0x000f_ffff_ffff_f000, pa);
    c.check("self-map: present, user, writable", entry & (vm::PRESENT | vm::USER | vm::WRITABLE) == 7);
    c.check("the page comes zeroed", (0..4096).step_by(8).all(|o| !read_faults(VA + o) && peek(VA + o) == 0));
    c.check("writing works", !write_faults(VA + 8));
    let entry = vm::translate(VA).unwrap_or(0);
    c.check("self-map: accessed and dirty after a write", entry & (vm::ACCESSED | vm::DIRTY) == vm::ACCESSED | vm::DIRTY);

    // A specific page, by number: the first free one after ours, found in the ownership table.
    let wanted = (pa >> 12) + 1 + (1..4096).find(|i| vm::owner((pa >> 12) + 1 + i).is_none()).unwrap_or(0);
    let (pa2, slot2) = sys_page_alloc(wanted).expect("allocating a page by number");
    c.equal("page by number", pa2, wanted << 12);
    c.equal("ownership table shows it", vm::owner(wanted), Some(me));
    c.equal("taking it again", sys_page_alloc(wanted), Err(abi::Error::Busy));

    // A batch: three mappings in one call, the second page twice (read-only) and a third page.
    let (_, slot3) = sys_page_alloc(ANY_PAGE).expect("third page");
    let batch = [map(VA + 0x1000, slot2, Rights::READ.0), map(VA + 0x2000, slot2, Rights::READ.0), map(VA + 0x3000, slot3, RW)];
    c.equal("batch of three", sys_page_map(&batch), (3, None));
    c.equal("two virtual pages, one physical", vm::physical(VA + 0x2000), Some(pa2));
    c.check("read-only mapping refuses writes", write_faults(VA + 0x1000));
    c.equal("the fault says protection violation, write, user", last_fault(), (14, 7, VA + 0x1000));

    // Protect, then unmap.
    let protect = MapUpdate { op: MapUpdate::PROTECT, va: VA, slot: 0, rights: Rights::READ.0 };
    c.equal("protect read-only", sys_page_map(&[protect]), (1, None));
    c.check("now writes fault", write_faults(VA));
    c.check("reads still work", !read_faults(VA));
    let unmap = MapUpdate { op: MapUpdate::UNMAP, va: VA, slot: 0, rights: 0 };
    c.equal("unmap", sys_page_map(&[unmap]), (1, None));
    c.check("unmapped: reads fault", read_faults(VA));
    c.equal("unmapped: self-map agrees", vm::translate(VA), None);

    // A weaker capability for the same page, then revocation.
    let read_only = sys_cap_grant(slot3, me.into(), Rights::READ).expect("granting read-only to myself");
    c.equal("map through the weaker capability", sys_page_map(&[map(VA + 0x4000, read_only, Rights::READ.0)]), (1, None));
    c.equal("revoke", sys_cap_revoke(slot3), Ok(1));
    c.check("revoked capability's mapping is gone", read_faults(VA + 0x4000));
    c.check("the root's own mapping stays", !write_faults(VA + 0x3000));

    // Free everything: mappings go with the pages, and the ownership table shows them free.
    for s in [slot, slot2, slot3] {
        c.equal("free", sys_page_free(s), Ok(()));
    }
    c.check("freed pages' mappings are gone", read_faults(VA + 0x1000) && read_faults(VA + 0x3000));
    c.equal("ownership table: free again", (vm::owner(pa >> 12), vm::owner(wanted)), (None, None));
    c.finish()
}

/// Reads a u64 from a mapped address (checked by `read_faults` first).
fn peek(address: u64) -> u64 {
    // The address was just probed readable; `read_volatile` through a raw pointer needs unsafe,
    // which this program denies, so go through a slice of the mapped page instead.
    let page = address & !0xfff;
    let offset = (address - page) as usize;
    let bytes: &[u8; 4096] = user::mapped_page(page);
    u64::from_le_bytes(bytes[offset..offset + 8].try_into().unwrap_or([0xff; 8]))
}

exos::main!(main);
