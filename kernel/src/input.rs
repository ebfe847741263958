//! Console input: bytes typed at the serial console, kept in a kernel ring buffer until a program
//! takes them with `console_read` (`syscall/console.rs`).
//!
//! Polled, not interrupt-driven: the UART's receive FIFO is drained at every timer tick (10 ms)
//! and at every `console_read`. The kernel keeps interrupts off in ring 0 and routes no legacy IRQ
//! (the 8259s are masked, there is no I/O APIC driver), so polling costs nothing new: one port read
//! per tick when idle. Under QEMU nothing is ever lost (the emulated UART only takes bytes from its
//! backend while its FIFO has room); on a real 16550 at 115200 baud a paste longer than the
//! 16-byte FIFO within one tick could overrun it, which typing never does.
//!
//! The number of bytes buffered is published in `SysInfo::console_input` (updated at each tick and
//! each read), so a waiting library can poll memory instead of making the call.
use crate::arch::x86_64::serial;

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

/// Called at each timer tick: drains the UART and publishes the count.
pub fn tick() {
    let pending = poll();
    crate::windows::publish_console_input(pending as u64);
}
