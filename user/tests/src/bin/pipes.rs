//! ExOS pipes between environments (children are copies of this program, started by `spawn`):
//! 10^4 messages of varying size echoed by a child and checked byte for byte; end of file when the
//! last writer closes; a broken pipe when the last reader closes; three writers whose records
//! (at most 4 KiB, each one write) must come out whole; and peers that die without closing (or are
//! destroyed while holding the write lock) must not make the parent wait forever.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use core::sync::atomic::{AtomicU64, Ordering};
use exos::ipc::pipe::{pipe, PipeError, PipeReader, PipeWriter};
use exos::sys::syscall::{sys_env_destroy, sys_env_exit, sys_env_yield};
use user::{spawn, Checks};

const MESSAGES: u64 = 10_000;
const WRITERS: u64 = 3;
const RECORDS: u64 = 400;

/// What a child does, and its parameters: set by the parent before `spawn` (the child gets a
/// copy of this program's data).
static ROLE: AtomicU64 = AtomicU64::new(0);
static BASE_A: AtomicU64 = AtomicU64::new(0);
static BASE_B: AtomicU64 = AtomicU64::new(0);
static INDEX: AtomicU64 = AtomicU64::new(0);

const ECHO: u64 = 1;
const RECORD_WRITER: u64 = 2;
const WRITE_THEN_DIE: u64 = 3;
const READER_DIES_WHEN_FULL: u64 = 4;
const READER_CLOSES_WHEN_FULL: u64 = 5;
const WRITE_FOREVER: u64 = 6;

fn fail(what: &str, e: PipeError) -> ! {
    exos::println!("pipes child: FAIL: {what}: {e}");
    sys_env_exit(1)
}

extern "C" fn child_main() -> ! {
    let a = BASE_A.load(Ordering::Relaxed);
    match ROLE.load(Ordering::Relaxed) {
        ECHO => {
            let mut input = PipeReader::attach(a).unwrap_or_else(|e| fail("attach A", e));
            let mut output = PipeWriter::attach(BASE_B.load(Ordering::Relaxed)).unwrap_or_else(|e| fail("attach B", e));
            let mut buf = [0u8; 5000];
            let mut rng = Rng(7);
            loop {
                let want = 1 + (rng.next() % buf.len() as u64) as usize;
                match input.read(&mut buf[..want]) {
                    Ok(0) => break,
                    Ok(n) => {
                        output.write(&buf[..n]).unwrap_or_else(|e| fail("echo", e));
                    }
                    Err(e) => fail("read", e),
                }
            }
            output.close();
            input.close();
        }
        RECORD_WRITER => {
            let mut output = PipeWriter::attach(a).unwrap_or_else(|e| fail("attach", e));
            let writer = INDEX.load(Ordering::Relaxed);
            let mut record = [0u8; 4096];
            for s in 0..RECORDS {
                let len = record_len(writer, s);
                fill_record(&mut record[..len], writer, s);
                let written = output.write(&record[..len]).unwrap_or_else(|e| fail("record", e));
                if written != len {
                    fail("short record", PipeError::BrokenPipe);
                }
            }
        }
        WRITE_THEN_DIE => {
            let mut output = PipeWriter::attach(a).unwrap_or_else(|e| fail("attach", e));
            output.write(&[0x5a; 100]).unwrap_or_else(|e| fail("write", e));
            // Hold a page when dying (the kernel handles the table record of such an environment
            // differently), and die without closing.
            let _ = exos::sys::syscall::sys_page_alloc(abi::ANY_PAGE);
            core::mem::forget(output);
            sys_env_exit(3)
        }
        READER_DIES_WHEN_FULL | READER_CLOSES_WHEN_FULL => {
            let input = PipeReader::attach(a).unwrap_or_else(|e| fail("attach", e));
            while input.buffered() < input.capacity() {
                let _ = sys_env_yield(abi::ANY_ENV);
            }
            if ROLE.load(Ordering::Relaxed) == READER_DIES_WHEN_FULL {
                core::mem::forget(input);
                sys_env_exit(3)
            }
            input.close();
        }
        WRITE_FOREVER => {
            let mut output = PipeWriter::attach(a).unwrap_or_else(|e| fail("attach", e));
            loop {
                output.write(&[0xc3; 4096]).unwrap_or_else(|e| fail("write", e));
            }
        }
        _ => {}
    }
    sys_env_exit(0)
}

