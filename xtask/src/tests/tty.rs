//! The terminal typed at through a pseudo-terminal (issue 6): `ttytest` reads cooked lines and
//! prints them back, and the driver below types as a person would: a plain line, backspace
//! editing, Ctrl-U, Ctrl-C while a child (spinning, then reading) is in the foreground, raw mode
//! receiving an arrow key, a line ended by Ctrl-D, and Ctrl-D on an empty line.
use super::{checks, IntegrationTest};
use crate::pty::Pty;
use std::time::Duration;

/// How long one step may take (a boot under TCG, a tick-polled keyboard).
const STEP: Duration = Duration::from_secs(20);

fn drive(t: &mut Pty) -> Result<(), String> {
    t.expect("ttytest: ready", STEP)?;
    t.type_line("hello world")?;
    t.expect("got: 11 hello world", STEP)?;
    // Backspace: the typo is erased on screen (back, blank, back) and in the line.
    t.type_keys(b"hellp\x7fo\r")?;
    let echo = t.expect("got: 5 hello", STEP)?;
    if !echo.contains("hellp\x08 \x08o") {
        return Err(format!("backspace was not echoed as `\\x08 \\x08`: {echo:?}"));
    }
    // Ctrl-U erases the whole line; Ctrl-H (0x08) erases like DEL.
    t.type_keys(b"garbage\x15okk\x08\r")?;
    t.expect("got: 2 ok", STEP)?;
    for (command, child) in [("spin", "spinning"), ("reader", "reading")] {
        t.type_line(command)?;
        t.expect(&format!("ttytest: {child} child running"), STEP)?;
        t.type_keys(b"half a li")?;
        t.send(b"\x03")?;
        t.expect("^C", STEP)?;
        t.expect(&format!("ttytest: {child} child ended: Ok(Signaled(2))"), STEP)?;
        let after = format!("after {command}");
        t.type_line(&after)?;
        t.expect(&format!("got: {} {after}", after.len()), STEP)?;
    }
    t.type_line("raw")?;
    t.expect("ttytest: raw mode", STEP)?;
    t.send(b"\x1b[A")?;
    t.expect("raw: 3 bytes 1b 5b 41", STEP)?;
    t.expect("ttytest: cooked mode", STEP)?;
    t.type_line("after raw")?;
    t.expect("got: 9 after raw", STEP)?;
    t.type_keys(b"partial\x04")?;
    t.expect("got: 7 partial", STEP)?;
    t.send(b"\x04")?;
    t.expect("ttytest: EOF", STEP)?;
    Ok(())
}

pub const TTY: &[IntegrationTest] = &[IntegrationTest {
    name: "tty_typed_through_a_pty",
    cmdline_run: "ttytest",
    expect: &[
        "ttytest: ready",
        "got: 11 hello world",
        "got: 5 hello",
        "got: 2 ok",
        "ttytest: spinning child ended: Ok(Signaled(2))",
        "ttytest: reading child ended: Ok(Signaled(2))",
        "raw: 3 bytes 1b 5b 41",
        "got: 7 partial",
        "ttytest: EOF",
        checks!("ttytest"),
        "'ttytest' exited with code 0",
        "exo: all programs finished",
    ],
    forbid: &["FAIL", "'ttytest' killed", "panic"],
    timeout: Duration::from_secs(120),
    interactive: Some(drive),
    ..IntegrationTest::DEFAULT
}];
