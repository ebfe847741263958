//! FPU/SSE state against a hostile program: the `syscall` entry saves only XMM and MXCSR to a
//! scratch area and completes the environment's FPU area only when it switches, so a program that
//! unmasks every SIMD exception, changes the x87 control word and yields to a child that
//! scribbles over its own registers must get all of it back intact, and the kernel must not fault.

use super::{checks, IntegrationTest, KERNEL_PANIC};

pub const FPUSTATE: &[IntegrationTest] = &[IntegrationTest {
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
}];
