//! Integration test of the core utilities (echo, cat, ls, wc, head, tail, grep, sort, uniq, env,
//! sleep, true, false): `utiltest` runs each as a child with piped stdin, stdout and stderr.
use super::IntegrationTest;
use std::time::Duration;

pub const UTILS: &[IntegrationTest] = &[IntegrationTest {
    name: "core_utilities",
    cmdline_run: "utiltest",
    expect: &["utiltest: sleep 1 took ", "utiltest: ", " checks, 0 failed", "'utiltest' exited with code 0", "exo: all programs finished"],
    forbid: &["FAIL", "'utiltest' killed", "panic", "write: "],
    timeout: Duration::from_secs(60),
    ..IntegrationTest::DEFAULT
}];
