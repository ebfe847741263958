//! ExOS user-level threads: mutex, condition variable, joins and FPU state under preemption
//! (`threads`), and an application's own stride scheduler replacing the default (`stride`).

use super::{checks, IntegrationTest};
use std::time::Duration;

pub const THREADS: &[IntegrationTest] = &[
    IntegrationTest {
        name: "user_threads",
        cmdline_run: "threads,hello",
        expect: &[
            "threads: mutex: 4000 increments,",
            "threads: condvar: 10000 items received,",
            "threads: fpu:",
            checks!("threads"),
            "'threads' exited with code 0",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL", "'threads' killed", "panic"],
        timeout: Duration::from_secs(90),
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "stride_scheduler",
        cmdline_run: "stride,hello",
        expect: &[
            "stride: tickets 3:2:1, iterations",
            "round robin 0 times",
            checks!("stride"),
            "'stride' exited with code 0",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL", "'stride' killed", "panic"],
        timeout: Duration::from_secs(90),
        ..IntegrationTest::DEFAULT
    },
];
