//! A person at the serial console (issue 6, "done when"): typed through a pseudo-terminal, key by
//! key, into the shell `cargo xtask run` boots: `echo hello | wc -c` prints 6, `cat /etc/motd |
//! head -1`, `ls -l /bin` lists the programs, `ls /bin` only tools and `help` a line for each,
//! `sleep 5 &` then `ps` shows it, Ctrl-C stops a `cat` waiting for input and the prompt returns,
//! `nosuchcmd` prints a clear error and `echo $?` 127.
//! (In test mode the kernel also reports each child's exit on the console, between the lines.)
//! Then the feature script in the boot image (`/etc/features.sh`, source
//! user/scripts/features.sh), run by `sh FILE`, its output checked line by line.
use super::IntegrationTest;
use crate::pty::Pty;
use std::time::Duration;

/// How long one step may take (a boot under TCG, a tick-polled keyboard).
const STEP: Duration = Duration::from_secs(20);
/// The prompt at the root directory.
const PROMPT: &str = "exo:/$ ";

/// Types `line`, waits for the next prompt and returns what was printed in between.
fn run(t: &mut Pty, line: &str) -> Result<String, String> {
    t.type_line(line)?;
    t.expect(PROMPT, STEP)
}

/// Checks that `output` has `line` as one of its lines (line ends `\r\n` or `\n`).
fn has_line(output: &str, line: &str) -> Result<(), String> {
    if output.split('\n').any(|l| l.trim_end_matches('\r') == line) {
        Ok(())
    } else {
        Err(format!("no line `{line}` in {output:?}"))
    }
}

fn drive(t: &mut Pty) -> Result<(), String> {
    t.expect("Welcome to Exo, an exokernel.", STEP)?;
    t.expect(PROMPT, STEP)?;
    has_line(&run(t, "echo hello | wc -c")?, "6")?;
    has_line(&run(t, "cat /etc/motd | head -1")?, "Welcome to Exo, an exokernel.")?;
    let listing = run(t, "ls -l /bin")?;
    for program in ["cat", "ls", "sh", "wc", "sleep", "ps"] {
        if !listing.lines().any(|l| l.starts_with("-rwxr-xr-x") && l.trim_end().ends_with(&format!(" {program}"))) {
            return Err(format!("`ls -l /bin` does not list {program} as -rwxr-xr-x: {listing:?}"));
        }
    }
    help_lists_every_tool(t)?;
    let started = run(t, "sleep 5 &")?;
    if !started.contains("[1] ") {
        return Err(format!("`sleep 5 &` did not print its job: {started:?}"));
    }
    let ps = run(t, "ps")?;
    if !ps.lines().any(|l| l.trim_end().ends_with(" sleep")) {
        return Err(format!("`ps` does not show sleep: {ps:?}"));
    }
    // `cat` with no input waits on the terminal; once it runs (the shell has left raw mode),
    // Ctrl-C ends it and the prompt comes back.
    t.type_line("cat")?;
    std::thread::sleep(Duration::from_millis(1500));
    t.send(b"\x03")?;
    t.expect("^C", STEP)?;
    t.expect(PROMPT, STEP)?;
    has_line(&run(t, "echo $?")?, "130")?;
    has_line(&run(t, "nosuchcmd")?, "sh: nosuchcmd: command not found")?;
    has_line(&run(t, "echo $?")?, "127")?;
    t.type_line("exit")?;
    Ok(())
}

