//! A pipe's read end handed on while a writer is running must never look closed to that writer
//! (the shell_script test's `LOCAL=1 env | grep -c LOCAL` once printed 0: `env`, started first,
//! counted the readers while the shell registered `grep` and closed its own read end, saw neither,
//! and ended with EPIPE). Three parts:
//! - handovers: a writer child (this program, `writer`) writes one byte at a time while this
//!   process, after letting it run until a timer tick preempts it (often inside its count of
//!   readers), registers a reader child (`reader`) and closes its own ends; the writer must write
//!   everything and the reader read everything;
//! - `env` | `grep -c LOCAL` spawned the way the shell spawns a pipeline: grep must say 1;
//! - the shell itself running the feature script's two `env | grep` lines many times.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use exos::fs::fd;
use exos::proc::process;
use exos::proc::spawn;
use user::Checks;

const ROUNDS: usize = 60;
/// Handover rounds, and the bytes the writer writes in each (one per write).
const HANDOVERS: usize = 400;
const BYTES: usize = 3000;

/// `pipehandover writer`: writes [`BYTES`] bytes to descriptor 1, one per call; 1 on any error.
fn writer() -> i64 {
    for _ in 0..BYTES {
        if fd::write(1, b"x") != Ok(1) {
            return 1;
        }
    }
    0
}

/// `pipehandover reader`: reads descriptor 0 to end of file; 0 if it got [`BYTES`] bytes.
fn reader() -> i64 {
    let (mut total, mut buf) = (0, [0u8; 512]);
    loop {
        match fd::read(0, &mut buf) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(_) => return 2,
        }
    }
    i64::from(total != BYTES)
}

/// One handover: the writer runs (until a tick gives this process the CPU back), then the reader
/// is registered and this process closes its ends. Whether both children ended with 0.
fn handover() -> bool {
    let Ok((r, w)) = fd::pipe() else { return false };
    let writer = spawn::spawn_with("pipehandover", &["pipehandover", "writer"], &[], &[(0, 0), (1, w), (2, 2)]);
    if let Ok(pid) = writer {
        exos::ipc::region::yield_to(pid);
    }
    let reader = spawn::spawn_with("pipehandover", &["pipehandover", "reader"], &[], &[(0, r), (1, 1), (2, 2)]);
    let _ = (fd::close(r), fd::close(w));
    let (Ok(writer), Ok(reader)) = (writer, reader) else { return false };
    let wrote = process::wait(writer) == Ok(process::Status::Exited(0));
    let read = process::wait(reader) == Ok(process::Status::Exited(0));
    wrote && read
}

/// One pipeline; grep's output (up to 16 bytes) and its length.
fn round() -> ([u8; 16], usize) {
    let mut got = [0u8; 16];
    let (Ok((p_r, p_w)), Ok((q_r, q_w))) = (fd::pipe(), fd::pipe()) else { return (got, usize::MAX) };
    let vars = ["GREETING=hello", "LOCAL=1", "PWD=/"];
    let env = spawn::spawn_with("/bin/env", &["env"], &vars, &[(0, 0), (1, p_w), (2, 2)]);
    let grep = spawn::spawn_with("/bin/grep", &["grep", "-c", "LOCAL"], &vars, &[(0, p_r), (1, q_w), (2, 2)]);
    for f in [p_r, p_w, q_w] {
        let _ = fd::close(f);
    }
    let mut n = 0;
    while n < got.len() {
        match fd::read(q_r, &mut got[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    let _ = fd::close(q_r);
    for pid in [env, grep].into_iter().flatten() {
        let _ = process::wait(pid);
    }
    (got, n)
}

/// A script of `LINES` copies of the feature script's two `env | grep` lines, run by `sh` with
/// its output appended to `/tmp/flake`; returns how many copies came out wrong.
fn script() -> usize {
    const LINES: usize = 60;
    let text = "env | grep GREETING >> /tmp/flake\nLOCAL=1 env | grep -c LOCAL >> /tmp/flake\n";
    let Ok(f) = fd::open("/tmp/flake.sh", fd::O_WRONLY | fd::O_CREAT | fd::O_TRUNC) else { return usize::MAX };
    let _ = fd::write_all(f, b"GREETING=hello\nexport GREETING\n");
    for _ in 0..LINES {
        let _ = fd::write_all(f, text.as_bytes());
    }
    let _ = fd::close(f);
    let Ok(f) = fd::open("/tmp/flake", fd::O_WRONLY | fd::O_CREAT | fd::O_TRUNC) else { return usize::MAX };
    let _ = fd::close(f);
    let Ok(script) = fd::open("/tmp/flake.sh", fd::O_RDONLY) else { return usize::MAX };
    let started = spawn::spawn_with("/bin/sh", &["sh"], &["PWD=/"], &[(0, script), (1, 1), (2, 2)]);
    let _ = fd::close(script);
    let Ok(pid) = started else { return usize::MAX };
    while exos::ipc::region::listed(pid) {
        exos::ipc::region::yield_to(pid);
    }
    let _ = process::wait(pid);
    let Ok(f) = fd::open("/tmp/flake", fd::O_RDONLY) else { return usize::MAX };
    let mut out = alloc::vec![0u8; LINES * 32];
    let mut n = 0;
    while n < out.len() {
        match fd::read(f, &mut out[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    let _ = fd::close(f);
    let text = core::str::from_utf8(&out[..n]).unwrap_or("");
    let mut lines = text.lines();
    let mut wrong = 0;
    for i in 0..LINES {
        let (a, b) = (lines.next(), lines.next());
        if a != Some("GREETING=hello") || b != Some("1") {
            wrong += 1;
            if wrong <= 5 {
                exos::println!("script copy {i}: {a:?} {b:?}");
            }
        }
    }
    wrong
}

fn main() -> i64 {
    match spawn::args().nth(1) {
        Some("writer") => return writer(),
        Some("reader") => return reader(),
        _ => {}
    }
    let mut c = Checks::new("pipehandover");
    let failed = (0..HANDOVERS).filter(|_| !handover()).count();
    c.equal("handovers where the writer saw no reader or the reader missed bytes", failed, 0);
    let mut wrong = 0;
    // A pacer makes the pipelines' programs preemptible (a tick now and then lands mid-call).
    let pacer = exos::thread::pacer::Pacer::start();
    for i in 0..ROUNDS {
        let (got, n) = round();
        if got.get(..n) != Some(b"1\n".as_slice()) {
            wrong += 1;
            if wrong <= 5 {
                exos::println!("round {i}: grep said {:?}", core::str::from_utf8(got.get(..n).unwrap_or(b"?")));
            }
        }
    }
    let scripted = script();
    drop(pacer);
    c.equal("script copies that came out wrong", scripted, 0);
    c.equal("rounds where grep -c LOCAL did not say 1", wrong, 0);
    c.finish()
}

exos::main!(main);
