//! The boot file system and file descriptors: exact bytes of a data file through open, read,
//! lseek and fstat; /bin listed with sizes; every error; dup2 of a pipe onto stdout; pipe end of
//! file across fork; close-on-exec; children started with `spawn_with` whose stdin and stdout
//! are pipes.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use exos::fs::fd::{self, Whence, O_CREAT, O_DIRECTORY, O_RDONLY, O_WRONLY};
use exos::fs::{self, Errno, FileKind, Stat};
use exos::proc::process::{self, Status};
use user::Checks;

const MOTD: &str = "Welcome to Exo, an exokernel.\n\
The kernel only multiplexes the hardware; everything you see is a library.\n\
Try: help, ls /bin, cat /etc/motd, sort /usr/share/words | uniq -c\n";

/// The size of /usr/share/words (50 lines).
const WORDS_SIZE: usize = 315;

/// Reads `fd` to end of file.
fn read_all(fd: u32) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    let mut buf = [0u8; 37];
    loop {
        match fd::read(fd, &mut buf)? {
            0 => return Ok(out),
            n => out.extend_from_slice(&buf[..n]),
        }
    }
}

fn data_file(c: &mut Checks) {
    let motd = fd::open("/etc/motd", O_RDONLY);
    c.equal("open /etc/motd is the lowest free fd", motd, Ok(3));
    let Ok(motd) = motd else { return };
    c.equal("read it all", read_all(motd).as_deref(), Ok(MOTD.as_bytes()));
    c.equal("fstat", fd::fstat(motd), Ok(Stat { size: MOTD.len() as u64, mode: 0o100644, kind: FileKind::File }));
    c.equal("lseek set", fd::lseek(motd, 19, Whence::Set), Ok(19));
    let mut three = [0u8; 10];
    c.equal("read 10 at 19", fd::read(motd, &mut three), Ok(10));
    c.equal("the bytes at 19", &three, b"exokernel.");
    c.equal("lseek cur", fd::lseek(motd, -2, Whence::Cur), Ok(27));
    c.equal("lseek end", fd::lseek(motd, -7, Whence::End), Ok(MOTD.len() as u64 - 7));
    c.equal("read the tail", read_all(motd).as_deref(), Ok(&b"uniq -c\n"[1..]));
    c.equal("lseek before 0", fd::lseek(motd, -1, Whence::Set), Err(Errno::EINVAL));
    c.equal("past the end reads 0", fd::lseek(motd, 1000, Whence::Set).and_then(|_| fd::read(motd, &mut three)), Ok(0));
    c.equal("write to a file", fd::write(motd, b"x"), Err(Errno::EBADF));
    c.equal("close", fd::close(motd), Ok(()));
    c.equal("read after close", fd::read(motd, &mut three), Err(Errno::EBADF));
    c.equal("close twice", fd::close(motd), Err(Errno::EBADF));
    let words = fs::read_file("usr/share/words").unwrap_or_default();
    c.equal("words: 50 lines", words.iter().filter(|&&b| b == b'\n').count(), 50);
    c.equal("words start", &words[..12], b"kernel\npage\n");
    c.equal("numbers", fs::read_file("./usr/share/numbers").map(|n| &n[..9]), Ok(&b"1\n8\n15\n2\n"[..]));
    c.equal("passwd", fs::read_file("/etc/passwd").map(|p| &p[..30]), Ok(&b"root:x:0:0:root:/root:/bin/sh\n"[..]));
}

