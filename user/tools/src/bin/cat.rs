//! `cat [FILE...]`: copies each file (`-` or none: stdin until end of file) to stdout, as it
//! reads, so `cat` at the terminal echoes line by line. An unreadable file is reported
//! (`cat: PATH: ENOENT: ...`) and skipped; the status is then 1.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use exos::fs::fd;
use exos::fs::Errno;
use user::util;

const USAGE: &str = "cat [FILE...]";

/// Copies descriptor `from` to stdout until end of file.
fn copy(from: u32) -> Result<(), Errno> {
    let mut buf = [0u8; 4096];
    loop {
        match fd::read(from, &mut buf)? {
            0 => return Ok(()),
            n => util::out(&buf[..n]),
        }
    }
}

fn main() -> i64 {
    let parsed = match util::options("cat", "", false, USAGE) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let names: &[&str] = if parsed.operands.is_empty() { &["-"] } else { &parsed.operands };
    let mut failed = false;
    for &name in names {
        let result = util::open(name).and_then(|from| {
            let copied = copy(from);
            if from != 0 {
                let _ = fd::close(from);
            }
            copied
        });
        if let Err(e) = result {
            util::report("cat", name, e);
            failed = true;
        }
    }
    util::status(failed)
}

exos::main!(main);
