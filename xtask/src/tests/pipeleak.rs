//! Integration test of pipe lifetime: the pages of a pipe go back once no process holds an end
//! (`pipeleak` makes 400 pipelines and checks its page count each time).
use super::{checks, IntegrationTest};
use std::time::Duration;

pub const PIPELEAK: &[IntegrationTest] = &[IntegrationTest {
    name: "pipes_freed",
    cmdline_run: "pipeleak",
    expect: &[checks!("pipeleak"), "'pipeleak' exited with code 0", "exo: all programs finished"],
    forbid: &["FAIL", "'pipeleak' killed", "fd_cat:", "panic"],
    timeout: Duration::from_secs(240),
    ..IntegrationTest::DEFAULT
}];
