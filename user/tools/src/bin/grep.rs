//! `grep [-vci] STRING [FILE...]`: the lines containing the fixed string STRING (`-v`: not
//! containing it; `-i`: ignoring ASCII case; `-c`: only how many). Files as `cat` (`-` or none:
//! stdin); with several, each line or count is prefixed by `NAME:`. Status 0 if any line was
//! selected, 1 if none (or a file could not be read), 2 for a usage error.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use shell::text::{self, GrepOptions};
use user::util;

const USAGE: &str = "grep [-vci] STRING [FILE...]";

fn main() -> i64 {
    let parsed = match util::options("grep", "vci", false, USAGE) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let Some((&pattern, files)) = parsed.operands.split_first() else {
        return util::usage_error("grep: no pattern", USAGE);
    };
    let options = GrepOptions { invert: parsed.has('v'), count: parsed.has('c'), ignore_case: parsed.has('i') };
    let (inputs, failed) = util::read_inputs("grep", files);
    let mut selected = 0;
    for (name, data) in &inputs {
        let result = text::grep(&String::from_utf8_lossy(data), pattern, options);
        selected += result.selected;
        if files.len() > 1 {
            for line in result.output.lines() {
                util::out(alloc::format!("{name}:{line}\n").as_bytes());
            }
        } else {
            util::out(result.output.as_bytes());
        }
    }
    if failed { 1 } else { i64::from(selected == 0) }
}

exos::main!(main);
