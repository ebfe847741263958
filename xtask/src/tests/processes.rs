//! Integration tests of ExOS processes: copy-on-write fork, wait, signals, containment.
use super::{checks, IntegrationTest};

pub const PROCESSES: &[IntegrationTest] = &[IntegrationTest {
    name: "fork_fifty_children_and_a_bomb",
    cmdline_run: "forks,hello",
    expect: &[
        "forks: fork bomb refused: Some(",
        checks!("forks"),
        "'forks' exited with code 0",
        "hello from ring 3",
        "exo: all programs finished",
    ],
    forbid: &["FAIL", "'forks' killed"],
    ..IntegrationTest::DEFAULT
}];

pub const SPAWN: &[IntegrationTest] = &[IntegrationTest {
    name: "spawn_from_boot_archive_with_arguments",
    cmdline_run: "spawner,hello",
    expect: &[
        "echoargs: argv[0] = echoargs",
        "echoargs: argv[1] = one",
        "echoargs: argv[2] = two words",
        "echoargs: GREETING=hello from the parent",
        checks!("spawner"),
        "'spawner' exited with code 0",
        "hello from ring 3",
    ],
    forbid: &["FAIL", "'spawner' killed", "'echoargs' killed"],
    ..IntegrationTest::DEFAULT
}];
