//! `df`: the space of each mounted file system (`exos::fs::fd::usage`), one line each:
//! `NAME SIZE USED AVAIL USE% MOUNT`, sizes in KiB, under a header line.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::format;
use exos::fs::fd;
use user::util;

const USAGE: &str = "df";

fn main() -> i64 {
    let parsed = match util::options("df", "", false, USAGE) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    if !parsed.operands.is_empty() {
        return util::usage_error("df: no operands expected", USAGE);
    }
    util::out(format!("{:<10} {:>10} {:>10} {:>10} {:>5} {}\n", "fs", "KiB", "used", "avail", "use%", "mounted on").as_bytes());
    for u in fd::usage() {
        let percent = if u.total == 0 { 0 } else { (u.used * 100).div_ceil(u.total) };
        let line = format!("{:<10} {:>10} {:>10} {:>10} {:>4}% {}\n", u.name, u.total / 1024, u.used / 1024, u.free / 1024, percent, u.mount);
        util::out(line.as_bytes());
    }
    0
}

exos::main!(main);
