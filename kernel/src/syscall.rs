//! System-call dispatch: decode the number and arguments from the saved registers, check them,
//! act, and encode the result in `rax`/`rdx` (see `abi` for the convention).
use crate::arch::x86_64::entry::TrapFrame;
use crate::arch::x86_64::serial;
use crate::sched::{self, Outcome};
use crate::uaccess;
use crate::env::ExceptionHandler;
use abi::layout::{is_user_range, overlaps_windows};
use crate::{bind, cap, env, page, pct};
use crate::stages::stamp;
use abi::stages::Point;
use abi::{encode_partial, encode_result, Error, Sysnum, MAX_CONSOLE_WRITE, MIN_EXCEPTION_STACK};

/// Called by the `syscall` entry stub with the caller's registers.
#[unsafe(no_mangle)]
extern "C" fn syscall_dispatch(frame: &mut TrapFrame) {
    stamp(Point::Dispatch);
    crate::stats::syscall(frame.rax);
    dispatch(frame);
    stamp(Point::Done);
}

fn dispatch(frame: &mut TrapFrame) {
    let number = Sysnum::try_from(frame.rax);
    stamp(Point::Decoded);
    let result = match number {
        Ok(Sysnum::ConsoleWrite) => console_write(frame.rdi, frame.rsi),
        Ok(Sysnum::EnvExit) => sched::end_current(Outcome::Exited(frame.rdi)),
        Ok(Sysnum::EnvSetExceptionHandler) => env_set_exception_handler(frame.rdi, frame.rsi, frame.rdx),
        Ok(Sysnum::PageAlloc) => page::alloc(frame.rdi),
        Ok(Sysnum::PageFree) => page::free(frame.rdi),
        Ok(Sysnum::CapGrant) => cap::grant(frame.rdi, frame.rsi, frame.rdx),
        Ok(Sysnum::CapRevoke) => cap::revoke(frame.rdi),
        Ok(Sysnum::CapDelete) => cap::delete_own(frame.rdi),
        Ok(Sysnum::EnvSetName) => env::set_name(frame.rdi, frame.rsi, frame.rdx),
        Ok(Sysnum::PageMap) => {
            let (done, failure) = bind::page_map(frame.rdi, frame.rsi, frame.rdx);
            (frame.rax, frame.rdx) = encode_partial(done, failure);
            return;
        }
        Ok(Sysnum::EnvCreate) => env::create(),
        Ok(Sysnum::EnvStart) => env::start(frame.rdi, frame.rsi, frame.rdx, frame.r10),
        Ok(Sysnum::EnvDestroy) => env::destroy(frame.rdi),
        Ok(Sysnum::SliceAlloc) => crate::slice::alloc(frame.rdi),
        Ok(Sysnum::SliceFree) => crate::slice::free(frame.rdi),
        Ok(Sysnum::EnvSetSliceUpcall) => crate::slice::set_upcall(frame.rdi),
        Ok(Sysnum::PageSetVital) => crate::revoke::set_vital(frame.rdi, frame.rsi),
        Ok(Sysnum::PctSetEntry) => pct::set_entry(frame.rdi, frame.rsi),
        Ok(Sysnum::PctCall) => return transfer(frame, |f| pct::call(f, true)),
        Ok(Sysnum::PctSend) => return transfer(frame, |f| pct::call(f, false)),
        Ok(Sysnum::PctReply) => return transfer(frame, |f| pct::reply(f, f.rdi, f.rsi)),
        Ok(Sysnum::PctWait) => return transfer(frame, pct::wait),
        Ok(Sysnum::ConsoleRead) => crate::input::console_read(frame.rdi, frame.rsi),
        Ok(Sysnum::EnvYield) => {
            let target = frame.rdi;
            (frame.rax, frame.rdx) = encode_result(Ok(0));
            if let Err(e) = sched::yield_to(frame, target) {
                (frame.rax, frame.rdx) = encode_result(Err(e));
            }
            return;
        }
        Err(e) => Err(e),
    };
    let (rax, rdx) = encode_result(result);
    frame.rax = rax;
    frame.rdx = rdx;
}

/// Runs a call that may move the CPU to another environment: on success it has already set up the
/// registers to return to (the caller's result, or another environment's state), so only a
/// failure is encoded here, into the caller's still-current frame.
fn transfer(frame: &mut TrapFrame, op: impl FnOnce(&mut TrapFrame) -> Result<(), Error>) {
    if let Err(e) = op(frame) {
        (frame.rax, frame.rdx) = encode_result(Err(e));
    }
}

/// `console_write(ptr, len)`.
fn console_write(ptr: u64, len: u64) -> Result<u64, Error> {
    if len > MAX_CONSOLE_WRITE {
        return Err(Error::TooLong);
    }
    let mut buffer = [0u8; MAX_CONSOLE_WRITE as usize];
    let buffer = &mut buffer[..len as usize];
    uaccess::copy_from_user(sched::current_root(), ptr, buffer)?;
    serial::write_bytes(buffer);
    crate::stats::add(abi::stats::Counter::ConsoleBytesOut, len);
    Ok(len)
}

/// `env_set_exception_handler(entry, stack_base, stack_size)`.
fn env_set_exception_handler(entry: u64, stack_base: u64, stack_size: u64) -> Result<u64, Error> {
    let handler = if entry == 0 {
        None
    } else {
        if !is_user_range(entry, 1) || !is_user_range(stack_base, stack_size) || overlaps_windows(stack_base, stack_size) {
            return Err(Error::BadAddress);
        }
        if stack_size < MIN_EXCEPTION_STACK || !(stack_base | stack_size).is_multiple_of(16) {
            return Err(Error::BadArgument);
        }
        Some(ExceptionHandler { entry, stack_base, stack_top: stack_base + stack_size })
    };
    sched::with_current(|env| env.exception_handler = handler);
    Ok(0)
}
