//! `head [-n N | -N] [FILE...]`: the first N lines (default 10) of each file (`-` or none:
//! stdin until end of file); with several files each is preceded by `==> NAME <==` and
//! separated from the previous one by a blank line.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use user::util;

const USAGE: &str = "head [-n N] [FILE...]";

fn main() -> i64 {
    let parsed = match util::options("head", "", true, USAGE) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let n = parsed.count.unwrap_or(10);
    let (inputs, failed) = util::read_inputs("head", &parsed.operands);
    let headers = parsed.operands.len() > 1;
    for (i, (name, data)) in inputs.iter().enumerate() {
        if headers {
            let gap = if i > 0 { "\n" } else { "" };
            util::out(alloc::format!("{gap}==> {name} <==\n").as_bytes());
        }
        util::out(shell::text::head(data, n));
    }
    util::status(failed)
}

exos::main!(main);
