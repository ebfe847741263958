//! Helpers shared by the test programs in `src/bin` (not part of ExOS): probing whether an access
//! faults, with an exception handler that resumes after the probe.
#![no_std]
#![allow(unsafe_code)]

use abi::ExceptionFrame;
use core::sync::atomic::{AtomicU64, Ordering};

static RESUME: AtomicU64 = AtomicU64::new(0);
/// The last fault a probe caught: (vector, error code, address).
static LAST: [AtomicU64; 3] = [const { AtomicU64::new(0) }; 3];

fn probe_handler(frame: &mut ExceptionFrame) -> bool {
    let resume = RESUME.swap(0, Ordering::Relaxed);
    if resume == 0 {
        return false; // not inside a probe: a real fault
    }
    LAST[0].store(frame.vector, Ordering::Relaxed);
    LAST[1].store(frame.error_code, Ordering::Relaxed);
    LAST[2].store(frame.fault_address, Ordering::Relaxed);
    frame.rip = resume;
    frame.rcx = 1;
    true
}

/// Installs the probe handler (call once before probing).
pub fn install_probes() {
    exos::exception::set_handler(probe_handler).expect("registering the probe handler");
}

/// Whether writing a byte to `address` faults; if it does, the fault is in [`last_fault`].
pub fn write_faults(address: u64) -> bool {
    let faulted: u64;
    // SAFETY: the write may fault on purpose; the probe handler then resumes at label 3 with rcx=1.
    // When it does not fault, it stores one byte to memory the caller chose to probe.
    unsafe {
        core::arch::asm!(
            "lea rax, [rip + 3f]",
            "mov [{resume}], rax",
            "xor ecx, ecx",
            "mov byte ptr [{address}], 0x5a",
            "3:",
            "mov qword ptr [{resume}], 0",
            resume = in(reg) RESUME.as_ptr(),
            address = in(reg) address,
            out("rax") _, out("rcx") faulted,
        );
    }
    faulted == 1
}

/// Whether reading a byte from `address` faults.
pub fn read_faults(address: u64) -> bool {
    let faulted: u64;
    // SAFETY: as for `write_faults`, but the access is a read.
    unsafe {
        core::arch::asm!(
            "lea rax, [rip + 3f]",
            "mov [{resume}], rax",
            "xor ecx, ecx",
            "mov al, byte ptr [{address}]",
            "3:",
            "mov qword ptr [{resume}], 0",
            resume = in(reg) RESUME.as_ptr(),
            address = in(reg) address,
            out("rax") _, out("rcx") faulted,
        );
    }
    faulted == 1
}

/// The last fault a probe caught: (vector, error code, address).
pub fn last_fault() -> (u64, u64, u64) {
    (LAST[0].load(Ordering::Relaxed), LAST[1].load(Ordering::Relaxed), LAST[2].load(Ordering::Relaxed))
}

/// Counts failed checks and reports them.
pub struct Checks {
    pub program: &'static str,
    pub total: u32,
    pub failed: u32,
}

impl Checks {
    pub const fn new(program: &'static str) -> Checks {
        Checks { program, total: 0, failed: 0 }
    }

    /// Records one check; prints it when it fails.
    pub fn check(&mut self, what: &str, ok: bool) {
        self.total += 1;
        if !ok {
            self.failed += 1;
            exos::println!("{}: FAIL: {what}", self.program);
        }
    }

    /// Checks that `got` equals `expected`.
    pub fn equal<T: PartialEq + core::fmt::Debug>(&mut self, what: &str, got: T, expected: T) {
        if got != expected {
            exos::println!("{}: FAIL: {what}: got {got:?}, expected {expected:?}", self.program);
            self.failed += 1;
        }
        self.total += 1;
    }

    /// Prints the summary line and returns the exit code.
    pub fn finish(&self) -> i64 {
        exos::println!("{}: {} checks, {} failed", self.program, self.total, self.failed);
        i64::from(self.failed)
    }
}

/// A view of a mapped page, for test programs that probed it readable first.
pub fn mapped_page(page: u64) -> &'static [u8; 4096] {
    // SAFETY: test helper: the caller probed the page readable and does not unmap it while the view
    // is used; the page is only ever read through this view.
    unsafe { &*(page as *const [u8; 4096]) }
}

/// A raw system call returning `(rdx, error)`, for hostile tests that pass arguments no typed
/// wrapper would.
pub fn raw_syscall(number: u64, args: [u64; 6]) -> (u64, Option<abi::Error>) {
    // SAFETY: hostile tests only issue calls that read the caller's memory or change its mappings
    // of pages it does not access through Rust references.
    let (rax, rdx) = unsafe { exos::syscall::syscall6(number, args) };
    (rdx, if rax == 0 { None } else { abi::Error::from_code(rax) })
}
