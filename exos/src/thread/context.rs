//! Thread contexts: the saved registers and FPU/SSE state of a user-level thread that is not
//! running, and [`switch`], the only assembly of `exos::thread`.
//!
//! Every saved context is complete (all general registers, `rip`, `rsp`, `rflags` and the
//! `fxsave` image), whether the thread stopped by calling [`switch`] or was preempted (its state
//! copied from the slice-end upcall's frame and FPU area), so either path can resume either kind:
//! [`switch`] loads it directly, the slice-end handler copies it into the upcall's frame and FPU
//! area and lets the exception entry's return path load it. [`switch`] resumes the way that
//! return path does: it writes `rip` 136 bytes below the target `rsp` (past its 128-byte red
//! zone) and `rflags` below that, loads every register, `popfq`s and `ret 128`s.
//!
//! [`SCHED_LOCK`] is the scheduler's lock. [`switch`] releases it as its very last store, after
//! every read of the new context, so a preemption can never observe a half-loaded thread.
#![allow(unsafe_code)]

use crate::rt::exception::FpuState;
use abi::ExceptionFrame;
use core::mem::offset_of;
use core::sync::atomic::AtomicBool;

/// Set while some thread changes the scheduler's data (and until [`switch`] has loaded the next
/// thread). The slice-end handler never switches threads while it is set.
pub static SCHED_LOCK: AtomicBool = AtomicBool::new(false);

/// What a thread that is not running needs to run again.
#[repr(C, align(16))]
pub struct Context {
    /// x87/SSE state (`fxsave` format; 16-byte aligned as `fxsave` requires).
    pub fpu: FpuState,
    /// General registers, `rip`, `rsp`, `rflags` (the other fields are unused).
    pub regs: ExceptionFrame,
}

/// `rflags` of a new thread: interrupts enabled (bit 9) and the always-one bit 1.
const INITIAL_RFLAGS: u64 = 0x202;

impl Context {
    /// A thread that has not run yet: it starts at `entry` with `rsp` = `stack_top - 8` (as right
    /// after a `call`, so `entry` sees the stack alignment the ABI promises) and the initial FPU
    /// state. `stack_top` must be 16-byte aligned.
    pub fn new(entry: extern "C" fn() -> !, stack_top: u64) -> Context {
        let regs = ExceptionFrame { rip: entry as *const () as u64, rsp: stack_top - 8, rflags: INITIAL_RFLAGS, ..Default::default() };
        Context { fpu: FpuState::INITIAL, regs }
    }

    /// The context of the running thread: filled in when it stops.
    pub fn running() -> Context {
        Context { fpu: FpuState::INITIAL, regs: ExceptionFrame::default() }
    }
}

unsafe extern "C" {
    fn exos_context_switch(save: *mut Context, load: *const Context);
}

/// Saves the calling thread into `save`, resumes the thread in `load` and releases
/// [`SCHED_LOCK`]. Returns when something resumes `save` (a later [`switch`] or a slice-end
/// handler), with the callee-saved registers, the stack, `rflags` and the FPU/SSE state as they
/// were.
///
/// # Safety
/// The caller holds [`SCHED_LOCK`] (this releases it); `save` and `load` are distinct live
/// contexts that nothing else touches until the lock is released; `load` is complete: saved by
/// `switch`, copied from an upcall frame, or made by [`Context::new`] over a mapped stack.
pub unsafe fn switch(save: *mut Context, load: *const Context) {
    // SAFETY: the caller's contract above; the assembly only touches the two contexts, the target
    // stack below its red zone, and SCHED_LOCK.
    unsafe { exos_context_switch(save, load) }
}

