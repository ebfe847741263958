//! ExOS virtual memory (issue 5 items 3 and 6a): demand-zero regions, mprotect and dirty bits,
//! protection-fault handlers, shared regions, the Appel-Li primitives, a garbage collector's write
//! barrier built on them, hostile accesses the region layer must not map, and torn reads of the
//! environment table (issue 16 item 5); extents and 2 MiB pages, hostile and through ExOS, and
//! `memtouch` (issue 15 item 3).

use super::{checks, IntegrationTest};

pub const VM: &[IntegrationTest] = &[
    IntegrationTest {
        name: "extents",
        cmdline_run: "vm_extents,hello",
        expect: &[checks!("vm_extents"), "'vm_extents' exited with code 0", "hello from ring 3"],
        forbid: &["FAIL", "unhandled"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_extents",
        cmdline_run: "bad_extents,hello",
        expect: &[checks!("bad_extents"), "'bad_extents' exited with code 0", "hello from ring 3"],
        forbid: &["FAIL", "unhandled"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "memtouch_2_mib",
        // As `cargo xtask run -- 'memtouch 2'`: the most the 3 MiB page quota allows with the shell
        // running (memory budgets let `cargo xtask run --mem 4G -- 'memtouch 2048'` do the same).
        cmdline_run: "sh -- memtouch 2; memtouch 0; memtouch 4096",
        expect: &[
            "touched 2 MiB in ",
            " ms (allocate and map ",
            "memtouch: invalid size '0'",
            "memtouch: cannot allocate 4096 MiB: ",
            "'sh' exited with code 1",
        ],
        forbid: &["FAIL", "panicked", "KERNEL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "demand_zero",
        cmdline_run: "vm_demand,hello",
        expect: &[checks!("vm_demand"), "'vm_demand' exited with code 0", "hello from ring 3"],
        forbid: &["FAIL", "unhandled"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "mprotect_and_dirty",
        cmdline_run: "vm_protect,hello",
        expect: &[checks!("vm_protect"), "'vm_protect' exited with code 0", "hello from ring 3"],
        forbid: &["FAIL", "unhandled"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "protection_fault_handler",
        cmdline_run: "vm_faults,hello",
        expect: &[checks!("vm_faults"), "'vm_faults' exited with code 0", "hello from ring 3"],
        forbid: &["FAIL", "unhandled"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "shared_regions",
        cmdline_run: "vm_share,hello",
        expect: &[
            "'vm_share.child' exited with code 42",
            checks!("vm_share"),
            "'vm_share' exited with code 0",
            "hello from ring 3",
        ],
        forbid: &["FAIL", "unhandled", "killed"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "appel_li",
        cmdline_run: "vm_appel,hello",
        expect: &[checks!("vm_appel"), "'vm_appel' exited with code 0", "hello from ring 3"],
        forbid: &["FAIL", "unhandled"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "gc_write_barrier",
        cmdline_run: "gc_barrier,hello",
        expect: &[
            "gc_barrier: cycle 1: 24 stores, 24 fields, remembered pages [5, 16, 21, 28, 30, 31, 33, 39, 43, 47, 49, 51, 56, 58, 59, 60, 63], 24 roots",
            "gc_barrier: cycle 2: 24 stores, 24 fields, remembered pages [2, 3, 4, 7, 8, 10, 12, 13, 15, 24, 27, 37, 38, 41, 45, 47, 53, 54, 56, 59, 60, 61], 24 roots",
            "gc_barrier: cycle 3: 24 stores",
            checks!("gc_barrier"),
            "'gc_barrier' exited with code 0",
            "hello from ring 3",
        ],
        forbid: &["FAIL", "unhandled"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_vm_beyond_region",
        cmdline_run: "bad_vm_beyond,hello",
        expect: &[
            "bad_vm_beyond: the region's last word is writable; trying one byte past its end at 0x200000004000",
            "unhandled page fault (#PF)",
            "(error code 0x6, address 0x200000004000)",
            "'bad_vm_beyond' exited with code 142",
            "hello from ring 3",
        ],
        forbid: &["FAIL", "survived"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_vm_write_read_only",
        cmdline_run: "bad_vm_readonly,hello",
        expect: &[
            "bad_vm_readonly: read 0 at 0x200000001000; now writing it",
            "unhandled page fault (#PF)",
            "(error code 0x7, address 0x200000001000)",
            "'bad_vm_readonly' exited with code 142",
            "hello from ring 3",
        ],
        forbid: &["FAIL", "survived"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_window_torn_read",
        cmdline_run: "bad_window_torn_read,hello",
        expect: &[checks!("bad_window_torn_read"), "'bad_window_torn_read' exited with code 0", "hello from ring 3"],
        forbid: &["FAIL", "'bad_window_torn_read' killed"],
        ..IntegrationTest::DEFAULT
    },
];
