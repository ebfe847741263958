//! Exceptions, handled in the library: register a Rust handler, run it on the exception stack,
//! and resume the faulting code without entering the kernel.
//!
//! The kernel delivers an exception by starting [`exos_exception_entry`] on the exception stack
//! with `rdi` pointing at an `abi::ExceptionFrame`. The entry saves the FPU/SSE state (the handler
//! is compiled code), calls the handler, restores it, and then returns to the faulting code by
//! itself: it writes the resume address 136 bytes below the faulting `rsp` (past the 128-byte red
//! zone the faulting code may be using), reloads every register from the frame, `popfq`s the flags,
//! switches to that stack and executes `ret 128`, which lands on `rip` with `rsp` restored exactly.
#![allow(unsafe_code)]

pub use crate::rt::fpu::FpuState;
use crate::rt::hook::Hook;
use crate::rt::private::EXOS_PRIVATE;
use crate::sys::vm;
use crate::sys::syscall::sys_env_set_exception_handler;
use abi::{exception_frame, Error, ExceptionFrame};
use core::sync::atomic::{AtomicU64, Ordering};

/// A handler: inspect or change the frame and return `true` to resume the faulting code at
/// `frame.rip`, or `false` to end the program (it prints what happened and exits with
/// 128 + the vector).
pub type Handler = fn(&mut ExceptionFrame) -> bool;

static HANDLER: Hook<Handler> = Hook::new();

/// A revocation handler: the kernel wants `pages` pages back before timer tick `deadline`; the
/// library chooses which and frees them (`sys_page_free`). Past the deadline the kernel takes
/// non-vital pages itself and lists them in the repossession vector (`vm::repossessed`).
pub type RevokeHandler = fn(pages: u64, deadline: u64);

static REVOKE_HANDLER: Hook<RevokeHandler> = Hook::new();

/// A slice-end handler: the timer took the CPU from this environment and gives it back now; the
/// frame holds the interrupted registers, which the handler may save or replace (to run another
/// user-level thread).
pub type SliceHandler = fn(&mut ExceptionFrame);

static SLICE_HANDLER: Hook<SliceHandler> = Hook::new();

/// A slice-end handler that can switch user-level threads completely: it gets the interrupted
/// registers and FPU/SSE state and may replace both (`exos::thread` uses it).
pub type SliceSwitchHandler = fn(&mut ExceptionFrame, &mut FpuState);

static SLICE_SWITCH_HANDLER: Hook<SliceSwitchHandler> = Hook::new();

/// Like [`set_slice_handler`], for a handler that also sees and may replace the interrupted FPU/SSE
/// state. Both kinds may be set; the plain one runs first.
pub fn set_slice_switch_handler(handler: SliceSwitchHandler) -> Result<(), Error> {
    SLICE_SWITCH_HANDLER.set(handler);
    crate::sys::syscall::sys_env_set_slice_upcall(true)
}

/// Whether an exception handler has been set (and not cleared) through this module.
pub fn has_handler() -> bool {
    HANDLER.get().is_some()
}

/// Runs `handler` at the start of every slice after a preemption, and asks the kernel for those
/// upcalls. An exception handler must be set (the upcall arrives on its stack).
pub fn set_slice_handler(handler: SliceHandler) -> Result<(), Error> {
    SLICE_HANDLER.set(handler);
    crate::sys::syscall::sys_env_set_slice_upcall(true)
}

/// Handles revocation requests with `handler` (they arrive through the exception handler, so one
/// must be set with [`set_handler`]). Without one, requests are ignored and the kernel repossesses.
pub fn set_revoke_handler(handler: RevokeHandler) {
    REVOKE_HANDLER.set(handler);
}

/// Whether a revocation handler is set.
pub fn has_revoke_handler() -> bool {
    REVOKE_HANDLER.get().is_some()
}

/// The revocation handler set with [`set_revoke_handler`], if any (`reclaim` calls it inline for
/// a request the upcall cannot deliver while the handler runs).
pub fn revoke_handler() -> Option<RevokeHandler> {
    REVOKE_HANDLER.get()
}

/// The library's page-fault layer in front of the program's handler (copy-on-write: `mem::cow`,
/// registered by `fork`): `true` when it resolved the fault.
static PAGE_FAULT: Hook<Handler> = Hook::new();
/// Run before the return path writes below the interrupted stack pointer, with that address
/// (`mem::cow` makes the page writable; registered by `fork`).
static RETURN: Hook<fn(u64)> = Hook::new();
/// Run at every slice end before the program's handlers (`proc::process`: signals; registered
/// where signals become possible).
static SLICE_END: Hook<fn()> = Hook::new();

/// Registers the library's page-fault layer, which sees every page fault before the program's
/// handler and resolves what it owns (`fork` registers copy-on-write).
pub fn register_page_fault(layer: Handler) {
    PAGE_FAULT.set(layer);
}

