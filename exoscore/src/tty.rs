//! The terminal's line discipline: the state a session shares (one page, atomics only) and what
//! typed bytes do to it. Cooked mode: printable bytes go to the line and are echoed; Enter (`\r`
//! or `\n`) completes the line; backspace (0x7f or 0x08) erases one character; Ctrl-U the whole
//! line; Ctrl-D completes the line without a newline (on an empty line: end of file); Ctrl-C
//! discards the line, echoes `^C` and records an interrupt for the foreground process. Raw mode:
//! every byte is queued as typed.
//!
//! ExOS (`exos::fs::tty`) maps the page, holds [`Terminal::lock`] across processes around every
//! call here, writes the echo and delivers the interrupt.
use core::sync::atomic::{AtomicU64, AtomicU8, Ordering::*};

/// The longest line cooked mode edits (further bytes are dropped until Enter).
pub const LINE_MAX: usize = 1024;
/// Bytes of completed input the terminal holds for readers.
pub const QUEUE_SIZE: usize = 2048;
/// Queued after the bytes of a line completed with Ctrl-D (alone: end of file).
pub const EOF_MARK: u8 = 0x04;

/// The shared state. Only atomics, valid when zeroed (cooked, echo on, no foreground process).
#[repr(C)]
pub struct Terminal {
    /// Set by whoever creates the page.
    pub magic: AtomicU64,
    /// The holder's id (ExOS's shared-page lock).
    pub lock: AtomicU64,
    pub raw: AtomicU64,
    pub echo_off: AtomicU64,
    pub foreground: AtomicU64,
    /// The process that made the foreground and delivers its Ctrl-C (it holds the capabilities
    /// of the foreground job; 0: none).
    pub owner: AtomicU64,
    /// The process a Ctrl-C waits to be delivered to (0: none).
    pub interrupt: AtomicU64,
    /// Ctrl-C presses seen, ever.
    pub interrupts: AtomicU64,
    /// Bumped whenever typed input changed the state (the library's readers sleep on this word
    /// and are woken when it moves).
    pub changes: AtomicU64,
    line_len: AtomicU64,
    queue_head: AtomicU64,
    queue_len: AtomicU64,
    line: [AtomicU8; LINE_MAX],
    queue: [AtomicU8; QUEUE_SIZE],
}

const _: () = assert!(core::mem::size_of::<Terminal>() <= 4096);

/// What erases one or two columns: back, blank, back.
const ERASE: &[u8; 6] = b"\x08 \x08\x08 \x08";

/// Control characters other than tab, echoed as `^X`.
fn is_control(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f
}

impl Default for Terminal {
    fn default() -> Self {
        Self::new()
    }
}

impl Terminal {
    /// The zeroed state.
    pub const fn new() -> Terminal {
        Terminal {
            magic: AtomicU64::new(0),
            lock: AtomicU64::new(0),
            raw: AtomicU64::new(0),
            echo_off: AtomicU64::new(0),
            foreground: AtomicU64::new(0),
            owner: AtomicU64::new(0),
            interrupt: AtomicU64::new(0),
            interrupts: AtomicU64::new(0),
            changes: AtomicU64::new(0),
            line_len: AtomicU64::new(0),
            queue_head: AtomicU64::new(0),
            queue_len: AtomicU64::new(0),
            line: [const { AtomicU8::new(0) }; LINE_MAX],
            queue: [const { AtomicU8::new(0) }; QUEUE_SIZE],
        }
    }

    fn queue_room(&self) -> usize {
        QUEUE_SIZE - self.queue_len.load(Relaxed) as usize
    }

    /// Queues `b` for readers (dropped when the queue is full).
    pub fn queue_push(&self, b: u8) {
        let len = self.queue_len.load(Relaxed) as usize;
        if len < QUEUE_SIZE {
            let at = (self.queue_head.load(Relaxed) as usize + len) % QUEUE_SIZE;
            self.queue[at].store(b, Relaxed);
            self.queue_len.store(len as u64 + 1, Relaxed);
        }
    }

    fn queue_at(&self, i: usize) -> u8 {
        self.queue[(self.queue_head.load(Relaxed) as usize + i) % QUEUE_SIZE].load(Relaxed)
    }

    /// Removes the first `n` queued bytes into `out` (if given).
    fn queue_take(&self, n: usize, out: Option<&mut [u8]>) {
        if let Some(out) = out {
            for (i, slot) in out[..n].iter_mut().enumerate() {
                *slot = self.queue_at(i);
            }
        }
        self.queue_head.store(((self.queue_head.load(Relaxed) as usize + n) % QUEUE_SIZE) as u64, Relaxed);
        self.queue_len.store(self.queue_len.load(Relaxed) - n as u64, Relaxed);
    }

