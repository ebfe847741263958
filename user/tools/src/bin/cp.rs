//! `cp SOURCE TARGET` or `cp SOURCE... DIR`: copies files. A target that is a directory receives
//! each source under its last name; an existing target file is truncated and overwritten. Data is
//! copied 64 KiB at a time. A failure is reported (`cp: PATH: ENOENT: ...`, `EISDIR` for a
//! directory source) and the status is then 1.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec;
use exos::fs::fd::{self, O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY};
use exos::fs::{Errno, FileKind};
use user::util;

const USAGE: &str = "cp SOURCE TARGET | cp SOURCE... DIR";

/// The last component of `path`.
fn base(path: &str) -> &str {
    path.trim_end_matches('/').rsplit('/').next().unwrap_or(path)
}

/// Copies file `from` to file `to` (both absolute).
fn copy(from: &str, to: &str) -> Result<(), (String, Errno)> {
    if fd::stat(from).map_err(|e| (String::from(from), e))?.kind == FileKind::Dir {
        return Err((from.into(), Errno::EISDIR));
    }
    let src = fd::open(from, O_RDONLY).map_err(|e| (String::from(from), e))?;
    let result = fd::open(to, O_WRONLY | O_CREAT | O_TRUNC).map_err(|e| (String::from(to), e)).and_then(|dst| {
        let mut buf = vec![0u8; 64 * 1024];
        let copied = loop {
            match fd::read(src, &mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    if let Err(e) = fd::write_all(dst, &buf[..n]) {
                        break Err((String::from(to), e));
                    }
                }
                Err(e) => break Err((String::from(from), e)),
            }
        };
        let closed = fd::close(dst).map_err(|e| (String::from(to), e));
        copied.and(closed)
    });
    let _ = fd::close(src);
    result
}

fn main() -> i64 {
    let parsed = match util::options("cp", "", false, USAGE) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let Some((&target, sources)) = parsed.operands.split_last() else { return util::usage_error("cp: missing operand", USAGE) };
    if sources.is_empty() {
        return util::usage_error("cp: missing destination", USAGE);
    }
    let target = util::resolve(target);
    let into_dir = fd::stat(&target).is_ok_and(|s| s.kind == FileKind::Dir);
    if sources.len() > 1 && !into_dir {
        util::report("cp", &target, Errno::ENOTDIR);
        return 1;
    }
    let mut failed = false;
    for &source in sources {
        let to = if into_dir { format!("{}/{}", target.trim_end_matches('/'), base(source)) } else { target.clone() };
        if let Err((path, e)) = copy(&util::resolve(source), &to) {
            util::report("cp", &path, e);
            failed = true;
        }
    }
    util::status(failed)
}

exos::main!(main);