/// Registers what runs with the address the return path is about to write (below the interrupted
/// stack pointer) before it writes there.
pub fn register_return(prepare: fn(u64)) {
    RETURN.set(prepare);
}

/// Registers what runs at every slice end before the program's slice handlers.
pub fn register_slice_end(hook: fn()) {
    SLICE_END.set(hook);
}


/// Answers the revocation request pending against this process now, with its revocation handler:
/// for code inside the exception handler, which the upcall cannot reach (the exception entry calls
/// it after every exception; `mem::reclaim` when a fault finds no page). Returns the pages freed.
pub fn answer_pending() -> u64 {
    let Some((want, deadline)) = vm::revocation().filter(|&(pages, _)| pages > 0) else { return 0 };
    let Some(handler) = revoke_handler() else { return 0 };
    EXOS_PRIVATE.answered_inline.fetch_add(1, Ordering::Relaxed);
    handler(want, deadline);
    want - vm::revocation().map_or(0, |(pages, _)| pages).min(want)
}

/// The default exception stack, 16 KiB in the program's bss, on pages of its own (`fork` gives a
/// child fresh ones instead of sharing them copy-on-write: the handler must never fault).
const STACK_SIZE: usize = 16 * 1024;
#[repr(C, align(4096))]
struct Stack([u8; STACK_SIZE]);
static mut STACK: Stack = Stack([0; STACK_SIZE]);

/// Sends this program's exceptions to `handler`, on the library's default exception stack.
pub fn set_handler(handler: Handler) -> Result<(), Error> {
    let base = &raw const STACK as u64;
    set_handler_with_stack(handler, base, STACK_SIZE as u64)
}

/// Sends this program's exceptions to `handler`, on the stack `[base, base + size)`.
pub fn set_handler_with_stack(handler: Handler, base: u64, size: u64) -> Result<(), Error> {
    HANDLER.set(handler);
    register(base, size)
}

/// The exception stack registered with the kernel: (base, size); size 0 when none is.
/// Read by `fork`'s child before it touches memory (so plain statics, not behind a lock).
pub(crate) static EXOS_EXCEPTION_STACK: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];

fn register(base: u64, size: u64) -> Result<(), Error> {
    sys_env_set_exception_handler(exos_exception_entry as *const () as u64, base, size)?;
    EXOS_EXCEPTION_STACK[0].store(base, Ordering::Release);
    EXOS_EXCEPTION_STACK[1].store(size, Ordering::Release);
    Ok(())
}

/// The exception stack in use, `(base, size)`, registering the library's default one (with no
/// program handler: exceptions the library does not resolve end the program) if none is yet.
/// Copy-on-write needs a handler from the first shared page on.
pub fn ensure_registered() -> Result<(u64, u64), Error> {
    if EXOS_EXCEPTION_STACK[1].load(Ordering::Acquire) == 0 {
        register(&raw const STACK as u64, STACK_SIZE as u64)?;
    }
    Ok((EXOS_EXCEPTION_STACK[0].load(Ordering::Acquire), EXOS_EXCEPTION_STACK[1].load(Ordering::Acquire)))
}

/// The handler last set with [`set_handler`] or [`set_handler_with_stack`], if any, so a library
/// layer can install itself only where the program has none, or chain the one it finds.
pub fn handler() -> Option<Handler> {
    HANDLER.get()
}

/// Stops delivering exceptions: they end the program again.
pub fn clear_handler() -> Result<(), Error> {
    HANDLER.clear();
    sys_env_set_exception_handler(0, 0, 0)?;
    EXOS_EXCEPTION_STACK[1].store(0, Ordering::Release);
    Ok(())
}

/// The architectural name of an exception vector.
pub fn name(vector: u64) -> &'static str {
    match vector {
        0 => "divide error (#DE)",
        1 => "debug (#DB)",
        3 => "breakpoint (#BP)",
        4 => "overflow (#OF)",
        5 => "bound range exceeded (#BR)",
        6 => "invalid opcode (#UD)",
        7 => "device not available (#NM)",
        12 => "stack-segment fault (#SS)",
        13 => "general protection (#GP)",
        14 => "page fault (#PF)",
        16 => "x87 floating-point error (#MF)",
        17 => "alignment check (#AC)",
        19 => "SIMD floating-point exception (#XM)",
        _ => "exception",
    }
}

#[unsafe(no_mangle)]
extern "C" fn exos_exception_dispatch(frame: &mut ExceptionFrame, fpu: &mut FpuState) {
    dispatch(frame, fpu);
    // A revocation request that arrived while the handler ran cannot be delivered as an upcall
    // until the handler is left: answer it here (one read when there is none).
    if frame.vector != abi::REVOKE_VECTOR {
        answer_pending();
    }
    // The return path writes the resume address below the interrupted stack pointer: that page
    // must be writable (it may be copy-on-write since a fork).
    if let Some(prepare) = RETURN.get() {
        prepare(frame.rsp.wrapping_sub(136));
    }
    crate::rt::stages::stamp(abi::stages::Point::HandlerDispatched);
}

