//! Integration test of the writable in-memory `/tmp` (`exos::tmpfs` through `exos::fd`).
use super::IntegrationTest;

pub const TMPFS: &[IntegrationTest] = &[IntegrationTest {
    name: "tmpfs_files",
    cmdline_run: "tmpfiles",
    expect: &["tmpfiles: 95 checks, 0 failed", "'tmpfiles' exited with code 0", "exo: all programs finished"],
    forbid: &["FAIL", "'tmpfiles' killed", "fd_cat:", "panic"],
    ..IntegrationTest::DEFAULT
}];
