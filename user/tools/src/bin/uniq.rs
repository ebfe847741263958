//! `uniq [-c] [FILE]`: collapses runs of equal adjacent lines of FILE (`-` or none: stdin) into
//! one; `-c` prefixes each with its count in 7 columns (`      2 page`).
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use user::util;

const USAGE: &str = "uniq [-c] [FILE]";

fn main() -> i64 {
    let parsed = match util::options("uniq", "c", false, USAGE) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    if parsed.operands.len() > 1 {
        return util::usage_error("uniq: only one input file", USAGE);
    }
    let (inputs, failed) = util::read_inputs("uniq", &parsed.operands);
    for (_, data) in &inputs {
        util::out(shell::text::uniq(&String::from_utf8_lossy(data), parsed.has('c')).as_bytes());
    }
    util::status(failed)
}

exos::main!(main);
