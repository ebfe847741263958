//! Syscall redirection (`env_redirect_syscalls`): a `syscall` instruction executed outside the
//! environment's native range is not an Exo system call but an upcall to its exception handler
//! (`abi::SYSCALL_UPCALL_VECTOR`), which is how a library OS runs a foreign personality's binaries
//! (Linux) unmodified while its own code keeps the ordinary, cheap system-call path.
//!
//! The running environment's range is mirrored in three words here, loaded on every switch
//! ([`load`]), so the system-call entry pays one byte test when nobody redirects. The upcall grants
//! nothing: it runs the caller's own handler, in its own address space, with its own capabilities,
//! through the same checked frame write as an exception (`upcall::push`).
use crate::arch::x86_64::entry::TrapFrame;
use crate::env::Env;
use crate::upcall::{self, Refused};
use crate::{envs, exit};
use abi::layout::is_user_range;
use abi::Error;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

/// Whether the running environment redirects `syscall` (tested on every system call).
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// The running environment's native range `[START, END)` (meaningful while `ACTIVE`).
static START: AtomicU64 = AtomicU64::new(0);
static END: AtomicU64 = AtomicU64::new(0);

/// Mirrors `env`'s redirection for the entry path: it is about to run.
#[inline(always)]
pub fn load(env: &Env) {
    match env.syscall_native {
        Some((start, end)) => {
            START.store(start, Relaxed);
            END.store(end, Relaxed);
            ACTIVE.store(true, Relaxed);
        }
        None => ACTIVE.store(false, Relaxed),
    }
}

/// Whether the system call in `frame` must go to the environment's handler instead: the caller
/// redirects and its `syscall` instruction (the two bytes before `rip`) is outside its native range.
#[inline(always)]
pub fn wanted(frame: &TrapFrame) -> bool {
    ACTIVE.load(Relaxed) && {
        let at = frame.rip.wrapping_sub(2);
        !(START.load(Relaxed)..END.load(Relaxed)).contains(&at)
    }
}

/// Delivers the redirected `syscall` in `frame` to the caller's exception handler, or ends the
/// caller when it cannot take it (no handler, already inside it, stack not writable).
#[cold]
pub fn deliver(frame: &mut TrapFrame) {
    if let Err(refused) = try_deliver(frame) {
        crate::stats::count(abi::stats::Counter::FaultKills);
        let text = alloc::format!("redirected syscall {} at rip={:#x}{refused}", frame.rax, frame.rip.wrapping_sub(2));
        let text = if matches!(refused, Refused::NoHandler) { text + " without an exception handler" } else { text };
        exit::end_current(crate::teardown::Outcome::Killed(text));
    }
}

fn try_deliver(frame: &mut TrapFrame) -> Result<(), Refused> {
    let (root, handler) = envs::with_current(|env| (env.root, env.exception_handler));
    let handler = handler.ok_or(Refused::NoHandler)?;
    if upcall::in_handler(frame.rsp, &handler) {
        let (base, top) = (handler.stack_base, handler.stack_top);
        return Err(Refused::InHandler { rsp: frame.rsp, base, top });
    }
    let words = upcall::frame_words(frame, abi::SYSCALL_UPCALL_VECTOR, 0, 0);
    upcall::push(root, &handler, frame, &words).map_err(|top| Refused::Unwritable { top })
}

/// `env_redirect_syscalls(native_start, native_end)`: sets (or with 0, 0 clears) the caller's
/// redirection. The range must be a non-empty user range: a range reaching into the kernel would
/// mean nothing (user code cannot run there) but is refused so the check stays exact.
pub fn set(native_start: u64, native_end: u64) -> Result<(), Error> {
    let range = if (native_start, native_end) == (0, 0) {
        None
    } else {
        if native_end <= native_start || !is_user_range(native_start, native_end - native_start) {
            return Err(Error::BadAddress);
        }
        Some((native_start, native_end))
    };
    envs::with_current(|env| {
        env.syscall_native = range;
        load(env);
    });
    Ok(())
}
