//! Hostile programs that fault: each must be ended with a message naming the fault, and the
//! kernel must go on to the next program (`hello`). One more test runs them all in one boot.

use super::IntegrationTest;
use std::time::Duration;

pub const FAULTS: &[IntegrationTest] = &[
    IntegrationTest {
        name: "bad_wild_read",
        cmdline_run: "bad_wild_read,hello",
        expect: &[
            "bad_wild_read: trying it",
            "'bad_wild_read' killed: page fault (#PF)",
            "accessing 0xdeadbeef000 (read, page not mapped)",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_null_write",
        cmdline_run: "bad_null_write,hello",
        expect: &[
            "bad_null_write: trying it",
            "'bad_null_write' killed: page fault (#PF)",
            "accessing 0x0 (write, page not mapped)",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_kernel_write",
        cmdline_run: "bad_kernel_write,hello",
        expect: &[
            "bad_kernel_write: trying it",
            "'bad_kernel_write' killed: page fault (#PF)",
            "accessing 0xffff800000100000 (write, protection violation)",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_kernel_read",
        cmdline_run: "bad_kernel_read,hello",
        expect: &[
            "bad_kernel_read: trying it",
            "'bad_kernel_read' killed: page fault (#PF)",
            "accessing 0xffff800000000000 (read, protection violation)",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_kernel_jump",
        cmdline_run: "bad_kernel_jump,hello",
        expect: &[
            "bad_kernel_jump: trying it",
            "'bad_kernel_jump' killed: page fault (#PF) at rip=0xffff800000100000",
            "(execute, protection violation)",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_noncanonical_jump",
        cmdline_run: "bad_noncanonical_jump,hello",
        expect: &[
            "bad_noncanonical_jump: trying it",
            "'bad_noncanonical_jump' killed: general protection (#GP)",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_hlt",
        cmdline_run: "bad_hlt,hello",
        expect: &[
            "bad_hlt: trying it",
            "'bad_hlt' killed: general protection (#GP)",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_cli",
        cmdline_run: "bad_cli,hello",
        expect: &[
            "bad_cli: trying it",
            "'bad_cli' killed: general protection (#GP)",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_port_io",
        cmdline_run: "bad_port_io,hello",
        expect: &[
            "bad_port_io: trying it",
            "'bad_port_io' killed: general protection (#GP)",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_wrmsr",
        cmdline_run: "bad_wrmsr,hello",
        expect: &[
            "bad_wrmsr: trying it",
            "'bad_wrmsr' killed: general protection (#GP)",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_mov_cr3",
        cmdline_run: "bad_mov_cr3,hello",
        expect: &[
            "bad_mov_cr3: trying it",
            "'bad_mov_cr3' killed: general protection (#GP)",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_int_vector",
        cmdline_run: "bad_int_vector,hello",
        expect: &[
            "bad_int_vector: trying it",
            "'bad_int_vector' killed: general protection (#GP)",
            "(int 0x20: vector 32 is not open to ring 3)",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_int_0x80",
        cmdline_run: "bad_int_0x80,hello",
        expect: &[
            "bad_int_0x80: trying it",
            "'bad_int_0x80' killed: general protection (#GP)",
            "(int 0x80: vector 128 is not open to ring 3)",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_divide",
        cmdline_run: "bad_divide,hello",
        expect: &[
            "bad_divide: trying it",
            "'bad_divide' killed: divide error (#DE)",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_ud2",
        cmdline_run: "bad_ud2,hello",
        expect: &[
            "bad_ud2: trying it",
            "'bad_ud2' killed: invalid opcode (#UD)",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_int3",
        cmdline_run: "bad_int3,hello",
        expect: &[
            "bad_int3: trying it",
            "'bad_int3' killed: breakpoint (#BP)",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_stack_overflow",
        cmdline_run: "bad_stack_overflow,hello",
        expect: &[
            "bad_stack_overflow: trying it",
            "'bad_stack_overflow' killed: page fault (#PF)",
            "(write, page not mapped)",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_rsp",
        cmdline_run: "bad_rsp,hello",
        expect: &[
            "bad_rsp: trying it",
            "'bad_rsp' killed: ",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "hostile_all_in_one_boot",
        cmdline_run: "bad_wild_read,bad_null_write,bad_kernel_write,bad_kernel_read,bad_kernel_jump,bad_noncanonical_jump,bad_hlt,bad_cli,bad_port_io,bad_wrmsr,bad_mov_cr3,bad_int_vector,bad_int_0x80,bad_divide,bad_ud2,bad_int3,bad_stack_overflow,bad_rsp,hello",
        expect: &[
            "'bad_wild_read' killed: page fault (#PF)",
            "'bad_null_write' killed: page fault (#PF)",
            "'bad_kernel_write' killed: page fault (#PF)",
            "'bad_kernel_read' killed: page fault (#PF)",
            "'bad_kernel_jump' killed: page fault (#PF) at rip=0xffff800000100000",
            "'bad_noncanonical_jump' killed: general protection (#GP)",
            "'bad_hlt' killed: general protection (#GP)",
            "'bad_cli' killed: general protection (#GP)",
            "'bad_port_io' killed: general protection (#GP)",
            "'bad_wrmsr' killed: general protection (#GP)",
            "'bad_mov_cr3' killed: general protection (#GP)",
            "'bad_int_vector' killed: general protection (#GP)",
            "'bad_int_0x80' killed: general protection (#GP)",
            "'bad_divide' killed: divide error (#DE)",
            "'bad_ud2' killed: invalid opcode (#UD)",
            "'bad_int3' killed: breakpoint (#BP)",
            "'bad_stack_overflow' killed: page fault (#PF)",
            "'bad_rsp' killed: ",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL"],
        timeout: Duration::from_secs(60),
        ..IntegrationTest::DEFAULT
    },
];
