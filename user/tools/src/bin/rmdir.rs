//! `rmdir DIR...`: removes each empty directory (`exos::fs::fd::rmdir`). A failure is
//! reported (`rmdir: PATH: ENOTEMPTY: ...`) and the status is then 1.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use exos::fs::fd;
use user::util;

const USAGE: &str = "rmdir DIR...";

fn main() -> i64 {
    let parsed = match util::options("rmdir", "", false, USAGE) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    if parsed.operands.is_empty() {
        return util::usage_error("rmdir: missing operand", USAGE);
    }
    let mut failed = false;
    for &name in &parsed.operands {
        if let Err(e) = fd::rmdir(&util::resolve(name)) {
            util::report("rmdir", name, e);
            failed = true;
        }
    }
    util::status(failed)
}

exos::main!(main);
