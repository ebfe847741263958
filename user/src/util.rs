//! The plumbing the core utilities (`echo`, `cat`, `ls`, `wc`, `head`, `tail`, `grep`, `sort`,
//! `uniq`, `sleep`, `env`, ...) share: their arguments, option errors, reading a whole input
//! (a file or `-` / stdin), writing to descriptor 1 so that a closed pipe ends the program quietly
//! with status 1, and error lines `NAME: PATH: <errno>`.
//!
//! Relative paths are taken from `$PWD` when it is set (the shell's `cd` sets it), else from `/`.
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use exos::fs::fd::{self, O_RDONLY};
use exos::fs::Errno;
use shell::args::{self, Parsed};

/// The program's arguments without `argv[0]`.
pub fn operands() -> Vec<&'static str> {
    exos::proc::spawn::args().skip(1).collect()
}

/// Parses the arguments (see `shell::args::parse`). A bad option prints the error and
/// `usage: USAGE` to descriptor 2 and gives `Err(2)`, the status to exit with.
pub fn options(program: &str, letters: &str, takes_count: bool, usage: &str) -> Result<Parsed<'static>, i64> {
    let argv = operands();
    args::parse(program, &argv, letters, takes_count).map_err(|message| usage_error(&message, usage))
}

/// Prints `message` and `usage: USAGE` to descriptor 2; returns 2.
pub fn usage_error(message: &str, usage: &str) -> i64 {
    exos::eprintln!("{message}");
    exos::eprintln!("usage: {usage}");
    2
}

/// Writes all of `bytes` to descriptor 1. If that fails (every reader of the pipe gone, `EPIPE`)
/// the program exits at once with status 1, quietly for `EPIPE`, else with a message.
pub fn out(bytes: &[u8]) {
    if let Err(e) = fd::write_all(1, bytes) {
        if e != Errno::EPIPE {
            exos::eprintln!("write: {e}");
        }
        exos::proc::process::exit(1);
    }
}

/// Prints `NAME: PATH: error` to descriptor 2.
pub fn report(program: &str, path: &str, error: Errno) {
    exos::eprintln!("{program}: {path}: {error}");
}

/// `path` made absolute against `$PWD` (or `/`).
pub fn resolve(path: &str) -> String {
    if path.starts_with('/') {
        return path.into();
    }
    let base = exos::proc::spawn::var("PWD").unwrap_or("/");
    format!("{}/{path}", base.trim_end_matches('/'))
}

/// Reads descriptor `fd` to end of file.
pub fn read_fd(fd: u32) -> Result<Vec<u8>, Errno> {
    let mut data = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match fd::read(fd, &mut buf)? {
            0 => return Ok(data),
            n => data.extend_from_slice(&buf[..n]),
        }
    }
}

/// Opens `path` for reading (`-`: descriptor 0, returned as is).
pub fn open(path: &str) -> Result<u32, Errno> {
    if path == "-" { Ok(0) } else { fd::open(&resolve(path), O_RDONLY) }
}

/// The whole of `path` (`-`: stdin until end of file).
pub fn read_input(path: &str) -> Result<Vec<u8>, Errno> {
    let fd = open(path)?;
    let data = read_fd(fd);
    if fd != 0 {
        let _ = fd::close(fd);
    }
    data
}

/// The inputs named by `operands` (stdin if there are none), each with its name, read whole.
/// Unreadable ones are reported (`PROGRAM: PATH: error`) and skipped; the flag says whether any
/// was.
pub fn read_inputs<'a>(program: &str, operands: &[&'a str]) -> (Vec<(&'a str, Vec<u8>)>, bool) {
    let names: &[&'a str] = if operands.is_empty() { &["-"] } else { operands };
    let mut failed = false;
    let mut inputs = Vec::new();
    for &name in names {
        match read_input(name) {
            Ok(data) => inputs.push((name, data)),
            Err(e) => {
                report(program, name, e);
                failed = true;
            }
        }
    }
    (inputs, failed)
}

/// Exit status 1 if anything failed, else 0.
pub fn status(failed: bool) -> i64 {
    i64::from(failed)
}
