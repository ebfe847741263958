//! Integration tests of memory pressure: the library's answers (`exos::mem::reclaim`) and the
//! revocation page the kernel shows them in.
use super::{checks, IntegrationTest};
use std::time::Duration;

pub const RECLAIM: &[IntegrationTest] = &[
    IntegrationTest {
        name: "reclaim_two_processes_fill_memory",
        cmdline_run: "reclaim,hello user_pages=800",
        expect: &["reclaim: parent: held at most", "reclaim: child: held at most", checks!("reclaim"), "'reclaim' exited with code 0", "hello from ring 3", "exo: all programs finished"],
        forbid: &["FAIL", "missed its revocation deadline", "no page for", "no page left", "unhandled", "'reclaim' killed", "'reclaim.child' killed"],
        timeout: Duration::from_secs(60),
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "revocation_page_partial_and_inline_answers",
        cmdline_run: "revoke_window,hello user_pages=160",
        expect: &[
            "'revoke_window.child' missed its revocation deadline: repossessed 6 pages",
            "revoke_window: round 1: upcall (16,",
            "freed 10, repossessed 6, vital pages intact: true, request cleared: true",
            "revoke_window: round 2: upcall (0, 0), 0 upcalls, page showed (16,",
            "freed 16, repossessed 0, vital pages intact: true, request cleared: true",
            checks!("revoke_window"),
            "'revoke_window' exited with code 0",
            "hello from ring 3",
        ],
        forbid: &["FAIL", "'revoke_window' killed", "repossessed 16 pages"],
        ..IntegrationTest::DEFAULT
    },
];
