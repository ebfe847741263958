//! The core text utilities' algorithms: wc, head, tail, grep (fixed strings), sort and uniq.
//!
//! Lines end at `\n`; a last line without one still counts as a line (except for `wc -l`,
//! which counts `\n` bytes as POSIX says). Functions that produce text end every output line
//! with `\n`. Case folding (`grep -i`) is ASCII only.
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// What `wc` counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Counts {
    /// `\n` bytes.
    pub lines: usize,
    /// Maximal runs of bytes that are not ASCII whitespace.
    pub words: usize,
    /// Bytes.
    pub bytes: usize,
}

impl Counts {
    /// Adds another file's counts (for the `total` line).
    pub fn add(&mut self, other: &Counts) {
        self.lines += other.lines;
        self.words += other.words;
        self.bytes += other.bytes;
    }
}

/// Which counts `wc` prints (`-l`, `-w`, `-c`); none selected means all three.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct WcFlags {
    /// `-l`
    pub lines: bool,
    /// `-w`
    pub words: bool,
    /// `-c`
    pub bytes: bool,
}

/// Counts lines, words and bytes.
pub fn wc(input: &[u8]) -> Counts {
    let mut counts = Counts {
        bytes: input.len(),
        ..Counts::default()
    };
    let mut in_word = false;
    for &b in input {
        if b == b'\n' {
            counts.lines += 1;
        }
        let space = b.is_ascii_whitespace() || b == 0x0b;
        if !space && !in_word {
            counts.words += 1;
        }
        in_word = !space;
    }
    counts
}

/// One `wc` output line: a single selected count alone (`3`), several each right-aligned in 7
/// columns and separated by a space (`      3       5      20`, like GNU wc on stdin), then
/// ` name` if given, then `\n`.
pub fn format_wc(counts: &Counts, flags: WcFlags, name: Option<&str>) -> String {
    let all = !(flags.lines || flags.words || flags.bytes);
    let selected: Vec<usize> = [
        (flags.lines, counts.lines),
        (flags.words, counts.words),
        (flags.bytes, counts.bytes),
    ]
    .into_iter()
    .filter(|&(on, _)| on || all)
    .map(|(_, n)| n)
    .collect();
    let mut line = match selected.as_slice() {
        [one] => format!("{one}"),
        many => many
            .iter()
            .map(|n| format!("{n:>7}"))
            .collect::<Vec<_>>()
            .join(" "),
    };
    if let Some(name) = name {
        line.push(' ');
        line.push_str(name);
    }
    line.push('\n');
    line
}

/// Byte offset just past the end of line `n` (1-based) counting from the start, or the length.
fn after_lines(input: &[u8], n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    input
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'\n')
        .nth(n - 1)
        .map_or(input.len(), |(i, _)| i + 1)
}

/// The first `n` lines (`head -n N`).
pub fn head(input: &[u8], n: usize) -> &[u8] {
    &input[..after_lines(input, n)]
}

/// The last `n` lines (`tail -n N`); a last line without `\n` counts as a line.
pub fn tail(input: &[u8], n: usize) -> &[u8] {
    if n == 0 {
        return &input[input.len()..];
    }
    // Skip the final line break so it does not start an empty "line" of its own.
    let body = input.strip_suffix(b"\n").unwrap_or(input);
    let start = body
        .iter()
        .enumerate()
        .rev()
        .filter(|&(_, &b)| b == b'\n')
        .nth(n - 1)
        .map_or(0, |(i, _)| i + 1);
    &input[start..]
}

/// `grep` options.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct GrepOptions {
    /// `-v`: select the lines that do not contain the pattern.
    pub invert: bool,
    /// `-c`: print the number of selected lines instead of the lines.
    pub count: bool,
    /// `-i`: ignore ASCII case.
    pub ignore_case: bool,
}

/// What `grep` prints and how many lines it selected (exit status 0 if any, else 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrepResult {
    /// The selected lines, or `N\n` with `-c`.
    pub output: String,
    /// The number of selected lines.
    pub selected: usize,
}

