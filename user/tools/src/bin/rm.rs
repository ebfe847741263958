//! `rm [-f] FILE...`: removes each file (`exos::fs::fd::unlink`). A failure is reported
//! (`rm: PATH: ENOENT: ...`, or `EISDIR` for a directory: use `rmdir`) and the status is then 1;
//! `-f` ignores missing files.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use exos::fs::fd;
use exos::fs::Errno;
use user::util;

const USAGE: &str = "rm [-f] FILE...";

fn main() -> i64 {
    let parsed = match util::options("rm", "f", false, USAGE) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    if parsed.operands.is_empty() {
        return util::usage_error("rm: missing operand", USAGE);
    }
    let force = parsed.has('f');
    let mut failed = false;
    for &name in &parsed.operands {
        match fd::unlink(&util::resolve(name)) {
            Ok(()) => {}
            Err(Errno::ENOENT) if force => {}
            Err(e) => {
                util::report("rm", name, e);
                failed = true;
            }
        }
    }
    util::status(failed)
}

exos::main!(main);