/// xorshift64: sizes and contents that vary, reproducibly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn message_byte(i: u64, j: usize) -> u8 {
    (i.wrapping_mul(31) ^ (j as u64).wrapping_mul(7) ^ (j as u64 >> 8)) as u8
}

/// A record: length (u16), writer, 0, sequence number (u32), then bytes of a pattern; 8 to 4096
/// bytes, with 4096 and the smallest sizes included.
fn record_len(writer: u64, s: u64) -> usize {
    match s % 7 {
        0 => 4096,
        1 => 8,
        _ => 8 + (Rng(writer * 1000 + s + 1).next() % 4089) as usize,
    }
}

fn fill_record(record: &mut [u8], writer: u64, s: u64) {
    let len = record.len() as u16;
    record[..2].copy_from_slice(&len.to_le_bytes());
    record[2] = writer as u8;
    record[3] = 0;
    record[4..8].copy_from_slice(&(s as u32).to_le_bytes());
    for (j, byte) in record[8..].iter_mut().enumerate() {
        *byte = message_byte(writer * 100_000 + s, j);
    }
}

/// Starts a child with `role` that sees the pipe(s) at `a` (and `b`); returns (id, slot).
fn start(role: u64, index: u64, a: &[(u64, u64)], b: &[(u64, u64)]) -> (u64, u64) {
    ROLE.store(role, Ordering::Relaxed);
    INDEX.store(index, Ordering::Relaxed);
    BASE_A.store(a.first().map_or(0, |p| p.0), Ordering::Relaxed);
    BASE_B.store(b.first().map_or(0, |p| p.0), Ordering::Relaxed);
    let mut shared = [(0, 0); 16];
    shared[..a.len()].copy_from_slice(a);
    shared[a.len()..a.len() + b.len()].copy_from_slice(b);
    spawn(child_main, &shared[..a.len() + b.len()]).expect("spawning a child")
}

fn pages(end_pages: impl Iterator<Item = (u64, u64)>) -> [(u64, u64); 5] {
    let mut out = [(0, 0); 5];
    for (slot, page) in out.iter_mut().zip(end_pages) {
        *slot = page;
    }
    out
}

fn echo(c: &mut Checks) {
    let (a_reader, mut a_writer) = pipe().expect("pipe A");
    let (mut b_reader, b_writer) = pipe().expect("pipe B");
    let (a_pages, b_pages) = (pages(a_writer.shared_pages()), pages(b_writer.shared_pages()));
    let (child, _) = start(ECHO, 0, &a_pages, &b_pages);
    c.equal("grant A's read end", a_reader.grant(child), Ok(()));
    c.equal("grant B's write end", b_writer.grant(child), Ok(()));
    a_reader.close();
    b_writer.close();
    let (mut rng, mut message, mut echoed) = (Rng(12345), [0u8; 4096], [0u8; 4096]);
    let (mut bad, mut bytes) = (0, 0);
    for i in 0..MESSAGES {
        let len = 1 + (rng.next() % if i % 3 == 0 { 4096 } else { 64 }) as usize;
        for (j, byte) in message[..len].iter_mut().enumerate() {
            *byte = message_byte(i, j);
        }
        let sent = a_writer.write(&message[..len]);
        let got = b_reader.read_exact(&mut echoed[..len]);
        if sent != Ok(len) || got != Ok(len) || echoed[..len] != message[..len] {
            bad += 1;
        }
        bytes += len;
    }
    c.equal("messages echoed intact", bad, 0);
    exos::println!("pipes: {MESSAGES} messages, {bytes} bytes echoed");
    c.equal("one writer and one reader on each pipe", (a_writer.readers(), b_reader.writers()), (1, 1));
    a_writer.close();
    c.equal("end of file once the child closed its end", b_reader.read(&mut echoed), Ok(0));
}

fn local(c: &mut Checks) {
    let (mut reader, mut writer) = pipe().expect("pipe");
    c.equal("write", writer.write(b"hello"), Ok(5));
    writer.close();
    let mut buf = [0u8; 16];
    c.equal("read what was written before the close", reader.read(&mut buf), Ok(5));
    c.check("the bytes", &buf[..5] == b"hello");
    c.equal("then end of file", reader.read(&mut buf), Ok(0));
    let (reader, mut writer) = pipe().expect("pipe");
    reader.close();
    c.equal("write with no reader", writer.write(b"x"), Err(PipeError::BrokenPipe));
}

