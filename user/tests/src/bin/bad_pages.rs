//! Hostile test: every way to get at memory the caller does not own through the page and
//! capability calls. Kernel memory, page tables, the ownership table and device memory must never
//! be allocatable or mappable; slots must be checked; rights must never grow; revoked and freed
//! capabilities must be dead; batches must stop at the first failure; budgets must hold.
//! It exits holding pages, mappings and grants, so the kernel must clean all of them up
//! (the test run forbids `exo: LEAK`).
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::layout::{KERNEL_BASE, PAGE_OWNERS_BASE, SELF_MAP_BASE, SELF_MAP_SLOT, USER_END};
use abi::{Error, MapUpdate, Rights, ANY_PAGE, MAX_MAP_BATCH};
use exos::sys::syscall::{sys_cap_grant, sys_cap_revoke, sys_env_exit, sys_env_yield, sys_page_alloc, sys_page_free, sys_page_map, sys_page_set_vital};
use exos::sys::vm;
use user::{install_probes, page_word, set_page_word, write_faults, Checks};

const VA: u64 = 0x2000_0000;
const R: u64 = Rights::READ.0;
const RW: u64 = Rights::READ.0 | Rights::WRITE.0;

fn map(va: u64, slot: u64, rights: u64) -> (u64, Option<Error>) {
    sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va, slot, rights }])
}

