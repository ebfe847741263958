//! `console_*` calls: writing to the serial console, and reading what was typed at it.
use super::SysResult;
use crate::arch::x86_64::entry::TrapFrame;
use crate::arch::x86_64::serial;
use crate::{envs, input, uaccess};
use abi::layout::is_user_range;
use abi::{Error, MAX_CONSOLE_READ, MAX_CONSOLE_WRITE};

/// The most bytes one kernel entry writes to the serial line: under emulation a byte takes about
/// 25 us, so a piece holds interrupts off for under 2 ms; a longer write restarts itself.
pub const CONSOLE_PIECE: u64 = 64;

/// `console_write(ptr, len)`, the arguments in `rdi`, `rsi`. Not inlined: its buffer would make
/// every call's stack frame large. The whole buffer is checked readable first; then it goes out
/// [`CONSOLE_PIECE`] bytes per kernel entry (`syscall::resumed`).
#[inline(never)]
pub fn sys_console_write(regs: &mut TrapFrame) -> SysResult {
    let (ptr, len) = (regs.rdi, regs.rsi);
    if len > MAX_CONSOLE_WRITE {
        return Err(Error::TooLong.into());
    }
    let done = if len > CONSOLE_PIECE { super::resumed(regs).min(len) } else { 0 };
    let mut buffer = [0u8; MAX_CONSOLE_WRITE as usize];
    let buffer = &mut buffer[..len as usize];
    uaccess::copy_from_user(envs::current_root(), ptr, buffer)?;
    let end = (done + CONSOLE_PIECE).min(len);
    serial::write_bytes(&buffer[done as usize..end as usize]);
    crate::stats::add(abi::stats::Counter::ConsoleBytesOut, end - done);
    if end < len {
        return Err(super::again(regs, end));
    }
    Ok(len)
}

/// `console_read(ptr, len)`: copies up to `len` buffered bytes (at most [`MAX_CONSOLE_READ`]) to
/// the caller's memory at `ptr`. Never blocks: 0 means nothing was typed.
#[inline(never)]
pub fn sys_console_read(ptr: u64, len: u64) -> SysResult {
    if !is_user_range(ptr, len) {
        return Err(Error::BadAddress.into());
    }
    let want = len.min(MAX_CONSOLE_READ) as usize;
    // The whole (clamped) buffer must be writable, whether or not anything is buffered, so a bad
    // buffer is reported at once and the same way every time.
    uaccess::check_writable(envs::current_root(), ptr, want)?;
    let mut out = [0u8; MAX_CONSOLE_READ as usize];
    let n = input::peek(&mut out[..want]);
    uaccess::copy_to_user(envs::current_root(), ptr, &out[..n])?;
    input::consume(n);
    Ok(n as u64)
}
