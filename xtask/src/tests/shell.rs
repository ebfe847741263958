//! The `sh` program (issue 6 item 3): command lines run non-interactively by the boot shell
//! (`run=sh -- LINE`, as `cargo xtask run` does) — pipelines, quoting, variables and the
//! environment of children, `&&`/`||`/`;`, `$?` after a missing command, redirection errors on
//! the read-only file system, `cd`/`pwd` and a child's working directory, background jobs with
//! `jobs`/`kill`/`wait`, `sh -c`, `sh FILE`, syntax errors, and `exit N` reaching the kernel —
//! then an interactive session typed through a pseudo-terminal: the motd and prompt, a foreground
//! job reading cooked lines and interrupted by Ctrl-C (status 130), history with the up arrow,
//! Ctrl-C cancelling a half-typed line, and `exit`; and `help` with `ls /bin`: the builtins and
//! only the tools, each with its line, and a test program found only along `PATH=/bin:/test`.
//! (The test programs live in /test, so the command lines set `PATH=/bin:/test` first.)
use super::IntegrationTest;
use crate::pty::Pty;
use std::time::Duration;

/// How long one interactive step may take (a boot under TCG, a tick-polled keyboard).
const STEP: Duration = Duration::from_secs(20);

fn drive(t: &mut Pty) -> Result<(), String> {
    t.expect("Welcome to Exo, an exokernel.", STEP)?;
    t.expect("exo:/$ ", STEP)?;
    // The test programs are in /test; the default PATH is /bin (the tools) alone.
    t.type_line("PATH=/bin:/test")?;
    t.expect("exo:/$ ", STEP)?;
    t.type_line("cd /usr/share")?;
    t.expect("exo:/usr/share$ ", STEP)?;
    t.type_line("echoargs first")?;
    t.expect("echoargs: argv[1] = first", STEP)?;
    t.expect("exo:/usr/share$ ", STEP)?;
    // A foreground job reads the terminal in cooked mode; Ctrl-C ends it, not the shell.
    // (echoargs first, so the keys for fd_cat come once the shell has left raw mode.)
    t.type_line("echoargs go; fd_cat")?;
    t.expect("echoargs: my id", STEP)?;
    t.type_line("typed to fd_cat")?;
    t.expect("typed to fd_cat", STEP)?;
    t.expect("typed to fd_cat", STEP)?;
    t.send(b"\x03")?;
    t.expect("^C", STEP)?;
    t.expect("exo:/usr/share$ ", STEP)?;
    t.type_line("echoargs status $?")?;
    t.expect("echoargs: argv[2] = 130", STEP)?;
    // History: up three times is `echoargs first` again.
    t.expect("exo:/usr/share$ ", STEP)?;
    t.type_keys(b"\x1b[A\x1b[A\x1b[A\r")?;
    t.expect("echoargs: argv[1] = first", STEP)?;
    // Ctrl-C at the prompt drops the line; the shell goes on with $? = 130.
    t.expect("exo:/usr/share$ ", STEP)?;
    t.type_keys(b"nosuchcmd half")?;
    t.send(b"\x03")?;
    t.expect("^C", STEP)?;
    t.expect("exo:/usr/share$ ", STEP)?;
    t.type_line("exit 7")?;
    t.expect("'sh' exited with code 7", STEP)?;
    Ok(())
}

