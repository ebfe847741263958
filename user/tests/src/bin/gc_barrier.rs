//! Specialization (issue 6a): a generational garbage collector's write barrier built from the
//! Appel-Li `trap` primitive, by the application itself.
//!
//! The old generation is an ExOS region the collector protects read-only after each collection.
//! The mutator stores pointers to young objects into old objects with plain stores: no barrier code
//! at all. The first store to an old page faults; the region's handler, this program's own
//! [`barrier`], adds the page to the remembered set and unprotects it, and the store completes. A
//! minor collection then scans only the remembered pages for pointers into the young generation,
//! and protects just those pages again (one batched call). The test checks, over three cycles,
//! that the remembered set is exactly the set of pages written, that each such page faulted once,
//! that the scan finds exactly the pointers stored, and (through the hardware's dirty bits) that
//! no other old page was written.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

extern crate alloc;

use user::bench::Random;
use abi::{ExceptionFrame, Rights};
use alloc::collections::BTreeSet;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use exos::mem::mmap::{self, Access, Fault, PAGE};
use exos::println;
use user::Checks;

/// Old-generation pages (the remembered set is a 64-bit mask).
const OLD_PAGES: u64 = 64;
const YOUNG_PAGES: u64 = 4;
/// Objects are 64 bytes: a header word and seven pointer fields.
const OBJECT: u64 = 64;
const RW: Rights = Rights(Rights::READ.0 | Rights::WRITE.0);

/// The barrier's state: the old generation's base, the remembered set (bit per page), how many
/// times the barrier ran, and the address of the last store it caught.
static OLD: AtomicU64 = AtomicU64::new(0);
static REMEMBERED: AtomicU64 = AtomicU64::new(0);
static BARRIER_RUNS: AtomicU64 = AtomicU64::new(0);
static LAST_STORE: AtomicU64 = AtomicU64::new(0);

/// The write barrier: the old generation's protection-fault handler.
fn barrier(fault: &Fault, _: &mut ExceptionFrame) -> bool {
    if fault.access != Access::Write {
        return false;
    }
    let page = (fault.page - OLD.load(Ordering::Relaxed)) / PAGE;
    REMEMBERED.fetch_or(1 << page, Ordering::Relaxed);
    BARRIER_RUNS.fetch_add(1, Ordering::Relaxed);
    LAST_STORE.store(fault.address, Ordering::Relaxed);
    mmap::mprotect(fault.page, PAGE, RW).is_ok()
}

fn load(addr: u64) -> u64 {
    // SAFETY: `addr` is an aligned word of one of this program's regions (always readable).
    unsafe { core::ptr::read_volatile(addr as *const u64) }
}

/// A plain store: no barrier code; the protection does the work.
fn store(addr: u64, value: u64) {
    // SAFETY: as `load`; a store to a protected old page faults into `barrier`, which unprotects it.
    unsafe { core::ptr::write_volatile(addr as *mut u64, value) }
}

/// The set bits of a page mask, as page numbers.
fn pages_of(mask: u64) -> Vec<u64> {
    (0..64).filter(|p| mask & (1 << p) != 0).collect()
}

