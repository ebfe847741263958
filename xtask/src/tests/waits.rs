//! Sleeping and waking (`env_wait`, `env_notify`, `page_wake`) and the idle CPU: each wake source
//! through a program that spawns sleepers (`waits`), the hostile arguments and rights
//! (`bad_wait`, which ends as stuck: it sleeps for a notification nobody can send), and the console
//! wake through the shell (`sleep` at the shell, which halts the CPU, and input typed into it).

use super::{checks, IntegrationTest};

pub const WAITS: &[IntegrationTest] = &[
    IntegrationTest {
        name: "wait_wake_sources",
        cmdline_run: "waits,hello",
        expect: &[checks!("waits"), "'waits' exited with code 0", "hello from ring 3", "exo: all programs finished"],
        forbid: &["FAIL", "killed"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_wait",
        cmdline_run: "bad_wait,hello",
        expect: &[
            checks!("bad_wait"),
            "bad_wait: now sleeping for a notification nobody can send",
            "'bad_wait' killed: waits for events that nothing can ever cause (no environment can run)",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
];
