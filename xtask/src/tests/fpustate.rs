//! FPU/SSE state against hostile programs: entries from ring 3 save no FPU state (they set CR0.TS;
//! kernel SSE takes `#NM`, which saves it; a switch saves the leaving environment's live state), so
//! a program that unmasks every SIMD exception, changes the x87 control word and yields to a child
//! that scribbles over its own registers must get all of it back intact, the kernel must not
//! fault, and two environments that both use SSE must never see each other's registers.

use super::{checks, IntegrationTest, KERNEL_PANIC};

pub const FPUSTATE: &[IntegrationTest] = &[
    IntegrationTest {
        name: "bad_fpu_state_across_syscalls_and_switches",
        cmdline_run: "bad_fpu,hello",
        expect: &[
            "bad_fpu: console_write from inside the asm block",
            "bad_fpu: the child had 40 turns",
            checks!("bad_fpu"),
            "'bad_fpu' exited with code 0",
            "hello from ring 3",
        ],
        forbid: &["FAIL", "failed: ", KERNEL_PANIC, "#XM"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_fpu_leak_between_environments",
        cmdline_run: "bad_fpu_leak,hello",
        expect: &[
            "bad_fpu_leak: the child had 40 turns",
            checks!("bad_fpu_leak"),
            "'bad_fpu_leak' exited with code 0",
            "hello from ring 3",
        ],
        forbid: &["FAIL", "failed: ", KERNEL_PANIC, "#XM"],
        ..IntegrationTest::DEFAULT
    },
];
