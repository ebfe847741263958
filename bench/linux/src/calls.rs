//! Procedure call, system calls and exceptions: `null_call`, `null_syscall`, `getppid`, and
//! `exc_bp` / `exc_ud` / `exc_pf` (an exception delivered to a signal handler and back).
//!
//! The signal handlers are shared with `vm.rs` (its `trap`, `appel1` and `appel2` use the
//! SIGSEGV handler's other modes); their state lives in atomics so a handler may read it.

use crate::measure::{PAGE, Runner, die, per_op, rdtsc};
use core::arch::asm;
use core::ffi::c_void;
use core::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering::Relaxed};

/// A call of this is the `null_call` operation: a function the compiler may not inline or drop,
/// returning its argument.
#[inline(never)]
fn null_procedure(mut x: u64) -> u64 {
    // SAFETY: an empty asm that only claims to change `x` (no instruction, memory or flags).
    unsafe {
        asm!("/* {0} */", inout(reg) x, options(nomem, nostack, preserves_flags));
    }
    x
}

pub fn bench_null_call(runner: Runner) {
    const ITERS: u64 = 1_000_000;
    runner.run("null_call", ITERS, || {
        let mut x = 0;
        let t0 = rdtsc();
        for _ in 0..ITERS {
            x = null_procedure(x);
        }
        let t1 = rdtsc();
        core::hint::black_box(x);
        per_op(t1 - t0, ITERS)
    });
}

/// The raw `syscall` instruction with number `nr` and no arguments; returns rax.
#[inline(always)]
fn raw_syscall0(nr: i64) -> i64 {
    let ret: i64;
    // SAFETY: callers pass a system call that takes no argument and touches no memory of ours
    // (an unknown number, or getppid); the kernel clobbers only rax, rcx and r11.
    unsafe {
        asm!("syscall", inlateout("rax") nr => ret, out("rcx") _, out("r11") _, options(nostack));
    }
    ret
}

/// `unknown`: `nr` is no system call, so each call must return -ENOSYS.
pub fn bench_syscall(runner: Runner, name: &str, nr: i64, unknown: bool) {
    const ITERS: u64 = 20_000;
    if unknown && raw_syscall0(nr) != -i64::from(libc::ENOSYS) {
        eprintln!("bench: system call {nr} is known to this kernel");
        std::process::exit(1);
    }
    runner.run(name, ITERS, || {
        let t0 = rdtsc();
        for _ in 0..ITERS {
            raw_syscall0(nr);
        }
        per_op(rdtsc() - t0, ITERS)
    });
}

// ---------------------------------------------------------------------------------------------
// Signal handlers

/// Where the SIGSEGV/SIGILL handler resumes ([`fault_once!`] stores it).
static RESUME_RIP: AtomicU64 = AtomicU64::new(0);
/// What the SIGSEGV handler does: one of the `RESUME_AT_LABEL`... constants.
static HANDLER_MODE: AtomicU8 = AtomicU8::new(RESUME_AT_LABEL);
/// appel1: the one unprotected page.
pub static OPEN_PAGE: AtomicUsize = AtomicUsize::new(0);

/// Resume at [`RESUME_RIP`] (the exception benchmarks).
pub const RESUME_AT_LABEL: u8 = 0;
/// Make the faulting page writable (trap, appel2).
pub const UNPROTECT: u8 = 1;
/// Read-protect [`OPEN_PAGE`], make the faulting page writable and open (appel1).
pub const UNPROTECT_AND_PROTECT_OPEN: u8 = 2;

/// Sets what the SIGSEGV handler does.
pub fn set_handler_mode(mode: u8) {
    HANDLER_MODE.store(mode, Relaxed);
}

/// Sets the saved rip of the interrupted context to [`RESUME_RIP`].
///
/// # Safety
/// `context` is the `ucontext_t` the kernel passed to a `SA_SIGINFO` handler.
unsafe fn resume_at_label(context: *mut c_void) {
    let context = context.cast::<libc::ucontext_t>();
    // SAFETY: the caller's contract: `context` points to the interrupted thread's saved state.
    unsafe {
        (*context).uc_mcontext.gregs[libc::REG_RIP as usize] = RESUME_RIP.load(Relaxed) as i64;
    }
}

extern "C" fn on_resume_signal(_sig: i32, _info: *mut libc::siginfo_t, context: *mut c_void) {
    // SAFETY: installed with SA_SIGINFO, so `context` is the kernel's ucontext_t.
    unsafe { resume_at_label(context) }
}

