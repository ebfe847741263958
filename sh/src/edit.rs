//! The line editor: a state machine fed one raw-mode input byte at a time.
//!
//! Each [`Editor::feed`] appends the bytes to echo (to keep the terminal showing the line) and
//! may finish with an [`Event`]. Editing uses only backspace (`\x08`), spaces and reprinting, so
//! it works on any terminal that moves the cursor left on `\x08` and does not need ANSI output.
//! Keys: printable characters (UTF-8) insert at the cursor; backspace (0x7f or 0x08) deletes
//! before it; Ctrl-U kills the line; Ctrl-C cancels it ([`Event::Interrupted`]); Ctrl-D on an
//! empty line is [`Event::Eof`] (elsewhere it is ignored); Enter (`\r` or `\n`; `\r\n` counts
//! once) gives [`Event::Line`]; up/down arrows walk the history (the line being typed comes back
//! after the newest entry); left/right arrows, Home/End and Ctrl-A/Ctrl-E move the cursor.
//! Other control characters and unknown escape sequences are ignored, and so is a lone ESC
//! together with the byte after it. Each character is assumed to take one column.
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

/// What a finished key sequence means to the shell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Enter: the line, without its line break.
    Line(String),
    /// Ctrl-C: the line was dropped.
    Interrupted,
    /// Ctrl-D on an empty line: end of input.
    Eof,
}

const BACKSPACE: u8 = 0x08;
const DELETE: u8 = 0x7f;
const CTRL_A: u8 = 0x01;
const CTRL_C: u8 = 0x03;
const CTRL_D: u8 = 0x04;
const CTRL_E: u8 = 0x05;
const CTRL_U: u8 = 0x15;
const ESC: u8 = 0x1b;

/// Where the editor is in an escape sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Escape {
    None,
    /// After ESC.
    Start,
    /// After `ESC [`, with the first parameter's value so far (0 if none).
    Csi(u8),
    /// After `ESC O`.
    Ss3,
}

/// A line being edited, the history, and the escape/UTF-8 decoding state.
#[derive(Clone, Debug)]
pub struct Editor {
    line: Vec<char>,
    cursor: usize,
    history: VecDeque<String>,
    capacity: usize,
    /// The history entry shown, while browsing with the arrows.
    browsing: Option<usize>,
    /// The line being typed before browsing started.
    draft: Vec<char>,
    escape: Escape,
    utf8: Vec<u8>,
    after_cr: bool,
}

impl Editor {
    /// An empty editor keeping at most `capacity` history entries.
    pub fn new(capacity: usize) -> Self {
        Editor {
            line: Vec::new(),
            cursor: 0,
            history: VecDeque::new(),
            capacity,
            browsing: None,
            draft: Vec::new(),
            escape: Escape::None,
            utf8: Vec::new(),
            after_cr: false,
        }
    }

    /// The line as it stands.
    pub fn line(&self) -> String {
        self.line.iter().collect()
    }

    /// The cursor, in characters from the start of the line.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// The history, oldest first.
    pub fn history(&self) -> impl Iterator<Item = &str> {
        self.history.iter().map(String::as_str)
    }

    /// Adds `line` to the history unless it is empty or equals the newest entry.
    pub fn remember(&mut self, line: &str) {
        if line.is_empty()
            || self.history.back().is_some_and(|last| last == line)
            || self.capacity == 0
        {
            return;
        }
        if self.history.len() == self.capacity {
            self.history.pop_front();
        }
        self.history.push_back(line.into());
    }

    /// Feeds one input byte; appends what to echo to `out`; returns an event when one completes.
    pub fn feed(&mut self, byte: u8, out: &mut Vec<u8>) -> Option<Event> {
        let after_cr = core::mem::replace(&mut self.after_cr, false);
        match self.escape {
            Escape::None => {}
            Escape::Start => {
                self.escape = match byte {
                    b'[' => Escape::Csi(0),
                    b'O' => Escape::Ss3,
                    _ => Escape::None,
                };
                return None;
            }
            Escape::Csi(param) => {
                match byte {
                    b'0'..=b'9' => {
                        let digit = byte - b'0';
                        self.escape = Escape::Csi(param.saturating_mul(10).saturating_add(digit));
                    }
                    0x20..=0x3f => {}
                    _ => {
                        self.escape = Escape::None;
                        self.key(byte, param, out);
                    }
                }
                return None;
            }
            Escape::Ss3 => {
                self.escape = Escape::None;
                self.key(byte, 0, out);
                return None;
            }
        }
        if byte >= 0x80 {
            self.utf8_byte(byte, out);
            return None;
        }
        self.utf8.clear();
        match byte {
            b'\r' => {
                self.after_cr = true;
                return Some(self.enter(out));
            }
            b'\n' if after_cr => {}
            b'\n' => return Some(self.enter(out)),
            CTRL_C => {
                out.extend_from_slice(b"^C\r\n");
                self.reset();
                return Some(Event::Interrupted);
            }
            CTRL_D if self.line.is_empty() => {
                self.reset();
                return Some(Event::Eof);
            }
            BACKSPACE | DELETE => self.backspace(out),
            CTRL_U => self.replace(Vec::new(), out),
            CTRL_A => self.home(out),
            CTRL_E => self.end(out),
            ESC => self.escape = Escape::Start,
            0x20..=0x7e => self.insert(byte as char, out),
            _ => {}
        }
        None
    }