fn main() -> i64 {
    let mut c = Checks::new("gc_barrier");
    let old = mmap::map(mmap::Spec::anonymous(OLD_PAGES * PAGE, RW).handler(barrier)).expect("the old generation");
    let young = mmap::mmap(YOUNG_PAGES * PAGE, RW).expect("the young generation");
    OLD.store(old, Ordering::Relaxed);
    // Allocate the old objects: a header each, pointer fields null.
    for object in (0..OLD_PAGES * PAGE).step_by(OBJECT as usize) {
        store(old + object, 0x01d0_0000 | (object / OBJECT));
    }
    let mut random = Random(Random::SEED);
    for cycle in 1..=3 {
        // After a collection: the whole old generation is read-only, nothing is remembered.
        if cycle == 1 {
            c.equal("protect the old generation", mmap::mprotect(old, OLD_PAGES * PAGE, Rights::READ), Ok(()));
        }
        REMEMBERED.store(0, Ordering::Relaxed);
        let runs = BARRIER_RUNS.load(Ordering::Relaxed);
        // The mutator: store young pointers into random fields of old objects (the same field
        // twice could happen, several fields of one page often); also fill young objects (no barrier).
        let mut written_fields = BTreeSet::new();
        let mut written_pages = 0u64;
        let mut first_store = 0; // the last store that was the first to its page: it faulted
        for n in 0..24 {
            let field = (old + (random.next_u64() % (OLD_PAGES * PAGE / 8)) * 8) | 8; // never a header word
            let target = young + (random.next_u64() % (YOUNG_PAGES * PAGE / OBJECT)) * OBJECT;
            store(target, cycle * 100 + n);
            store(field, target);
            written_fields.insert(field);
            if written_pages & 1 << ((field - old) / PAGE) == 0 {
                first_store = field;
            }
            written_pages |= 1 << ((field - old) / PAGE);
        }
        let remembered = REMEMBERED.load(Ordering::Relaxed);
        c.equal("the remembered set is exactly the pages written", pages_of(remembered), pages_of(written_pages));
        c.equal("the barrier ran once per page written", BARRIER_RUNS.load(Ordering::Relaxed) - runs, u64::from(written_pages.count_ones()));
        c.equal("the barrier caught the exact store that first touched the last page", LAST_STORE.load(Ordering::Relaxed), first_store);
        let dirty = (0..OLD_PAGES).filter(|p| mmap::is_dirty(old + p * PAGE)).fold(0, |m, p| m | 1 << p);
        c.equal("the hardware's dirty bits agree: no other old page was written", pages_of(dirty), pages_of(written_pages));

        // The minor collection: scan only the remembered pages for pointers into the young generation.
        let mut roots = BTreeSet::new();
        for page in pages_of(remembered) {
            for word in (0..PAGE).step_by(8).map(|w| old + page * PAGE + w) {
                let value = load(word);
                if (young..young + YOUNG_PAGES * PAGE).contains(&value) {
                    roots.insert(word);
                }
            }
        }
        c.equal("the scan of remembered pages finds exactly the fields written since the last collection", &roots, &written_fields);
        let everywhere = (0..OLD_PAGES * PAGE).step_by(8).filter(|w| (young..young + YOUNG_PAGES * PAGE).contains(&load(old + w))).count();
        c.equal("and every young pointer in the old generation", roots.len(), everywhere);
        // Promote: the young objects move to the old generation (a made-up address here), so the
        // old generation holds no young pointer after the collection. The pages are open: no fault.
        let runs = BARRIER_RUNS.load(Ordering::Relaxed);
        for &root in &roots {
            store(root, 0x01d0_beef);
        }
        c.equal("promotion stores to remembered pages do not fault", BARRIER_RUNS.load(Ordering::Relaxed), runs);
        println!("gc_barrier: cycle {cycle}: 24 stores, {} fields, remembered pages {:?}, {} roots",
                 written_fields.len(), pages_of(remembered), roots.len());
        // Protect what the mutator opened: just the remembered pages, in one call.
        let again: Vec<(u64, Rights)> = pages_of(remembered).into_iter().map(|p| (old + p * PAGE, Rights::READ)).collect();
        c.equal("protect the remembered pages again (one batch)", mmap::protect_pages(&again), Ok(()));
        c.check("the old generation is read-only again",
                (0..OLD_PAGES).all(|p| mmap::protection(old + p * PAGE) == Some(Rights::READ)));
    }
    c.equal("the young generation never faulted", mmap::region(young).map(|r| r.resident), Some(YOUNG_PAGES));
    c.equal("munmap", (mmap::munmap(old, OLD_PAGES * PAGE), mmap::munmap(young, YOUNG_PAGES * PAGE)), (Ok(()), Ok(())));
    c.finish()
}

exos::main!(main);
