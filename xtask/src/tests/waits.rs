//! Sleeping and waking (`env_wait`, `env_notify`, `page_wake`) and the idle CPU: each wake source
//! through a program that spawns sleepers (`waits`), the hostile arguments and rights
//! (`bad_wait`, which ends as stuck: it sleeps for a notification nobody can send), and the console
//! wake through the shell (`sleep` at the shell, which halts the CPU, and input typed into it).

use super::{checks, IntegrationTest};
use crate::pty::Pty;
use std::time::{Duration, Instant};

/// How long one interactive step may take.
const STEP: Duration = Duration::from_secs(20);

/// The number `exostat` printed before `label` on its line, in `text`.
fn counter(text: &str, label: &str) -> Option<u64> {
    text.lines().rev().find(|l| l.trim_end().ends_with(label))?.split_whitespace().next()?.parse().ok()
}

/// At the shell's prompt the CPU halts and typing wakes it; `sleep` sleeps, and so does a pipe's
/// reader whose writer sleeps; Ctrl-C wakes a sleeping `sleep` (its parent's signal notifies it).
fn drive(t: &mut Pty) -> Result<(), String> {
    t.expect("Welcome to Exo, an exokernel.", STEP)?;
    t.expect("exo:/$ ", STEP)?;
    // Idle at the prompt for a while: only the console's interrupt can wake the shell.
    std::thread::sleep(Duration::from_millis(1500));
    t.type_line("exostat")?;
    let stats = t.expect("wakeups from env_wait", STEP)?;
    t.expect("exo:/$ ", STEP)?;
    let halts = counter(&stats, "idle halts").ok_or("no idle halts line")?;
    let idle = counter(&stats, "idle microseconds").ok_or("no idle microseconds line")?;
    if halts == 0 || idle < 1_000_000 {
        return Err(format!("the CPU did not halt at the prompt: {halts} halts, {idle} us idle\n{stats}"));
    }
    let start = Instant::now();
    t.type_line("sleep 1 | cat; echo piped")?;
    t.expect("piped", STEP)?;
    t.expect("exo:/$ ", STEP)?;
    if start.elapsed() < Duration::from_millis(1000) {
        return Err(format!("sleep 1 | cat took {:?}", start.elapsed()));
    }
    t.type_line("sleep 30")?;
    std::thread::sleep(Duration::from_millis(500));
    t.send(b"\x03")?;
    t.expect("^C", STEP)?;
    t.expect("exo:/$ ", Duration::from_secs(5))?;
    t.type_line("echo status $?")?;
    t.expect("status 130", STEP)?;
    t.expect("exo:/$ ", STEP)?;
    t.type_line("exostat")?;
    let stats = t.expect("wakeups from env_wait", STEP)?;
    t.expect("exo:/$ ", STEP)?;
    let later = counter(&stats, "idle microseconds").ok_or("no idle microseconds line")?;
    if later < idle + 1_000_000 {
        return Err(format!("sleep 1 | cat did not leave the CPU idle: {idle} -> {later} us\n{stats}"));
    }
    t.type_line("exit 5")?;
    t.expect("'sh' exited with code 5", STEP)?;
    Ok(())
}

pub const WAITS: &[IntegrationTest] = &[
    IntegrationTest {
        name: "wait_wake_sources",
        cmdline_run: "waits,hello",
        expect: &[checks!("waits"), "'waits' exited with code 0", "hello from ring 3", "exo: all programs finished"],
        forbid: &["FAIL", "killed"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_wait",
        cmdline_run: "bad_wait,hello",
        expect: &[
            checks!("bad_wait"),
            "bad_wait: now sleeping for a notification nobody can send",
            "'bad_wait' killed: waits for events that nothing can ever cause (no environment can run)",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "wait_console_through_the_shell",
        cmdline_run: "sh",
        expect: &["Welcome to Exo, an exokernel.", "piped", "status 130", "'sh' exited with code 5"],
        forbid: &["panicked", "'sh' killed"],
        timeout: Duration::from_secs(120),
        interactive: Some(drive),
        ..IntegrationTest::DEFAULT
    },
];