    /// Moves the line being edited to the queue, followed by `end` (if it all fits; else dropped).
    fn complete_line(&self, end: u8) {
        let len = self.line_len.load(Relaxed) as usize;
        if self.queue_room() > len {
            for b in &self.line[..len] {
                self.queue_push(b.load(Relaxed));
            }
            self.queue_push(end);
        }
        self.line_len.store(0, Relaxed);
    }

    /// Removes the last character of the line; returns how many columns it took on screen.
    fn erase_char(&self) -> usize {
        let mut len = self.line_len.load(Relaxed) as usize;
        if len == 0 {
            return 0;
        }
        // A UTF-8 character: continuation bytes, then its first byte.
        while len > 1 && self.line[len - 1].load(Relaxed) & 0xc0 == 0x80 {
            len -= 1;
        }
        len -= 1;
        let first = self.line[len].load(Relaxed);
        self.line_len.store(len as u64, Relaxed);
        if is_control(first) { 2 } else { 1 }
    }

    /// Applies one typed byte: queued as is in raw mode, edited in cooked mode (echo through
    /// `echo` unless it is off). Returns `Some(foreground)` for Ctrl-C in cooked mode (recorded in
    /// [`Terminal::interrupt`] when there is a foreground process).
    pub fn typed(&self, b: u8, echo: &mut impl FnMut(&[u8])) -> Option<u64> {
        if self.raw.load(Relaxed) != 0 {
            self.queue_push(b);
            return None;
        }
        let echoing = self.echo_off.load(Relaxed) == 0;
        let mut out = |bytes: &[u8]| {
            if echoing {
                echo(bytes);
            }
        };
        match b {
            0x03 => {
                self.line_len.store(0, Relaxed);
                out(b"^C\n");
                let fg = self.foreground.load(Relaxed);
                self.interrupts.fetch_add(1, Relaxed);
                if fg != 0 {
                    self.interrupt.store(fg, Relaxed);
                }
                Some(fg)
            }
            0x04 => {
                self.complete_line(EOF_MARK);
                None
            }
            0x7f | 0x08 => {
                out(&ERASE[..3 * self.erase_char()]);
                None
            }
            0x15 => {
                while self.line_len.load(Relaxed) > 0 {
                    out(&ERASE[..3 * self.erase_char()]);
                }
                None
            }
            b'\r' | b'\n' => {
                self.complete_line(b'\n');
                out(b"\n");
                None
            }
            b => {
                let len = self.line_len.load(Relaxed) as usize;
                if len < LINE_MAX {
                    self.line[len].store(b, Relaxed);
                    self.line_len.store(len as u64 + 1, Relaxed);
                    if is_control(b) {
                        out(&[b'^', b ^ 0x40]);
                    } else {
                        out(&[b]);
                    }
                }
                None
            }
        }
    }

    /// Whether a read would take something now (what [`Terminal::take`] would find, without
    /// taking it): in raw mode any byte queued, in cooked mode a complete line or a Ctrl-D mark.
    pub fn readable(&self) -> bool {
        let queued = self.queue_len.load(Relaxed) as usize;
        queued > 0 && (self.raw.load(Relaxed) != 0 || (0..queued).any(|i| matches!(self.queue_at(i), b'\n' | EOF_MARK)))
    }

    /// What a read can take from the queue now, if anything: in raw mode whatever is queued; in
    /// cooked mode a complete line with its `\n` (at most `buf.len()` bytes; the rest comes next),
    /// or the bytes before a Ctrl-D mark (0: end of file).
    pub fn take(&self, buf: &mut [u8]) -> Option<usize> {
        let queued = self.queue_len.load(Relaxed) as usize;
        if queued == 0 {
            return None;
        }
        if self.raw.load(Relaxed) != 0 {
            let n = queued.min(buf.len());
            self.queue_take(n, Some(buf));
            return Some(n);
        }
        let end = (0..queued).find(|&i| matches!(self.queue_at(i), b'\n' | EOF_MARK))?;
        if self.queue_at(end) == b'\n' {
            let n = (end + 1).min(buf.len());
            self.queue_take(n, Some(buf));
            return Some(n);
        }
        let n = end.min(buf.len());
        self.queue_take(n, Some(buf));
        if n == end {
            self.queue_take(1, None); // the Ctrl-D mark goes with the last of its line
        }
        Some(n)
    }

