//! ExOS IPC between environments (`exos/src/{pipe,shm,lrpc}.rs`) and nested protected control
//! transfer (`bad_pct_nested`): each test runs a program that
//! spawns copies of itself as peers and checks every message, call and failure it sees.

use super::{checks, IntegrationTest};

pub const IPC: &[IntegrationTest] = &[
    IntegrationTest {
        name: "pipes",
        cmdline_run: "pipes,hello",
        expect: &[
            "pipes: 10000 messages, 6950720 bytes echoed",
            "pipes: the reader closes: 16384 bytes went in, then broken pipe",
            "pipes: the reader dies: 16384 bytes went in, then broken pipe",
            "'pipes.child' killed: destroyed through a capability",
            checks!("pipes"),
            "'pipes' exited with code 0",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL", "pipes.child' exited with code 1", "panic"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "shared_memory",
        cmdline_run: "shm,hello",
        expect: &[
            "shm: 10000 messages echoed and 10000 streamed",
            checks!("shm"),
            "'shm' exited with code 0",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL", "shm.child' exited with code 1", "panic"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "lrpc",
        cmdline_run: "lrpc,hello",
        expect: &[
            "lrpc: 10000 calls checked",
            "'lrpc.child' exited with code 9",
            checks!("lrpc"),
            "'lrpc' exited with code 0",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL", "panic"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_pct_nested",
        cmdline_run: "bad_pct_nested,hello",
        expect: &[
            "'bad_pct_nested.child.child' killed: invalid opcode (#UD)",
            "'bad_pct_nested.child.child' killed: its parent ended",
            "'bad_pct_nested.child' killed: invalid opcode (#UD)",
            checks!("bad_pct_nested"),
            "'bad_pct_nested' exited with code 0",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL", "panic", "exited with code 1"],
        ..IntegrationTest::DEFAULT
    },
];
