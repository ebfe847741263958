//! `touch FILE...`: creates each file that does not exist (empty) and sets the modification
//! time of those that do where the file system keeps times (`exos::fs::fd::touch`). A failure is
//! reported (`touch: PATH: EROFS: ...`) and the status is then 1.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use exos::fs::fd;
use user::util;

const USAGE: &str = "touch FILE...";

fn main() -> i64 {
    let parsed = match util::options("touch", "", false, USAGE) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    if parsed.operands.is_empty() {
        return util::usage_error("touch: missing operand", USAGE);
    }
    let mut failed = false;
    for &name in &parsed.operands {
        if let Err(e) = fd::touch(&util::resolve(name)) {
            util::report("touch", name, e);
            failed = true;
        }
    }
    util::status(failed)
}

exos::main!(main);