core::arch::global_asm!(
    ".section .text.exos_context_switch,\"ax\",@progbits",
    ".global exos_context_switch",
    "exos_context_switch:",
    // Save: callee-saved registers, the stack as the caller sees it after `ret`, the return
    // address as rip, the flags and the FPU/SSE state. Caller-saved registers are dead at a call.
    "    mov [rdi + {rbx}], rbx",
    "    mov [rdi + {rbp}], rbp",
    "    mov [rdi + {r12}], r12",
    "    mov [rdi + {r13}], r13",
    "    mov [rdi + {r14}], r14",
    "    mov [rdi + {r15}], r15",
    "    lea rax, [rsp + 8]",
    "    mov [rdi + {rsp}], rax",
    "    mov rax, [rsp]",
    "    mov [rdi + {rip}], rax",
    "    pushfq",
    "    pop qword ptr [rdi + {rflags}]",
    "    fxsave64 [rdi + {fpu}]",
    // Load: rip and rflags go below the target's red zone, then the target stack becomes ours.
    "    mov rax, [rsi + {rsp}]",
    "    sub rax, 136",
    "    mov rcx, [rsi + {rip}]",
    "    mov [rax], rcx",
    "    mov rcx, [rsi + {rflags}]",
    "    mov [rax - 8], rcx",
    "    fxrstor64 [rsi + {fpu}]",
    "    lea rsp, [rax - 8]",
    "    mov rax, [rsi + {rax}]",
    "    mov rbx, [rsi + {rbx}]",
    "    mov rcx, [rsi + {rcx}]",
    "    mov rdx, [rsi + {rdx}]",
    "    mov rdi, [rsi + {rdi}]",
    "    mov rbp, [rsi + {rbp}]",
    "    mov r8, [rsi + {r8}]",
    "    mov r9, [rsi + {r9}]",
    "    mov r10, [rsi + {r10}]",
    "    mov r11, [rsi + {r11}]",
    "    mov r12, [rsi + {r12}]",
    "    mov r13, [rsi + {r13}]",
    "    mov r14, [rsi + {r14}]",
    "    mov r15, [rsi + {r15}]",
    "    mov rsi, [rsi + {rsi}]",
    "    popfq",
    // Nothing of the context is read any more: a preemption from here on saves a consistent
    // state (rip at the `ret`, rsp 136 below the target's).
    "    mov byte ptr [rip + {lock}], 0",
    "    ret 128",
    fpu = const offset_of!(Context, fpu),
    rax = const offset_of!(Context, regs) + offset_of!(ExceptionFrame, rax),
    rbx = const offset_of!(Context, regs) + offset_of!(ExceptionFrame, rbx),
    rcx = const offset_of!(Context, regs) + offset_of!(ExceptionFrame, rcx),
    rdx = const offset_of!(Context, regs) + offset_of!(ExceptionFrame, rdx),
    rsi = const offset_of!(Context, regs) + offset_of!(ExceptionFrame, rsi),
    rdi = const offset_of!(Context, regs) + offset_of!(ExceptionFrame, rdi),
    rbp = const offset_of!(Context, regs) + offset_of!(ExceptionFrame, rbp),
    r8 = const offset_of!(Context, regs) + offset_of!(ExceptionFrame, r8),
    r9 = const offset_of!(Context, regs) + offset_of!(ExceptionFrame, r9),
    r10 = const offset_of!(Context, regs) + offset_of!(ExceptionFrame, r10),
    r11 = const offset_of!(Context, regs) + offset_of!(ExceptionFrame, r11),
    r12 = const offset_of!(Context, regs) + offset_of!(ExceptionFrame, r12),
    r13 = const offset_of!(Context, regs) + offset_of!(ExceptionFrame, r13),
    r14 = const offset_of!(Context, regs) + offset_of!(ExceptionFrame, r14),
    r15 = const offset_of!(Context, regs) + offset_of!(ExceptionFrame, r15),
    rip = const offset_of!(Context, regs) + offset_of!(ExceptionFrame, rip),
    rsp = const offset_of!(Context, regs) + offset_of!(ExceptionFrame, rsp),
    rflags = const offset_of!(Context, regs) + offset_of!(ExceptionFrame, rflags),
    lock = sym SCHED_LOCK,
);
