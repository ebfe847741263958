//! The writable `/tmp` (`exos::fs::tmpfs` through `exos::fs::fd`): exact bytes written and read back,
//! append, truncate, lseek, holes, fstat and stat, readdir of `/tmp`, unlink, every error, the
//! pool filling up (`ENOSPC`, pages and table) and usable again after unlink, and sharing: a
//! forked child, a spawned copy of this program (argument `writer`) and `fd_cat` started with
//! `/tmp` files as stdin and stdout write files the parent reads after they exit.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use exos::fs::fd::{self, Whence, O_APPEND, O_CREAT, O_DIRECTORY, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY};
use exos::fs::{Errno, FileKind, Stat};
use exos::proc::process::{self, Status};
use exos::fs::tmpfs;
use user::Checks;

/// Reads `fd` to end of file.
fn read_all(fd: u32) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    let mut buf = [0u8; 333];
    loop {
        match fd::read(fd, &mut buf)? {
            0 => return Ok(out),
            n => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// The whole of `path` (opened read-only, closed after).
fn contents(path: &str) -> Result<Vec<u8>, Errno> {
    let fd = fd::open(path, O_RDONLY)?;
    let data = read_all(fd);
    let _ = fd::close(fd);
    data
}

/// Writes `data` to `path`, created or truncated.
fn put(path: &str, data: &[u8]) -> Result<(), Errno> {
    let fd = fd::open(path, O_WRONLY | O_CREAT | O_TRUNC)?;
    let done = fd::write_all(fd, data);
    let _ = fd::close(fd);
    done
}

fn pattern(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32).map(|i| (i.wrapping_mul(7).wrapping_add(seed) % 251) as u8).collect()
}

fn file_stat(size: u64) -> Stat {
    Stat { size, mode: 0o100644, kind: FileKind::File }
}

fn basics(c: &mut Checks) {
    c.equal("no pool yet: ENOENT", fd::open("/tmp/a", O_RDONLY), Err(Errno::ENOENT));
    c.equal("init", tmpfs::init(), Ok(()));
    c.equal("63 free pages", tmpfs::free_pages(), 63);
    c.equal("stat /tmp", fd::stat("/tmp"), Ok(Stat { size: 0, mode: 0o041777, kind: FileKind::Dir }));
    let Ok(a) = fd::open("/tmp/a", O_WRONLY | O_CREAT) else { return c.check("create /tmp/a", false) };
    c.equal("write", fd::write(a, b"hello world\n"), Ok(12));
    c.equal("read a write-only fd", fd::read(a, &mut [0u8; 4]), Err(Errno::EBADF));
    c.equal("fstat", fd::fstat(a), Ok(file_stat(12)));
    c.equal("close", fd::close(a), Ok(()));
    c.equal("read back", contents("/tmp/a"), Ok(b"hello world\n".to_vec()));
    c.equal("tmp/a and //tmp/./a are the same", (contents("tmp/a"), contents("//tmp/./a")), (contents("/tmp/a"), contents("/tmp/a")));
    let r = fd::open("/tmp/a", O_RDONLY).unwrap_or(99);
    c.equal("write a read-only fd", fd::write(r, b"x"), Err(Errno::EBADF));
    let _ = fd::close(r);
    // Append: every write at the end, whatever the offset.
    let Ok(ap) = fd::open("/tmp/a", O_WRONLY | O_APPEND) else { return c.check("open append", false) };
    c.equal("lseek 0", fd::lseek(ap, 0, Whence::Set), Ok(0));
    c.equal("append", fd::write(ap, b"more\n"), Ok(5));
    c.equal("offset after append", fd::lseek(ap, 0, Whence::Cur), Ok(17));
    let _ = fd::close(ap);
    c.equal("appended", contents("/tmp/a"), Ok(b"hello world\nmore\n".to_vec()));
    // Read-write with lseek, and a hole.
    let Ok(rw) = fd::open("/tmp/a", O_RDWR) else { return c.check("open rdwr", false) };
    c.equal("lseek 6", fd::lseek(rw, 6, Whence::Set), Ok(6));
    c.equal("overwrite", fd::write(rw, b"WORLD"), Ok(5));
    c.equal("lseek end-5", fd::lseek(rw, -5, Whence::End), Ok(12));
    let mut five = [0u8; 5];
    c.equal("read 5", fd::read(rw, &mut five), Ok(5));
    c.equal("the tail", &five, b"more\n");
    c.equal("at end: 0", fd::read(rw, &mut five), Ok(0));
    c.equal("lseek past the end", fd::lseek(rw, 20, Whence::Set), Ok(20));
    c.equal("write past the end", fd::write(rw, b"x"), Ok(1));
    c.equal("size with the hole", fd::fstat(rw).map(|s| s.size), Ok(21));
    c.equal("lseek negative", fd::lseek(rw, -1, Whence::Set), Err(Errno::EINVAL));
    let _ = fd::close(rw);
    c.equal("the hole reads as zeros", contents("/tmp/a"), Ok(b"hello WORLD\nmore\n\0\0\0x".to_vec()));
    // O_TRUNC, then regrow over what was there: zeros, not stale bytes.
    let Ok(t) = fd::open("/tmp/a", O_WRONLY | O_TRUNC) else { return c.check("open trunc", false) };
    c.equal("truncated", fd::stat("/tmp/a"), Ok(file_stat(0)));
    c.equal("write at 3", fd::lseek(t, 3, Whence::Set).and_then(|_| fd::write(t, b"z")), Ok(1));
    let _ = fd::close(t);
    c.equal("no stale bytes", contents("/tmp/a"), Ok(b"\0\0\0z".to_vec()));
    c.equal("O_RDONLY|O_TRUNC does not truncate", fd::open("/tmp/a", O_RDONLY | O_TRUNC).and_then(|f| fd::fstat(f).map(|s| (f, s.size))).map(|(f, s)| (fd::close(f), s).1), Ok(4));
    // tmpfs::truncate down into a page zeroes the rest of it.
    let Ok(h) = tmpfs::open("a", false, false) else { return c.check("tmpfs::open", false) };
    c.equal("truncate to 2", tmpfs::truncate(h, 2), Ok(()));
    c.equal("truncate up to 6", tmpfs::truncate(h, 6), Ok(()));
    c.equal("after truncates", contents("/tmp/a"), Ok(b"\0\0\0\0\0\0".to_vec()));
}

fn large(c: &mut Checks) {
    let data = pattern(10_000, 3);
    c.equal("10000 bytes over 3 pages", put("/tmp/large", &data), Ok(()));
    c.equal("59 pages free (/tmp/a holds one)", tmpfs::free_pages(), 59);
    c.equal("read back exactly", contents("/tmp/large"), Ok(data.clone()));
    let Ok(f) = fd::open("/tmp/large", O_RDWR) else { return c.check("open large", false) };
    let mut across = [0u8; 10];
    c.equal("read across a page boundary", fd::lseek(f, 4090, Whence::Set).and_then(|_| fd::read(f, &mut across)), Ok(10));
    c.equal("the bytes", &across[..], &data[4090..4100]);
    let _ = fd::close(f);
    let Ok(h) = tmpfs::open("large", false, false) else { return c.check("tmpfs::open", false) };
    c.equal("truncate to 5000", tmpfs::truncate(h, 5000), Ok(()));
    c.equal("frees a page", tmpfs::free_pages(), 60);
    c.equal("prefix kept", contents("/tmp/large"), Ok(data[..5000].to_vec()));
}

fn directory(c: &mut Checks) {
    let _ = put("/tmp/b", b"bee");
    let Ok(dir) = fd::open("/tmp", O_RDONLY) else { return c.check("open /tmp", false) };
    c.equal("fstat /tmp", fd::fstat(dir).map(|s| (s.mode, s.kind)), Ok((0o041777, FileKind::Dir)));
    let mut seen = Vec::new();
    while let Ok(Some(entry)) = fd::readdir(dir) {
        seen.push((entry.name, entry.stat.size));
    }
    c.equal("readdir /tmp", seen, alloc::vec![("a", 6), ("large", 5000), ("b", 3)]);
    c.equal("rewind", fd::lseek(dir, 0, Whence::Set).and_then(|_| fd::readdir(dir)).map(|e| e.map(|e| e.name)), Ok(Some("a")));
    c.equal("read a directory", fd::read(dir, &mut [0u8; 2]), Err(Errno::EISDIR));
    let _ = fd::close(dir);
    c.equal("O_DIRECTORY", fd::open("/tmp/", O_DIRECTORY).and_then(fd::close), Ok(()));
    let names: Vec<(String, u64)> = tmpfs::list();
    c.equal("tmpfs::list", names, alloc::vec![(String::from("a"), 6), (String::from("large"), 5000), (String::from("b"), 3)]);
}

fn errors(c: &mut Checks) {
    let long = "n".repeat(48);
    let longest = "n".repeat(47);
    c.equal("48 bytes: ENAMETOOLONG", fd::open(&alloc::format!("/tmp/{long}"), O_WRONLY | O_CREAT), Err(Errno::ENAMETOOLONG));
    c.equal("47 bytes fit", put(&alloc::format!("/tmp/{longest}"), b"ok"), Ok(()));
    c.equal("stat it", fd::stat(&alloc::format!("/tmp/{longest}")), Ok(file_stat(2)));
    c.equal("no subdirectories", fd::open("/tmp/a/b", O_WRONLY | O_CREAT), Err(Errno::ENOENT));
    c.equal("/tmp for writing", fd::open("/tmp", O_WRONLY), Err(Errno::EISDIR));
    c.equal("O_DIRECTORY on a file", fd::open("/tmp/a", O_DIRECTORY), Err(Errno::ENOTDIR));
    c.equal("absent", fd::open("/tmp/absent", O_RDONLY), Err(Errno::ENOENT));
    c.equal("stat absent", fd::stat("/tmp/absent"), Err(Errno::ENOENT));
    c.equal("still EROFS elsewhere", fd::open("/etc/new", O_WRONLY | O_CREAT), Err(Errno::EROFS));
    c.equal("unlink /etc/motd", fd::unlink("/etc/motd"), Err(Errno::EROFS));
    c.equal("unlink /nope", fd::unlink("/nope"), Err(Errno::ENOENT));
    c.equal("unlink /tmp", fd::unlink("/tmp"), Err(Errno::EISDIR));
    c.equal("unlink absent", fd::unlink("/tmp/absent"), Err(Errno::ENOENT));
    // A descriptor to an unlinked file does not reach the file that takes its slot.
    let Ok(stale) = fd::open("/tmp/b", O_RDWR) else { return c.check("open b", false) };
    c.equal("unlink b", fd::unlink("/tmp/b"), Ok(()));
    c.equal("b is gone", fd::stat("/tmp/b"), Err(Errno::ENOENT));
    c.equal("a new file takes the slot", put("/tmp/new", b"new"), Ok(()));
    c.equal("stale read", fd::read(stale, &mut [0u8; 3]), Err(Errno::ENOENT));
    c.equal("stale write", fd::write(stale, b"x"), Err(Errno::ENOENT));
    c.equal("new untouched", contents("/tmp/new"), Ok(b"new".to_vec()));
    let _ = fd::close(stale);
    for name in ["/tmp/new", &alloc::format!("/tmp/{longest}")] {
        let _ = fd::unlink(name);
    }
}

fn full(c: &mut Checks) {
    for name in ["/tmp/a", "/tmp/large"] {
        c.equal("unlink", fd::unlink(name), Ok(()));
    }
    c.equal("all pages free", tmpfs::free_pages(), 63);
    let Ok(big) = fd::open("/tmp/big", O_WRONLY | O_CREAT) else { return c.check("create big", false) };
    let chunk = pattern(5000, 9);
    let mut written = 0;
    let end = loop {
        match fd::write(big, &chunk) {
            Ok(n) => written += n,
            Err(e) => break e,
        }
    };
    c.equal("ENOSPC", end, Errno::ENOSPC);
    c.equal("252 KiB written", written, 63 * 4096);
    c.equal("size", fd::fstat(big).map(|s| s.size), Ok(63 * 4096));
    c.equal("no page free", tmpfs::free_pages(), 0);
    c.equal("another file: ENOSPC", put("/tmp/more", b"x"), Err(Errno::ENOSPC));
    let _ = fd::close(big);
    let expected: Vec<u8> = chunk.iter().copied().cycle().take(63 * 4096).collect();
    c.equal("the full file reads back", contents("/tmp/big"), Ok(expected));
    c.equal("unlink big", fd::unlink("/tmp/big"), Ok(()));
    c.equal("pages back", tmpfs::free_pages(), 63);
    c.equal("usable again", put("/tmp/more", &chunk), Ok(()));
    c.equal("its bytes", contents("/tmp/more"), Ok(chunk.clone()));
    let _ = fd::unlink("/tmp/more");
    // The table: 32 files.
    let made = (0..40).take_while(|i| put(&alloc::format!("/tmp/f{i}"), b"").is_ok()).count();
    c.equal("32 files", made, tmpfs::MAX_FILES);
    c.equal("then ENOSPC", fd::open("/tmp/one-more", O_WRONLY | O_CREAT), Err(Errno::ENOSPC));
    for i in 0..made {
        let _ = fd::unlink(&alloc::format!("/tmp/f{i}"));
    }
    c.equal("empty", tmpfs::list().len(), 0);
    c.equal("every page free", tmpfs::free_pages(), 63);
}

fn sharing(c: &mut Checks) {
    // A forked child writes a file and exits; the parent reads it.
    match exos::proc::fork::fork() {
        Ok(0) => {
            let ok = put("/tmp/forked", b"from the forked child\n").is_ok();
            process::exit(if ok { 5 } else { 6 })
        }
        Ok(child) => {
            c.equal("forked child exits", process::wait(child), Ok(Status::Exited(5)));
            c.equal("its file", contents("/tmp/forked"), Ok(b"from the forked child\n".to_vec()));
        }
        Err(e) => c.check(&alloc::format!("fork: {e:?}"), false),
    }
    // A spawned copy of this program appends to that file by path.
    match exos::proc::spawn::spawn_with("tmpfiles", &["tmpfiles", "writer"], &[], &[]) {
        Ok(child) => {
            c.equal("spawned writer exits", process::wait(child), Ok(Status::Exited(9)));
            c.equal("it appended", contents("/tmp/forked"), Ok(b"from the forked child\nfrom the spawned writer\n".to_vec()));
        }
        Err(e) => c.check(&alloc::format!("spawn writer: {e:?}"), false),
    }
    // fd_cat with a /tmp file on stdin and another on stdout.
    let input = pattern(9000, 1);
    c.equal("input file", put("/tmp/in", &input), Ok(()));
    let (Ok(i), Ok(o)) = (fd::open("/tmp/in", O_RDONLY), fd::open("/tmp/out", O_WRONLY | O_CREAT | O_TRUNC)) else { return c.check("open in, out", false) };
    let child = exos::proc::spawn::spawn_with("fd_cat", &["fd_cat"], &[], &[(0, i), (1, o), (2, 2)]);
    let _ = (fd::close(i), fd::close(o));
    match child {
        Ok(pid) => c.equal("fd_cat copies 9000 bytes", process::wait(pid), Ok(Status::Exited(9000))),
        Err(e) => c.check(&alloc::format!("spawn fd_cat: {e:?}"), false),
    }
    c.equal("/tmp/out is /tmp/in", contents("/tmp/out"), Ok(input));
    for name in ["/tmp/forked", "/tmp/in", "/tmp/out"] {
        c.equal("unlink", fd::unlink(name), Ok(()));
    }
}

fn main() -> i64 {
    if exos::proc::spawn::args().nth(1) == Some("writer") {
        let Ok(fd) = fd::open("/tmp/forked", O_WRONLY | O_APPEND) else { return 7 };
        return if fd::write_all(fd, b"from the spawned writer\n").is_ok() { 9 } else { 8 };
    }
    let mut c = Checks::new("tmpfiles");
    basics(&mut c);
    large(&mut c);
    directory(&mut c);
    errors(&mut c);
    full(&mut c);
    sharing(&mut c);
    c.equal("every page free at the end", tmpfs::free_pages(), 63);
    c.equal("only 0, 1, 2 open", (0..fd::MAX_FDS as u32).filter(|&f| fd::fstat(f).is_ok()).count(), 3);
    c.finish()
}

exos::main!(main);