fn many_writers(c: &mut Checks) {
    let (mut reader, writer) = pipe().expect("pipe");
    let shared = pages(writer.shared_pages());
    for k in 0..WRITERS {
        let (child, _) = start(RECORD_WRITER, k, &shared, &[]);
        c.equal("grant a write end", writer.grant(child), Ok(()));
    }
    writer.close();
    let (mut next, mut record, mut bad) = ([0u64; WRITERS as usize], [0u8; 4096], 0u64);
    loop {
        match reader.read_exact(&mut record[..8]) {
            Ok(0) => break,
            Ok(8) => {}
            other => {
                exos::println!("pipes: FAIL: record header: {other:?}");
                bad += 1;
                break;
            }
        }
        let len = u16::from_le_bytes([record[0], record[1]]) as usize;
        let (writer, s) = (u64::from(record[2]), u64::from(u32::from_le_bytes([record[4], record[5], record[6], record[7]])));
        if writer >= WRITERS || s != next[writer as usize] || len != record_len(writer, s) {
            exos::println!("pipes: FAIL: interleaved or lost record: writer {writer} number {s} length {len}");
            bad += 1;
            break;
        }
        next[writer as usize] += 1;
        if reader.read_exact(&mut record[8..len]) != Ok(len - 8) {
            bad += 1;
            break;
        }
        if (8..len).any(|j| record[j] != message_byte(writer * 100_000 + s, j - 8)) {
            exos::println!("pipes: FAIL: record {s} of writer {writer} damaged");
            bad += 1;
        }
    }
    c.equal("records whole and in order per writer", bad, 0);
    c.equal("every record of every writer", next, [RECORDS; WRITERS as usize]);
}

fn deaths(c: &mut Checks) {
    // A writer dies without closing: the data it wrote comes out, then end of file.
    let (mut reader, writer) = pipe().expect("pipe");
    let (child, _) = start(WRITE_THEN_DIE, 0, &pages(writer.shared_pages()), &[]);
    c.equal("grant", writer.grant(child), Ok(()));
    writer.close();
    let mut buf = [0u8; 200];
    c.equal("the dead writer's data", reader.read_exact(&mut buf[..100]), Ok(100));
    c.equal("then end of file", reader.read(&mut buf), Ok(0));

    // The only reader closes (or dies) while the parent is blocked writing to a full pipe.
    for (role, what) in [(READER_CLOSES_WHEN_FULL, "closes"), (READER_DIES_WHEN_FULL, "dies")] {
        let (reader, mut writer) = pipe().expect("pipe");
        let (child, _) = start(role, 0, &pages(writer.shared_pages()), &[]);
        c.equal("grant", reader.grant(child), Ok(()));
        reader.close();
        let chunk = [1u8; 4096];
        let mut written = 0;
        let error = loop {
            match writer.write(&chunk) {
                Ok(n) => written += n,
                Err(e) => break e,
            }
        };
        exos::println!("pipes: the reader {what}: {written} bytes went in, then {error}");
        c.equal("the ring filled", written, writer.capacity());
        c.equal("broken pipe", error, PipeError::BrokenPipe);
    }

    // A writer is destroyed while it holds the write lock, waiting for room.
    let (mut reader, mut writer) = pipe().expect("pipe");
    let (child, child_slot) = start(WRITE_FOREVER, 0, &pages(writer.shared_pages()), &[]);
    c.equal("grant", writer.grant(child), Ok(()));
    while reader.buffered() < reader.capacity() || writer.lock_holder() != child {
        let _ = sys_env_yield(child);
    }
    c.equal("destroy the blocked writer", sys_env_destroy(child_slot), Ok(()));
    c.equal("the lock still names it", writer.lock_holder(), child);
    let mut all = [0u8; 4096];
    let mut drained = 0;
    for _ in 0..reader.capacity() / all.len() {
        drained += reader.read_exact(&mut all).unwrap_or(0);
    }
    c.equal("its data", drained, reader.capacity());
    c.equal("a live writer takes the dead writer's lock", writer.write(b"after"), Ok(5));
    c.equal("and releases it", writer.lock_holder(), 0);
    c.equal("read it", reader.read(&mut all), Ok(5));
    writer.close();
    c.equal("end of file: the dead writer does not count", reader.read(&mut all), Ok(0));
}

fn main() -> i64 {
    let mut c = Checks::new("pipes");
    local(&mut c);
    echo(&mut c);
    many_writers(&mut c);
    deaths(&mut c);
    c.finish()
}

exos::main!(main);