/// Process groups through the terminal: Ctrl-C ends a foreground pipeline whose second stage
/// ignores `SIGINT` and has a child (a grandchild of the shell, in the same job): the group signal
/// must reach that grandchild directly, since its parent relays nothing. Then a background job:
/// `kill` of its grandchild is refused (the shell holds no capability over it) and the grandchild
/// keeps running, `kill %1` ends the job (status 143).
fn drive_job_signals(t: &mut Pty) -> Result<(), String> {
    t.expect("exo:/$ ", STEP)?;
    t.type_line("PATH=/bin:/test")?;
    t.expect("exo:/$ ", STEP)?;
    t.type_line("sleep 60 | sigtree")?;
    t.expect("sigtree: grandchild ", STEP)?;
    t.expect(" running", STEP)?;
    t.send(b"\x03")?;
    t.expect("^C", STEP)?;
    t.expect("sigtree: grandchild ended: Ok(Signaled(2))", STEP)?;
    t.expect("exo:/$ ", STEP)?;
    t.type_line("echoargs s=$?")?;
    t.expect("echoargs: argv[1] = s=0", STEP)?;
    t.expect("exo:/$ ", STEP)?;
    t.type_line("sigtree &")?;
    let line = t.expect(" running", STEP)?;
    let pid: String = line.rsplit("sigtree: grandchild ").next().unwrap_or("").chars().take_while(char::is_ascii_digit).collect();
    if pid.is_empty() {
        return Err(format!("no grandchild id in {line:?}"));
    }
    t.type_line(&format!("kill {pid}"))?;
    t.expect(&format!("sh: kill: {pid}: not permitted (EPERM"), STEP)?;
    t.type_line("ps")?;
    t.expect(&format!(" {pid} "), STEP)?;
    t.type_line("kill %1; wait %1; echoargs s=$?")?;
    t.expect("echoargs: argv[1] = s=143", STEP)?;
    t.type_line("exit 5")?;
    t.expect("'sh' exited with code 5", STEP)?;
    Ok(())
}