/// Selects the lines of `input` that contain the fixed string `pattern` (all lines if it is empty).
pub fn grep(input: &str, pattern: &str, options: GrepOptions) -> GrepResult {
    let pattern = fold(pattern, options.ignore_case);
    let mut output = String::new();
    let mut selected = 0;
    for line in input.lines() {
        let found = fold(line, options.ignore_case).contains(pattern.as_str());
        if found != options.invert {
            selected += 1;
            if !options.count {
                output.push_str(line);
                output.push('\n');
            }
        }
    }
    if options.count {
        output = format!("{selected}\n");
    }
    GrepResult { output, selected }
}

fn fold(text: &str, ignore_case: bool) -> String {
    if ignore_case {
        text.to_ascii_lowercase()
    } else {
        text.into()
    }
}

/// `sort` options.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SortOptions {
    /// `-r`: descending.
    pub reverse: bool,
    /// `-n`: by the number at the start of the line (after blanks; none counts as 0), ties by bytes.
    pub numeric: bool,
}

/// The lines of `input`, sorted by bytes (or numerically), each ending with `\n`.
pub fn sort(input: &str, options: SortOptions) -> String {
    let mut lines: Vec<&str> = input.lines().collect();
    lines.sort_by(|a, b| {
        let order = if options.numeric {
            leading_number(a)
                .cmp(&leading_number(b))
                .then_with(|| a.cmp(b))
        } else {
            a.cmp(b)
        };
        if options.reverse {
            order.reverse()
        } else {
            order
        }
    });
    join_lines(lines.iter().map(|line| (*line).into()))
}

/// The number a line starts with, after blanks: optional `-`, then decimal digits; else 0.
pub fn leading_number(line: &str) -> i64 {
    let text = line.trim_start_matches([' ', '\t']);
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let value = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |n, d| {
            n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
        });
    if negative { -value } else { value }
}

/// Collapses runs of equal adjacent lines; with `count` each is prefixed like `      2 line`.
pub fn uniq(input: &str, count: bool) -> String {
    let mut runs: Vec<(usize, &str)> = Vec::new();
    for line in input.lines() {
        match runs.last_mut() {
            Some((n, last)) if *last == line => *n += 1,
            _ => runs.push((1, line)),
        }
    }
    join_lines(runs.into_iter().map(|(n, line)| {
        if count {
            format!("{n:>7} {line}")
        } else {
            line.into()
        }
    }))
}

fn join_lines(lines: impl Iterator<Item = String>) -> String {
    let mut out = String::new();
    for line in lines {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// POSIX `cksum`: the CRC-32 of polynomial 0x04C11DB7 (most significant bit first) over the data
/// and then its length (least significant byte first, only as many bytes as it needs), inverted.
/// Fed in pieces, so a stream of any size is checked without holding it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cksum {
    crc: u32,
    len: u64,
}

const fn cksum_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = (i as u32) << 24;
        let mut bit = 0;
        while bit < 8 {
            c = if c & 0x8000_0000 != 0 { (c << 1) ^ 0x04C1_1DB7 } else { c << 1 };
            bit += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

static CKSUM_TABLE: [u32; 256] = cksum_table();

impl Cksum {
    fn byte(crc: u32, b: u8) -> u32 {
        (crc << 8) ^ CKSUM_TABLE[((crc >> 24) as u8 ^ b) as usize]
    }

    /// Adds `data`.
    pub fn update(&mut self, data: &[u8]) {
        let mut crc = self.crc;
        for &b in data {
            crc = Self::byte(crc, b);
        }
        self.crc = crc;
        self.len += data.len() as u64;
    }

    /// The checksum and the byte count, as `cksum` prints them (`CRC LEN`).
    pub fn finish(&self) -> (u32, u64) {
        let mut crc = self.crc;
        let mut len = self.len;
        while len != 0 {
            crc = Self::byte(crc, len as u8);
            len >>= 8;
        }
        (!crc, self.len)
    }
}
