//! `sort [-rn] [FILE...]`: the lines of all the files together (`-` or none: stdin), sorted by
//! bytes, or with `-n` by the number each starts with (ties by bytes); `-r` reverses.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use shell::text::{self, SortOptions};
use user::util;

const USAGE: &str = "sort [-rn] [FILE...]";

fn main() -> i64 {
    let parsed = match util::options("sort", "rn", false, USAGE) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let (inputs, failed) = util::read_inputs("sort", &parsed.operands);
    let mut all = String::new();
    for (_, data) in &inputs {
        all.push_str(&String::from_utf8_lossy(data));
        if !all.is_empty() && !all.ends_with('\n') {
            all.push('\n');
        }
    }
    let options = SortOptions { reverse: parsed.has('r'), numeric: parsed.has('n') };
    util::out(text::sort(&all, options).as_bytes());
    util::status(failed)
}

exos::main!(main);
