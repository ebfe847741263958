//! Console input: bytes typed at the serial console, kept in a kernel ring buffer until a program
//! takes them with `console_read`.
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
use crate::{sched, uaccess};
use abi::layout::is_user_range;
use abi::{Error, MAX_CONSOLE_READ};

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

/// `console_read(ptr, len)`: copies up to `len` buffered bytes (at most [`MAX_CONSOLE_READ`]) to
/// the caller's memory at `ptr`. Never blocks: 0 means nothing was typed.
pub fn console_read(ptr: u64, len: u64) -> Result<u64, Error> {
    if !is_user_range(ptr, len) {
        return Err(Error::BadAddress);
    }
    let want = len.min(MAX_CONSOLE_READ) as usize;
    // The whole (clamped) buffer must be writable, whether or not anything is buffered, so a bad
    // buffer is reported at once and the same way every time.
    uaccess::check_writable(sched::current_root(), ptr, want)?;
    poll();
    let mut out = [0u8; MAX_CONSOLE_READ as usize];
    let n = {
        let ring = RING.lock();
        let n = want.min(ring.len);
        for (i, slot) in out[..n].iter_mut().enumerate() {
            *slot = ring.bytes[(ring.head + i) % CAPACITY];
        }
        n
    };
    uaccess::copy_to_user(sched::current_root(), ptr, &out[..n])?;
    let mut ring = RING.lock();
    ring.head = (ring.head + n) % CAPACITY;
    ring.len -= n;
    crate::page::publish_console_input(ring.len as u64);
    crate::stats::add(abi::stats::Counter::ConsoleBytesIn, n as u64);
    Ok(n as u64)
}

/// Called at each timer tick: drains the UART and publishes the count.
pub fn tick() {
    let pending = poll();
    crate::page::publish_console_input(pending as u64);
}
