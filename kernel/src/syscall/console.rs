//! `console_*` calls: writing to the serial console, and reading what was typed at it.
use super::SysResult;
use crate::arch::x86_64::serial;
use crate::{envs, input, uaccess};
use abi::layout::is_user_range;
use abi::{Error, MAX_CONSOLE_READ, MAX_CONSOLE_WRITE};

/// `console_write(ptr, len)`. Not inlined: its buffer would make every call's stack frame large.
#[inline(never)]
pub fn sys_console_write(ptr: u64, len: u64) -> SysResult {
    if len > MAX_CONSOLE_WRITE {
        return Err(Error::TooLong.into());
    }
    let mut buffer = [0u8; MAX_CONSOLE_WRITE as usize];
    let buffer = &mut buffer[..len as usize];
    uaccess::copy_from_user(envs::current_root(), ptr, buffer)?;
    serial::write_bytes(buffer);
    crate::stats::add(abi::stats::Counter::ConsoleBytesOut, len);
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
