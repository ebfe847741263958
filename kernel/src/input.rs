//! Console input: bytes typed at the serial console, kept in a kernel ring buffer until a program
//! takes them with `console_read` (`syscall/console.rs`).
//!
//! Interrupt-driven: the UART raises its "received data available" interrupt (FIFO trigger level,
//! or the FIFO timeout for fewer bytes) on IRQ 4; the master 8259 (every other line masked) passes
//! it to the CPU through LAPIC LINT0 programmed as ExtINT, on vector `legacy::COM1_VECTOR`. (The
//! 8259 route needs no I/O APIC driver, and the PC's COM1 is wired to it on every machine QEMU
//! models.) The handler drains the FIFO into the ring, and the trap handler wakes the environments
//! sleeping in `env_wait(WAIT_CONSOLE)`, or the idle CPU. `console_read` drains it too. Under QEMU
//! nothing is ever lost (the emulated UART only takes bytes from its backend while its FIFO has
//! room).
//!
//! The number of bytes buffered is published in `SysInfo::console_input` (updated at each
//! interrupt and each read), so a waiting library can look at memory instead of making the call.
use crate::arch::x86_64::{lapic, legacy, serial};

/// Buffered bytes beyond this are dropped (the oldest are kept: what was typed first is read first).
const CAPACITY: usize = 4096;

struct Ring {
    bytes: [u8; CAPACITY],
    head: usize,
    len: usize,
}

static RING: spin::Mutex<Ring> = spin::Mutex::new(Ring { bytes: [0; CAPACITY], head: 0, len: 0 });

/// Drains the UART into the ring; returns how many bytes are buffered.
pub fn poll() -> usize {
    let mut chunk = [0u8; 64];
    let mut ring = RING.lock();
    loop {
        let n = serial::receive(&mut chunk);
        for &b in &chunk[..n] {
            if ring.len < CAPACITY {
                let at = (ring.head + ring.len) % CAPACITY;
                ring.bytes[at] = b;
                ring.len += 1;
            }
        }
        if n < chunk.len() {
            break;
        }
    }
    ring.len
}

/// Drains the UART, then copies the oldest buffered bytes into `out` without consuming them;
/// returns how many.
pub fn peek(out: &mut [u8]) -> usize {
    poll();
    let ring = RING.lock();
    let n = out.len().min(ring.len);
    for (i, slot) in out[..n].iter_mut().enumerate() {
        *slot = ring.bytes[(ring.head + i) % CAPACITY];
    }
    n
}

/// Consumes the `n` oldest bytes (after [`peek`] gave them to a program) and publishes the count.
pub fn consume(n: usize) {
    let mut ring = RING.lock();
    let n = n.min(ring.len);
    ring.head = (ring.head + n) % CAPACITY;
    ring.len -= n;
    crate::windows::publish_console_input(ring.len as u64);
    crate::stats::add(abi::stats::Counter::ConsoleBytesIn, n as u64);
}

/// The UART's receive interrupt: drains it and publishes the count (the trap handler then wakes
/// the environments waiting for input).
pub fn interrupt() {
    let pending = poll();
    crate::windows::publish_console_input(pending as u64);
}

/// How many typed bytes wait for `console_read`.
pub fn pending() -> usize {
    RING.lock().len
}

/// Turns on the receive interrupt (IRQ 4 through the master 8259, delivered as ExtINT on LINT0)
/// and takes what arrived before it.
pub fn init() {
    serial::enable_receive_interrupt();
    legacy::unmask_com1();
    lapic::enable_extint();
    interrupt();
}
