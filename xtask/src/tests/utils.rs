//! Integration test of the core utilities (echo, cat, ls, wc, head, tail, grep, sort, uniq, env,
//! sleep, true, false): `utiltest` runs each as a child with piped stdin, stdout and stderr.
use super::{checks, IntegrationTest};
use std::time::Duration;

pub const UTILS: &[IntegrationTest] = &[IntegrationTest {
    name: "core_utilities",
    cmdline_run: "utiltest",
    expect: &["utiltest: sleep 1 took ", checks!("utiltest"), "'utiltest' exited with code 0", "exo: all programs finished"],
    forbid: &["FAIL", "'utiltest' killed", "panic", "write: "],
    timeout: Duration::from_secs(60),
    ..IntegrationTest::DEFAULT
}];
