//! Exception upcalls: #UD, #BP, #DE, #PF and #GP are each delivered to this program's handler,
//! which checks the frame, changes registers, and resumes the faulting code, all without the
//! program ending. Callee-saved registers and an xmm register must survive every round trip.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use abi::ExceptionFrame;
use core::sync::atomic::{AtomicU64, Ordering};
use exos::{rt::exception, println};

/// Where the handler resumes (set by each test just before it faults).
static RESUME: AtomicU64 = AtomicU64::new(0);
static SEEN: [AtomicU64; 32] = [const { AtomicU64::new(0) }; 32];
static LAST_ADDRESS: AtomicU64 = AtomicU64::new(0);

fn handler(frame: &mut ExceptionFrame) -> bool {
    let vector = frame.vector as usize;
    SEEN[vector % 32].fetch_add(1, Ordering::Relaxed);
    LAST_ADDRESS.store(frame.fault_address, Ordering::Relaxed);
    if frame.vector == 3 {
        return true; // #BP is a trap: rip already points after int3.
    }
    frame.rip = RESUME.load(Ordering::Relaxed);
    frame.rax = 0x600d_0000 + frame.vector; // the "result" of the faulting instruction
    true
}

/// Runs `instruction` with known values in r12-r15 and xmm5; returns (rax, r12..r15 intact, xmm5 intact).
macro_rules! fault {
    ($instruction:literal) => {{
        let (rax, r12, r15, xmm): (u64, u64, u64, u64);
        // SAFETY: the instruction faults on purpose; the handler resumes at label 3 with rax set.
        // Every register the block touches is declared.
        unsafe {
            core::arch::asm!(
                "lea rax, [rip + 3f]",
                "mov [{resume}], rax",
                "mov r12, 0x1212",
                "mov r15, 0x1515",
                "mov rax, 0x5555",
                "movq xmm5, rax",
                "xor eax, eax",
                "mov rcx, 0",
                $instruction,
                "3:",
                "movq {xmm}, xmm5",
                resume = in(reg) RESUME.as_ptr(),
                xmm = out(reg) xmm,
                out("rax") rax, out("r12") r12, out("r15") r15, out("rcx") _, out("rdx") _, out("xmm5") _,
            );
        }
        (rax, r12 == 0x1212 && r15 == 0x1515 && xmm == 0x5555)
    }};
}

fn main() -> i64 {
    exception::set_handler(handler).expect("registering the handler");
    let cases = [
        ("#UD", 6, fault!("ud2")),
        ("#DE", 0, fault!("div rcx")),
        ("#PF", 14, fault!("mov rax, [0x7000dead0000]")),
        ("#GP", 13, fault!("hlt")),
    ];
    let mut failures = 0;
    for (name, vector, (rax, intact)) in cases {
        let seen = SEEN[vector].load(Ordering::Relaxed);
        if seen != 1 || rax != 0x600d_0000 + vector as u64 || !intact {
            println!("exceptions: FAIL: {name}: seen {seen} times, rax={rax:#x}, registers intact: {intact}");
            failures += 1;
        }
    }
    // SAFETY: int3 raises #BP, which the handler accepts and resumes after.
    unsafe { core::arch::asm!("int3") };
    if SEEN[3].load(Ordering::Relaxed) != 1 {
        println!("exceptions: FAIL: #BP not delivered");
        failures += 1;
    }
    // A page fault reports its address.
    let (rax, _) = fault!("mov rax, [0x7000beef0008]");
    if rax != 0x600d_000e || LAST_ADDRESS.load(Ordering::Relaxed) != 0x7000_beef_0008 {
        println!("exceptions: FAIL: page-fault address {:#x}", LAST_ADDRESS.load(Ordering::Relaxed));
        failures += 1;
    }
    // An exception stack whose top is 64 bytes into a page: the kernel's frame (168 bytes) then
    // straddles two pages, which takes the upcall's general write path instead of its one-page one.
    let base = &raw mut STRADDLE as u64;
    exception::set_handler_with_stack(handler, base, 4096 + 64).expect("registering the straddling stack");
    let (rax, intact) = fault!("ud2");
    if SEEN[6].load(Ordering::Relaxed) != 2 || rax != 0x600d_0006 || !intact {
        println!("exceptions: FAIL: #UD on a stack whose frame straddles two pages: rax={rax:#x}, intact: {intact}");
        failures += 1;
    }
    println!("exceptions: 7 exceptions handled in user space, {failures} failures");
    failures
}

/// Two pages for the straddling exception stack.
#[repr(C, align(4096))]
struct TwoPages([u8; 8192]);
static mut STRADDLE: TwoPages = TwoPages([0; 8192]);

exos::main!(main);
