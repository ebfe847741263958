//! The serial console on COM1 (port 0x3f8), through the `uart_16550` crate.
//!
//! All kernel output and the console system calls go here; [`receive`] drains what arrived
//! (`input.rs` calls it on the receive interrupt, IRQ 4, which [`enable_receive_interrupt`] turns
//! on, and at every `console_read`). The port sits behind a spin lock; the
//! panic path uses [`write_raw`], which bypasses the lock so that a panic while printing still gets out.
use core::fmt::{self, Write};
use uart_16550::backend::PioBackend;
use uart_16550::{Config, Uart16550};

const COM1: u16 = 0x3f8;

static PORT: spin::Mutex<Option<Uart16550<PioBackend>>> = spin::Mutex::new(None);

/// Initializes COM1 (115200 8N1, FIFOs on).
pub fn init() {
    // SAFETY: COM1's eight registers at 0x3f8..0x400 belong to the kernel for its whole lifetime.
    let mut uart = unsafe { Uart16550::new_port(COM1) }.expect("0x3f8 is a valid port base");
    // A missing UART is not fatal (real machines without COM1): output is then dropped.
    if uart.init(Config::default()).is_ok() {
        *PORT.lock() = Some(uart);
    }
}

/// Makes COM1 raise IRQ 4 when received bytes wait (FIFO trigger level or its timeout): the
/// "received data available" interrupt only, with OUT2 set so the line reaches the 8259.
pub fn enable_receive_interrupt() {
    if PORT.lock().is_none() {
        return;
    }
    // SAFETY: COM1's interrupt-enable (0x3f9) and modem-control (0x3fc) registers belong to the
    // kernel (`init`); DLAB is clear after the crate's initialization, so 0x3f9 is IER.
    unsafe {
        super::cpu::outb(COM1 + 1, 0x01);
        let mcr = super::cpu::inb(COM1 + 4);
        super::cpu::outb(COM1 + 4, mcr | 0x08);
    }
}

/// Writes bytes to the console, translating `\n` into `\r\n`.
pub fn write_bytes(bytes: &[u8]) {
    if let Some(uart) = PORT.lock().as_mut() {
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            match line.split_last() {
                Some((b'\n', body)) => {
                    uart.send_bytes_exact(body);
                    uart.send_bytes_exact(b"\r\n");
                }
                _ => uart.send_bytes_exact(line),
            }
        }
    }
}

/// Moves the bytes waiting in the UART's receive FIFO into `out`; returns how many.
pub fn receive(out: &mut [u8]) -> usize {
    match PORT.lock().as_mut() {
        Some(uart) => uart.receive_bytes(out),
        None => 0,
    }
}

/// A `fmt::Write` sink for the console.
pub struct Console;

impl Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_bytes(s.as_bytes());
        Ok(())
    }
}

/// Writes directly to the UART data register, without the lock or the FIFO checks. Panic path only.
pub fn write_raw(s: &str) {
    for &b in s.as_bytes() {
        if b == b'\n' {
            raw_byte(b'\r');
        }
        raw_byte(b);
    }
}

fn raw_byte(b: u8) {
    // SAFETY: polling the line-status register and writing the data register of COM1 only emits a
    // byte; the spin loop is bounded so a missing UART cannot hang the panic path.
    unsafe {
        for _ in 0..100_000 {
            if super::cpu::inb(COM1 + 5) & 0x20 != 0 {
                break;
            }
        }
        super::cpu::outb(COM1, b);
    }
}

/// A `fmt::Write` sink that uses [`write_raw`].
pub struct RawConsole;

impl Write for RawConsole {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_raw(s);
        Ok(())
    }
}