fn directories(c: &mut Checks) {
    c.equal("stat /bin", fs::stat("/bin"), Ok(Stat { size: 0, mode: 0o040755, kind: FileKind::Dir }));
    c.equal("stat /", fs::stat("/").map(|s| s.kind), Ok(FileKind::Dir));
    let root: Vec<_> = fs::readdir("/").unwrap_or_default().iter().map(|n| n.name()).collect();
    c.equal("the root, with /tmp", root, alloc::vec!["bin", "test", "bench", "etc", "usr", "tmp"]);
    let share: Vec<_> = fs::readdir("/usr/share").unwrap_or_default().iter().map(|n| (n.name(), n.size())).collect();
    c.equal("/usr/share", share, alloc::vec![("words", WORDS_SIZE), ("numbers", 51)]);
    let Ok(bin) = fd::open("/bin", O_DIRECTORY) else { return c.check("open /bin", false) };
    let mut names = Vec::new();
    while let Ok(Some(entry)) = fd::readdir(bin) {
        let stat = fs::stat(&alloc::format!("/bin/{}", entry.name));
        c.equal("entry stat = path stat", Ok(entry.stat), stat);
        c.check("a program: 0755, not empty", entry.stat.mode == 0o100755 && entry.stat.size > 100);
        names.push(entry.name);
    }
    c.equal("then the end", fd::readdir(bin), Ok(None));
    for program in ["cat", "init", "ls", "sh"] {
        c.check(program, names.contains(&program));
    }
    for program in ["bad_machine", "echoargs", "fd_cat", "files", "hello", "spawner", "vmbench"] {
        c.check(&alloc::format!("{program} is not a tool"), !names.contains(&program));
    }
    let test: Vec<_> = fs::readdir("/test").unwrap_or_default().iter().map(|n| n.name()).collect();
    for program in ["bad_machine", "echoargs", "fd_cat", "files", "hello", "spawner"] {
        c.check(&alloc::format!("/test has {program}"), test.contains(&program));
    }
    let bench: Vec<_> = fs::readdir("/bench").unwrap_or_default().iter().map(|n| n.name()).collect();
    c.equal("/bench", bench, alloc::vec!["bench", "ipcbench", "netbench", "procbench", "vmbench"]);
    let mut sorted = names.clone();
    sorted.sort();
    c.equal("in archive (sorted) order", &sorted, &names);
    let total: u64 = names.iter().filter_map(|n| fs::stat(&alloc::format!("bin/{n}")).ok()).map(|s| s.size).sum();
    exos::println!("files: /bin lists {} programs, {} bytes", names.len(), total);
    c.equal("rewind", fd::lseek(bin, 0, Whence::Set), Ok(0));
    c.equal("first again", fd::readdir(bin).map(|e| e.map(|e| e.name)), Ok(Some(names[0])));
    let mut buf = [0u8; 4];
    c.equal("read a directory", fd::read(bin, &mut buf), Err(Errno::EISDIR));
    c.equal("close /bin", fd::close(bin), Ok(()));
    c.equal("/test/echoargs, test/echoargs, ./test//echoargs", fs::stat("./test//echoargs"), fs::stat("test/echoargs"));
    c.equal("echoargs by spawn::find", exos::proc::spawn::find("echoargs").map(|b| b.len() as u64), fs::stat("/test/echoargs").ok().map(|s| s.size));
    c.equal("cat by spawn::find", exos::proc::spawn::find("cat").map(|b| b.len() as u64), fs::stat("/bin/cat").ok().map(|s| s.size));
    c.equal("vmbench by spawn::find", exos::proc::spawn::find("vmbench").map(|b| b.len() as u64), fs::stat("/bench/vmbench").ok().map(|s| s.size));
}

fn errors(c: &mut Checks) {
    c.equal("ENOENT", fd::open("/nope", O_RDONLY), Err(Errno::ENOENT));
    c.equal("ENOTDIR through a file", fd::open("/etc/motd/x", O_RDONLY), Err(Errno::ENOTDIR));
    c.equal("ENOTDIR O_DIRECTORY", fd::open("/etc/motd", O_DIRECTORY), Err(Errno::ENOTDIR));
    c.equal("EROFS write", fd::open("/etc/motd", O_WRONLY), Err(Errno::EROFS));
    c.equal("EROFS create", fd::open("/etc/new", O_WRONLY | O_CREAT), Err(Errno::EROFS));
    c.equal("EISDIR write a dir", fd::open("/etc", O_WRONLY), Err(Errno::EISDIR));
    c.equal("EBADF", fd::write(40, b"x"), Err(Errno::EBADF));
    c.equal("dup2 out of range", fd::dup2(1, 64), Err(Errno::EINVAL));
    c.equal("ESPIPE console", fd::lseek(1, 0, Whence::Cur), Err(Errno::ESPIPE));
    let file = fd::open("/etc/passwd", O_RDONLY).unwrap_or(99);
    c.equal("ENOTDIR readdir of a file", fd::readdir(file), Err(Errno::ENOTDIR));
    let mut opened = Vec::new();
    let full = loop {
        match fd::open("/etc/passwd", O_RDONLY) {
            Ok(fd) => opened.push(fd),
            Err(e) => break e,
        }
    };
    c.equal("EMFILE", full, Errno::EMFILE);
    c.equal("the table holds 64", opened.len() + 4, fd::MAX_FDS);
    c.equal("dup when full", fd::dup(0), Err(Errno::EMFILE));
    c.equal("pipe when full", fd::pipe(), Err(Errno::EMFILE));
    for fd in opened {
        let _ = fd::close(fd);
    }
    let _ = fd::close(file);
    c.equal("Display", alloc::format!("{} / {}", Errno::ENOENT, Errno::EROFS), String::from("ENOENT: no such file or directory / EROFS: read-only file system"));
}

