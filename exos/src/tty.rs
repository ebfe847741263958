//! Console input and output for console file descriptors. Placeholder until the terminal line
//! discipline lands: `read` reports end of file, `write` goes straight to the kernel console.
use crate::syscall::sys_console_write;

/// Reads console input into `buf`; the placeholder has none (end of file: `Ok(0)`).
pub fn read(buf: &mut [u8]) -> Result<usize, abi::Error> {
    let _ = buf;
    Ok(0)
}

/// Writes `buf` to the console; returns how many bytes were written (all of them).
pub fn write(buf: &[u8]) -> Result<usize, abi::Error> {
    sys_console_write(buf)?;
    Ok(buf.len())
}
