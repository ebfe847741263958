//! The terminal, driven from the host through a pseudo-terminal (`xtask/src/tests/tty.rs`), typed
//! as a person would: `console_read` against hostile buffers first, then cooked lines printed back
//! as `got: <len> <line>` (plain, edited with backspace, erased with Ctrl-U), Ctrl-C while a child
//! is in the foreground (one that spins, one that reads the terminal itself: each must end by
//! SIGINT while this process goes on), raw mode receiving `ESC [ A` as three bytes, a line ended by
//! Ctrl-D, and Ctrl-D on an empty line as end of file. Every line is checked against the script.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::layout::KERNEL_BASE;
use abi::{Error, Sysnum};
use exos::proc::fork::fork;
use exos::proc::process::{self, Status, SIGINT};
use exos::sys::syscall::{sys_console_read, sys_env_yield};
use exos::{println, fs::tty};
use user::{raw_syscall, Checks};

/// What the driver types, line by line, as the program must receive it.
const SCRIPT: &[&str] = &["hello world", "hello", "ok", "spin", "after spin", "reader", "after reader", "raw", "after raw"];

exos::main!(main);

fn hostile(c: &mut Checks) {
    const READ: u64 = Sysnum::ConsoleRead as u64;
    static READ_ONLY: [u8; 16] = [0; 16];
    let cases: &[(&str, [u64; 6])] = &[
        ("read into null", [0, 16, 0, 0, 0, 0]),
        ("read into unmapped memory", [0x1000_0000, 16, 0, 0, 0, 0]),
        ("read into the kernel", [KERNEL_BASE + 0x10_0000, 16, 0, 0, 0, 0]),
        ("read into a non-canonical address", [0x0000_8000_0000_0000, 16, 0, 0, 0, 0]),
        ("read u64::MAX bytes", [READ_ONLY.as_ptr() as u64, u64::MAX, 0, 0, 0, 0]),
        ("read wrapping around", [u64::MAX - 5, 10, 0, 0, 0, 0]),
        ("read into a read-only page", [READ_ONLY.as_ptr() as u64, 16, 0, 0, 0, 0]),
    ];
    for (what, args) in cases {
        // These all fail before the kernel writes anything.
        c.equal(what, raw_syscall(READ, *args).1, Some(Error::BadAddress));
    }
    let mut buf = [0u8; 32];
    c.equal("nothing typed yet: 0 bytes", sys_console_read(&mut buf), Ok(0));
    c.equal("nothing typed yet: the published count", exos::sys::vm::sysinfo().console_input, 0);
}

/// Reads one cooked line (without its newline); `None` at end of file.
fn line(buf: &mut [u8; 256]) -> Option<&str> {
    let n = tty::read(buf).ok()?;
    if n == 0 {
        return None;
    }
    let text = core::str::from_utf8(&buf[..n]).unwrap_or("<not utf-8>");
    let text = text.strip_suffix('\n').unwrap_or(text);
    println!("got: {} {}", text.len(), text);
    Some(text)
}

/// Runs a child in the foreground that `body` keeps busy until Ctrl-C ends it.
fn foreground_child(c: &mut Checks, what: &str, body: fn() -> !) {
    match fork() {
        Ok(0) => {
            tty::set_foreground(process::id());
            println!("ttytest: {what} child running");
            body()
        }
        Ok(child) => {
            let status = tty::wait_foreground(child);
            println!("ttytest: {what} child ended: {status:?}");
            c.equal(what, status, Ok(Status::Signaled(SIGINT)));
            c.equal("the foreground is taken back", tty::foreground(), process::id());
        }
        Err(e) => c.equal("fork", Err(e), Ok(0)),
    }
}

fn spin() -> ! {
    loop {
        process::check_signals();
        let _ = sys_env_yield(abi::ANY_ENV);
    }
}

fn reader() -> ! {
    let mut buf = [0u8; 64];
    loop {
        let _ = tty::read(&mut buf);
    }
}

fn raw(c: &mut Checks) {
    tty::set_raw(true);
    println!("ttytest: raw mode");
    let mut got = [0u8; 8];
    let mut n = 0;
    while n < 3 {
        n += tty::read(&mut got[n..]).unwrap_or(0);
    }
    println!("raw: {} bytes {:02x} {:02x} {:02x}", n, got[0], got[1], got[2]);
    c.equal("raw mode: ESC [ A as three bytes", &got[..n], &b"\x1b[A"[..]);
    tty::set_raw(false);
    println!("ttytest: cooked mode");
}

fn main() -> i64 {
    let mut c = Checks::new("ttytest");
    hostile(&mut c);
    tty::init();
    c.equal("cooked mode at start", tty::is_raw(), false);
    c.equal("no foreground process at start", tty::foreground(), 0);
    println!("ttytest: ready");
    let mut buf = [0u8; 256];
    for expected in SCRIPT {
        let got = line(&mut buf);
        c.equal("line", got, Some(*expected));
        match *expected {
            "spin" => foreground_child(&mut c, "spinning", spin),
            "reader" => foreground_child(&mut c, "reading", reader),
            "raw" => raw(&mut c),
            _ => {}
        }
    }
    c.equal("a line ended by Ctrl-D", line(&mut buf), Some("partial"));
    c.equal("Ctrl-D on an empty line", line(&mut buf), None);
    println!("ttytest: EOF");
    c.equal("Ctrl-C presses seen", tty::interrupts(), 2);
    c.finish()
}
