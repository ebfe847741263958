//! ExOS demand-zero regions: a region costs no page until it is touched; each first touch (read or
//! write) allocates exactly one zeroed page, counted in the environment table's `pages`; `munmap`
//! gives the pages back, whole or in part (the region splits).
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use abi::Rights;
use exos::mem::mmap::{self, Kind, PAGE};
use exos::sys::vm;
use user::Checks;

fn peek(addr: u64) -> u64 {
    // SAFETY: `addr` is an aligned address in a region of this program; the first touch faults and
    // the region layer maps a zeroed page before the read completes.
    unsafe { core::ptr::read_volatile(addr as *const u64) }
}

fn poke(addr: u64, value: u64) {
    // SAFETY: as `peek`, for a writable region.
    unsafe { core::ptr::write_volatile(addr as *mut u64, value) }
}

/// The pages this environment holds, from the environment table (its index comes from the owner
/// of one of its own heap pages in the page-ownership table), less the heap's own pages (the region
/// list lives on the heap, which grows but never shrinks).
fn held() -> u64 {
    let frame = vm::physical(exos::rt::heap::HEAP_BASE).expect("the heap is mapped") >> 12;
    let me = vm::owner(frame).expect("the heap page has an owner");
    u64::from(vm::env_info(abi::env_index(u64::from(me))).pages) - exos::rt::heap::size() as u64 / PAGE
}

fn main() -> i64 {
    let mut c = Checks::new("vm_demand");
    let rw = Rights(Rights::READ.0 | Rights::WRITE.0);
    let pages = 64u64 << 10; // a 256 MiB region
    let base = mmap::mmap(pages * PAGE, rw).expect("mmap");
    let before = held();
    c.equal("the region starts where the library places regions", base, mmap::MMAP_BASE);
    let info = mmap::region(base).expect("the region is listed");
    c.equal("its length", info.len, pages * PAGE);
    c.equal("its kind", info.kind, Kind::Anonymous);
    c.equal("no page is resident yet", info.resident, 0);
    c.check("nothing is mapped yet", (0..pages).step_by(997).all(|i| vm::translate(base + i * PAGE).is_none()));

    // Touch 100 scattered pages: half by reading, half by writing.
    let touched: [u64; 100] = core::array::from_fn(|i| (i as u64 * 613 + 7) % pages);
    let mut zero = true;
    for (n, &i) in touched.iter().enumerate() {
        let va = base + i * PAGE + 8 * (n as u64 % 512);
        if n % 2 == 0 {
            zero &= peek(va) == 0;
        } else {
            poke(va, 0xc0de_0000 + n as u64);
        }
    }
    c.check("first reads see zeros", zero);
    c.equal("each first touch allocated exactly one page", held() - before, 100);
    c.equal("the region has 100 resident pages", mmap::region(base).map(|r| r.resident), Some(100));
    let whole = (0..512).all(|w| peek(base + touched[0] * PAGE + w * 8) == 0);
    c.check("a touched page is zero-filled throughout", whole);
    let kept = touched.iter().enumerate().filter(|(n, _)| n % 2 == 1)
        .all(|(n, &i)| peek(base + i * PAGE + 8 * (n as u64 % 512)) == 0xc0de_0000 + n as u64);
    c.check("written values read back", kept);
    c.equal("touching them again allocates nothing", held() - before, 100);
    let entry = vm::translate(base + touched[1] * PAGE).unwrap_or(0);
    c.check("a written page is mapped user-writable and dirty",
            entry & (vm::WRITABLE | vm::USER | vm::DIRTY) == vm::WRITABLE | vm::USER | vm::DIRTY);
    c.check("an untouched page is still not mapped", vm::translate(base + PAGE).is_none());

    // munmap a middle part: the region splits and the touched pages in it go back.
    let (cut_from, cut_to) = (pages / 4, pages / 2);
    let inside = touched.iter().filter(|&&i| (cut_from..cut_to).contains(&i)).count() as u64;
    c.check("the cut holds some touched pages", inside > 0);
    c.equal("munmap of the middle", mmap::munmap(base + cut_from * PAGE, (cut_to - cut_from) * PAGE), Ok(()));
    c.equal("its pages were freed", held() - before, 100 - inside);
    c.equal("the head remains", mmap::region(base).map(|r| r.len), Some(cut_from * PAGE));
    c.equal("the tail remains", mmap::region(base + cut_to * PAGE).map(|r| (r.start, r.len)),
            Some((base + cut_to * PAGE, (pages - cut_to) * PAGE)));
    c.check("the cut is no region any more", mmap::region(base + cut_from * PAGE).is_none());
    let (i, n) = touched.iter().enumerate().find(|(_, i)| **i >= cut_to).map(|(n, &i)| (i, n)).expect("a page in the tail");
    let expected = if n % 2 == 1 { 0xc0de_0000 + n as u64 } else { 0 };
    c.equal("data in the tail survives the split", peek(base + i * PAGE + 8 * (n as u64 % 512)), expected);

    // munmap everything (a range larger than what is left, with a hole): every page goes back.
    c.equal("munmap of the rest", mmap::munmap(base, pages * PAGE), Ok(()));
    c.equal("every page was given back", held(), before);
    c.check("no region is left", mmap::region(base).is_none() && mmap::region(base + (pages - 1) * PAGE).is_none());
    c.check("the pages are unmapped", touched.iter().all(|&i| vm::translate(base + i * PAGE).is_none()));

    // A second region goes elsewhere (after a guard page), and a fixed address is honoured.
    let next = mmap::mmap(3 * PAGE, Rights::READ).expect("a second region");
    c.equal("the next region leaves a guard page", next, base + (pages + 1) * PAGE);
    c.equal("a read-only region reads zeros", peek(next + 2 * PAGE), 0);
    let fixed = mmap::map(mmap::Spec::anonymous(PAGE, rw).at(0x4000_0000)).expect("a fixed region");
    poke(fixed, 5);
    c.equal("a fixed-address region works", (fixed, peek(fixed)), (0x4000_0000, 5));
    c.equal("overlapping it is refused", mmap::map(mmap::Spec::anonymous(PAGE, rw).at(0x4000_0000)), Err(abi::Error::AlreadyMapped));
    c.equal("mapping over the program image is refused", mmap::map(mmap::Spec::anonymous(PAGE, rw).at(0x40_0000)), Err(abi::Error::AlreadyMapped));
    c.equal("an unaligned address is refused", mmap::map(mmap::Spec::anonymous(PAGE, rw).at(0x4000_0800)), Err(abi::Error::BadAddress));
    c.equal("a region in the kernel's windows is refused", mmap::map(mmap::Spec::anonymous(PAGE, rw).at(abi::layout::SELF_MAP_BASE)), Err(abi::Error::BadAddress));
    c.equal("an empty region is refused", mmap::mmap(0, rw), Err(abi::Error::BadArgument));
    c.equal("a region over the size limit is refused", mmap::mmap(mmap::MAX_REGION + PAGE, rw), Err(abi::Error::TooLong));
    c.equal("munmap of everything from a region up, and of the fixed one", (mmap::munmap(next, u64::MAX), mmap::munmap(fixed, PAGE)), (Ok(()), Ok(())));
    c.equal("every page was given back again", held(), before);
    c.finish()
}

exos::main!(main);
