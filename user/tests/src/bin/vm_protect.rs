//! ExOS `mprotect`, `clean` and dirty queries: protections land in the page-table entries (read
//! through the self-map), batches beyond one `page_map` call work, `Rights::NONE` unmaps a page but
//! keeps its contents, the dirty bit tracks writes, and rights beyond a region's ceiling, ranges
//! outside regions and malformed protections are refused without changing anything.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

extern crate alloc;

use abi::{Error, Rights};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use exos::mem::mmap::{self, Access, Fault, PAGE};
use exos::sys::vm;
use user::Checks;

fn peek(addr: u64) -> u64 {
    // SAFETY: `addr` is an aligned address in a region of this program (mapped on first touch).
    unsafe { core::ptr::read_volatile(addr as *const u64) }
}

fn poke(addr: u64, value: u64) {
    // SAFETY: as `peek`; a protected page faults and the region's handler makes it writable.
    unsafe { core::ptr::write_volatile(addr as *mut u64, value) }
}

const RW: Rights = Rights(Rights::READ.0 | Rights::WRITE.0);

static FAULTS: AtomicU64 = AtomicU64::new(0);
static LAST: [AtomicU64; 2] = [const { AtomicU64::new(0) }; 2];

/// Counts the fault, remembers what it was, and gives the page read-write access.
fn open_up(fault: &Fault, _: &mut abi::ExceptionFrame) -> bool {
    FAULTS.fetch_add(1, Ordering::Relaxed);
    LAST[0].store(fault.address, Ordering::Relaxed);
    LAST[1].store(match fault.access { Access::Read => 1, Access::Write => 2, Access::Execute => 3 }, Ordering::Relaxed);
    mmap::mprotect(fault.page, PAGE, RW).is_ok()
}

fn writable(va: u64) -> Option<bool> {
    vm::translate(va).map(|e| e & vm::WRITABLE != 0)
}

