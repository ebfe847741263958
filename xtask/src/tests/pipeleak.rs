//! Integration tests of pipe lifetime: the pages of a pipe go back once no process holds an end
//! (`pipeleak` makes 400 pipelines and checks its page count each time), and an end handed on
//! is never missed while it moves (`pipehandover`: a running writer never sees its reader gone
//! while the parent registers the reader and closes its own end; pipelines as the shell starts them).
use super::{checks, IntegrationTest};
use std::time::Duration;

pub const PIPELEAK: &[IntegrationTest] = &[IntegrationTest {
    name: "pipes_freed",
    cmdline_run: "pipeleak",
    expect: &[checks!("pipeleak"), "'pipeleak' exited with code 0", "exo: all programs finished"],
    forbid: &["FAIL", "'pipeleak' killed", "fd_cat:", "panic"],
    timeout: Duration::from_secs(240),
    ..IntegrationTest::DEFAULT
}, IntegrationTest {
    name: "pipe_handover",
    cmdline_run: "pipehandover",
    expect: &[checks!("pipehandover"), "'pipehandover' exited with code 0", "exo: all programs finished"],
    forbid: &["FAIL", "'pipehandover' killed", "panic"],
    timeout: Duration::from_secs(240),
    ..IntegrationTest::DEFAULT
}];
