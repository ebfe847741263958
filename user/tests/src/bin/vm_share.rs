//! ExOS shared regions: pages that exist from the start, mapped into a child by the parent
//! (`mmap::map_into`), granted to it by capability (`mmap::grant`; the child maps the slots itself),
//! attached as a read-only alias in the owner (`mmap::attach`), and taken back from everyone by
//! `munmap`.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use abi::{Error, MapUpdate, Rights};
use exos::mem::mmap::{self, Kind, PAGE};
use exos::sys::syscall::{sys_env_exit, sys_env_yield, sys_page_map};
use exos::sys::vm;
use user::Checks;

const RW: Rights = Rights(Rights::READ.0 | Rights::WRITE.0);
const PAGES: u64 = 4;
/// Where the parent maps the region into the child.
const CHILD_VIEW: u64 = 0x3000_0000;
/// Where the child maps the pages granted to it.
const CHILD_GRANTED: u64 = 0x3800_0000;
/// Words of page 0 of the region used to talk: the slots granted (4), then flags.
const SLOTS_AT: u64 = 2048;
const GRANTED_FLAG: u64 = 2048 + 64;
const ACK: u64 = 2048 + 72;

fn peek(addr: u64) -> u64 {
    // SAFETY: `addr` is an aligned word of a page mapped in this environment.
    unsafe { core::ptr::read_volatile(addr as *const u64) }
}

fn poke(addr: u64, value: u64) {
    // SAFETY: as `peek`, for a page mapped writable.
    unsafe { core::ptr::write_volatile(addr as *mut u64, value) }
}

/// The child: a copy of this program without the parent's heap, so it uses raw calls only.
extern "C" fn child_main() -> ! {
    while vm::translate(CHILD_VIEW + (PAGES - 1) * PAGE).is_none() {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
    let sum: u64 = (0..PAGES).map(|p| peek(CHILD_VIEW + p * PAGE)).sum();
    poke(CHILD_VIEW + ACK, sum);
    while peek(CHILD_VIEW + GRANTED_FLAG) == 0 {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
    let mut updates = [MapUpdate::default(); PAGES as usize];
    for (p, update) in updates.iter_mut().enumerate() {
        let slot = peek(CHILD_VIEW + SLOTS_AT + p as u64 * 8);
        *update = MapUpdate { op: MapUpdate::MAP, va: CHILD_GRANTED + p as u64 * PAGE, slot, rights: Rights::READ.0 };
    }
    let (mapped, _) = sys_page_map(&updates);
    let same = (0..PAGES).all(|p| peek(CHILD_GRANTED + p * PAGE) == peek(CHILD_VIEW + p * PAGE));
    let write = MapUpdate { rights: RW.0, ..updates[0] };
    let refused = sys_page_map(&[MapUpdate { op: MapUpdate::UNMAP, ..write }, write]).1 == Some(Error::NoRights);
    poke(CHILD_VIEW + ACK, 1000 * mapped + 10 * u64::from(same) + u64::from(refused));
    // Wait for the parent's munmap to take both views away, then report it by the exit code.
    while vm::translate(CHILD_VIEW).is_some() || vm::translate(CHILD_GRANTED + PAGE).is_some() {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
    sys_env_exit(42)
}

fn main() -> i64 {
    let mut c = Checks::new("vm_share");
    let base = mmap::map(mmap::Spec::shared(PAGES * PAGE, RW)).expect("a shared region");
    let info = mmap::region(base).expect("listed");
    c.equal("a shared region has every page from the start", (info.kind, info.resident), (Kind::Shared, PAGES));
    c.check("... mapped", (0..PAGES).all(|p| vm::translate(base + p * PAGE).is_some()));
    for p in 0..PAGES {
        poke(base + p * PAGE, 11 * (p + 1));
    }
    let me = vm::owner(vm::physical(base).expect("mapped") >> 12).expect("owned");

    // An alias in this environment over capabilities granted to itself: read-only.
    let slots = mmap::grant(base, PAGES * PAGE, u64::from(me), Rights::READ).expect("grant to myself");
    let alias = mmap::attach(None, &slots, Rights::READ, Rights::READ).expect("attach");
    c.equal("the alias sees the region's data", (0..PAGES).map(|p| peek(alias + p * PAGE)).sum::<u64>(), 110);
    poke(base + 8, 99);
    c.equal("... and later writes to it", peek(alias + 8), 99);
    c.equal("the alias cannot be made writable (its ceiling)", mmap::mprotect(alias, PAGE, RW), Err(Error::NoRights));
    c.equal("attach with a ceiling beyond the capabilities fails in the kernel", mmap::attach(None, &slots, Rights::READ, RW), Err(Error::NoRights));
    c.equal("granting more than the region's ceiling is refused", mmap::grant(base, PAGE, u64::from(me), Rights::ALL), Err(Error::NoRights));
    let anonymous = mmap::mmap(PAGE, RW).expect("an anonymous region");
    c.equal("an anonymous region cannot be granted", mmap::grant(anonymous, PAGE, u64::from(me), Rights::READ), Err(Error::WrongType));
    c.equal("munmap of the alias", mmap::munmap(alias, PAGES * PAGE), Ok(()));
    c.equal("... unmaps it but leaves the region", (vm::translate(alias), peek(base + 8)), (None, 99));

    // A child: the parent maps the region into it, then grants it the pages.
    let (child, child_slot) = user::spawn(child_main, &[]).expect("spawn");
    c.equal("map the region into the child", mmap::map_into(child_slot, base, PAGES * PAGE, CHILD_VIEW, RW), Ok(()));
    while peek(base + ACK) == 0 {
        let _ = sys_env_yield(child);
    }
    c.equal("the child read the region through the parent's mapping", peek(base + ACK), 110);
    let granted = mmap::grant(base, PAGES * PAGE, child, Rights::READ).expect("grant to the child");
    for (p, slot) in granted.iter().enumerate() {
        poke(base + SLOTS_AT + p as u64 * 8, *slot);
    }
    poke(base + ACK, 0);
    poke(base + GRANTED_FLAG, 1);
    while peek(base + ACK) == 0 {
        let _ = sys_env_yield(child);
    }
    c.equal("the child mapped the granted pages, saw the same data, and could not make them writable",
            peek(base + ACK), 1000 * PAGES + 10 + 1);
    c.equal("munmap takes the pages from everyone", mmap::munmap(base, PAGES * PAGE), Ok(()));
    while u64::from(vm::env_info(abi::env_index(child)).id) == child {
        let _ = sys_env_yield(child);
    }
    c.equal("munmap", mmap::munmap(anonymous, PAGE), Ok(()));
    c.finish()
}

exos::main!(main);
