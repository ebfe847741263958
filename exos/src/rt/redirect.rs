//! Syscall redirection, the library side: a foreign personality (the Linux binaries of
//! `exos::linux`, to come) registers a handler that receives every `syscall` instruction executed
//! outside this program's own code, with all registers, and returns to the caller without the
//! kernel (through the exception return path).
//!
//! The program's own code (`[__exos_text_start, __exos_text_end)`, from `user/link.ld`) keeps
//! making Exo system calls as usual, at the usual cost.
#![allow(unsafe_code)]

use crate::rt::exception;
use crate::rt::hook::Hook;
use crate::sys::syscall::sys_env_redirect_syscalls;
use abi::{Error, ExceptionFrame};

/// A redirected system call: `frame.rax` is its number, `rdi`, `rsi`, `rdx`, `r10`, `r8`, `r9`
/// its arguments (the Linux convention); the handler puts the result in `frame.rax`. The caller
/// resumes at `frame.rip` (the instruction after its `syscall`).
pub type SyscallHandler = fn(&mut ExceptionFrame);

static HANDLER: Hook<SyscallHandler> = Hook::new();

// SAFETY: symbols defined by user/link.ld around `.text`; only their addresses are taken.
unsafe extern "C" {
    static __exos_text_start: u8;
    static __exos_text_end: u8;
}

/// This program's code: the `syscall` instructions that stay Exo system calls.
pub fn native_text() -> (u64, u64) {
    (&raw const __exos_text_start as u64, &raw const __exos_text_end as u64)
}

/// Sends every `syscall` executed outside this program's own code to `handler` (the exception
/// stack is registered if it was not).
pub fn redirect_syscalls(handler: SyscallHandler) -> Result<(), Error> {
    exception::ensure_registered()?;
    HANDLER.set(handler);
    let (start, end) = native_text();
    sys_env_redirect_syscalls(start, end)
}

/// Makes every `syscall` an Exo system call again.
pub fn stop() -> Result<(), Error> {
    sys_env_redirect_syscalls(0, 0)?;
    HANDLER.clear();
    Ok(())
}

/// Called by the exception dispatcher for `abi::SYSCALL_UPCALL_VECTOR`. Without a handler (it was
/// cleared while an upcall was on its way) the call fails as Linux fails an unknown one.
pub(crate) fn dispatch(frame: &mut ExceptionFrame) {
    match HANDLER.get() {
        Some(handler) => handler(frame),
        None => frame.rax = ENOSYS.wrapping_neg(),
    }
}

/// Linux's "function not implemented" (38), returned negated.
const ENOSYS: u64 = 38;