    /// Raw mode on or off. A line half edited when raw mode starts is queued as typed.
    pub fn set_raw(&self, raw: bool) {
        if raw {
            let len = self.line_len.load(Relaxed) as usize;
            if self.queue_room() >= len {
                for b in &self.line[..len] {
                    self.queue_push(b.load(Relaxed));
                }
            }
            self.line_len.store(0, Relaxed);
        }
        self.raw.store(u64::from(raw), Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::boxed::Box;
    use alloc::vec::Vec;

    fn typed(t: &Terminal, bytes: &[u8]) -> (Vec<u8>, Option<u64>) {
        let mut echo = Vec::new();
        let mut interrupt = None;
        for &b in bytes {
            interrupt = interrupt.or(t.typed(b, &mut |e: &[u8]| echo.extend_from_slice(e)));
        }
        (echo, interrupt)
    }

    fn read(t: &Terminal, len: usize) -> Option<Vec<u8>> {
        let mut buf = alloc::vec![0; len];
        t.take(&mut buf).map(|n| buf[..n].to_vec())
    }

    #[test]
    fn a_line_is_read_when_complete_and_echoed() {
        let t = Box::new(Terminal::new());
        let (echo, _) = typed(&t, b"ls");
        assert_eq!(echo, b"ls");
        assert_eq!(read(&t, 16), None);
        typed(&t, b"\r");
        assert_eq!(read(&t, 16), Some(b"ls\n".to_vec()));
    }

    #[test]
    fn readable_says_what_take_would_find() {
        let t = Box::new(Terminal::new());
        assert!(!t.readable());
        typed(&t, b"ab");
        assert!(!t.readable());
        typed(&t, b"\n");
        assert!(t.readable());
        assert_eq!(read(&t, 16), Some(b"ab\n".to_vec()));
        assert!(!t.readable());
        typed(&t, b"\x04");
        assert!(t.readable());
        let raw = Box::new(Terminal::new());
        raw.set_raw(true);
        typed(&raw, b"x");
        assert!(raw.readable());
    }

    #[test]
    fn backspace_erases_a_character_and_control_characters_take_two_columns() {
        let t = Box::new(Terminal::new());
        let (echo, _) = typed(&t, "a\u{e9}\x01\x7f\x7f\n".as_bytes());
        assert_eq!(echo, b"a\xc3\xa9^A\x08 \x08\x08 \x08\x08 \x08\n");
        assert_eq!(read(&t, 16), Some(b"a\n".to_vec()));
    }

    #[test]
    fn ctrl_u_ctrl_d_and_end_of_file() {
        let t = Box::new(Terminal::new());
        typed(&t, b"junk\x15ok\x04\x04");
        assert_eq!(read(&t, 16), Some(b"ok".to_vec()));
        assert_eq!(read(&t, 16), Some(Vec::new()));
        assert_eq!(read(&t, 16), None);
    }

    #[test]
    fn a_long_line_comes_in_pieces() {
        let t = Box::new(Terminal::new());
        typed(&t, b"abcdef\n");
        assert_eq!(read(&t, 4), Some(b"abcd".to_vec()));
        assert_eq!(read(&t, 4), Some(b"ef\n".to_vec()));
    }

    #[test]
    fn ctrl_c_discards_the_line_and_records_the_foreground() {
        let t = Box::new(Terminal::new());
        t.foreground.store(7, Relaxed);
        let (echo, interrupt) = typed(&t, b"abc\x03");
        assert_eq!((echo.as_slice(), interrupt), (&b"abc^C\n"[..], Some(7)));
        assert_eq!(t.interrupt.load(Relaxed), 7);
        assert_eq!(t.interrupts.load(Relaxed), 1);
        typed(&t, b"\n");
        assert_eq!(read(&t, 8), Some(b"\n".to_vec()));
    }

    #[test]
    fn raw_mode_queues_bytes_as_typed_and_keeps_a_half_line() {
        let t = Box::new(Terminal::new());
        typed(&t, b"ab");
        t.set_raw(true);
        let (echo, interrupt) = typed(&t, b"\x1b[A\x03");
        assert_eq!((echo.len(), interrupt), (0, None));
        assert_eq!(read(&t, 16), Some(b"ab\x1b[A\x03".to_vec()));
    }

    #[test]
    fn echo_off_and_a_full_line() {
        let t = Box::new(Terminal::new());
        t.echo_off.store(1, Relaxed);
        let long = alloc::vec![b'x'; LINE_MAX + 10];
        let (echo, _) = typed(&t, &long);
        assert!(echo.is_empty());
        typed(&t, b"\n");
        assert_eq!(read(&t, 2 * LINE_MAX).map(|l| l.len()), Some(LINE_MAX + 1));
    }
}
