//! Output for programs: [`print!`] and [`println!`] format into a small buffer and write it to
//! file descriptor 1 in as few calls as possible ([`eprint!`]/[`eprintln!`]: descriptor 2). A
//! process without a descriptor table (`fs/fd/`) writes straight to the console
//! (`sys_console_write`), so redirected programs print into pipes and others cost nothing more.
use crate::sys::syscall::sys_console_write;
use core::fmt::{self, Write};

/// A formatting sink that batches output into 256-byte console writes.
pub struct Console {
    buffer: [u8; 256],
    len: usize,
    fd: u32,
}

impl Console {
    /// A sink for descriptor 1.
    pub const fn new() -> Console {
        Console::to(1)
    }

    /// A sink for descriptor `fd`.
    pub const fn to(fd: u32) -> Console {
        Console { buffer: [0; 256], len: 0, fd }
    }

    /// Sends what is buffered (errors, such as a closed pipe, drop the output).
    pub fn flush(&mut self) {
        if self.len > 0 {
            if crate::fs::fd::has_table() {
                let _ = crate::fs::fd::write_all(self.fd, &self.buffer[..self.len]);
            } else {
                let _ = sys_console_write(&self.buffer[..self.len]);
            }
            self.len = 0;
        }
    }
}

impl Default for Console {
    fn default() -> Console {
        Console::new()
    }
}

impl Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for chunk in s.as_bytes().chunks(self.buffer.len()) {
            if self.len + chunk.len() > self.buffer.len() {
                self.flush();
            }
            self.buffer[self.len..self.len + chunk.len()].copy_from_slice(chunk);
            self.len += chunk.len();
        }
        Ok(())
    }
}

/// Prints formatted text to the console.
pub fn print(args: fmt::Arguments) {
    let mut console = Console::new();
    let _ = console.write_fmt(args);
    console.flush();
}

/// Prints formatted text to descriptor 2.
pub fn eprint(args: fmt::Arguments) {
    let mut console = Console::to(2);
    let _ = console.write_fmt(args);
    console.flush();
}

/// Prints to descriptor 2 (standard error).
#[macro_export]
macro_rules! eprint {
    ($($arg:tt)*) => { $crate::rt::console::eprint(format_args!($($arg)*)) };
}

/// Prints a line to descriptor 2 (standard error).
#[macro_export]
macro_rules! eprintln {
    () => { $crate::eprint!("\n") };
    ($($arg:tt)*) => { $crate::rt::console::eprint(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Prints to descriptor 1 (the console unless redirected).
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::rt::console::print(format_args!($($arg)*)) };
}

/// Prints a line to descriptor 1.
#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => { $crate::rt::console::print(format_args!("{}\n", format_args!($($arg)*))) };
}
