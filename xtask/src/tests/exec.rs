//! Integration test of ExOS `exec`: a process replaces its program in place.
use super::{checks, IntegrationTest};

pub const EXEC: &[IntegrationTest] = &[IntegrationTest {
    name: "exec_in_place",
    cmdline_run: "execer,hello",
    expect: &[
        "execer: on_exec hook ran",
        "exectarget: greet ok, argv[1..] = [Some(\"greet\"), Some(\"1001\"), Some(\"1000\")]",
        "'exectarget' exited with code 77",
        "exectarget: gone ok",
        "'exectarget' exited with code 78",
        "exectarget: chain done",
        "'exectarget' exited with code 81",
        checks!("execer"),
        "exectarget: last ok, argv[1..] = [Some(\"last\"), Some(\"1000\"), Some(\"0\")]",
        // exec renames the environment after the program it runs (for ps).
        "'exectarget' exited with code 80",
        "hello from ring 3",
        "exo: all programs finished",
    ],
    forbid: &["FAIL", "killed", "exited with code 236"],
    ..IntegrationTest::DEFAULT
}];
