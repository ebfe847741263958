//! The test runner: host unit tests, then integration tests in QEMU.
//!
//! Host tests are plain `cargo test` (the default members: abi, ash, dpf, exoscore, kcore, sh, xtask); every
//! `test result:` line adds to the totals, and a `cargo test` that fails without a failing test
//! (a compile error) counts as one failure. Integration tests come from [`crate::tests::all`]; each
//! boots QEMU with the serial port captured and a timeout, and its serial log is kept in
//! `target/exo/test-logs/<name>.log`. Setup failures (QEMU missing, build broken) fail the tests
//! they prevent rather than aborting, so the run always ends with the one summary line
//! `N passed, N failed`.

use crate::build::{self, Artifacts};
use crate::iso;
use crate::qemu::{self, Accel, AccelRequest, Captured, Media, Serial};
use crate::tests::{self, Boot, IntegrationTest};
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

/// How many lines of a failed test's serial log to show.
const LOG_TAIL_LINES: usize = 40;

/// Running totals over host and integration tests.
#[derive(Debug, Default)]
struct Totals {
    passed: u64,
    failed: u64,
}

/// The `test` subcommand. Returns exit status 1 if anything failed.
pub fn test_command(
    filter: Option<&str>,
    request: AccelRequest,
    jobs: usize,
) -> Result<u8, String> {
    let mut totals = Totals::default();
    host_unit_tests(filter, &mut totals);
    let selected: Vec<&'static IntegrationTest> = tests::all()
        .filter(|test| filter.is_none_or(|filter| test.name.contains(filter)))
        .collect();
    if selected.is_empty() {
        println!(
            "xtask: no integration test name contains `{}`",
            filter.unwrap_or("")
        );
    } else {
        integration_tests(&selected, request, jobs, &mut totals);
    }
    println!("{} passed, {} failed", totals.passed, totals.failed);
    Ok(if totals.failed == 0 { 0 } else { 1 })
}

// ---------------------------------------------------------------------------------------------
// Host unit tests

/// Runs `cargo test [FILTER]`, echoing its stdout and adding up its `test result:` lines.
fn host_unit_tests(filter: Option<&str>, totals: &mut Totals) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = Command::new(&cargo);
    command
        .arg("test")
        .args(filter)
        .current_dir(build::workspace_root());
    println!(
        "xtask: host unit tests: cargo test{}",
        filter.map(|f| format!(" {f}")).unwrap_or_default()
    );
    let (failed_tests, failure) = match run_cargo_test(command, totals) {
        Ok((failed, status)) if status.success() => (failed, None),
        Ok((failed, status)) => (failed, Some(format!("cargo test failed ({status})"))),
        Err(e) => (0, Some(e)),
    };
    if let Some(failure) = failure
        && failed_tests == 0
    {
        println!(
            "xtask: {failure} without a failing test (a compile error?); counted as 1 failure"
        );
        totals.failed += 1;
    }
}

/// Runs the prepared `cargo test`; returns the failed count it reported and its exit status.
/// Its stderr (build progress and errors) is kept back and its tail shown only on failure.
fn run_cargo_test(
    mut command: Command,
    totals: &mut Totals,
) -> Result<(u64, std::process::ExitStatus), String> {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start cargo test: {e}"))?;
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text); // A read error only shortens the error tail.
        text
    });
    let mut failed = 0;
    for line in BufReader::new(child.stdout.take().expect("stdout is piped")).lines() {
        let line = line.map_err(|e| format!("reading cargo test's output: {e}"))?;
        println!("{line}");
        if let Some(result) = parse_test_result(&line) {
            totals.passed += result.0;
            totals.failed += result.1;
            failed += result.1;
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for cargo test: {e}"))?;
    let stderr = stderr.join().unwrap_or_default();
    if !status.success() {
        println!("xtask: last lines of cargo test's stderr:");
        print_tail(&stderr, LOG_TAIL_LINES);
    }
    Ok((failed, status))
}

/// (passed, failed) from a libtest summary such as
/// `test result: ok. 12 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s`.
fn parse_test_result(line: &str) -> Option<(u64, u64)> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let words: Vec<&str> = rest
        .split([';', ' '])
        .filter(|word| !word.is_empty())
        .collect();
    let count = |label: &str| -> Option<u64> {
        words
            .windows(2)
            .find(|pair| pair[1] == label)
            .and_then(|pair| pair[0].parse().ok())
    };
    Some((count("passed")?, count("failed")?))
}

