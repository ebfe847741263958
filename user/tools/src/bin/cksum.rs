//! `cksum [FILE...]`: the POSIX checksum (CRC-32) and byte count of each file, or of stdin
//! (`-` or none), read in pieces so a stream of any length is checked: `CRC LEN [NAME]`.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use exos::fs::fd;
use shell::text::Cksum;
use user::util;

fn sum(fd: u32) -> Result<(u32, u64), exos::fs::Errno> {
    let mut c = Cksum::default();
    let mut buf = alloc::vec![0u8; 64 * 1024];
    loop {
        match fd::read(fd, &mut buf)? {
            0 => return Ok(c.finish()),
            n => c.update(&buf[..n]),
        }
    }
}

fn main() -> i64 {
    let operands = util::operands();
    let names: alloc::vec::Vec<&str> = if operands.is_empty() { alloc::vec!["-"] } else { operands };
    let mut failed = false;
    for name in &names {
        let result = util::open(name).and_then(|fd| {
            let r = sum(fd);
            if fd != 0 {
                let _ = fd::close(fd);
            }
            r
        });
        match result {
            Ok((crc, len)) if *name == "-" => util::out(alloc::format!("{crc} {len}\n").as_bytes()),
            Ok((crc, len)) => util::out(alloc::format!("{crc} {len} {name}\n").as_bytes()),
            Err(e) => {
                util::report("cksum", name, e);
                failed = true;
            }
        }
    }
    util::status(failed)
}

exos::main!(main);
