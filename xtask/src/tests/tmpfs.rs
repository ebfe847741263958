//! Integration test of the writable in-memory `/tmp` (`exos::fs::tmpfs` through `exos::fs::fd`).
use super::{checks, IntegrationTest};

pub const TMPFS: &[IntegrationTest] = &[IntegrationTest {
    name: "tmpfs_files",
    cmdline_run: "tmpfiles",
    expect: &[checks!("tmpfiles"), "'tmpfiles' exited with code 0", "exo: all programs finished"],
    forbid: &["FAIL", "'tmpfiles' killed", "fd_cat:", "panic"],
    ..IntegrationTest::DEFAULT
}];