fn main() -> i64 {
    install_probes();
    let mut c = Checks::new("bad_pages");
    let (pa, slot) = sys_page_alloc(ANY_PAGE).expect("allocating a page");
    let me = u64::from(vm::owner(pa >> 12).unwrap_or(0));

    // Memory that is not free can never be allocated, whoever uses it.
    let r = SELF_MAP_SLOT;
    // Through the self-map recursing four times, the PML4 itself appears as a page.
    let pml4_frame = vm::physical(SELF_MAP_BASE | (r << 30) | (r << 21) | (r << 12)).unwrap_or(0) >> 12;
    c.check("found my PML4 through the self-map", pml4_frame != 0);
    c.equal("the kernel image (1 MiB)", sys_page_alloc(0x100), Err(Error::Busy));
    c.equal("my own PML4", sys_page_alloc(pml4_frame), Err(Error::Busy));
    let owners_frame = vm::physical(PAGE_OWNERS_BASE).unwrap_or(0) >> 12;
    c.equal("the ownership table", sys_page_alloc(owners_frame), Err(Error::Busy));
    c.equal("VGA memory (device, 0xa0000)", sys_page_alloc(0xa0), Err(Error::Busy));
    c.equal("a page I already own", sys_page_alloc(pa >> 12), Err(Error::Busy));
    c.equal("beyond physical memory", sys_page_alloc(1 << 40), Err(Error::BadArgument));
    c.equal("the LAPIC (0xfee00000)", sys_page_alloc(0xfee00), Err(Error::BadArgument));
    c.equal("frame u64::MAX - 1", sys_page_alloc(u64::MAX - 1), Err(Error::BadArgument));

    // Mappings only in my own, page-aligned user space, outside the kernel's windows.
    c.equal("map at a kernel address", map(KERNEL_BASE, slot, RW), (0, Some(Error::BadAddress)));
    c.equal("map at a non-canonical address", map(0x0000_8000_0000_0000, slot, RW), (0, Some(Error::BadAddress)));
    c.equal("map over the ownership table", map(PAGE_OWNERS_BASE, slot, RW), (0, Some(Error::BadAddress)));
    c.equal("map over the self-map", map(SELF_MAP_BASE + 0x1000, slot, RW), (0, Some(Error::BadAddress)));
    c.equal("map at page 0", map(0, slot, RW), (0, Some(Error::BadAddress)));
    c.equal("map the last user page", map(USER_END, slot, RW), (0, Some(Error::BadAddress)));
    c.equal("map unaligned", map(VA + 8, slot, RW), (0, Some(Error::BadAddress)));
    c.equal("map over my own code", map(0x40_0000, slot, RW), (0, Some(Error::AlreadyMapped)));
    c.check("the ownership table is read-only", write_faults(PAGE_OWNERS_BASE));
    c.check("the self-map is read-only", write_faults(SELF_MAP_BASE + (0x40_0000 >> 12) * 8));

    // Slots and rights.
    c.equal("slot out of range", map(VA, 1 << 20, RW), (0, Some(Error::BadSlot)));
    c.equal("slot u64::MAX", map(VA, u64::MAX, RW), (0, Some(Error::BadSlot)));
    c.equal("empty slot", map(VA, 1000, RW), (0, Some(Error::EmptySlot)));
    c.equal("no rights", map(VA, slot, 0), (0, Some(Error::BadArgument)));
    c.equal("write without read", map(VA, slot, Rights::WRITE.0), (0, Some(Error::BadArgument)));
    c.equal("undefined rights bits", map(VA, slot, R | 1 << 12), (0, Some(Error::BadArgument)));
    c.equal("unknown operation", sys_page_map(&[MapUpdate { op: 9, va: VA, slot, rights: R }]), (0, Some(Error::BadArgument)));
    let weak = sys_cap_grant(slot, me, Rights::READ).expect("a read-only capability");
    c.equal("amplify: write through a read-only capability", map(VA, weak, RW), (0, Some(Error::NoRights)));
    c.equal("amplify: grant from a capability without GRANT", sys_cap_grant(weak, me, Rights::READ), Err(Error::NoRights));
    c.equal("amplify: grant more than held", sys_cap_grant(sys_cap_grant(slot, me, Rights(R | Rights::GRANT.0)).unwrap_or(0), me, Rights(RW)), Err(Error::NoRights));
    c.equal("grant undefined rights", sys_cap_grant(slot, me, Rights(1 << 7)), Err(Error::BadArgument));
    c.equal("grant to a dead or unknown environment", sys_cap_grant(slot, me + 1000, Rights::READ), Err(Error::NoSuchEnv));
    c.equal("free through a granted capability", sys_page_free(weak), Err(Error::NoRights));
    c.equal("map through the weak capability, read-only", map(VA, weak, R), (1, None));
    c.equal("revoke what I granted", sys_cap_revoke(slot), Ok(2));
    c.equal("stale after revoke: map", map(VA + 0x1000, weak, R), (0, Some(Error::EmptySlot)));
    c.equal("stale after revoke: grant", sys_cap_grant(weak, me, Rights::READ), Err(Error::EmptySlot));
    c.equal("stale after revoke: its mapping is gone", vm::translate(VA), None);
    c.equal("revoke a bad slot", sys_cap_revoke(5000), Err(Error::BadSlot));
    c.equal("free an empty slot", sys_page_free(999), Err(Error::EmptySlot));

    // Vital pages: only my own root page capabilities, at most MAX_VITAL of them.
    let granted = sys_cap_grant(slot, me, Rights::READ).expect("a granted capability");
    c.equal("vital through a granted capability", sys_page_set_vital(granted, true), Err(Error::NoRights));
    c.equal("vital through a bad slot", sys_page_set_vital(4096, true), Err(Error::BadSlot));
    c.equal("vital flag 2", user::raw_syscall(abi::Sysnum::PageSetVital as u64, [slot, 2, 0, 0, 0, 0]).1, Some(Error::BadArgument));
    let mut vital_slots = [0u64; abi::MAX_VITAL + 1];
    for v in vital_slots.iter_mut() {
        *v = sys_page_alloc(ANY_PAGE).map(|(_, s)| s).unwrap_or(0);
    }
    for (i, v) in vital_slots.iter().enumerate() {
        let expected = if i < abi::MAX_VITAL { Ok(()) } else { Err(Error::QuotaExceeded) };
        c.equal("vital pages up to MAX_VITAL", sys_page_set_vital(*v, true), expected);
    }
    c.equal("unmark one", sys_page_set_vital(vital_slots[0], false), Ok(()));
    c.equal("then another fits", sys_page_set_vital(vital_slots[abi::MAX_VITAL], true), Ok(()));
    for v in vital_slots {
        let _ = sys_page_free(v);
    }
    let _ = sys_cap_revoke(slot);

    // Unmap and protect only what was mapped through a capability.
    c.equal("unmap something never mapped", sys_page_map(&[MapUpdate { op: MapUpdate::UNMAP, va: VA + 0x5000, slot: 0, rights: 0 }]), (0, Some(Error::NotMapped)));
    c.equal("unmap a page never mapped", sys_page_map(&[MapUpdate { op: MapUpdate::UNMAP, va: 0x5555_0000, slot: 0, rights: 0 }]), (0, Some(Error::NotMapped)));
    c.equal("protect my code writable", sys_page_map(&[MapUpdate { op: MapUpdate::PROTECT, va: 0x40_0000, slot: 0, rights: RW }]), (0, Some(Error::NoRights)));

    // A batch stops at the first failure and says where.
    let batch = [
        MapUpdate { op: MapUpdate::MAP, va: VA + 0x1000, slot, rights: RW },
        MapUpdate { op: MapUpdate::MAP, va: VA + 0x2000, slot: 4000, rights: RW },
        MapUpdate { op: MapUpdate::MAP, va: VA + 0x3000, slot, rights: RW },
    ];
    c.equal("batch stops at the failing update", sys_page_map(&batch), (1, Some(Error::BadSlot)));
    c.check("updates before it applied", vm::translate(VA + 0x1000).is_some());
    c.check("updates after it not applied", vm::translate(VA + 0x3000).is_none());
    let too_many = [MapUpdate::default(); MAX_MAP_BATCH as usize + 1];
    c.equal("batch too long", sys_page_map(&too_many), (0, Some(Error::TooLong)));
    // A kernel pointer for the update array needs the raw call.
    c.equal("batch from a kernel pointer", raw_map(KERNEL_BASE, 1), (0, Some(Error::BadAddress)));

    // A budget holds (a child with a small one), and its pages come back when it ends.
    let (_, shared) = sys_page_alloc(ANY_PAGE).expect("a page to share");
    c.equal("share a page with the child", map(SHARED, shared, RW), (1, None));
    let (child_id, _) = user::spawn_budget(budget_child, &[(SHARED, shared)], CHILD_BUDGET).expect("a child with a small budget");
    while page_word(SHARED, DONE) == 0 || vm::env_id(abi::env_index(child_id)) != 0 {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
    c.equal("budget: allocations stop exactly at the budget, with OutOfMemory", (page_word(SHARED, ALLOC_SHORT), page_word(SHARED, ALLOC_ERROR)), (0, Error::OutOfMemory.code()));
    c.check("budget: the child held pages up to its limit", page_word(SHARED, ALLOCATED) + abi::ENV_RECORD_PAGES + 1 >= CHILD_BUDGET);
    c.equal("after freeing, allocation works again", page_word(SHARED, REALLOC), 0);
    c.equal("sparse mappings stop at the budget (page-table pages are charged)", page_word(SHARED, SPARSE_ERROR), Error::OutOfMemory.code());
    c.check("the child's sparse mappings cost page-table pages", page_word(SHARED, SPARSE_MAPPED) > 0 && page_word(SHARED, SPARSE_MAPPED) < CHILD_BUDGET);
    c.equal("every page of the child came back", user::pages_owned_by(child_id), 0);
    c.equal("and its budget went back", vm::budget_info(abi::env_index(child_id)), abi::BudgetInfo::default());

    // The kernel memory a program can make the kernel spend on mapping records is bounded too (one
    // page mapped at thousands of addresses).
    let (_, one) = sys_page_alloc(ANY_PAGE).expect("one page");
    let mut first_failure = None;
    'records: for batch in 0..20u64 {
        let updates: [MapUpdate; 512] = core::array::from_fn(|i| MapUpdate { op: MapUpdate::MAP, va: 0x5000_0000 + (batch * 512 + i as u64) * 4096, slot: one, rights: R });
        if let (_, Some(e)) = sys_page_map(&updates) {
            first_failure = Some(e);
            break 'records;
        }
    }
    c.equal("mapping one page at thousands of addresses stops at the quota", first_failure, Some(Error::QuotaExceeded));
    let _ = sys_page_free(one);

    // Exit holding pages, mappings and a grant: the kernel must take them all back.
    let _ = sys_cap_grant(slot, me, Rights::READ);
    c.finish()
}

