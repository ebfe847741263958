//! The Appel-Li primitives of `exos::mem::appel`, each run once and checked by its effect on the
//! page-table entries (read through the self-map) and on the fault count: prot1, protN, unprotN,
//! dirty, trap, appel1 and appel2.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use abi::Rights;
use exos::mem::appel::{self, PROTECTED, UNPROTECTED};
use exos::mem::mmap::{self, PAGE};
use exos::sys::vm;
use user::Checks;

const N: u64 = 100;

fn poke(addr: u64, value: u64) {
    // SAFETY: `addr` is an aligned address in this program's region; a protected page faults and
    // the region's handler unprotects it.
    unsafe { core::ptr::write_volatile(addr as *mut u64, value) }
}

fn peek(addr: u64) -> u64 {
    // SAFETY: as `poke`, for reads (the pages are always readable).
    unsafe { core::ptr::read_volatile(addr as *const u64) }
}

/// Which of the N pages are writable in their entries.
fn writable(base: u64) -> impl Iterator<Item = u64> {
    (0..N).filter(move |i| vm::translate(base + i * PAGE).is_some_and(|e| e & vm::WRITABLE != 0))
}

fn main() -> i64 {
    let mut c = Checks::new("vm_appel");
    let base = mmap::mmap(N * PAGE, UNPROTECTED).expect("100 pages");
    for i in 0..N {
        poke(base + i * PAGE, i);
    }
    c.equal("all pages start writable", writable(base).count(), 100);

    c.equal("prot1", appel::prot1(base + 4 * PAGE), Ok(()));
    c.equal("prot1 made exactly that page read-only", (writable(base).count(), mmap::protection(base + 4 * PAGE)), (99, Some(PROTECTED)));
    c.equal("protN of 100 pages", appel::protn(base, N), Ok(()));
    c.equal("no page is writable", writable(base).count(), 0);
    c.equal("unprotN of 100 pages", appel::unprotn(base, N), Ok(()));
    c.equal("every page is writable again", writable(base).count(), 100);

    c.equal("dirty: no page is dirty after the protection changes", (0..N).filter(|i| appel::dirty(base + i * PAGE)).count(), 0);
    poke(base + 9 * PAGE, 1);
    c.equal("dirty: the one page written is", (appel::dirty(base + 9 * PAGE), (0..N).filter(|i| appel::dirty(base + i * PAGE)).count()), (true, 1));

    // trap: a write to a protected page; the handler unprotects; the write completes.
    c.equal("install the trap handler", mmap::set_fault_handler(base, Some(appel::unprotect_on_fault)), Ok(()));
    c.equal("prot1", appel::prot1(base + 7 * PAGE), Ok(()));
    let traps = appel::traps();
    poke(base + 7 * PAGE + 8, 0x7777);
    c.equal("trap: one fault handled", appel::traps() - traps, 1);
    c.equal("trap: the write landed and the page is open", (peek(base + 7 * PAGE + 8), mmap::protection(base + 7 * PAGE)), (0x7777, Some(UNPROTECTED)));

    // appel1: all protected but one open page; each fault protects the open one and opens its own.
    c.equal("protN", appel::protn(base, N), Ok(()));
    c.equal("open page 0", appel::unprot1(base), Ok(()));
    appel::set_open_page(base);
    c.equal("install the appel1 handler", mmap::set_fault_handler(base, Some(appel::protect_open_and_unprotect)), Ok(()));
    let traps = appel::traps();
    for (n, page) in [5u64, 9, 63, 5].into_iter().enumerate() {
        poke(base + page * PAGE, 1000 + n as u64);
        c.equal("appel1: exactly the faulting page is open", writable(base).collect::<alloc::vec::Vec<_>>(), alloc::vec![page]);
        c.equal("appel1: the handler remembers it", appel::open_page(), base + page * PAGE);
    }
    c.equal("appel1: one fault per access", appel::traps() - traps, 4);
    c.equal("appel1: the writes landed", [5u64, 9, 63].map(|p| peek(base + p * PAGE)), [1003, 1001, 1002]);
    poke(base + 5 * PAGE + 8, 1);
    c.equal("appel1: writing the open page again does not fault", appel::traps() - traps, 4);

    // appel2: protect all, write each in a scrambled order; each page faults once and opens.
    c.equal("install the appel2 handler", mmap::set_fault_handler(base, Some(appel::unprotect_on_fault)), Ok(()));
    c.equal("protN", appel::protn(base, N), Ok(()));
    let traps = appel::traps();
    for i in 0..N {
        let page = (i * 37) % N;
        poke(base + page * PAGE + 16, page + 5000);
        poke(base + page * PAGE + 24, page);
    }
    c.equal("appel2: exactly one fault per page", appel::traps() - traps, N);
    c.equal("appel2: every page is open", writable(base).count(), 100);
    c.check("appel2: every write landed", (0..N).all(|p| peek(base + p * PAGE + 16) == p + 5000 && peek(base + p * PAGE + 24) == p));
    c.equal("a protection beyond the ceiling is refused", mmap::mprotect(base, PAGE, Rights(UNPROTECTED.0 | Rights::EXECUTE.0)), Err(abi::Error::NoRights));
    c.equal("munmap", mmap::munmap(base, N * PAGE), Ok(()));
    c.finish()
}

extern crate alloc;

exos::main!(main);
