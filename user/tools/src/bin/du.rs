//! `du [-s] [PATH...]`: the space files take, in KiB (each file counted in whole 4 KiB blocks,
//! the unit both `/tmp` and the disk allocate), `SIZE PATH` for every directory under each
//! operand and for the operand itself (`-s`: the operand only). No operand: `.`. An unreadable
//! path is reported and the status is then 1.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::format;
use exos::fs::{fd, FileKind};
use user::util;

const USAGE: &str = "du [-s] [PATH...]";
const BLOCK: u64 = 4096;

/// KiB under `path` (absolute, shown as `shown`), printing each directory below an operand
/// (`depth` > 0) unless `summary`; the caller prints the operand's line.
fn walk(path: &str, shown: &str, depth: usize, summary: bool, failed: &mut bool) -> u64 {
    let stat = match fd::stat(path) {
        Ok(stat) => stat,
        Err(e) => {
            util::report("du", shown, e);
            *failed = true;
            return 0;
        }
    };
    if stat.kind != FileKind::Dir {
        return kib(stat.size);
    }
    let mut total = 0;
    match fd::list(path) {
        Ok(entries) => {
            for entry in entries {
                total += if entry.stat.kind == FileKind::Dir {
                    let child = format!("{}/{}", path.trim_end_matches('/'), entry.name);
                    let child_shown = format!("{}/{}", shown.trim_end_matches('/'), entry.name);
                    walk(&child, &child_shown, depth + 1, summary, failed)
                } else {
                    kib(entry.stat.size)
                };
            }
        }
        Err(e) => {
            util::report("du", shown, e);
            *failed = true;
        }
    }
    if depth > 0 && !summary {
        util::out(format!("{total}\t{shown}\n").as_bytes());
    }
    total
}

/// KiB a file of `size` bytes takes, in whole blocks.
fn kib(size: u64) -> u64 {
    size.div_ceil(BLOCK) * BLOCK / 1024
}

fn main() -> i64 {
    let parsed = match util::options("du", "s", false, USAGE) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let names: &[&str] = if parsed.operands.is_empty() { &["."] } else { &parsed.operands };
    let mut failed = false;
    for &name in names {
        let total = walk(&util::resolve(name), name, 0, parsed.has('s'), &mut failed);
        util::out(format!("{total}\t{name}\n").as_bytes());
    }
    util::status(failed)
}

exos::main!(main);