// ---------------------------------------------------------------------------------------------
// Integration tests

/// What every integration-test worker shares.
struct Context {
    artifacts: Artifacts,
    accel: Accel,
    /// Whether the GRUB tools for ISO tests are installed (checked once, before the workers).
    grub: Result<(), String>,
}

/// Prepares tools and the build once, then runs `selected` on `jobs` workers.
fn integration_tests(
    selected: &[&'static IntegrationTest],
    request: AccelRequest,
    jobs: usize,
    totals: &mut Totals,
) {
    if let Err(e) = crate::install::ensure_installed(&crate::qemu::QEMU_TOOLS) {
        return fail_all(selected, &e, totals);
    }
    let needs_grub = selected.iter().any(|test| test.boot == Boot::Iso);
    let grub = if needs_grub {
        crate::install::ensure_installed(&crate::install::GRUB_TOOLS)
    } else {
        Ok(())
    };
    let artifacts = match build::build_all() {
        Ok(artifacts) => artifacts,
        Err(e) => return fail_all(selected, &format!("the build failed: {e}"), totals),
    };
    let accel = qemu::choose_accel(request);
    println!("xtask: {}", accel.describe());
    let workers = jobs.min(selected.len());
    println!(
        "xtask: {} integration tests, {workers} at a time",
        selected.len()
    );
    let context = Context {
        artifacts,
        accel: accel.accel,
        grub,
    };
    run_parallel(selected, workers, &context, totals);
}

/// Counts every test in `tests` as failed because of `reason`.
fn fail_all(tests: &[&IntegrationTest], reason: &str, totals: &mut Totals) {
    println!("xtask: {reason}");
    for test in tests {
        println!("test {} ... FAILED: not run (see above)", test.name);
        totals.failed += 1;
    }
}

/// Runs the tests on `workers` threads and reports each as it finishes.
fn run_parallel(
    tests: &[&'static IntegrationTest],
    workers: usize,
    context: &Context,
    totals: &mut Totals,
) {
    let next = AtomicUsize::new(0);
    let (sender, receiver) = mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let (sender, next) = (sender.clone(), &next);
            scope.spawn(move || {
                while let Some(test) = tests.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let outcome = run_one(test, context);
                    if sender.send((*test, outcome)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        for (test, outcome) in receiver {
            report(test, &outcome, totals);
        }
    });
}

/// The result of one integration test.
struct Outcome {
    verdict: Result<(), String>,
    seconds: f64,
    serial: String,
    stderr: String,
}

fn run_one(test: &IntegrationTest, context: &Context) -> Outcome {
    let start = std::time::Instant::now();
    let (verdict, serial, stderr) = match boot(test, context) {
        Ok(captured) => {
            save_log(test, &captured.serial);
            let serial = String::from_utf8_lossy(&captured.serial).into_owned();
            let stderr = String::from_utf8_lossy(&captured.stderr).into_owned();
            (judge(test, &captured, &serial), serial, stderr)
        }
        Err(e) => (Err(e), String::new(), String::new()),
    };
    Outcome {
        verdict,
        seconds: start.elapsed().as_secs_f64(),
        serial,
        stderr,
    }
}

/// Boots QEMU for `test` (building its ISO first if it boots through GRUB) and captures the run.
fn boot(test: &IntegrationTest, context: &Context) -> Result<Captured, String> {
    let cmdline = test.cmdline();
    if let Some(drive) = test.interactive {
        let media = Media::kernel(&context.artifacts, &cmdline);
        let command = qemu::qemu_command(context.accel, test.mem(), &media, Serial::Terminal);
        return crate::pty::run(command, drive, test.timeout);
    }
    let command = match test.boot {
        Boot::Kernel => {
            let initrd = test.initrd.map(|name| build::exo_dir().join(name));
            let media = Media::Kernel {
                kernel: &context.artifacts.kernel,
                initrd: initrd.as_deref().unwrap_or(&context.artifacts.initrd),
                cmdline: &cmdline,
            };
            let mut command = qemu::qemu_command(context.accel, test.mem(), &media, Serial::Stdio);
            if test.icount && context.accel == Accel::Tcg {
                command.args(crate::tests::ICOUNT);
            }
            command.args(test.qemu_args);
            if test.nic || !test.forwards.is_empty() {
                let forwards = test.forwards.iter().map(|f| qemu::Forward::parse(f)).collect::<Result<Vec<_>, _>>()?;
                qemu::attach_nic(&mut command, Some(&qemu::Nic { forwards }));
            }
            command
        }
        Boot::Iso => {
            context
                .grub
                .clone()
                .map_err(|e| format!("cannot build the ISO: {e}"))?;
            let iso = iso::build_iso(&context.artifacts, &cmdline, &test_dir("test-iso", test))?;
            qemu::qemu_command(context.accel, test.mem(), &Media::Cdrom(&iso), Serial::Stdio)
        }
    };
    qemu::run_captured(command, test.timeout)
}

/// Judges a finished run: timeout, forbidden lines, exit status, then expected lines in order.
fn judge(test: &IntegrationTest, captured: &Captured, serial: &str) -> Result<(), String> {
    let Some(status) = captured.status else {
        return Err(format!("timed out after {} s", test.timeout.as_secs()));
    };
    check_forbidden(serial, &test.forbidden())?;
    let got = qemu::describe_status(status.code(), !serial.is_empty(), qemu::signal_of(status));
    if serial.is_empty() && status.code() == Some(1) {
        return Err(got);
    }
    if status.code() != Some(test.exit_status) {
        return Err(format!("{got}; expected QEMU status {}", test.exit_status));
    }
    check_expected(serial, test.expect)
}

fn check_forbidden(serial: &str, forbidden: &[&str]) -> Result<(), String> {
    match forbidden.iter().find(|line| serial.contains(*line)) {
        Some(line) => Err(format!("`{line}` appeared in the serial output")),
        None => Ok(()),
    }
}

/// Checks that each of `expected` appears in `serial` after the previous one. An expectation may
/// hold [`tests::COUNT`] (as `checks!` writes it), which matches a positive decimal number.
fn check_expected(serial: &str, expected: &[&str]) -> Result<(), String> {
    let mut cursor = 0;
    let mut previous: Option<&str> = None;
    for line in expected {
        match find_expected(&serial[cursor..], line) {
            Some((_, end)) => cursor += end,
            None => {
                let Some(previous) = previous else {
                    return Err(format!("`{line}` is not in the serial output"));
                };
                let anywhere = if find_expected(serial, line).is_some() {
                    "it appeared earlier"
                } else {
                    "it never appeared"
                };
                return Err(format!(
                    "`{line}` is not in the serial output after `{previous}` ({anywhere})"
                ));
            }
        }
        previous = Some(line);
    }
    Ok(())
}

/// The first place (start, end) in `text` where `pattern` appears, each [`tests::COUNT`] in it
/// standing for a positive decimal number (digits, not all zeros).
fn find_expected(text: &str, pattern: &str) -> Option<(usize, usize)> {
    let mut parts = pattern.split(tests::COUNT);
    let first = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    let mut from = 0;
    while let Some(at) = text[from..].find(first) {
        let start = from + at;
        if let Some(end) = match_counts(text, start + first.len(), &rest) {
            return Some((start, end));
        }
        from = start + text[start..].chars().next()?.len_utf8();
    }
    None
}

/// Where `text` from `at` matches a count and then each of `parts` in turn, each part after a
/// count; the end of the match.
fn match_counts(text: &str, mut at: usize, parts: &[&str]) -> Option<usize> {
    for part in parts {
        let digits = text[at..].bytes().take_while(u8::is_ascii_digit).count();
        if text[at..at + digits].bytes().all(|digit| digit == b'0') {
            return None; // no digits, or zero
        }
        at += digits;
        if !text[at..].starts_with(part) {
            return None;
        }
        at += part.len();
    }
    Some(at)
}

/// Prints one test's result line and, for a failure, the tail of its serial log and QEMU's stderr.
fn report(test: &IntegrationTest, outcome: &Outcome, totals: &mut Totals) {
    match &outcome.verdict {
        Ok(()) => {
            totals.passed += 1;
            println!("test {} ... ok ({:.2} s)", test.name, outcome.seconds);
        }
        Err(reason) => {
            totals.failed += 1;
            println!("test {} ... FAILED: {reason}", test.name);
            if outcome.serial.is_empty() {
                println!("    (no serial output)");
            } else {
                let log = build::display(&test_dir("test-logs", test).with_extension("log"));
                println!(
                    "    --- last {LOG_TAIL_LINES} lines of the serial log (all of it: {log}) ---"
                );
                print_tail(&outcome.serial, LOG_TAIL_LINES);
            }
            if !outcome.stderr.trim().is_empty() {
                println!("    --- QEMU stderr ---");
                print_tail(&outcome.stderr, LOG_TAIL_LINES);
            }
        }
    }
}

/// Prints the last `count` lines of `text`, indented.
fn print_tail(text: &str, count: usize) {
    let lines: Vec<&str> = text.lines().collect();
    for line in &lines[lines.len().saturating_sub(count)..] {
        println!("    {line}");
    }
}

/// `target/exo/<kind>/<test name>`.
fn test_dir(kind: &str, test: &IntegrationTest) -> PathBuf {
    build::exo_dir().join(kind).join(test.name)
}

/// Writes the serial log to `target/exo/test-logs/<name>.log`; a failure only costs the file.
fn save_log(test: &IntegrationTest, serial: &[u8]) {
    let path = test_dir("test-logs", test).with_extension("log");
    let written = path
        .parent()
        .map(std::fs::create_dir_all)
        .transpose()
        .and_then(|_| std::fs::write(&path, serial));
    if let Err(e) = written {
        println!("xtask: cannot write {}: {e}", path.display());
    }
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn libtest_summaries_are_parsed() {
        let ok = "test result: ok. 12 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s";
        assert_eq!(parse_test_result(ok), Some((12, 0)));
        let failed = "test result: FAILED. 3 passed; 2 failed; 1 ignored; 0 measured; 0 filtered out; finished in 1.2s";
        assert_eq!(parse_test_result(failed), Some((3, 2)));
        assert_eq!(parse_test_result("test foo ... ok"), None);
        assert_eq!(parse_test_result("test result: garbage"), None);
    }

    #[test]
    fn expectations_must_appear_in_order() {
        let log = "boot\nexo: refused 'a'\nexo: refused 'b'\nhello\n";
        assert_eq!(
            check_expected(log, &["refused 'a'", "refused 'b'", "hello"]),
            Ok(())
        );
        assert_eq!(check_expected(log, &[]), Ok(()));
        let out_of_order = check_expected(log, &["refused 'b'", "refused 'a'"]).unwrap_err();
        assert_eq!(
            out_of_order,
            "`refused 'a'` is not in the serial output after `refused 'b'` (it appeared earlier)"
        );
        let missing = check_expected(log, &["boot", "bye"]).unwrap_err();
        assert_eq!(
            missing,
            "`bye` is not in the serial output after `boot` (it never appeared)"
        );
        assert_eq!(
            check_expected(log, &["zzz"]).unwrap_err(),
            "`zzz` is not in the serial output"
        );
    }

    #[test]
    fn a_count_matches_a_positive_number() {
        let log = "bad_pages: 65 checks, 0 failed\npages: 0 checks, 0 failed\npages: 29 checks, 0 failed\n";
        let pages = crate::tests::checks!("pages");
        assert_eq!(pages, "pages: <N> checks, 0 failed");
        assert_eq!(find_expected(log, pages), Some((4, 30)), "inside bad_pages: as a plain substring would");
        assert_eq!(check_expected(log, &["pages: 0", pages]), Ok(()), "zero checks is not a pass");
        assert!(check_expected("pages: 0 checks, 0 failed", &[pages]).is_err());
        assert!(check_expected("pages: checks, 0 failed", &[pages]).is_err());
        assert!(check_expected("pages: 3 checks, 1 failed", &[pages]).is_err());
        assert!(check_expected("pages: 12x checks, 0 failed", &[pages]).is_err());
        assert_eq!(check_expected("pages: 007 checks, 0 failed", &[pages]), Ok(()));
        assert_eq!(find_expected("a 1 b 22 c", "<N> b <N> c"), Some((2, 10)));
        assert_eq!(find_expected("é x: 5 y", "x: <N> y"), Some((3, 9)));
        assert_eq!(find_expected("x: 5", "x: <N>"), Some((0, 4)));
        assert_eq!(find_expected("x: ", "x: <N>"), None);
        assert_eq!(find_expected("plain", "plain"), Some((0, 5)));
    }

    #[test]
    fn one_occurrence_cannot_satisfy_two_expectations() {
        assert!(check_expected("hello\n", &["hello", "hello"]).is_err());
        assert!(check_expected("hello hello\n", &["hello", "hello"]).is_ok());
    }

    #[test]
    fn forbidden_lines_fail() {
        assert_eq!(check_forbidden("ok\n", &["KERNEL PANIC"]), Ok(()));
        assert_eq!(
            check_forbidden("KERNEL PANIC at x\n", &["KERNEL PANIC"]).unwrap_err(),
            "`KERNEL PANIC` appeared in the serial output"
        );
    }
}
