//! `wc [-lwc] [FILE...]`: counts lines, words and bytes of each file (`-` or none: stdin), then a
//! `total` line when there are several. One count selected prints it alone (`6`); several, or
//! none selected (all three), print them in 7-wide columns (`shell::text::format_wc`).
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use shell::text::{self, Counts, WcFlags};
use user::util;

const USAGE: &str = "wc [-lwc] [FILE...]";

fn main() -> i64 {
    let parsed = match util::options("wc", "lwc", false, USAGE) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let flags = WcFlags { lines: parsed.has('l'), words: parsed.has('w'), bytes: parsed.has('c') };
    let (inputs, failed) = util::read_inputs("wc", &parsed.operands);
    let mut total = Counts::default();
    for (name, data) in &inputs {
        let counts = text::wc(data);
        total.add(&counts);
        let name = (!parsed.operands.is_empty()).then_some(*name);
        util::out(text::format_wc(&counts, flags, name).as_bytes());
    }
    if parsed.operands.len() > 1 {
        util::out(text::format_wc(&total, flags, Some("total")).as_bytes());
    }
    util::status(failed)
}

exos::main!(main);
