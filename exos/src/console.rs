//! Console output for programs: [`print!`] and [`println!`] format into a small buffer and hand it
//! to `sys_console_write` in as few calls as possible.
use crate::syscall::sys_console_write;
use core::fmt::{self, Write};

/// A formatting sink that batches output into 256-byte console writes.
pub struct Console {
    buffer: [u8; 256],
    len: usize,
}

impl Console {
    pub const fn new() -> Console {
        Console { buffer: [0; 256], len: 0 }
    }

    /// Sends what is buffered.
    pub fn flush(&mut self) {
        if self.len > 0 {
            let _ = sys_console_write(&self.buffer[..self.len]);
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

/// Prints to the console.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::console::print(format_args!($($arg)*)) };
}

/// Prints a line to the console.
#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => { $crate::console::print(format_args!("{}\n", format_args!($($arg)*))) };
}