/// The budget of the child that runs into it, and the page it reports through (u64 words).
const CHILD_BUDGET: u64 = 64;
const SHARED: u64 = 0x6100_0000;
const ALLOCATED: usize = 0;
const ALLOC_SHORT: usize = 1;
const ALLOC_ERROR: usize = 2;
const REALLOC: usize = 3;
const SPARSE_MAPPED: usize = 4;
const SPARSE_ERROR: usize = 5;
const DONE: usize = 6;

/// Allocates its whole free budget (every allocation must succeed), then one page more (must be
/// refused), frees them, then maps one page sparsely until refused; reports and exits holding it.
extern "C" fn budget_child() -> ! {
    let free = user::own_budget().free();
    let mut slots = [0u64; CHILD_BUDGET as usize];
    let mut got = 0;
    for slot in slots.iter_mut().take(free as usize) {
        match sys_page_alloc(ANY_PAGE) {
            Ok((_, s)) => {
                *slot = s;
                got += 1;
            }
            Err(_) => break,
        }
    }
    set_page_word(SHARED, ALLOCATED, got);
    set_page_word(SHARED, ALLOC_SHORT, free - got);
    set_page_word(SHARED, ALLOC_ERROR, sys_page_alloc(ANY_PAGE).err().map_or(0, |e| e.code()));
    for s in &slots[..got as usize] {
        let _ = sys_page_free(*s);
    }
    set_page_word(SHARED, REALLOC, sys_page_alloc(ANY_PAGE).err().map_or(0, |e| e.code() + 100));
    let (_, one) = sys_page_alloc(ANY_PAGE).unwrap_or((0, 0));
    let mut mapped = 0;
    for i in 0..2048u64 {
        if let (_, Some(e)) = map(0x80_0000_0000 + i * (2 << 20), one, R) {
            set_page_word(SHARED, SPARSE_ERROR, e.code());
            break;
        }
        mapped += 1;
    }
    set_page_word(SHARED, SPARSE_MAPPED, mapped);
    set_page_word(SHARED, DONE, 1);
    sys_env_exit(0)
}

fn raw_map(updates: u64, count: u64) -> (u64, Option<Error>) {
    user::raw_syscall(abi::Sysnum::PageMap as u64, [abi::SELF_ENV, updates, count, 0, 0, 0])
}

exos::main!(main);
