//! `sh`: the shell program, a thin executor over the `sh` crate (docs/SHELL.md).
//!
//! Modes: a boot program given a command line after `--` on the kernel command line runs it and
//! exits with its status (`cargo xtask run -- 'LINE'`); `sh -c LINE` likewise; `sh FILE [args]`
//! runs a script from the boot file system line by line (continuation lines while the crate says
//! `incomplete()`, `#!` first line ignored); otherwise, on a terminal it is interactive (motd,
//! prompt `exo:<cwd>$ `, the crate's line editor in raw mode, cooked mode while a job runs), and
//! with stdin not a terminal it runs what it reads there as a script.
//!
//! `run.rs` executes (pipelines, redirections, foreground and background), `job.rs` is a
//! background job, `builtins.rs` the builtins. The shell ignores `SIGINT`: Ctrl-C interrupts the foreground job
//! (status 130) or cancels the line being typed.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

mod builtins;
mod job;
mod run;

use alloc::string::String;
use alloc::vec::Vec;
use exos::fs::FileKind;
use exos::proc::process::{self, Action, SIGINT};
use exos::{fs::cwd, fs::fd, fs, proc::spawn, fs::tty, sys::vm};
use run::Shell;
use shell::edit::{Editor, Event};

exos::main!(main);

fn main() -> i64 {
    let _ = process::signal(SIGINT, Action::Ignore);
    // The session's writable /tmp: made by the first shell, shared with every job it starts
    // (a shell started by another one already has it). Without it, /tmp is simply absent.
    if let Err(e) = exos::fs::tmpfs::init() {
        exos::eprintln!("sh: /tmp unavailable: {e}");
    }
    // The session leader configures the network (DHCP, stored in the kernel for every program's
    // stack) when the machine has a NIC without an address and this shell may configure it.
    if process::parent() == 0 {
        match exos::net::dhcp::configure_if_needed() {
            Ok(Some(lease)) => {
                let [a, b, c, d] = lease.ip;
                let [g0, g1, g2, g3] = lease.gateway;
                exos::println!("net: eth0 {a}.{b}.{c}.{d}/{} gateway {g0}.{g1}.{g2}.{g3} (DHCP)", lease.prefix);
            }
            Ok(None) => {}
            Err(e) => exos::eprintln!("sh: network configuration (DHCP): {e}"),
        }
    }
    let args: Vec<&str> = spawn::args().collect();
    let status = if process::parent() == 0 && !vm::boot_args().trim().is_empty() {
        one_line(vm::boot_args())
    } else {
        match args.get(1).copied() {
            Some("-c") => match args.get(2) {
                Some(line) => one_line(line),
                None => {
                    exos::eprintln!("sh: -c: option requires an argument");
                    2
                }
            },
            Some(file) => script_file(file),
            None if process::parent() == 0 || fd::fstat(0).is_ok_and(|s| s.kind == FileKind::Console) => interactive(),
            None => script_stdin(),
        }
    };
    i64::from(status)
}

/// Runs one command line; the status of its last command (or of `exit`).
fn one_line(line: &str) -> i32 {
    let mut shell = Shell::new(false);
    shell.run_text(line);
    shell.exit.unwrap_or(shell.status)
}

/// `sh FILE`: the file's text as a script.
fn script_file(file: &str) -> i32 {
    match fs::read_file(file) {
        Ok(bytes) => match core::str::from_utf8(bytes) {
            Ok(text) => script(text),
            Err(_) => {
                exos::eprintln!("sh: {file}: not a text file");
                NOT_TEXT
            }
        },
        Err(e) => {
            exos::eprintln!("sh: {file}: {e}");
            run::NOT_FOUND
        }
    }
}

/// Status for a script that is not UTF-8 text.
const NOT_TEXT: i32 = 126;

/// `sh` with stdin a pipe or file: everything read there as a script.
fn script_stdin() -> i32 {
    let mut text = Vec::new();
    let mut buf = [0u8; 512];
    while let Ok(n @ 1..) = fd::read(0, &mut buf) {
        text.extend_from_slice(&buf[..n]);
    }
    script(&String::from_utf8_lossy(&text))
}

/// Runs `text` line by line: a line that leaves the command incomplete (open quote, trailing `|`)
/// is joined with the next; a syntax error is reported and the script goes on with `$?` = 2.
fn script(text: &str) -> i32 {
    let mut shell = Shell::new(false);
    let text = if text.starts_with("#!") { text.split_once('\n').map_or("", |(_, rest)| rest) } else { text };
    let mut pending = String::new();
    for line in text.lines() {
        pending.push_str(line);
        pending.push('\n');
        if !feed(&mut shell, &mut pending) {
            continue;
        }
        if let Some(status) = shell.exit {
            return status;
        }
    }
    if !pending.trim().is_empty() {
        shell.run_text(&pending);
    }
    shell.exit.unwrap_or(shell.status)
}

/// Runs `pending` unless it is an incomplete command (then keeps it and returns false).
fn feed(shell: &mut Shell, pending: &mut String) -> bool {
    match shell::parse::parse(pending) {
        Err(e) if e.incomplete() => false,
        Err(e) => {
            exos::eprintln!("{e}");
            shell.status = run::SYNTAX;
            pending.clear();
            true
        }
        Ok(parsed) => {
            let text = core::mem::take(pending);
            shell.run_script(&parsed, &text);
            true
        }
    }
}

/// The interactive loop: prompt, edit a line in raw mode, run it in cooked mode.
fn interactive() -> i32 {
    tty::init();
    if let Ok(motd) = fs::read_file("/etc/motd") {
        // Copied first: the console refuses to write straight from the boot archive's window.
        let mut copy = Vec::with_capacity(motd.len());
        copy.extend_from_slice(motd);
        let _ = fd::write_all(1, &copy);
    }
    let mut shell = Shell::new(true);
    let mut editor = Editor::new(100);
    let mut pending = String::new();
    let mut typed: Vec<u8> = Vec::new();
    let mut echo = Vec::new();
    loop {
        shell.report_jobs();
        let prompt = if pending.is_empty() { alloc::format!("exo:{}$ ", cwd::cwd()) } else { String::from("> ") };
        let _ = fd::write_all(1, prompt.as_bytes());
        tty::set_raw(true);
        let event = loop {
            if typed.is_empty() {
                let mut buf = [0u8; 64];
                match fd::read(0, &mut buf) {
                    Ok(0) | Err(_) => break Event::Eof,
                    Ok(n) => typed.extend_from_slice(&buf[..n]),
                }
            }
            let mut used = 0;
            let mut event = None;
            for &b in &typed {
                used += 1;
                event = editor.feed(b, &mut echo);
                if event.is_some() {
                    break;
                }
            }
            typed.drain(..used);
            let _ = fd::write_all(1, &echo);
            echo.clear();
            if let Some(event) = event {
                break event;
            }
        };
        tty::set_raw(false);
        match event {
            Event::Line(line) => {
                pending.push_str(&line);
                pending.push('\n');
                feed(&mut shell, &mut pending);
                if let Some(status) = shell.exit {
                    return status;
                }
            }
            Event::Interrupted => {
                pending.clear();
                shell.status = 130;
            }
            Event::Eof => {
                let _ = fd::write_all(1, b"exit\n");
                return shell.status;
            }
        }
    }
}