/// int3 is a trap: the saved rip is already after it, so there is nothing to do.
extern "C" fn on_trap(_sig: i32, _info: *mut libc::siginfo_t, _context: *mut c_void) {}

/// The SIGSEGV handler: what it does is set by [`set_handler_mode`].
pub extern "C" fn on_segv(_sig: i32, info: *mut libc::siginfo_t, context: *mut c_void) {
    // SAFETY: installed with SA_SIGINFO for SIGSEGV, so `info` is valid and holds si_addr.
    let address = unsafe { (*info).si_addr() } as usize;
    let page = address & !(PAGE - 1);
    let writable = libc::PROT_READ | libc::PROT_WRITE;
    match HANDLER_MODE.load(Relaxed) {
        // SAFETY: installed with SA_SIGINFO, so `context` is the kernel's ucontext_t.
        RESUME_AT_LABEL => unsafe { resume_at_label(context) },
        UNPROTECT => {
            // SAFETY: `page` is the faulting page of the benchmark's own mapping.
            if unsafe { libc::mprotect(page as *mut c_void, PAGE, writable) } != 0 {
                // SAFETY: _exit is async-signal-safe.
                unsafe { libc::_exit(99) }
            }
        }
        _ => {
            let open = OPEN_PAGE.load(Relaxed) as *mut c_void;
            // SAFETY: both pages belong to the benchmark's own mapping.
            let failed = unsafe {
                libc::mprotect(open, PAGE, libc::PROT_READ) != 0
                    || libc::mprotect(page as *mut c_void, PAGE, writable) != 0
            };
            if failed {
                // SAFETY: _exit is async-signal-safe.
                unsafe { libc::_exit(99) }
            }
            OPEN_PAGE.store(page, Relaxed);
        }
    }
}

/// A `SA_SIGINFO` handler.
type Handler = extern "C" fn(i32, *mut libc::siginfo_t, *mut c_void);

/// Installs `handler` for `sig` with `SA_SIGINFO | SA_NODEFER` (it may fault again at once).
pub fn set_signal(sig: i32, handler: Handler) {
    // SAFETY: a zeroed sigaction is a valid value (no handler, no flags, empty mask), filled in
    // before use; the handlers only touch atomics and call async-signal-safe functions.
    unsafe {
        let mut action: libc::sigaction = core::mem::zeroed();
        action.sa_sigaction = handler as usize;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER;
        libc::sigemptyset(&mut action.sa_mask);
        if libc::sigaction(sig, &action, core::ptr::null_mut()) != 0 {
            die("sigaction");
        }
    }
}

/// One exception round trip: store the resume label's address, run `insn` (AT&T syntax), land on
/// the label (the handler resumes there).
macro_rules! fault_once {
    ($insn:literal) => {
        // Label 2 is stored in RESUME_RIP (through its address; rax is declared clobbered).
        // SAFETY: the instruction faults and the handler resumes at label 2, right after it,
        // with every register as it was.
        unsafe {
            asm!(
                "leaq 2f(%rip), %rax",
                "movq %rax, ({resume})",
                $insn,
                "2:",
                resume = in(reg) RESUME_RIP.as_ptr(),
                out("rax") _,
                options(att_syntax, nostack),
            )
        }
    };
}

pub fn bench_exceptions(runner: Runner) {
    const ITERS: u64 = 2000;
    set_signal(libc::SIGTRAP, on_trap);
    set_signal(libc::SIGILL, on_resume_signal);
    set_signal(libc::SIGSEGV, on_segv);
    set_handler_mode(RESUME_AT_LABEL);

    runner.run("exc_bp", ITERS, || {
        let t0 = rdtsc();
        for _ in 0..ITERS {
            // SAFETY: int3 raises SIGTRAP, whose handler returns right after the instruction.
            unsafe { asm!("int3", options(nostack)) }
        }
        per_op(rdtsc() - t0, ITERS)
    });
    runner.run("exc_ud", ITERS, || {
        let t0 = rdtsc();
        for _ in 0..ITERS {
            fault_once!("ud2");
        }
        per_op(rdtsc() - t0, ITERS)
    });
    runner.run("exc_pf", ITERS, || {
        let t0 = rdtsc();
        for _ in 0..ITERS {
            fault_once!("movabsq 0x7000dead0000, %rax"); // unmapped: a page fault, SIGSEGV
        }
        per_op(rdtsc() - t0, ITERS)
    });
}
