//! ExOS protection-fault handlers on regions: a write, a read and an instruction fetch that the
//! page's protection forbids each reach the region's own handler with the right address, access and
//! protection; it can unprotect and resume, or resume elsewhere leaving the page protected; and a
//! program with its own exception handler chains `mmap::handle_fault` in front of it.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use abi::{ExceptionFrame, Rights};
use core::sync::atomic::{AtomicU64, Ordering};
use exos::mem::mmap::{self, Access, Fault, PAGE};
use exos::{rt::exception, sys::vm};
use user::Checks;

fn peek(addr: u64) -> u64 {
    // SAFETY: `addr` is an aligned address in a region of this program; faults go to its handler.
    unsafe { core::ptr::read_volatile(addr as *const u64) }
}

fn poke(addr: u64, value: u64) {
    // SAFETY: as `peek`.
    unsafe { core::ptr::write_volatile(addr as *mut u64, value) }
}

const RW: Rights = Rights(Rights::READ.0 | Rights::WRITE.0);
const RX: Rights = Rights(Rights::READ.0 | Rights::EXECUTE.0);
const RWX: Rights = Rights(RW.0 | Rights::EXECUTE.0);

/// Every fault the handlers saw: count, then the last (address, page, access, prot, region).
static SEEN: [AtomicU64; 6] = [const { AtomicU64::new(0) }; 6];
/// Where `skip` resumes.
static RESUME: AtomicU64 = AtomicU64::new(0);
static BREAKPOINTS: AtomicU64 = AtomicU64::new(0);

fn record(fault: &Fault) {
    SEEN[0].fetch_add(1, Ordering::Relaxed);
    let access = match fault.access { Access::Read => 1, Access::Write => 2, Access::Execute => 3 };
    for (slot, value) in SEEN[1..].iter().zip([fault.address, fault.page, access, fault.prot.0, fault.region]) {
        slot.store(value, Ordering::Relaxed);
    }
}

fn last() -> (u64, u64, u64, u64, u64, u64) {
    let v = |i: usize| SEEN[i].load(Ordering::Relaxed);
    (v(0), v(1), v(2), v(3), v(4), v(5))
}

/// Unprotects: writes get read-write, reads of a NONE page read-only, fetches read-execute.
fn unprotect(fault: &Fault, _: &mut ExceptionFrame) -> bool {
    record(fault);
    let prot = match fault.access { Access::Read => Rights::READ, Access::Write => RW, Access::Execute => RX };
    mmap::mprotect(fault.page, PAGE, prot).is_ok()
}

/// Leaves the page alone and resumes at the label `try_write` set.
fn skip(fault: &Fault, frame: &mut ExceptionFrame) -> bool {
    record(fault);
    frame.rip = RESUME.load(Ordering::Relaxed);
    true
}

/// Writes `value` at `addr`; a handler that skips resumes after the store.
fn try_write(addr: u64, value: u64) {
    // SAFETY: the store may fault; `skip` then resumes at label 2 with every register intact, and
    // `unprotect` resumes the store itself. rax is declared clobbered.
    unsafe {
        core::arch::asm!("lea rax, [rip + 2f]", "mov [{resume}], rax", "mov [{addr}], {value}", "2:",
                         resume = in(reg) RESUME.as_ptr(), addr = in(reg) addr, value = in(reg) value,
                         out("rax") _, options(nostack));
    }
}

/// The program's own exception handler: the region layer first, then breakpoints.
fn chained(frame: &mut ExceptionFrame) -> bool {
    if mmap::handle_fault(frame) {
        return true;
    }
    if frame.vector == 3 {
        BREAKPOINTS.fetch_add(1, Ordering::Relaxed);
        return true;
    }
    false
}

