//! Exception upcalls: handing a ring-3 exception to the environment's own handler.
//!
//! The kernel writes an `abi::ExceptionFrame` (the faulting registers, vector, error code and
//! fault address) at the top of the environment's exception stack and resumes the environment at
//! its handler with `rdi` pointing at the frame. The kernel's part ends there: the library OS
//! returns to the faulting code by itself (`exos/src/rt/exception.rs`), without a system call.
//!
//! The environment is ended instead when it has no handler, when the fault happened on the
//! exception stack (a fault in the handler itself) or in the page below it (the handler overflowed
//! its stack), or when the frame cannot be written because the stack is not mapped user-writable.
use crate::arch::x86_64::cpu;
use crate::arch::x86_64::entry::TrapFrame;
use crate::env::ExceptionHandler;
use crate::envs;
use crate::uaccess;
use abi::layout::PAGE_SIZE;
use abi::{exception_frame, ExceptionFrame};
use core::fmt;

const PAGE_FAULT: u64 = 14;
const RFLAGS_TF: u64 = 1 << 8;
const RFLAGS_DF: u64 = 1 << 10;
const RFLAGS_AC: u64 = 1 << 18;

/// Why an exception could not be handed to the environment's handler.
pub enum Refused {
    NoHandler,
    InHandler { rsp: u64, base: u64, top: u64 },
    Overflowed { rsp: u64, base: u64, top: u64 },
    Unwritable { top: u64 },
}

impl fmt::Display for Refused {
    /// The text that follows the fault's own description in the kill message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Refused::NoHandler => Ok(()),
            Refused::InHandler { rsp, base, top } => {
                write!(f, " inside its own exception handler (rsp={rsp:#x} is on the exception stack [{base:#x}, {top:#x}))")
            }
            Refused::Overflowed { rsp, base, top } => {
                write!(f, " after overflowing its exception stack (rsp={rsp:#x} is below [{base:#x}, {top:#x}))")
            }
            Refused::Unwritable { top } => {
                write!(f, "; its exception stack at {top:#x} is not mapped writable, so the handler cannot run")
            }
        }
    }
}

/// Redirects `frame` (a ring-3 exception) to the environment's handler. On refusal `frame` is
/// unchanged. This is the hot path of exception dispatch: nothing is formatted unless it fails.
pub fn deliver_exception(frame: &mut TrapFrame) -> Result<(), Refused> {
    let (root, handler) = envs::with_current(|env| (env.root, env.exception_handler));
    let handler = handler.ok_or(Refused::NoHandler)?;
    if let Some(refused) = check_not_in_handler(frame.rsp, &handler) {
        return Err(refused);
    }
    crate::stages::stamp(abi::stages::Point::Checked);
    let fault_address = if frame.vector == PAGE_FAULT { cpu::read_cr2() } else { 0 };
    let words = frame_words(frame, frame.vector, frame.error_code, fault_address);
    push(root, &handler, frame, &words).map_err(|top| Refused::Unwritable { top })?;
    crate::stats::count(abi::stats::Counter::ExceptionUpcalls);
    Ok(())
}

/// Writes an exception frame at the top of the exception stack of `handler` in address space
/// `root` and redirects `frame` to the handler. On failure returns the address it could not write.
/// `words` is the frame (`frame_words`).
pub fn push(root: u64, handler: &ExceptionHandler, frame: &mut TrapFrame, words: &[u64; WORDS]) -> Result<(), u64> {
    let top = (handler.stack_top - exception_frame::SIZE as u64) & !15;
    uaccess::write_words_to_user(root, top, words).map_err(|_| top)?;
    frame.rip = handler.entry;
    frame.rsp = top;
    frame.rdi = top;
    frame.rflags &= !(RFLAGS_TF | RFLAGS_DF | RFLAGS_AC);
    Ok(())
}

/// Delivers a pending slice-end upcall into the saved registers of `env`, about to run, if it can
/// take one now (it has a handler and is not inside it); otherwise it is dropped (the handler is
/// busy, so the library is already running its own code).
pub fn deliver_slice_end(env: &mut crate::env::Env) {
    if !core::mem::take(&mut env.slice_end_pending) {
        return;
    }
    let Some(handler) = env.exception_handler.filter(|h| !in_handler(env.frame.rsp, h)) else { return };
    let words = frame_words(&env.frame, abi::SLICE_END_VECTOR, 0, 0);
    if push(env.root, &handler, &mut env.frame, &words).is_ok() {
        crate::stats::count(abi::stats::Counter::SliceEndUpcalls);
    }
}

/// Whether `rsp` is on (or just below) the handler's exception stack: the handler is running.
pub fn in_handler(rsp: u64, handler: &ExceptionHandler) -> bool {
    check_not_in_handler(rsp, handler).is_some()
}

fn check_not_in_handler(rsp: u64, handler: &ExceptionHandler) -> Option<Refused> {
    let (base, top) = (handler.stack_base, handler.stack_top);
    if (base..top).contains(&rsp) {
        return Some(Refused::InHandler { rsp, base, top });
    }
    if (base.saturating_sub(PAGE_SIZE)..base).contains(&rsp) {
        return Some(Refused::Overflowed { rsp, base, top });
    }
    None
}

/// The words of an `abi::ExceptionFrame`.
pub const WORDS: usize = exception_frame::SIZE / 8;

/// The `abi::ExceptionFrame` of registers `f` with `vector`, `error_code` and `fault_address`, as
/// its words in `repr(C)` order (every field is a u64; little-endian in memory), built straight
/// from the trap frame: the exception path's one copy of the registers before the write.
#[inline(always)]
pub fn frame_words(f: &TrapFrame, vector: u64, error_code: u64, fault_address: u64) -> [u64; WORDS] {
    [
        f.rax, f.rbx, f.rcx, f.rdx, f.rsi, f.rdi, f.rbp, f.r8, f.r9, f.r10, f.r11, f.r12, f.r13,
        f.r14, f.r15, f.rip, f.rsp, f.rflags, vector, error_code, fault_address,
    ]
}

/// `frame_words` follows `abi::ExceptionFrame`'s layout field by field.
const _: () = {
    use core::mem::offset_of;
    assert!(WORDS == 21 && core::mem::size_of::<ExceptionFrame>() == 8 * WORDS);
    assert!(offset_of!(ExceptionFrame, rax) == 0 && offset_of!(ExceptionFrame, r15) == 8 * 14);
    assert!(offset_of!(ExceptionFrame, rip) == 8 * 15 && offset_of!(ExceptionFrame, rsp) == 8 * 16);
    assert!(offset_of!(ExceptionFrame, rflags) == 8 * 17 && offset_of!(ExceptionFrame, vector) == 8 * 18);
    assert!(offset_of!(ExceptionFrame, error_code) == 8 * 19 && offset_of!(ExceptionFrame, fault_address) == 8 * 20);
};
