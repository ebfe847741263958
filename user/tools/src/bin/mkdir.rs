//! `mkdir DIR...`: makes each directory (`exos::fs::fd::mkdir`). A failure is reported
//! (`mkdir: PATH: EEXIST: ...`) and the status is then 1.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use exos::fs::fd;
use user::util;

const USAGE: &str = "mkdir DIR...";

fn main() -> i64 {
    let parsed = match util::options("mkdir", "", false, USAGE) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    if parsed.operands.is_empty() {
        return util::usage_error("mkdir: missing operand", USAGE);
    }
    let mut failed = false;
    for &name in &parsed.operands {
        if let Err(e) = fd::mkdir(&util::resolve(name)) {
            util::report("mkdir", name, e);
            failed = true;
        }
    }
    util::status(failed)
}

exos::main!(main);
