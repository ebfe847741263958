//! Memory budgets (issue 15 item 2, issue 16 item 4): a program that allocates until refused gets
//! `OutOfMemory` while others go on and its pages all come back; a fork bomb in a child with a
//! limited budget ends with errors in that child while the shell and a background job keep
//! running; and through its own children one environment cannot use up what a bystander needs.
use super::{checks, IntegrationTest};
use std::time::Duration;

pub const BUDGET: &[IntegrationTest] = &[
    IntegrationTest {
        name: "scale_memory_hog",
        cmdline_run: "sh -- PATH=/bin:/test; memhog; echoargs after the hog; free",
        expect: &[
            "memhog: hog refused after 64 pages: OutOfMemory",
            "memhog: hog refused after ",
            "pages: OutOfMemory",
            "memhog: the hog holds ",
            "memhog: free pages before the hog ",
            checks!("memhog"),
            "'memhog' exited with code 0",
            "echoargs: argv[3] = hog",
            " budgets      limit       used       free  pid name",
            "'sh' exited with code 0",
        ],
        forbid: &["FAIL", "panicked", "'sh' killed"],
        timeout: Duration::from_secs(90),
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "scale_fork_bomb",
        cmdline_run: "sh -- PATH=/bin:/test; spin & BUDGET=4M forkbomb; echoargs shell alive; jobs; kill -KILL %1; wait %1; \
                      BUDGET=lots echoargs; echoargs s=$?; free",
        expect: &[
            "forkbomb: my budget is 1024 pages",
            "forkbomb: the bomb was refused: Some(OutOfMemory)",
            checks!("forkbomb"),
            "'forkbomb' exited with code 0",
            "echoargs: argv[2] = alive",
            "Running",
            "sh: BUDGET=lots: not a size",
            "echoargs: argv[1] = s=2",
            " budgets      limit       used       free  pid name",
            "'sh' exited with code 0",
        ],
        forbid: &["FAIL", "panicked", "'sh' killed", "'spin' killed: its parent"],
        timeout: Duration::from_secs(90),
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_exhaust_via_children",
        cmdline_run: "bad_exhaust,hello",
        expect: &["bad_exhaust: the attacker's children were refused with OutOfMemory", checks!("bad_exhaust"), "'bad_exhaust' exited with code 0", "hello from ring 3"],
        forbid: &["FAIL", "panicked", "'bad_exhaust' killed"],
        timeout: Duration::from_secs(60),
        ..IntegrationTest::DEFAULT
    },
];