    /// Feeds several bytes; returns the events in order.
    pub fn feed_all(&mut self, bytes: &[u8], out: &mut Vec<u8>) -> Vec<Event> {
        bytes.iter().filter_map(|&b| self.feed(b, out)).collect()
    }

    /// The final byte of an escape sequence, with its first parameter.
    fn key(&mut self, final_byte: u8, param: u8, out: &mut Vec<u8>) {
        match (final_byte, param) {
            (b'A', _) => self.older(out),
            (b'B', _) => self.newer(out),
            (b'C', _) => {
                if let Some(&c) = self.line.get(self.cursor) {
                    push_char(out, c);
                    self.cursor += 1;
                }
            }
            (b'D', _) if self.cursor > 0 => {
                out.push(BACKSPACE);
                self.cursor -= 1;
            }
            (b'H', _) | (b'~', 1 | 7) => self.home(out),
            (b'F', _) | (b'~', 4 | 8) => self.end(out),
            _ => {}
        }
    }

    fn utf8_byte(&mut self, byte: u8, out: &mut Vec<u8>) {
        if byte >= 0xc0 {
            self.utf8.clear();
        } else if self.utf8.is_empty() {
            return; // A continuation byte without a lead byte.
        }
        self.utf8.push(byte);
        let want = match self.utf8[0] {
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            _ => 4,
        };
        if self.utf8.len() == want {
            let decoded = core::str::from_utf8(&self.utf8)
                .ok()
                .and_then(|s| s.chars().next());
            self.utf8.clear();
            if let Some(c) = decoded {
                self.insert(c, out);
            }
        }
    }

    fn enter(&mut self, out: &mut Vec<u8>) -> Event {
        out.extend_from_slice(b"\r\n");
        let line = self.line();
        self.remember(&line);
        self.reset();
        Event::Line(line)
    }

    fn reset(&mut self) {
        self.line.clear();
        self.cursor = 0;
        self.browsing = None;
        self.draft.clear();
    }

    fn insert(&mut self, c: char, out: &mut Vec<u8>) {
        self.line.insert(self.cursor, c);
        self.cursor += 1;
        push_char(out, c);
        self.redraw_tail(0, out);
    }

    fn backspace(&mut self, out: &mut Vec<u8>) {
        if self.cursor == 0 {
            return;
        }
        self.cursor -= 1;
        self.line.remove(self.cursor);
        out.push(BACKSPACE);
        self.redraw_tail(1, out);
    }

    /// Reprints the line after the cursor, blanks `erase` more columns, and returns the cursor.
    fn redraw_tail(&self, erase: usize, out: &mut Vec<u8>) {
        let tail = &self.line[self.cursor..];
        for &c in tail {
            push_char(out, c);
        }
        out.extend(core::iter::repeat_n(b' ', erase));
        out.extend(core::iter::repeat_n(BACKSPACE, tail.len() + erase));
    }

    fn home(&mut self, out: &mut Vec<u8>) {
        out.extend(core::iter::repeat_n(BACKSPACE, self.cursor));
        self.cursor = 0;
    }

    fn end(&mut self, out: &mut Vec<u8>) {
        for &c in &self.line[self.cursor..] {
            push_char(out, c);
        }
        self.cursor = self.line.len();
    }

    /// Replaces the whole line on screen with `new`, cursor at its end.
    fn replace(&mut self, new: Vec<char>, out: &mut Vec<u8>) {
        self.home(out);
        for &c in &new {
            push_char(out, c);
        }
        let erase = self.line.len().saturating_sub(new.len());
        out.extend(core::iter::repeat_n(b' ', erase));
        out.extend(core::iter::repeat_n(BACKSPACE, erase));
        self.cursor = new.len();
        self.line = new;
    }

    fn older(&mut self, out: &mut Vec<u8>) {
        let index = match self.browsing {
            None if self.history.is_empty() => return,
            None => {
                self.draft = self.line.clone();
                self.history.len() - 1
            }
            Some(0) => return,
            Some(index) => index - 1,
        };
        self.show_entry(index, out);
    }

    fn newer(&mut self, out: &mut Vec<u8>) {
        match self.browsing {
            None => {}
            Some(index) if index + 1 < self.history.len() => self.show_entry(index + 1, out),
            Some(_) => {
                self.browsing = None;
                let draft = core::mem::take(&mut self.draft);
                self.replace(draft, out);
            }
        }
    }

    fn show_entry(&mut self, index: usize, out: &mut Vec<u8>) {
        self.browsing = Some(index);
        let entry = self.history[index].chars().collect();
        self.replace(entry, out);
    }
}

fn push_char(out: &mut Vec<u8>, c: char) {
    let mut buf = [0; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}
