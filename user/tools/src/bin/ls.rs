//! `ls [-la] [PATH...]`: lists directories (their entries sorted by name, byte order) and names
//! files (as given). `-l` prints `MODE SIZE NAME` with the mode as `-rwxr-xr-x` (type `d`
//! directory, `-` file, `p` pipe, `c` console) and the size right-aligned in 8 columns; `-a`
//! also lists `.` and `..` and names starting with `.`. No operand: `$PWD`, else `/`. With
//! several operands the files come first, then each directory under a `PATH:` line, separated by
//! blank lines. A missing path is reported (`ls: PATH: ENOENT: ...`) and the status is 1.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use exos::fs::{self, Errno, FileKind, Stat};
use user::util;

const USAGE: &str = "ls [-la] [PATH...]";

/// `-rwxr-xr-x` for a mode and kind.
fn mode_string(stat: &Stat) -> String {
    let kind = match stat.kind {
        FileKind::Dir => 'd',
        FileKind::File => '-',
        FileKind::Pipe => 'p',
        FileKind::Console => 'c',
        FileKind::Socket => 's',
    };
    let mut text = String::from(kind);
    for shift in [6, 3, 0] {
        let bits = stat.mode >> shift;
        text.push(if bits & 4 != 0 { 'r' } else { '-' });
        text.push(if bits & 2 != 0 { 'w' } else { '-' });
        text.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    text
}

/// One output line for `name`.
fn line(name: &str, stat: &Stat, long: bool) -> String {
    if long { format!("{} {:>8} {name}\n", mode_string(stat), stat.size) } else { format!("{name}\n") }
}

/// The entries of directory `path`, sorted by name (with `.` and `..` if `all`).
fn entries(path: &str, all: bool) -> Result<Vec<(String, Stat)>, Errno> {
    let mut list: Vec<(String, Stat)> = fs::readdir(path)?
        .iter()
        .filter(|node| all || !node.name().starts_with('.'))
        .map(|node| (String::from(node.name()), Stat::of(node)))
        .collect();
    list.sort_by(|a, b| a.0.cmp(&b.0));
    if all {
        let parent = format!("{path}/..");
        let dots = [(".", fs::stat(path)?), ("..", fs::stat(&parent)?)];
        list.splice(0..0, dots.map(|(name, stat)| (String::from(name), stat)));
    }
    Ok(list)
}

fn main() -> i64 {
    let parsed = match util::options("ls", "la", false, USAGE) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let (long, all) = (parsed.has('l'), parsed.has('a'));
    let here = exos::proc::spawn::var("PWD").unwrap_or("/");
    let operands: Vec<&str> = if parsed.operands.is_empty() { alloc::vec![here] } else { parsed.operands.clone() };
    let mut failed = false;
    let mut dirs = Vec::new();
    let mut files_listed = false;
    for &operand in &operands {
        match fs::stat(&util::resolve(operand)) {
            Ok(stat) if stat.kind == FileKind::Dir => dirs.push(operand),
            Ok(stat) => {
                util::out(line(operand, &stat, long).as_bytes());
                files_listed = true;
            }
            Err(e) => {
                util::report("ls", operand, e);
                failed = true;
            }
        }
    }
    for (i, &dir) in dirs.iter().enumerate() {
        let mut text = String::new();
        if operands.len() > 1 {
            let gap = if i > 0 || files_listed { "\n" } else { "" };
            text = format!("{gap}{dir}:\n");
        }
        match entries(&util::resolve(dir), all) {
            Ok(list) => {
                for (name, stat) in &list {
                    text.push_str(&line(name, stat, long));
                }
                util::out(text.as_bytes());
            }
            Err(e) => {
                util::report("ls", dir, e);
                failed = true;
            }
        }
    }
    util::status(failed)
}

exos::main!(main);
