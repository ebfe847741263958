//! `echo [-n] [ARG...]`: prints its arguments separated by spaces, then a newline unless `-n`
//! (only as the first arguments; any other word, `-x` included, is printed).
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use user::util;

fn main() -> i64 {
    let mut args = util::operands();
    let newline = args.first() != Some(&"-n");
    while args.first() == Some(&"-n") {
        args.remove(0);
    }
    let mut line = args.join(" ");
    if newline {
        line.push('\n');
    }
    util::out(line.as_bytes());
    0
}

exos::main!(main);