fn main() -> i64 {
    let mut c = Checks::new("vm_faults");
    let base = mmap::map(mmap::Spec::anonymous(4 * PAGE, Rights::READ).max(RWX).handler(unprotect)).expect("mmap");
    c.check("the region layer installed itself as the exception handler",
            exception::handler().map(|h| h as *const () as usize) == Some(mmap::handle_fault as *const () as usize));
    c.equal("reading a read-only page gets a zeroed page, no handler call", (peek(base), last().0), (0, 0));

    poke(base + 0x10, 0x1234);
    c.equal("a write to a read-only page reaches the region's handler",
            last(), (1, base + 0x10, base, 2, Rights::READ.0, base));
    c.equal("it unprotected the page and the write completed",
            (peek(base + 0x10), mmap::protection(base)), (0x1234, Some(RW)));

    c.equal("protect NONE", mmap::mprotect(base + PAGE, PAGE, Rights::NONE), Ok(()));
    c.equal("a read of a NONE page that was never touched", peek(base + PAGE + 0x888), 0);
    c.equal("... reaches the handler as a read of a NONE page",
            last(), (2, base + PAGE + 0x888, base + PAGE, 1, 0, base));
    c.equal("... which made it read-only and gave it a page", (mmap::protection(base + PAGE), vm::translate(base + PAGE).is_some()), (Some(Rights::READ), true));

    // Execute: write `mov eax, 42; ret` into a page, then call it while it lacks EXECUTE.
    let code = base + 2 * PAGE;
    c.equal("make the code page writable", mmap::mprotect(code, PAGE, RW), Ok(()));
    c.equal("writing to it was allowed", last().0, 2);
    for (i, byte) in [0xb8u8, 42, 0, 0, 0, 0xc3].into_iter().enumerate() {
        // SAFETY: the page is mapped read-write by the region layer (demand-zero on this first store).
        unsafe { core::ptr::write_volatile((code + i as u64) as *mut u8, byte) };
    }
    // SAFETY: the page holds `mov eax, 42; ret`; its first fetch faults (no EXECUTE), and the
    // handler makes it read-execute before the fetch is retried.
    let function = unsafe { core::mem::transmute::<u64, extern "C" fn() -> u32>(code) };
    c.equal("calling code in a page without EXECUTE traps, the handler allows it, the call returns", function(), 42);
    c.equal("... and the handler saw an instruction fetch", last(), (3, code, code, 3, RW.0, base));
    c.equal("... leaving the page read-execute", mmap::protection(code), Some(RX));

    // A handler that skips the access instead: the page stays protected, the value unwritten.
    c.equal("switch to the skipping handler", mmap::set_fault_handler(base, Some(skip)), Ok(()));
    c.equal("protect the first page again", mmap::mprotect(base, PAGE, Rights::READ), Ok(()));
    try_write(base + 0x10, 0x5678);
    c.equal("the write reached the skipping handler", last(), (4, base + 0x10, base, 2, Rights::READ.0, base));
    c.equal("the store did not happen and the page stays read-only",
            (peek(base + 0x10), mmap::protection(base)), (0x1234, Some(Rights::READ)));

    // Chaining: the program's own handler calls the region layer first.
    exception::set_handler(chained).expect("the chained handler");
    // SAFETY: int3 raises #BP, which `chained` counts and resumes after.
    unsafe { core::arch::asm!("int3", options(nostack)) };
    c.equal("a breakpoint reaches the program's own handler", BREAKPOINTS.load(Ordering::Relaxed), 1);
    try_write(base + 0x18, 1);
    c.equal("a protection fault still reaches the region's handler through the chain", last().0, 5);
    let other = mmap::mmap(PAGE, RW).expect("another region");
    poke(other + 8, 77);
    c.equal("demand-zero works through the chain", (peek(other + 8), last().0, BREAKPOINTS.load(Ordering::Relaxed)), (77, 5, 1));
    c.check("creating a region kept the program's handler", exception::handler().map(|h| h as *const () as usize) == Some(chained as *const () as usize));
    c.equal("munmap", (mmap::munmap(base, 4 * PAGE), mmap::munmap(other, PAGE)), (Ok(()), Ok(())));
    c.finish()
}

exos::main!(main);