fn pipes(c: &mut Checks) {
    let Ok((r, w)) = fd::pipe() else { return c.check("pipe", false) };
    c.equal("ESPIPE pipe", fd::lseek(r, 0, Whence::Set), Err(Errno::ESPIPE));
    c.equal("fstat pipe", fd::fstat(w).map(|s| s.kind), Ok(FileKind::Pipe));
    c.equal("write a read end", fd::write(r, b"x"), Err(Errno::EBADF));
    let saved = fd::dup(1).unwrap_or(0);
    c.equal("dup2 onto 1", fd::dup2(w, 1), Ok(1));
    exos::println!("into the pipe {}", 42);
    c.equal("dup2 back", fd::dup2(saved, 1), Ok(1));
    let _ = fd::close(saved);
    c.equal("close the write end", fd::close(w), Ok(()));
    c.equal("println went into the pipe, then EOF", read_all(r), Ok(b"into the pipe 42\n".to_vec()));
    let _ = fd::close(r);
    // EPIPE once every reader closed.
    if let Ok((r, w)) = fd::pipe() {
        let _ = fd::close(r);
        c.equal("EPIPE", fd::write(w, b"lost"), Err(Errno::EPIPE));
        let _ = fd::close(w);
    }
    // End of file when the last writer, in a forked child, closes; the child waits on a second
    // pipe until the parent has seen it.
    let (Ok((r, w)), Ok((gate_r, gate_w))) = (fd::pipe(), fd::pipe()) else { return c.check("pipes", false) };
    let cloexec = fd::open("/etc/motd", O_RDONLY).unwrap_or(99);
    let _ = fd::set_cloexec(cloexec, true);
    match exos::proc::fork::fork() {
        Ok(0) => {
            let _ = (fd::close(r), fd::close(gate_w));
            let ok = fd::fstat(cloexec).is_ok();
            fd::on_exec();
            let closed = fd::fstat(cloexec) == Err(Errno::EBADF);
            let _ = fd::write_all(w, if ok && closed { b"from the child\n" } else { b"cloexec wrong\n" });
            let _ = fd::close(w);
            let mut b = [0u8; 1];
            let code = match fd::read(gate_r, &mut b) { Ok(0) => 7, _ => 8 };
            process::exit(code)
        }
        Ok(child) => {
            let _ = fd::close(w);
            let _ = fd::close(gate_r);
            c.equal("child's bytes, then EOF while it lives", read_all(r), Ok(b"from the child\n".to_vec()));
            c.check("the child is still alive", exos::ipc::region::alive(child));
            let _ = fd::close(gate_w);
            c.equal("the child saw EOF on the gate", process::wait(child), Ok(Status::Exited(7)));
            c.equal("the parent's cloexec fd is still open", fd::fstat(cloexec).map(|s| s.size), Ok(MOTD.len() as u64));
            let _ = (fd::close(r), fd::close(cloexec));
        }
        Err(e) => c.check(&alloc::format!("fork: {e:?}"), false),
    }
}

