//! Exo's side of `cargo xtask bench` (issue 7): the paper's primitives measured with rdtsc.
//!
//! Each benchmark runs `iters` operations, `user::bench::REPEATS` times, and prints
//! `BENCH name=<id> median=<ticks per op> min=<ticks per op> iters=<n>`, the format of the Linux
//! counterpart the Linux program `bench/linux` (`linuxbench`), with the same names and iteration counts. A tick is a TSC
//! cycle, or one guest instruction under QEMU `-icount shift=0,sleep=off`. Lines whose mechanism
//! has not landed are not printed here; xtask shows them as "n/a". Boot with
//! `mode=test run=bench`.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use abi::ExceptionFrame;
use core::arch::asm;
use core::sync::atomic::{AtomicU64, Ordering};
use exos::{rt::exception, println};
use user::bench;

/// Times `op`, which cannot fail, with [`bench::measure`].
fn measure(name: &str, iters: u64, mut op: impl FnMut()) {
    bench::measure(name, iters, || {
        op();
        true
    });
}

/// A system-call number the kernel does not know: it answers `BadSysnum` and does nothing else.
const UNKNOWN_SYSNUM: u64 = 0xffff;

/// The null procedure: a real call and return, never inlined.
#[inline(never)]
fn null_procedure(x: u64) -> u64 {
    core::hint::black_box(x)
}

/// `syscall` with only `rax` set, as the Linux program does; returns `rax`.
#[inline(always)]
fn raw_syscall0(number: u64) -> u64 {
    let rax;
    // SAFETY: an unknown call number makes the kernel return BadSysnum without touching anything;
    // `syscall` clobbers rcx and r11, the kernel returns its value in rdx (all declared), and it
    // preserves every other register. (Leaving rdx out once corrupted this loop's own counters.)
    unsafe {
        asm!("syscall", inlateout("rax") number => rax, lateout("rdx") _, lateout("rcx") _, lateout("r11") _,
             options(nostack))
    };
    rax
}

/// Where the exception handler resumes #UD and #PF (set just before each fault).
static RESUME: AtomicU64 = AtomicU64::new(0);

fn handler(frame: &mut ExceptionFrame) -> bool {
    if frame.vector != 3 {
        frame.rip = RESUME.load(Ordering::Relaxed); // #BP is a trap: rip is already past int3
    }
    true
}

/// Stores the resume label, runs the faulting instruction, and lands on the label.
macro_rules! fault_once {
    ($instruction:literal) => {
        // SAFETY: the instruction faults on purpose and the handler resumes at label 2, with every
        // register as it was; rax is declared clobbered because the block uses it.
        unsafe {
            asm!("lea rax, [rip + 2f]", "mov [{resume}], rax", $instruction, "2:",
                 resume = in(reg) RESUME.as_ptr(), out("rax") _, options(nostack))
        }
    };
}

/// Runs every benchmark; `quick`: one repeat each, only to check that each runs.
pub fn run(quick: bool) -> i64 {
    bench::set_quick(quick);
    let mut x = 0u64;
    measure("null_call", 1_000_000, || x = null_procedure(x));

    let answer = raw_syscall0(UNKNOWN_SYSNUM);
    if answer != abi::Error::BadSysnum as u64 {
        println!("bench: syscall {UNKNOWN_SYSNUM:#x} returned {answer}, not BadSysnum");
        return 1;
    }
    measure("null_syscall", 20_000, || {
        raw_syscall0(UNKNOWN_SYSNUM);
    });

    // The limit: the bare crossings, what the hardware path itself costs (docs/ABI.md).
    if raw_syscall0(abi::LIMIT_SYSNUM) != 0 {
        println!("bench: the bare syscall crossing did not answer 0");
        return 1;
    }
    measure("limit_syscall", 20_000, || {
        raw_syscall0(abi::LIMIT_SYSNUM);
    });
    // SAFETY: the LIMIT_VECTOR gate is open to ring 3 and its handler only returns (iretq),
    // changing no register and no memory.
    measure("limit_exception", 20_000, || unsafe {
        asm!("int {vector}", vector = const abi::LIMIT_VECTOR, options(nostack))
    });

    if let Err(e) = exception::set_handler(handler) {
        println!("bench: cannot register the exception handler: {e:?}");
        return 1;
    }
    // SAFETY: int3 raises #BP, which the handler accepts and resumes after.
    measure("exc_bp", 2_000, || unsafe { asm!("int3", options(nostack)) });
    measure("exc_ud", 2_000, || fault_once!("ud2"));
    measure("exc_pf", 2_000, || fault_once!("mov rax, [0x7000dead0000]"));

    // Protected control transfer: a server (a copy of this program) replies at once.
    let Ok((server, slot)) = user::spawn(server_main, &[]) else {
        println!("bench: cannot spawn the PCT server");
        return 1;
    };
    while matches!(exos::sys::syscall::sys_pct_call(slot, [0; 5]), Err(abi::Error::Busy | abi::Error::NoEntry)) {
        let _ = exos::sys::syscall::sys_env_yield(server);
    }
    measure("pct", 2_000, || {
        let _ = exos::sys::syscall::sys_pct_call(slot, [1, 2, 3, 4, 5]);
    });
    println!("BENCH done");
    0
}

/// The PCT server: register an entry that replies at once, and wait.
extern "C" fn server_main() -> ! {
    let stack_top = user::CHILD_STACK_TOP - 0x2000;
    let e = exos::sys::syscall::sys_pct_set_entry(reply, stack_top).err().unwrap_or_else(exos::sys::syscall::sys_pct_wait);
    println!("bench: PCT server: {e:?}");
    exos::sys::syscall::sys_env_exit(1)
}

extern "C" fn reply(caller: u64, a0: u64, _: u64, _: u64, _: u64, _: u64) -> ! {
    let e = exos::sys::syscall::sys_pct_reply(caller, a0);
    println!("bench: PCT reply: {e:?}");
    exos::sys::syscall::sys_env_exit(1)
}

/// `bench [--quick]`: every line, with one repeat each under `--quick`.
fn main() -> i64 {
    match user::bench::quick_argument("bench") {
        Ok(quick) => run(quick),
        Err(status) => status,
    }
}

exos::main!(main);