pub const SHELL: &[IntegrationTest] = &[
    IntegrationTest {
        name: "sh_job_signals_pty",
        cmdline_run: "sh",
        expect: &[
            "sigtree: grandchild ended: Ok(Signaled(2))",
            "echoargs: argv[1] = s=0",
            "not permitted (EPERM",
            "echoargs: argv[1] = s=143",
            "'sh' exited with code 5",
        ],
        forbid: &["panicked", "'sh' killed", "command not found"],
        timeout: Duration::from_secs(120),
        interactive: Some(drive_job_signals),
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "sh_pipelines_variables_status",
        cmdline_run: "sh -- PATH=/bin:/test; X='a  b'; echoargs \"$X\" 'q $X' c\\ d | fd_cat | fd_cat; nosuchcmd; echoargs s=$?; \
                      nosuchcmd || echoargs or-ran; hello && echoargs and-ran; nosuchcmd && echoargs never; \
                      /etc/motd; echoargs s=$?; GREETING=once echoargs; export GREETING=exported; echoargs; \
                      unset GREETING; echoargs; exit 3",
        expect: &[
            "echoargs: argv[1] = a  b",
            "echoargs: argv[2] = q $X",
            "echoargs: argv[3] = c d",
            "echoargs: GREETING=(unset)",
            "sh: nosuchcmd: command not found",
            "echoargs: argv[1] = s=127",
            "sh: nosuchcmd: command not found",
            "echoargs: argv[1] = or-ran",
            "hello from ring 3",
            "echoargs: argv[1] = and-ran",
            "sh: nosuchcmd: command not found",
            "sh: /etc/motd: not a program Exo can run: not an ELF file",
            "echoargs: argv[1] = s=126",
            "echoargs: GREETING=once",
            "echoargs: GREETING=exported",
            "echoargs: GREETING=(unset)",
            "'sh' exited with code 3",
            "exo: all programs finished",
        ],
        forbid: &["never", "panicked", "killed", "'sh' exited with code 0"],
        timeout: Duration::from_secs(60),
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "sh_redirections_and_cwd",
        cmdline_run: "sh -- PATH=/bin:/test; fd_cat < /etc/passwd; echoargs > /x; echoargs s=$?; fd_cat < /nope; hello 2>> /err; \
                      cd /usr/share; pwd; cd ..; pwd; cd share/../..; pwd; cd /nope; cd /etc/motd; echoargs s=$?; \
                      cd /etc; fd_cat < passwd | fd_cat > /dev/null; GREETING=$PWD echoargs; cd /usr; sh -c pwd",
        expect: &[
            "root:x:0:0:root:/root:/bin/sh",
            "nobody:x:65534:65534:nobody:/nonexistent:/bin/false",
            "sh: /x: EROFS: read-only file system",
            "echoargs: argv[1] = s=1",
            "sh: /nope: ENOENT: no such file or directory",
            "sh: /err: EROFS: read-only file system",
            "\n/usr/share\r\n/usr\r\n/\r\n",
            "sh: cd: /nope: ENOENT: no such file or directory",
            "sh: cd: /etc/motd: ENOTDIR: not a directory",
            "echoargs: argv[1] = s=1",
            "sh: /dev/null: EROFS: read-only file system",
            "echoargs: GREETING=/etc",
            "\n/usr\r\n",
            "'sh' exited with code 0",
        ],
        forbid: &["panicked", "killed", "hello from ring 3"],
        timeout: Duration::from_secs(60),
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "sh_jobs_scripts_errors",
        cmdline_run: "sh -- PATH=/bin:/test; exit_code & wait; echoargs s=$?; spin & jobs; kill -KILL %1; wait %1; echoargs s=$?; \
                      hello && exit_code & wait %1; echoargs s=$?; sh -c 'exit 4'; echoargs s=$?; \
                      sh -c 'a | | b'; echoargs s=$?; sh /etc/passwd; echoargs s=$?; sh /nope; exit 5",
        expect: &[
            "exit_code: exiting with 42",
            "echoargs: argv[1] = s=0",
            "[1]  Running spin",
            "echoargs: argv[1] = s=137",
            "hello from ring 3",
            "exit_code: exiting with 42",
            "echoargs: argv[1] = s=42",
            "echoargs: argv[1] = s=4",
            "sh: syntax error near '|' at column 5",
            "echoargs: argv[1] = s=2",
            "sh: root:x:0:0:root:/root:/bin/sh: ENOENT: no such file or directory",
            "sh: exo:x:1000:1000:Exo: command not found",
            "sh: nobody:x:65534:65534:nobody:/nonexistent:/bin/false: ENOENT: no such file or directory",
            "echoargs: argv[1] = s=127",
            "sh: /nope: ENOENT: no such file or directory",
            "'sh' exited with code 5",
        ],
        forbid: &["panicked", "spin: done"],
        timeout: Duration::from_secs(60),
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "sh_help_and_path",
        cmdline_run: "sh -- help; ls /bin; echoargs; /test/echoargs s=$?; /test/echoargs by-path; \
                      PATH=/bin:/test; echoargs along-path; PATH=/test; ls; echoargs s=$?; exit 6",
        expect: &[
            "builtins:",
            "  cd [DIR]  ",
            "  wait [%N|PID...]  ",
            "  help  ",
            "tools in /bin:",
            "  cat  ",
            "copy files (or stdin) to stdout",
            "  sh  ",
            "  wc  ",
            "\ncat\r\n",
            "\nwc\r\n",
            "sh: echoargs: command not found",
            "echoargs: argv[1] = s=127",
            "echoargs: argv[1] = by-path",
            "echoargs: argv[1] = along-path",
            "sh: ls: command not found",
            "echoargs: argv[1] = s=127",
            "'sh' exited with code 6",
        ],
        // /bin holds the tools only, each with its line in `help`.
        forbid: &["(no description)", "bad_", "hello", "vmbench", "utiltest", "panicked", "killed"],
        timeout: Duration::from_secs(60),
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "sh_interactive_pty",
        cmdline_run: "sh",
        expect: &[
            "Welcome to Exo, an exokernel.",
            "exo:/$ ",
            "exo:/usr/share$ ",
            "echoargs: argv[1] = first",
            "echoargs: argv[2] = 130",
            "echoargs: argv[1] = first",
            "'sh' exited with code 7",
        ],
        forbid: &["panicked", "'sh' killed", "command not found"],
        timeout: Duration::from_secs(120),
        interactive: Some(drive),
        ..IntegrationTest::DEFAULT
    },
];