fn main() -> i64 {
    let mut c = Checks::new("vm_protect");
    let base = mmap::map(mmap::Spec::anonymous(8 * PAGE, RW).handler(open_up)).expect("mmap");
    for i in 0..4 {
        poke(base + i * PAGE, 100 + i);
    }
    for i in 4..6 {
        peek(base + i * PAGE);
    }
    c.equal("written pages are dirty", (0..4).map(|i| mmap::is_dirty(base + i * PAGE)).filter(|&d| d).count(), 4);
    c.equal("pages only read are clean", (mmap::is_dirty(base + 4 * PAGE), mmap::is_dirty(base + 5 * PAGE)), (false, false));
    c.equal("untouched pages are neither mapped nor dirty", (vm::translate(base + 6 * PAGE), mmap::is_dirty(base + 6 * PAGE)), (None, false));

    c.equal("mprotect of the region read-only", mmap::mprotect(base, 8 * PAGE, Rights::READ), Ok(()));
    c.check("every resident page is read-only in its entry", (0..6).all(|i| writable(base + i * PAGE) == Some(false)));
    c.check("the protection is recorded for every page", (0..8).all(|i| mmap::protection(base + i * PAGE) == Some(Rights::READ)));
    c.check("the new entries are clean", (0..6).all(|i| !mmap::is_dirty(base + i * PAGE)));
    c.equal("reading a protected page does not fault", (peek(base + 2 * PAGE), FAULTS.load(Ordering::Relaxed)), (102, 0));
    poke(base + 3 * PAGE + 16, 7);
    c.equal("writing one faults once, into the region's handler", FAULTS.load(Ordering::Relaxed), 1);
    c.equal("the handler saw the write and its address", (LAST[0].load(Ordering::Relaxed), LAST[1].load(Ordering::Relaxed)), (base + 3 * PAGE + 16, 2));
    c.equal("the write completed after the handler opened the page", (peek(base + 3 * PAGE + 16), writable(base + 3 * PAGE)), (7, Some(true)));
    c.equal("that page alone is dirty again", (0..8).filter(|&i| mmap::is_dirty(base + i * PAGE)).collect::<Vec<u64>>(), alloc::vec![3]);
    poke(base + 7 * PAGE, 9);
    c.equal("an untouched read-only page faults on write, then gets a zeroed page", (FAULTS.load(Ordering::Relaxed), peek(base + 7 * PAGE + 8), peek(base + 7 * PAGE)), (2, 0, 9));

    // clean: the dirty bit goes, the protection stays.
    c.equal("clean", mmap::clean(base, 8 * PAGE), Ok(()));
    c.check("no page is dirty after clean", (0..8).all(|i| !mmap::is_dirty(base + i * PAGE)));
    c.equal("protections are unchanged by clean", (mmap::protection(base + 3 * PAGE), mmap::protection(base)), (Some(RW), Some(Rights::READ)));

    // NONE: unmapped, contents kept.
    c.equal("mprotect NONE", mmap::mprotect(base, 2 * PAGE, Rights::NONE), Ok(()));
    c.equal("a NONE page has no entry", (vm::translate(base), vm::translate(base + PAGE)), (None, None));
    let before = FAULTS.load(Ordering::Relaxed);
    let value = peek(base + PAGE);
    c.equal("reading it faults, as a read, and the handler opens it", (FAULTS.load(Ordering::Relaxed) - before, LAST[1].load(Ordering::Relaxed)), (1, 1));
    c.equal("its contents survived", value, 101);
    c.equal("mprotect back to read-only maps it again", (mmap::mprotect(base, PAGE, Rights::READ), peek(base), writable(base)), (Ok(()), 100, Some(false)));

    // Refusals leave everything as it was.
    c.equal("a range running past the region is refused", mmap::mprotect(base, 9 * PAGE, RW), Err(Error::NotMapped));
    c.equal("... and changed nothing", (mmap::protection(base), writable(base)), (Some(Rights::READ), Some(false)));
    c.equal("a range outside every region is refused", mmap::mprotect(0x5000_0000, PAGE, RW), Err(Error::NotMapped));
    c.equal("write without read is refused", mmap::mprotect(base, PAGE, Rights::WRITE), Err(Error::BadArgument));
    c.equal("GRANT is no protection", mmap::mprotect(base, PAGE, Rights::ALL), Err(Error::BadArgument));
    c.equal("an unaligned address is refused", mmap::mprotect(base + 8, PAGE, RW), Err(Error::BadArgument));
    c.equal("execute is beyond this region's ceiling", mmap::mprotect(base, PAGE, Rights(RW.0 | Rights::EXECUTE.0)), Err(Error::NoRights));
    let ro = mmap::mmap(2 * PAGE, Rights::READ).expect("a read-only region");
    c.equal("a read-only region reads zeros", peek(ro), 0);
    c.equal("making a read-only region writable is refused", mmap::mprotect(ro, PAGE, RW), Err(Error::NoRights));
    c.equal("... so it stays read-only", (mmap::protection(ro), writable(ro)), (Some(Rights::READ), Some(false)));
    c.equal("a region whose protection exceeds its ceiling is refused", mmap::map(mmap::Spec::anonymous(PAGE, RW).max(Rights::READ)), Err(Error::BadArgument));
    c.equal("the kernel refuses PROTECT beyond the rights a page was mapped with", kernel_upgrade(ro), Some(Error::NoRights));

    // One call covering more than a page_map batch.
    let big = mmap::mmap(520 * PAGE, RW).expect("520 pages");
    for i in 0..520 {
        poke(big + i * PAGE, i);
    }
    c.equal("protecting 520 pages (two page_map calls)", mmap::mprotect(big, 520 * PAGE, Rights::READ), Ok(()));
    c.check("all 520 entries are read-only", (0..520).all(|i| writable(big + i * PAGE) == Some(false)));
    c.equal("unprotecting them", mmap::mprotect(big, 520 * PAGE, RW), Ok(()));
    c.check("all 520 entries are writable, data intact", (0..520).all(|i| writable(big + i * PAGE) == Some(true) && peek(big + i * PAGE) == i));
    let scattered: [(u64, Rights); 3] = [(big, Rights::READ), (base + 5 * PAGE, Rights::NONE), (big + 519 * PAGE, Rights::READ)];
    c.equal("protect_pages changes unrelated pages in one call", mmap::protect_pages(&scattered), Ok(()));
    c.equal("... each as asked", (writable(big), vm::translate(base + 5 * PAGE), writable(big + 519 * PAGE), writable(big + PAGE)), (Some(false), None, Some(false), Some(true)));
    c.equal("munmap", (mmap::munmap(big, 520 * PAGE), mmap::munmap(base, 8 * PAGE), mmap::munmap(ro, 2 * PAGE)), (Ok(()), Ok(()), Ok(())));
    c.equal("mprotect after munmap is refused", mmap::mprotect(base, PAGE, RW), Err(Error::NotMapped));
    c.finish()
}

/// Asks the kernel directly to make a page of a read-only region writable.
fn kernel_upgrade(page: u64) -> Option<Error> {
    let update = abi::MapUpdate { op: abi::MapUpdate::PROTECT, va: page, slot: 0, rights: RW.0 };
    exos::sys::syscall::sys_page_map(&[update]).1
}

exos::main!(main);
