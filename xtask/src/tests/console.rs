//! A person at the serial console (issue 6, "done when"): typed through a pseudo-terminal, key by
//! key, into the shell `cargo xtask run` boots: `echo hello | wc -c` prints 6, `cat /etc/motd |
//! head -1`, `ls -l /bin` lists the programs, `sleep 5 &` then `ps` shows it, Ctrl-C stops a `cat`
//! waiting for input and the prompt returns, `nosuchcmd` prints a clear error and `echo $?` 127.
//! (In test mode the kernel also reports each child's exit on the console, between the lines.)
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

pub const CONSOLE: &[IntegrationTest] = &[IntegrationTest {
    name: "person_at_the_console",
    cmdline_run: "sh",
    expect: &["Welcome to Exo", "6", "sh: nosuchcmd: command not found", "127", "'sh' exited with code 0"],
    forbid: &["panic at", "KERNEL PANIC", "'sh' killed", "FAIL"],
    timeout: Duration::from_secs(180),
    interactive: Some(drive),
    ..IntegrationTest::DEFAULT
}];
