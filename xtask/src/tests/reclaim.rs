//! Integration tests of memory pressure answered by the library (`exos::reclaim`).
use super::IntegrationTest;

pub const RECLAIM: &[IntegrationTest] = &[IntegrationTest {
    name: "reclaim_clean_pages_under_pressure",
    cmdline_run: "reclaim,hello user_pages=400",
    expect: &["reclaim: 11 checks, 0 failed", "'reclaim' exited with code 0", "hello from ring 3", "exo: all programs finished"],
    forbid: &["FAIL", "missed its revocation deadline", "no page for", "unhandled", "'reclaim' killed"],
    ..IntegrationTest::DEFAULT
}];