fn dispatch(frame: &mut ExceptionFrame, fpu: &mut FpuState) {
    if frame.vector == 14 && PAGE_FAULT.get().is_some_and(|layer| layer(frame)) {
        return;
    }
    if frame.vector == abi::SLICE_END_VECTOR {
        if let Some(slice_end) = SLICE_END.get() {
            slice_end();
        }
        if let Some(handler) = SLICE_HANDLER.get() {
            handler(frame);
        }
        if let Some(handler) = SLICE_SWITCH_HANDLER.get() {
            handler(frame, fpu);
        }
        return;
    }
    if frame.vector == abi::SYSCALL_UPCALL_VECTOR {
        crate::rt::redirect::dispatch(frame);
        return;
    }
    if frame.vector == abi::REVOKE_VECTOR {
        if let Some(handler) = REVOKE_HANDLER.get() {
            handler(frame.error_code, frame.fault_address);
        }
        return;
    }
    let handler = HANDLER.get();
    crate::rt::stages::stamp(abi::stages::Point::HandlerCall);
    if handler.is_some_and(|h| h(frame)) {
        crate::rt::stages::stamp(abi::stages::Point::HandlerReturned);
        return;
    }
    crate::println!("unhandled {} at rip={:#x} (error code {:#x}, address {:#x})",
                    name(frame.vector), frame.rip, frame.error_code, frame.fault_address);
    crate::sys::syscall::sys_env_exit(128 + frame.vector as i64)
}

unsafe extern "C" {
    /// The handler entry registered with the kernel (defined below in assembly).
    fn exos_exception_entry();
}

core::arch::global_asm!(
    // Stage stamp (exos/src/rt/stages.rs; only with the `stages` feature, else no instruction):
    // appends (point << 48 | low 48 bits of rdtsc) to EXOS_STAGE_LOG. Clobbers rax, rcx, rdx, r8,
    // which the return path reloads from the frame.
    ".macro EXOS_STAMP point",
    ".if {stages}",
    "    rdtsc",
    "    shl rdx, 32",
    "    or rax, rdx",
    "    shl rax, 16",
    "    shr rax, 16",
    "    movabs rdx, (\\point << 48)",
    "    or rax, rdx",
    "    lea r8, [rip + {log}]",
    "    mov rcx, [r8]",
    "    mov rdx, rcx",
    "    and edx, {log_mask}",
    "    mov [r8 + rdx * 8 + 8], rax",
    "    inc rcx",
    "    mov [r8], rcx",
    ".endif",
    ".endm",
    ".section .text.exos_exception_entry,\"ax\",@progbits",
    ".global exos_exception_entry",
    "exos_exception_entry:",
    "    EXOS_STAMP {handler_entry}",
    "    mov rbx, rdi",
    "    sub rsp, 512",
    "    fxsave64 [rsp]",
    "    EXOS_STAMP {handler_fpu_saved}",
    "    mov rdi, rbx",
    "    mov rsi, rsp",
    "    call exos_exception_dispatch",
    "    fxrstor64 [rsp]",
    "    EXOS_STAMP {handler_resume}",
    "    mov rsp, rbx",
    "    mov rax, [rsp + {rsp_offset}]",
    "    sub rax, 136",
    "    mov rcx, [rsp + {rip_offset}]",
    "    mov [rax], rcx",
    "    mov [rsp + {rsp_offset}], rax",
    "    mov rax, [rsp + 0]",
    "    mov rbx, [rsp + 8]",
    "    mov rcx, [rsp + 16]",
    "    mov rdx, [rsp + 24]",
    "    mov rsi, [rsp + 32]",
    "    mov rdi, [rsp + 40]",
    "    mov rbp, [rsp + 48]",
    "    mov r8, [rsp + 56]",
    "    mov r9, [rsp + 64]",
    "    mov r10, [rsp + 72]",
    "    mov r11, [rsp + 80]",
    "    mov r12, [rsp + 88]",
    "    mov r13, [rsp + 96]",
    "    mov r14, [rsp + 104]",
    "    mov r15, [rsp + 112]",
    "    push qword ptr [rsp + {rflags_offset}]",
    "    popfq",
    "    mov rsp, [rsp + {rsp_offset}]",
    "    ret 128",
    rsp_offset = const exception_frame::RSP,
    rip_offset = const exception_frame::RIP,
    rflags_offset = const exception_frame::RFLAGS,
    stages = const crate::rt::stages::ENABLED as u8,
    log = sym crate::rt::stages::EXOS_STAGE_LOG,
    log_mask = const abi::stages::LOG_LEN - 1,
    handler_entry = const abi::stages::Point::HandlerEntry as u16,
    handler_fpu_saved = const abi::stages::Point::HandlerFpuSaved as u16,
    handler_resume = const abi::stages::Point::HandlerResume as u16,
);