fn spawning(c: &mut Checks) {
    // echoargs with its stdout on a pipe.
    let Ok((r, w)) = fd::pipe() else { return c.check("pipe", false) };
    let child = exos::proc::spawn::spawn_with("echoargs", &["echoargs", "piped"], &[], &[(0, 0), (1, w), (2, 2)]);
    let _ = fd::close(w);
    let Ok(pid) = child else { return c.check("spawn_with echoargs", false) };
    let expected = alloc::format!(
        "echoargs: argv[0] = echoargs\necho args: argv[1] = piped\necho args: GREETING=(unset)\necho args: my id {pid:#x}, my parent {:#x}\n",
        process::id()
    )
    .replace("echo args", "echoargs");
    let got = read_all(r).map(|b| String::from_utf8(b).unwrap_or_default());
    c.equal("echoargs' output through the pipe", got, Ok(expected));
    c.equal("echoargs exits", process::wait(pid), Ok(Status::Exited(2)));
    let _ = fd::close(r);
    // fd_cat between two pipes.
    let (Ok((in_r, in_w)), Ok((out_r, out_w))) = (fd::pipe(), fd::pipe()) else { return c.check("pipes", false) };
    let child = exos::proc::spawn::spawn_with("/test/fd_cat", &["fd_cat"], &[], &[(0, in_r), (1, out_w), (2, 2)]);
    let _ = (fd::close(in_r), fd::close(out_w));
    let Ok(pid) = child else { return c.check("spawn_with fd_cat", false) };
    let input: Vec<u8> = (0..3000u32).map(|i| b'a' + (i % 26) as u8).collect();
    c.equal("write the input", fd::write_all(in_w, &input), Ok(()));
    let _ = fd::close(in_w);
    c.equal("fd_cat copies it exactly", read_all(out_r), Ok(input));
    c.equal("fd_cat exits with the count", process::wait(pid), Ok(Status::Exited(3000)));
    let _ = fd::close(out_r);
    c.equal("a listed fd that is not open", exos::proc::spawn::spawn_with("fd_cat", &[], &[], &[(0, 50)]).err(), Some(exos::proc::spawn::SpawnError::Fd(Errno::EBADF)));
}

/// `cd /tmp`, `ls` there, relative paths there, and `cd /` back: the working directory covers the
/// session's `/tmp` as it covers the boot archive's directories.
fn tmp_as_working_directory(c: &mut Checks) {
    c.equal("cd /tmp", exos::fs::cwd::chdir("/tmp"), Ok(()));
    c.equal("pwd in /tmp", exos::fs::cwd::cwd(), String::from("/tmp"));
    c.equal("stat . in /tmp", fs::stat(".").map(|s| s.kind), Ok(FileKind::Dir));
    let Ok(note) = fd::open("note", O_WRONLY | O_CREAT) else { return c.check("create a file by a relative path in /tmp", false) };
    c.equal("write it", fd::write(note, b"hi\n"), Ok(3));
    c.equal("close it", fd::close(note), Ok(()));
    let listed = fs::readdir(".").map(|list| list.iter().map(|e| (e.name(), e.size())).collect::<Vec<_>>());
    c.equal("ls in /tmp", listed, Ok(alloc::vec![("note", 3)]));
    c.equal("it is /tmp/note", fs::stat("/tmp/note").map(|s| s.size), Ok(3));
    c.equal("ls -a: .. of /tmp is /", fs::stat("..").map(|s| s.kind), Ok(FileKind::Dir));
    c.equal("cd /tmp/note: ENOTDIR", exos::fs::cwd::chdir("note"), Err(Errno::ENOTDIR));
    c.equal("cd /tmp/none: ENOENT", exos::fs::cwd::chdir("none"), Err(Errno::ENOENT));
    c.equal("cd .. from /tmp", exos::fs::cwd::chdir(".."), Ok(()));
    c.equal("pwd back at /", exos::fs::cwd::cwd(), String::from("/"));
    c.equal("cd tmp, relative", exos::fs::cwd::chdir("tmp"), Ok(()));
    c.equal("cd / back", exos::fs::cwd::chdir("/"), Ok(()));
    c.equal("pwd /", exos::fs::cwd::cwd(), String::from("/"));
    c.equal("remove /tmp/note", fd::unlink("/tmp/note"), Ok(()));
}

fn main() -> i64 {
    let mut c = Checks::new("files");
    c.check("no table before the first call", !fd::has_table());
    data_file(&mut c);
    directories(&mut c);
    errors(&mut c);
    pipes(&mut c);
    spawning(&mut c);
    tmp_as_working_directory(&mut c);
    c.equal("only 0, 1, 2 left open", (0..fd::MAX_FDS as u32).filter(|&f| fd::fstat(f).is_ok()).count(), 3);
    c.finish()
}

exos::main!(main);
