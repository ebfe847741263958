//! The core utilities run as children (`spawn_with`, stdin from a pipe it fills or a file,
//! stdout and stderr to pipes it reads to the end): exact output and exit status of echo, cat,
//! ls, true, false, wc, head, tail, grep, sort, uniq (two stages joined by a pipe), env and
//! sleep (which must wait its ticks and leave the CPU to others), error lines, usage errors and
//! a closed output pipe.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};
use exos::fs::fd::{self, O_RDONLY};
use exos::fs;
use exos::proc::process::{self, Status};
use user::Checks;

/// Where a child's stdin comes from.
enum Stdin<'a> {
    Bytes(&'a [u8]),
    File(&'a str),
}

/// What a child did: stdout, stderr, status.
#[derive(Debug, PartialEq)]
struct Run {
    out: String,
    err: String,
    status: Option<Status>,
}

impl Run {
    fn new(out: &str, err: &str, code: i64) -> Run {
        Run { out: out.into(), err: err.into(), status: Some(Status::Exited(code)) }
    }
}

/// The harness's descriptors, made once: the stdout and stderr pipes every child writes to, and
/// a pipe with no writer (stdin at end of file). ExOS never frees a pipe's pages (they stay
/// charged to the process that made it), so the harness reuses pipes instead of making three
/// per run.
static OUT: [AtomicU32; 2] = [AtomicU32::new(0), AtomicU32::new(0)];
static ERR: [AtomicU32; 2] = [AtomicU32::new(0), AtomicU32::new(0)];
static EMPTY: AtomicU32 = AtomicU32::new(0);
/// Written after a child ended to mark the end of its output (never in UTF-8 text).
const END: u8 = 0xff;

fn harness() -> bool {
    let (Ok(out), Ok(err), Ok(empty)) = (fd::pipe(), fd::pipe(), fd::pipe()) else { return false };
    for (pair, (r, w)) in [(&OUT, out), (&ERR, err)] {
        pair[0].store(r, Ordering::Relaxed);
        pair[1].store(w, Ordering::Relaxed);
    }
    EMPTY.store(empty.0, Ordering::Relaxed);
    fd::close(empty.1).is_ok()
}

fn close_harness() {
    for fd in [&OUT[0], &OUT[1], &ERR[0], &ERR[1], &EMPTY] {
        let _ = fd::close(fd.load(Ordering::Relaxed));
    }
}

/// What the ended child wrote to the shared pipe `pair` (at most the 16 KiB the ring holds).
fn drain(pair: &[AtomicU32; 2]) -> String {
    let (r, w) = (pair[0].load(Ordering::Relaxed), pair[1].load(Ordering::Relaxed));
    if fd::write_all(w, &[END]).is_err() {
        return "<write the end mark>".into();
    }
    let mut bytes = Vec::new();
    let mut buf = [0u8; 512];
    while bytes.last() != Some(&END) {
        match fd::read(r, &mut buf) {
            Ok(n) if n > 0 => bytes.extend_from_slice(&buf[..n]),
            other => return format!("<read: {other:?}>"),
        }
    }
    bytes.pop();
    String::from_utf8(bytes).unwrap_or_else(|_| "<not UTF-8>".into())
}

/// Runs `argv` with `vars`, stdin from `stdin`, and collects its output (which must fit the
/// 16 KiB pipe rings: the harness reads it after the child ended).
fn run(argv: &[&str], vars: &[&str], stdin: Stdin) -> Run {
    let failed = |what: &str| Run { out: String::new(), err: format!("<{what}>"), status: None };
    let (child_in, feed) = match stdin {
        Stdin::Bytes(b"") => (EMPTY.load(Ordering::Relaxed), None),
        Stdin::Bytes(bytes) => match fd::pipe() {
            Ok((r, w)) => (r, Some((w, bytes))),
            Err(_) => return failed("pipe"),
        },
        Stdin::File(path) => match fd::open(path, O_RDONLY) {
            Ok(f) => (f, None),
            Err(_) => return failed("open"),
        },
    };
    let fds = [(0, child_in), (1, OUT[1].load(Ordering::Relaxed)), (2, ERR[1].load(Ordering::Relaxed))];
    let child = exos::proc::spawn::spawn_with(argv[0], argv, vars, &fds);
    if child_in != EMPTY.load(Ordering::Relaxed) {
        let _ = fd::close(child_in);
    }
    if let Some((w, bytes)) = feed {
        let _ = fd::write_all(w, bytes);
        let _ = fd::close(w);
    }
    let status = child.ok().and_then(|pid| process::wait(pid).ok());
    Run { out: drain(&OUT), err: drain(&ERR), status }
}

fn no_input(argv: &[&str]) -> Run {
    run(argv, &[], Stdin::Bytes(b""))
}

fn simple(c: &mut Checks) {
    c.equal("echo hello", no_input(&["echo", "hello"]), Run::new("hello\n", "", 0));
    c.equal("echo -n a  b", no_input(&["echo", "-n", "a", " b"]), Run::new("a  b", "", 0));
    c.equal("echo -x", no_input(&["echo", "-x", "-n"]), Run::new("-x -n\n", "", 0));
    c.equal("echo", no_input(&["echo"]), Run::new("\n", "", 0));
    c.equal("true", no_input(&["true"]), Run::new("", "", 0));
    c.equal("false", no_input(&["false"]), Run::new("", "", 1));
    c.equal("env", run(&["env"], &["A=1", "GREETING=hi there"], Stdin::Bytes(b"")), Run::new("A=1\nGREETING=hi there\n", "", 0));
    c.equal("env with none", no_input(&["env"]), Run::new("", "", 0));
    c.equal("env X", no_input(&["env", "X"]), Run::new("", "env: unexpected operand X\nusage: env\n", 2));
}

fn cat(c: &mut Checks) {
    let motd = String::from_utf8(fs::read_file("/etc/motd").unwrap_or_default().to_vec()).unwrap_or_default();
    c.check("motd is not empty", motd.len() > 50);
    c.equal("cat /etc/motd", no_input(&["cat", "/etc/motd"]), Run::new(&motd, "", 0));
    c.equal("cat stdin", run(&["cat"], &[], Stdin::Bytes(b"abc\ndef")), Run::new("abc\ndef", "", 0));
    c.equal(
        "cat FILE - FILE",
        run(&["cat", "/etc/motd", "-", "etc/motd"], &[], Stdin::Bytes(b"--\n")),
        Run::new(&format!("{motd}--\n{motd}"), "", 0),
    );
    c.equal("cat relative to PWD", run(&["cat", "motd"], &["PWD=/etc"], Stdin::Bytes(b"")), Run::new(&motd, "", 0));
    c.equal("cat /nope", no_input(&["cat", "/nope"]), Run::new("", "cat: /nope: ENOENT: no such file or directory\n", 1));
    c.equal(
        "cat /nope /etc/motd: goes on",
        no_input(&["cat", "/nope", "/etc/motd"]),
        Run::new(&motd, "cat: /nope: ENOENT: no such file or directory\n", 1),
    );
    c.equal("cat /etc", no_input(&["cat", "/etc"]), Run::new("", "cat: /etc: EISDIR: is a directory\n", 1));
    c.equal("cat -x", no_input(&["cat", "-x"]), Run::new("", "cat: unknown option -x\nusage: cat [FILE...]\n", 2));
    // A closed output pipe: EPIPE ends cat quietly with status 1.
    let Ok((r, w)) = fd::pipe() else { return c.check("pipe", false) };
    let _ = fd::close(r);
    let child = exos::proc::spawn::spawn_with("cat", &["cat", "/usr/share/words"], &[], &[(0, 0), (1, w), (2, 2)]);
    let _ = fd::close(w);
    c.equal("cat into a closed pipe", child.ok().and_then(|pid| process::wait(pid).ok()), Some(Status::Exited(1)));
}

fn ls(c: &mut Checks) {
    let mut programs: Vec<&str> = fs::readdir("/bin").unwrap_or_default().iter().map(|n| n.name()).collect();
    programs.sort();
    for name in ["echo", "cat", "ls", "wc", "sleep", "true", "false"] {
        c.check(&format!("/bin has {name}"), programs.contains(&name));
    }
    c.check("utiltest is in /test, not /bin", !programs.contains(&"utiltest") && fs::stat("/test/utiltest").is_ok());
    let listing: String = programs.iter().map(|name| format!("{name}\n")).collect();
    c.equal("ls /bin lists every program", no_input(&["ls", "/bin"]), Run::new(&listing, "", 0));
    let size = fs::stat("/bin/ls").map(|s| s.size).unwrap_or(0);
    c.equal("ls -l /bin/ls", no_input(&["ls", "-l", "/bin/ls"]), Run::new(&format!("-rwxr-xr-x {size:>8} /bin/ls\n"), "", 0));
    let words = fs::stat("/usr/share/words").map(|s| s.size).unwrap_or(0);
    c.equal(
        "ls -la /usr/share",
        no_input(&["ls", "-la", "/usr/share"]),
        Run::new(
            &format!("drwxr-xr-x        0 .\ndrwxr-xr-x        0 ..\n-rw-r--r--       51 numbers\n-rw-r--r-- {words:>8} words\n"),
            "",
            0,
        ),
    );
    c.equal("ls (PWD unset): /", no_input(&["ls"]), Run::new("bench\nbin\netc\ntest\ntmp\nusr\n", "", 0));
    c.equal("ls in PWD", run(&["ls"], &["PWD=/usr"], Stdin::Bytes(b"")), Run::new("share\n", "", 0));
    c.equal(
        "ls FILE DIR DIR",
        no_input(&["ls", "/etc/motd", "/usr", "/usr/share"]),
        Run::new("/etc/motd\n\n/usr:\nshare\n\n/usr/share:\nnumbers\nwords\n", "", 0),
    );
    c.equal("ls /nope", no_input(&["ls", "/nope", "/usr"]), Run::new("/usr:\nshare\n", "ls: /nope: ENOENT: no such file or directory\n", 1));
    c.equal("ls -z", no_input(&["ls", "-z"]), Run::new("", "ls: unknown option -z\nusage: ls [-la] [PATH...]\n", 2));
}

fn counting(c: &mut Checks) {
    c.equal("wc -c of hello", run(&["wc", "-c"], &[], Stdin::Bytes(b"hello\n")), Run::new("6\n", "", 0));
    c.equal("wc of stdin", run(&["wc"], &[], Stdin::Bytes(b"one two\nthree\n")), Run::new("      2       3      14\n", "", 0));
    c.equal(
        "wc -l two files",
        no_input(&["wc", "-l", "/usr/share/words", "/usr/share/numbers"]),
        Run::new("50 /usr/share/words\n20 /usr/share/numbers\n70 total\n", "", 0),
    );
    c.equal("wc -lw file", no_input(&["wc", "-lw", "/usr/share/numbers"]), Run::new("     20      20 /usr/share/numbers\n", "", 0));
    c.equal("wc -x", no_input(&["wc", "-x"]), Run::new("", "wc: unknown option -x\nusage: wc [-lwc] [FILE...]\n", 2));
    c.equal("wc /nope", no_input(&["wc", "/nope"]), Run::new("", "wc: /nope: ENOENT: no such file or directory\n", 1));
    c.equal("head -n 2", no_input(&["head", "-n", "2", "/usr/share/numbers"]), Run::new("1\n8\n", "", 0));
    c.equal("head -3 stdin", run(&["head", "-3"], &[], Stdin::File("/usr/share/numbers")), Run::new("1\n8\n15\n", "", 0));
    c.equal("head default 10", no_input(&["head", "/usr/share/numbers"]), Run::new("1\n8\n15\n2\n9\n16\n3\n10\n17\n4\n", "", 0));
    c.equal("tail -n 3", no_input(&["tail", "-n", "3", "/usr/share/numbers"]), Run::new("20\n7\n14\n", "", 0));
    c.equal("tail -n2 stdin", run(&["tail", "-n2"], &[], Stdin::Bytes(b"a\nb\nc")), Run::new("b\nc", "", 0));
    c.equal(
        "head -n 1 two files",
        no_input(&["head", "-n", "1", "/usr/share/numbers", "/usr/share/words"]),
        Run::new("==> /usr/share/numbers <==\n1\n\n==> /usr/share/words <==\nkernel\n", "", 0),
    );
    c.equal("head -n x", no_input(&["head", "-n", "x"]), Run::new("", "head: invalid number 'x'\nusage: head [-n N] [FILE...]\n", 2));
}

fn grep(c: &mut Checks) {
    let words = String::from_utf8(fs::read_file("/usr/share/words").unwrap_or_default().to_vec()).unwrap_or_default();
    let with_an = words.lines().filter(|l| l.contains("an")).count();
    c.equal("words with 'an' (banana x2, mango x3, quantum, orange)", with_an, 7);
    let w = "/usr/share/words";
    c.equal("grep -c apple", no_input(&["grep", "-c", "apple", w]), Run::new("4\n", "", 0));
    c.equal("grep -c an", no_input(&["grep", "-c", "an", w]), Run::new(&format!("{with_an}\n"), "", 0));
    c.equal("grep -vc an", no_input(&["grep", "-vc", "an", w]), Run::new(&format!("{}\n", 50 - with_an), "", 0));
    c.equal("grep -ic APPLE", no_input(&["grep", "-i", "-c", "APPLE", w]), Run::new("4\n", "", 0));
    c.equal("grep -c APPLE", no_input(&["grep", "-c", "APPLE", w]), Run::new("0\n", "", 1));
    c.equal("grep ban", no_input(&["grep", "ban", w]), Run::new("banana\nbanana\n", "", 0));
    c.equal("grep zzz: status 1", no_input(&["grep", "zzz", w]), Run::new("", "", 1));
    c.equal("grep stdin", run(&["grep", "b"], &[], Stdin::Bytes(b"ab\ncd\nbb\n")), Run::new("ab\nbb\n", "", 0));
    c.equal(
        "grep two files",
        no_input(&["grep", "1", "/usr/share/numbers", "/etc/passwd"]),
        Run::new(
            "/usr/share/numbers:1\n/usr/share/numbers:15\n/usr/share/numbers:16\n/usr/share/numbers:10\n/usr/share/numbers:17\n\
/usr/share/numbers:11\n/usr/share/numbers:18\n/usr/share/numbers:12\n/usr/share/numbers:19\n/usr/share/numbers:13\n/usr/share/numbers:14\n\
/etc/passwd:daemon:x:1:1:daemon:/usr/sbin:/bin/false\n/etc/passwd:exo:x:1000:1000:Exo User:/home/exo:/bin/sh\n\
/etc/passwd:guest:x:1001:1001:Guest:/tmp:/bin/sh\n",
            "",
            0,
        ),
    );
    c.equal("grep no pattern", no_input(&["grep"]), Run::new("", "grep: no pattern\nusage: grep [-vci] STRING [FILE...]\n", 2));
    c.equal("grep -q", no_input(&["grep", "-q", "x"]), Run::new("", "grep: unknown option -q\nusage: grep [-vci] STRING [FILE...]\n", 2));
}

fn sorting(c: &mut Checks) {
    let one_to_20: String = (1..=20).map(|n| format!("{n}\n")).collect();
    let twenty_to_1: String = (1..=20).rev().map(|n| format!("{n}\n")).collect();
    c.equal("sort -n", no_input(&["sort", "-n", "/usr/share/numbers"]), Run::new(&one_to_20, "", 0));
    c.equal("sort -rn stdin", run(&["sort", "-rn"], &[], Stdin::File("/usr/share/numbers")), Run::new(&twenty_to_1, "", 0));
    c.equal("sort bytes", run(&["sort"], &[], Stdin::Bytes(b"b\n10\na\n9")), Run::new("10\n9\na\nb\n", "", 0));
    c.equal("sort -r", run(&["sort", "-r"], &[], Stdin::Bytes(b"b\na\nc\n")), Run::new("c\nb\na\n", "", 0));
    c.equal("uniq", run(&["uniq"], &[], Stdin::Bytes(b"a\na\nb\na\n")), Run::new("a\nb\na\n", "", 0));
    c.equal("uniq -c", run(&["uniq", "-c"], &[], Stdin::Bytes(b"a\na\nb\n")), Run::new("      2 a\n      1 b\n", "", 0));
    // sort /usr/share/words | uniq -c, two children joined by a pipe.
    let words = String::from_utf8(fs::read_file("/usr/share/words").unwrap_or_default().to_vec()).unwrap_or_default();
    let mut sorted: Vec<&str> = words.lines().collect();
    sorted.sort();
    let mut expected = String::new();
    let mut distinct = 0;
    let mut i = 0;
    while i < sorted.len() {
        let n = sorted[i..].iter().take_while(|w| **w == sorted[i]).count();
        expected.push_str(&format!("{n:>7} {}\n", sorted[i]));
        distinct += 1;
        i += n;
    }
    c.equal("35 distinct words", distinct, 35);
    let Ok((p_r, p_w)) = fd::pipe() else { return c.check("pipe", false) };
    let (out, err) = (OUT[1].load(Ordering::Relaxed), ERR[1].load(Ordering::Relaxed));
    let file = fd::open("/usr/share/words", O_RDONLY).unwrap_or(0);
    let sort = exos::proc::spawn::spawn_with("sort", &["sort"], &[], &[(0, file), (1, p_w), (2, err)]);
    let uniq = exos::proc::spawn::spawn_with("uniq", &["uniq", "-c"], &[], &[(0, p_r), (1, out), (2, err)]);
    let _ = (fd::close(file), fd::close(p_r), fd::close(p_w));
    c.equal("sort's status", sort.ok().and_then(|pid| process::wait(pid).ok()), Some(Status::Exited(0)));
    c.equal("uniq's status", uniq.ok().and_then(|pid| process::wait(pid).ok()), Some(Status::Exited(0)));
    let out = drain(&OUT);
    c.check("it starts with apple x4", out.starts_with("      4 apple\n      2 banana\n"));
    c.equal("sort | uniq -c", out, expected);
    c.equal("no errors", drain(&ERR), String::new());
}

/// Timer ticks this environment has run.
fn my_run_ticks(me: u64) -> u64 {
    exos::sys::stats::processes().find(|p| u64::from(p.id) == me).map_or(0, |p| p.ticks)
}

fn sleeping(c: &mut Checks) {
    c.equal("sleep x", no_input(&["sleep", "x"]), Run::new("", "sleep: invalid time 'x'\nusage: sleep SECONDS\n", 2));
    c.equal("sleep", no_input(&["sleep"]), Run::new("", "sleep: one operand expected\nusage: sleep SECONDS\n", 2));
    c.equal("sleep 0", no_input(&["sleep", "0"]), Run::new("", "", 0));
    let me = exos::ipc::region::self_id().unwrap_or(0);
    let (ticks0, mine0) = (exos::sys::vm::sysinfo().ticks, my_run_ticks(me));
    let Ok(pid) = exos::proc::spawn::spawn("sleep", &["sleep", "1"], &[]) else { return c.check("spawn sleep", false) };
    // Spin (never yield) while it sleeps: the CPU time must come to us.
    let mut spins = 0u64;
    while exos::ipc::region::alive(pid) {
        spins = core::hint::black_box(spins + 1);
    }
    let (ticks1, mine1) = (exos::sys::vm::sysinfo().ticks, my_run_ticks(me));
    c.equal("sleep 1 exits 0", process::wait(pid), Ok(Status::Exited(0)));
    let (elapsed, ran) = (ticks1 - ticks0, mine1 - mine0);
    exos::println!("utiltest: sleep 1 took {elapsed} ticks; this spinner ran {ran} of them ({spins} spins)");
    c.check("sleep 1 waits at least 1 s of ticks", elapsed * abi::TICK_MS >= 1000);
    c.check("and gives the CPU away: the spinner ran >= 90% of them", ran * 10 >= elapsed * 9);
    let t0 = exos::sys::vm::sysinfo().ticks;
    c.equal("sleep 0.25", no_input(&["sleep", "0.25"]), Run::new("", "", 0));
    c.check("sleep 0.25 waits at least 25 ticks", exos::sys::vm::sysinfo().ticks - t0 >= 25);
}

fn main() -> i64 {
    let mut c = Checks::new("utiltest");
    if !harness() {
        c.check("the harness's pipes", false);
        return c.finish();
    }
    simple(&mut c);
    cat(&mut c);
    ls(&mut c);
    counting(&mut c);
    grep(&mut c);
    sorting(&mut c);
    sleeping(&mut c);
    close_harness();
    c.equal("only 0, 1, 2 left open", (0..fd::MAX_FDS as u32).filter(|&f| fd::fstat(f).is_ok()).count(), 3);
    c.finish()
}

exos::main!(main);