/// `ls /bin` lists only tools (no test program), and `help` has a line for each of them.
fn help_lists_every_tool(t: &mut Pty) -> Result<(), String> {
    let listing = run(t, "ls /bin")?;
    // The names: lines of one word (not the echoed command, not the kernel's exit reports).
    let tools: Vec<&str> = listing
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.contains(' ') && !l.contains('$'))
        .collect();
    for tool in ["cat", "ls", "sh", "wc"] {
        if !tools.contains(&tool) {
            return Err(format!("`ls /bin` does not list {tool}: {listing:?}"));
        }
    }
    if let Some(test) = tools.iter().find(|name| name.starts_with("bad_") || ["hello", "utiltest", "vmbench"].contains(name)) {
        return Err(format!("`ls /bin` lists the test or benchmark program {test}"));
    }
    let help = run(t, "help")?;
    for tool in &tools {
        let described = help.lines().any(|l| {
            l.trim_start().strip_prefix(tool).is_some_and(|rest| rest.starts_with("  ") && !rest.contains("(no description)"))
        });
        if !described {
            return Err(format!("`help` has no line for the tool {tool}: {help:?}"));
        }
    }
    Ok(())
}

/// What `sh /etc/features.sh` prints, line by line (`[1] *`: the job line, whose process
/// id varies).
const FEATURES_OUTPUT: &[&str] = &[
    "one two three",
    "single  $GREETING  quoted double [] quoted",
    "greeting=hello hellos",
    "GREETING=hello",
    "1",
    "a",
    "b",
    "and-ran",
    "or-ran",
    "sh: nosuchcmd: command not found",
    "status=127",
    "status=1",
    "status=0",
    "1",
    "2",
    "3",
    "      4 page",
    "20",
    "first",
    "second",
    "replaced",
    "cat: /nonexistent: ENOENT: no such file or directory",
    "status=1",
    "/usr/share",
    "20",
    "/usr",
    "sh: cd: /nonexistent: ENOENT: no such file or directory",
    "status=1",
    "[1] *",
    "background-done",
    "status=7",
    "sh: missing command after | at column 8",
    "status=2",
    "done",
];

/// Runs the feature script and compares its output (kernel lines left out) with
/// [`FEATURES_OUTPUT`], line by line.
fn drive_script(t: &mut Pty) -> Result<(), String> {
    t.expect("exo: boot: first user instruction", STEP)?;
    let output = t.expect("'sh' exited with code 3", Duration::from_secs(120))?;
    let lines: Vec<&str> = output
        .split('\n')
        .map(|l| l.trim_end_matches('\r'))
        .skip(1) // the rest of the boot line
        .filter(|l| !l.starts_with("exo: ") && !l.starts_with('['))
        .collect();
    let expected: Vec<&str> = FEATURES_OUTPUT.iter().copied().filter(|l| !l.starts_with('[')).collect();
    for (i, (got, want)) in lines.iter().zip(&expected).enumerate() {
        if got != want {
            return Err(format!("line {}: got {got:?}, expected {want:?}; all lines: {lines:#?}", i + 1));
        }
    }
    if lines.len() != expected.len() {
        return Err(format!("{} lines, expected {}; all lines: {lines:#?}", lines.len(), expected.len()));
    }
    let jobs = output.split('\n').filter(|l| l.starts_with("[1] ") && l.trim_end()[4..].parse::<u64>().is_ok()).count();
    if jobs != 1 {
        return Err(format!("expected one `[1] PID` line, found {jobs}"));
    }
    Ok(())
}

pub const CONSOLE: &[IntegrationTest] = &[IntegrationTest {
    name: "person_at_the_console",
    cmdline_run: "sh",
    expect: &["Welcome to Exo", "6", "sh: nosuchcmd: command not found", "127", "'sh' exited with code 0"],
    forbid: &["panic at", "KERNEL PANIC", "'sh' killed", "FAIL"],
    timeout: Duration::from_secs(180),
    interactive: Some(drive),
    ..IntegrationTest::DEFAULT
}, IntegrationTest {
    name: "shell_script",
    cmdline_run: "sh -- sh /etc/features.sh",
    expect: &["one two three", "done", "'sh' exited with code 3"],
    forbid: &["panic at", "KERNEL PANIC", "'sh' killed", "FAIL"],
    timeout: Duration::from_secs(150),
    interactive: Some(drive_script),
    ..IntegrationTest::DEFAULT
}];
