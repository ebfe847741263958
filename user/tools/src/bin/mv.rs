//! `mv SOURCE TARGET` or `mv SOURCE... DIR`: renames (`exos::fs::fd::rename`, one atomic step
//! inside a file system; an existing target file is replaced). A target that is a directory
//! receives each source under its last name. Moving between file systems is refused (`EXDEV`,
//! as the rename; use `cp` and `rm`). A failure is reported and the status is then 1.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::format;
use exos::fs::fd;
use exos::fs::{Errno, FileKind};
use user::util;

const USAGE: &str = "mv SOURCE TARGET | mv SOURCE... DIR";

fn main() -> i64 {
    let parsed = match util::options("mv", "", false, USAGE) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let Some((&target, sources)) = parsed.operands.split_last() else { return util::usage_error("mv: missing operand", USAGE) };
    if sources.is_empty() {
        return util::usage_error("mv: missing destination", USAGE);
    }
    let target = util::resolve(target);
    let into_dir = fd::stat(&target).is_ok_and(|s| s.kind == FileKind::Dir);
    if sources.len() > 1 && !into_dir {
        util::report("mv", &target, Errno::ENOTDIR);
        return 1;
    }
    let mut failed = false;
    for &source in sources {
        let from = util::resolve(source);
        let name = from.trim_end_matches('/').rsplit('/').next().unwrap_or("");
        let to = if into_dir { format!("{}/{}", target.trim_end_matches('/'), name) } else { target.clone() };
        if let Err(e) = fd::rename(&from, &to) {
            util::report("mv", source, e);
            failed = true;
        }
    }
    util::status(failed)
}

exos::main!(main);
