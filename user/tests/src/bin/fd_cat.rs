//! Copies descriptor 0 to descriptor 1 until end of file, then exits with the byte count: the
//! child `files` starts with both wired to pipes (`spawn_with`).
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use exos::fs::fd;

fn main() -> i64 {
    let mut buf = [0u8; 512];
    let mut total = 0;
    loop {
        match fd::read(0, &mut buf) {
            Ok(0) => return total,
            Ok(n) => {
                if let Err(e) = fd::write_all(1, &buf[..n]) {
                    exos::eprintln!("fd_cat: write: {e}");
                    return -1;
                }
                total += n as i64;
            }
            Err(e) => {
                exos::eprintln!("fd_cat: read: {e}");
                return -2;
            }
        }
    }
}

exos::main!(main);
