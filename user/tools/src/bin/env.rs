//! `env`: prints this process's environment (`spawn::vars()`), one `NAME=value` per line, in the
//! order it was given. It takes no options or operands (running a command is the shell's
//! `NAME=value cmd`).
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use user::util;

const USAGE: &str = "env";

fn main() -> i64 {
    let parsed = match util::options("env", "", false, USAGE) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    if let Some(operand) = parsed.operands.first() {
        return util::usage_error(&alloc::format!("env: unexpected operand {operand}"), USAGE);
    }
    for var in exos::proc::spawn::vars() {
        util::out(var.as_bytes());
        util::out(b"\n");
    }
    0
}

exos::main!(main);
