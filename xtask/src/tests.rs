//! The table of integration tests: one QEMU boot each, judged by serial.
//!
//! A test boots the kernel with `mode=test run=<cmdline_run>`; the kernel exits QEMU when every
//! program has finished. It passes when the QEMU exit status is `exit_status` (1 = the kernel's
//! clean finish, 3 = kernel panic), every `expect` string appears in the serial output in order,
//! and no `forbid` string appears. `KERNEL PANIC` is always forbidden unless the test expects a
//! panic. To add a test, append an entry; start from [`IntegrationTest::DEFAULT`]. A test
//! program's summary is expected with `checks!("NAME")` (any positive count, 0 failed).

use std::time::Duration;

/// How a test boots.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Boot {
    /// PVH direct boot: `-kernel`, `-initrd`, `-append`.
    Kernel,
    /// GRUB from an ISO (multiboot2), built per test.
    Iso,
}

/// One integration test.
#[derive(Debug)]
pub struct IntegrationTest {
    pub name: &'static str,
    /// The kernel's `run=` list: programs to run, in order, comma-separated.
    pub cmdline_run: &'static str,
    /// Substrings that must appear in the serial output, in this order.
    pub expect: &'static [&'static str],
    /// Substrings that must not appear anywhere.
    pub forbid: &'static [&'static str],
    /// The expected QEMU exit status: 1 for a clean finish, 3 for a kernel panic.
    pub exit_status: i32,
    pub boot: Boot,
    pub timeout: Duration,
    /// Another boot archive under `target/exo/` (written by the build) instead of `initrd.cpio`.
    pub initrd: Option<&'static str>,
    /// An interactive test: QEMU runs on a pseudo-terminal (`pty.rs`) and this function types
    /// and expects; the transcript is then judged as the serial output.
    pub interactive: Option<crate::pty::Driver>,
    /// The guest's RAM in MiB, when the test needs other than the default (`qemu::DEFAULT_MEM`).
    pub mem_mib: Option<u64>,
    /// More QEMU arguments for this boot (after the usual ones, so a later `-m` wins): e.g. more
    /// memory.
    pub qemu_args: &'static [&'static str],
    /// Under TCG, boot with [`ICOUNT`], so that time in the guest follows the instructions it runs
    /// and not the host's load: a test that judges how long the kernel held interrupts off needs
    /// it. (KVM runs on the real time-stamp counter and cannot count instructions.)
    pub icount: bool,
    /// Attach a virtio-net NIC on QEMU's user-mode network (tests boot without one otherwise).
    pub nic: bool,
    /// Host ports forwarded into the guest (`tcp:HOSTPORT:GUESTPORT`, `udp:...`; implies `nic`).
    pub forwards: &'static [&'static str],
}

/// QEMU arguments that make guest time follow guest instructions (one instruction, one
/// nanosecond; no sleeping): for tests that judge the longest interrupts-off stretch, which host
/// load would otherwise inflate (a host that deschedules QEMU mid-entry adds its pause).
pub const ICOUNT: &[&str] = &["-icount", "shift=0,sleep=off"];

/// The line the kernel prints when it panics.
pub const KERNEL_PANIC: &str = "KERNEL PANIC";
/// The line the kernel prints when frames went missing over a run list.
pub const LEAK: &str = "exo: LEAK";

impl IntegrationTest {
    /// Defaults for table entries: `..IntegrationTest::DEFAULT`.
    pub const DEFAULT: IntegrationTest = IntegrationTest {
        name: "",
        cmdline_run: "",
        expect: &[],
        forbid: &[],
        exit_status: 1,
        boot: Boot::Kernel,
        timeout: Duration::from_secs(30),
        initrd: None,
        interactive: None,
        mem_mib: None,
        qemu_args: &[],
        icount: false,
        nic: false,
        forwards: &[],
    };

    /// The RAM this test boots with.
    pub fn mem(&self) -> crate::qemu::MemSize {
        self.mem_mib.map_or(crate::qemu::DEFAULT_MEM, crate::qemu::MemSize)
    }

    /// The kernel command line for this test.
    pub fn cmdline(&self) -> String {
        format!("mode=test run={}", self.cmdline_run)
    }

    /// `forbid`, plus `KERNEL PANIC` unless the test expects a panic.
    pub fn forbidden(&self) -> Vec<&'static str> {
        let mut forbidden = self.forbid.to_vec();
        let expects_panic =
            self.exit_status == 3 || self.expect.iter().any(|line| line.contains(KERNEL_PANIC));
        if !expects_panic {
            forbidden.push(KERNEL_PANIC);
        }
        forbidden.push(LEAK);
        forbidden
    }
}

/// What a successful `hello` run prints.
const HELLO_RUN: &[&str] = &[
    "exo: boot: first user instruction",
    "hello from ring 3",
    "exo: env",
    "'hello' exited with code 0",
    "exo: all programs finished",
];

mod ash;
pub mod bench;
mod budget;
pub mod fpustate;
mod console;
mod exec;
mod faults;
mod files;
mod ipc;
mod net;
mod netstack;
mod pipeleak;
mod processes;
mod reclaim;
mod shell;
mod threads;
mod stats;
mod tmpfs;
mod fstools;
mod tty;
mod utils;
mod vm;
mod waits;

/// In an expectation, a count of one or more (a positive decimal number): see [`checks!`].
pub const COUNT: &str = "<N>";

/// The summary line a test program prints when all its checks passed (`user::Checks::finish`):
/// `checks!("pages")` is `"pages: <N> checks, 0 failed"`, where [`COUNT`] matches any positive
/// number, so adding a check to a program needs no edit here.
macro_rules! checks {
    ($program:literal) => {
        concat!($program, ": <N> checks, 0 failed")
    };
}
pub(crate) use checks;

/// Every integration test, in the order they are started.
pub fn all() -> impl Iterator<Item = &'static IntegrationTest> {
    ALL.iter().chain(faults::FAULTS).chain(ipc::IPC).chain(processes::PROCESSES).chain(processes::SPAWN).chain(threads::THREADS).chain(vm::VM).chain(bench::BENCH).chain(stats::STATS).chain(files::FILES).chain(tty::TTY).chain(exec::EXEC).chain(reclaim::RECLAIM).chain(shell::SHELL).chain(utils::UTILS).chain(console::CONSOLE).chain(pipeleak::PIPELEAK).chain(tmpfs::TMPFS).chain(fstools::FSTOOLS).chain(fpustate::FPUSTATE).chain(waits::WAITS).chain(budget::BUDGET).chain(net::NET).chain(ash::ASH).chain(netstack::NETSTACK)
}

/// The tests of booting, the interface and the programs (the hostile fault tests are in
/// `tests/faults.rs`).
const ALL: &[IntegrationTest] = &[
    IntegrationTest {
        name: "boot_hello",
        cmdline_run: "hello",
        expect: HELLO_RUN,
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "iso_boot_hello",
        cmdline_run: "hello",
        expect: HELLO_RUN,
        boot: Boot::Iso,
        timeout: Duration::from_secs(60),
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "elf_refused",
        cmdline_run: "bad_truncated,bad_machine,bad_kernel_overlap,bad_segment_overlap,bad_huge,bad_entry,bad_garbage,hello",
        expect: &[
            "exo: refused 'bad_truncated'",
            "exo: refused 'bad_machine'",
            "exo: refused 'bad_kernel_overlap'",
            "exo: refused 'bad_segment_overlap'",
            "exo: refused 'bad_huge'",
            "exo: refused 'bad_entry'",
            "exo: refused 'bad_garbage'",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "missing_program",
        cmdline_run: "no_such_program,hello",
        expect: &[
            "exo: refused 'no_such_program': not in the boot archive",
            "hello from ring 3",
        ],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "exit_code",
        cmdline_run: "exit_code",
        expect: &["exit_code: exiting with 42", "'exit_code' exited with code 42", "exo: all programs finished"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "user_panic",
        cmdline_run: "panic,hello",
        expect: &[
            "panic at user/tests/src/bin/panic.rs",
            "index out of bounds",
            "'panic' exited with code 101",
            "hello from ring 3",
        ],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "fpu_state_survives_kernel_entries",
        cmdline_run: "fpu",
        expect: &["fpu: xmm0-15 intact", "'fpu' exited with code 0"],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "timer_preempts_ring3",
        cmdline_run: "spin",
        expect: &["spin: done", "'spin' exited with code 0", "exo: all programs finished ("],
        forbid: &["(0 timer ticks"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_flags",
        cmdline_run: "bad_flags,hello",
        expect: &[
            "bad_flags: system call made with DF=1 AC=1",
            "bad_flags: kernel survived DF and AC, and gave them back",
            "'bad_flags' exited with code 0",
            "hello from ring 3",
        ],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_syscall",
        cmdline_run: "bad_syscall,hello",
        expect: &[
            "bad_syscall: 24 garbage calls checked, 0 wrong answers",
            "'bad_syscall' exited with code 0",
            "hello from ring 3",
        ],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "exception_upcalls",
        cmdline_run: "exceptions,hello",
        expect: &[
            "exceptions: 7 exceptions handled in user space, 0 failures",
            "'exceptions' exited with code 0",
            "hello from ring 3",
        ],
        forbid: &["FAIL", "killed"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_handler_fault",
        cmdline_run: "bad_handler_fault,hello",
        expect: &[
            "bad_handler_fault: trying it",
            "'bad_handler_fault' killed: page fault (#PF)",
            "inside its own exception handler",
            "hello from ring 3",
        ],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_handler_overflow",
        cmdline_run: "bad_handler_overflow,hello",
        expect: &[
            "bad_handler_overflow: trying it",
            "'bad_handler_overflow' killed: page fault (#PF)",
            "after overflowing its exception stack",
            "hello from ring 3",
        ],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_exception_stack",
        cmdline_run: "bad_exception_stack,hello",
        expect: &[
            "bad_exception_stack: trying it",
            "'bad_exception_stack' killed: invalid opcode (#UD)",
            "is not mapped writable, so the handler cannot run",
            "hello from ring 3",
        ],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_linux_redirect",
        cmdline_run: "bad_linux_redirect,hello",
        expect: &[
            "bad_linux_redirect: bad ranges refused",
            "bad_linux_redirect: foreign env_exit went to the handler",
            "bad_linux_redirect: trying an unwritable exception stack",
            "'bad_linux_redirect' killed: redirected syscall 1 at rip=",
            "is not mapped writable, so the handler cannot run",
            "hello from ring 3",
        ],
        forbid: &["FAIL", "exited with code 99"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_fsbase",
        cmdline_run: "bad_fsbase,hello",
        expect: &[
            "bad_fsbase: bad bases refused",
            "bad_fsbase: %fs:0 = 0x5eedf00d",
            "bad_fsbase: loading through an unmapped base",
            "'bad_fsbase' killed: page fault",
            "accessing 0x700000000000",
            "hello from ring 3",
        ],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "pages_and_mappings",
        cmdline_run: "pages,hello",
        expect: &[checks!("pages"), "'pages' exited with code 0", "hello from ring 3"],
        forbid: &["FAIL", "killed"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_pages",
        cmdline_run: "bad_pages,hello",
        expect: &[checks!("bad_pages"), "'bad_pages' exited with code 0", "hello from ring 3"],
        forbid: &["FAIL", "killed"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "environments",
        cmdline_run: "envs,hello",
        expect: &[
            "envs.child: hello from a child environment",
            "'envs.child' exited with code 7",
            "'envs.child' killed: destroyed through a capability",
            "'envs.child' killed: page fault (#PF) at rip=0x400000 accessing 0x30000000 (read, page not mapped)",
            "envs: exiting with a running child",
            checks!("envs"),
            "'envs.child' killed: its parent ended",
            "'envs' exited with code 0",
            "hello from ring 3",
        ],
        forbid: &["FAIL", "'envs' killed"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_envs",
        cmdline_run: "bad_envs,hello",
        expect: &[checks!("bad_envs"), "'bad_envs' exited with code 0", "hello from ring 3"],
        forbid: &["FAIL", "'bad_envs' killed"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "protected_control_transfer",
        cmdline_run: "pct,hello",
        expect: &[
            "'pct.child' killed: invalid opcode (#UD)",
            "bench: null system call",
            checks!("pct"),
            "'pct.child' killed: its parent ended",
            "'pct' exited with code 0",
            "hello from ring 3",
        ],
        forbid: &["FAIL", "'pct' killed"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "syscall_fuzzer",
        cmdline_run: "fuzz,hello",
        expect: &[
            "fuzz: seed 0x9e3779b97f4a7c15: 1000000 calls",
            "fuzz: seed 0xdeadbeefcafef00d: 1000000 calls",
            "fuzz: seed 0x2a: 1000000 calls",
            "fuzz: group notifications (NOTIFY_TREE) that succeeded: <N>",
            "fuzz: the stranger's grants into my table: <N> tried, 0 not refused",
            "protected control transfers in nested chains alongside",
            ", under one tick (",
            "fuzz: done",
            "'fuzz' exited with code 0",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["'fuzz' killed", "NOT under one tick"],
        timeout: Duration::from_secs(120),
        icount: true,
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "share_by_grant_pct_and_revoke",
        cmdline_run: "share,hello",
        expect: &[
            "share peer: page fault at 0x38000000: the page is gone because its capability was revoked",
            checks!("share"),
            "'share' exited with code 0",
            "hello from ring 3",
        ],
        forbid: &["FAIL", "'share' killed"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "revocation_under_memory_pressure",
        cmdline_run: "pressure,hello user_pages=160",
        expect: &[
            "pressure: round 1: hog asked for 16 pages, freed 16, repossessed 0",
            "'pressure.child' missed its revocation deadline: repossessed 16 pages",
            "pressure: round 2: hog asked for 16 pages, freed 0, repossessed 16, vital pages intact: true",
            checks!("pressure"),
            "'pressure' exited with code 0",
            "hello from ring 3",
        ],
        forbid: &["FAIL", "'pressure' killed"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "time_slice_vector",
        cmdline_run: "slices,hello",
        expect: &["slices: with 12 of 16 slices I counted", checks!("slices"), "'slices' exited with code 0", "hello from ring 3"],
        forbid: &["FAIL", "'slices' killed"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "stuck_environments_end",
        cmdline_run: "stuck,hello",
        expect: &[
            "stuck: child exits, leaving the parent waiting",
            // Either the child exits while the parent waits (the kernel ends the stuck parent:
            // "no environment can ever run it again"), or a timer tick ran the child first and the
            // wait itself finds nothing runnable ("... but no environment can run").
            "'stuck' killed: ",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_ancestor",
        cmdline_run: "bad_ancestor,hello",
        expect: &[checks!("bad_ancestor"), "'bad_ancestor' exited with code 0", "hello from ring 3"],
        forbid: &["FAIL", "'bad_ancestor' killed"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_grant_flood",
        cmdline_run: "bad_grant_flood,hello",
        expect: &[checks!("bad_grant_flood"), "'bad_grant_flood' exited with code 0", "hello from ring 3"],
        forbid: &["FAIL", "'bad_grant_flood' killed"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_signal_stranger",
        cmdline_run: "bad_signal_stranger,hello",
        expect: &[checks!("bad_signal_stranger"), "'bad_signal_stranger' exited with code 0", "hello from ring 3"],
        forbid: &["FAIL", "'bad_signal_stranger' killed"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_revoke_large",
        cmdline_run: "bad_revoke_large,hello",
        expect: &[checks!("bad_revoke_large"), "'bad_revoke_large' exited with code 0", "hello from ring 3"],
        forbid: &["FAIL", "'bad_revoke_large' killed"],
        timeout: Duration::from_secs(60),
        icount: true,
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "scale_envs_1000",
        cmdline_run: "scale_envs,hello",
        expect: &["scale_envs: <N> environments live at once, 1000 of 1000 leaves answered", checks!("scale_envs"), "'scale_envs' exited with code 0", "hello from ring 3"],
        forbid: &["FAIL", "'scale_envs' killed"],
        timeout: Duration::from_secs(120),
        icount: true,
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "exos_heap",
        cmdline_run: "heap,hello",
        expect: &[checks!("heap"), "'heap' exited with code 0", "hello from ring 3"],
        forbid: &["FAIL", "'heap' killed"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_give",
        cmdline_run: "bad_give,hello",
        expect: &[checks!("bad_give"), "'bad_give' exited with code 0", "hello from ring 3"],
        forbid: &["FAIL", "'bad_give' killed"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_windows",
        cmdline_run: "bad_windows,hello",
        expect: &[checks!("bad_windows"), "'bad_windows' exited with code 0", "hello from ring 3"],
        forbid: &["FAIL", "'bad_windows' killed"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "selectors_do_not_leak",
        cmdline_run: "selectors,hello",
        expect: &[checks!("selectors"), "'selectors' exited with code 0", "hello from ring 3"],
        forbid: &["FAIL", "'selectors' killed"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_protect_upgrade",
        cmdline_run: "bad_protect_upgrade,hello",
        expect: &[checks!("bad_protect_upgrade"), "hello from ring 3"],
        forbid: &["FAIL", "'bad_protect_upgrade' killed"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_protect_range",
        cmdline_run: "bad_protect_range,hello",
        expect: &[checks!("bad_protect_range"), "'bad_protect_range' exited with code 0", "hello from ring 3"],
        forbid: &["FAIL", "'bad_protect_range' killed", KERNEL_PANIC],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_deep_chain",
        cmdline_run: "bad_deep_chain,hello",
        expect: &["bad_deep_chain: 1001 environments live", "'bad_deep_chain' exited with code 0", "hello from ring 3"],
        timeout: Duration::from_secs(120),
        // Each level keeps a reserve of its budget (`exos::proc::budget`): 1,000 levels need 2 GiB.
        mem_mib: Some(2048),
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "init_demo",
        cmdline_run: "init",
        expect: &["Exo: an exokernel", "SSE works here too: 1.5 * 2.25 = 3.375", "'init' exited with code 0"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "kernel_panic_reported",
        cmdline_run: "hello selftest=panic",
        expect: &["KERNEL PANIC at kernel/src/selftest.rs", "self-test: deliberate panic"],
        forbid: &["hello from ring 3"],
        exit_status: 3,
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "kernel_page_fault_reported",
        cmdline_run: "hello selftest=page_fault",
        expect: &["KERNEL PANIC at kernel/src/trap.rs", "page fault (#PF) in the kernel", "cr2=0xffffd00000000000"],
        forbid: &["hello from ring 3"],
        exit_status: 3,
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "kernel_stack_overflow_is_a_double_fault",
        cmdline_run: "hello selftest=stack_overflow",
        expect: &["KERNEL PANIC at kernel/src/trap.rs", "double fault (#DF) in the kernel"],
        forbid: &["hello from ring 3"],
        exit_status: 3,
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_cmdline",
        cmdline_run: "hello log=loud",
        expect: &["exo: bad kernel command line", "bad value 'loud' for 'log' (allowed: error, warn, info, debug, trace)"],
        forbid: &["hello from ring 3"],
        exit_status: 5,
        ..IntegrationTest::DEFAULT
    },
];

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn table_entries_are_complete_and_uniquely_named() {
        let all: Vec<_> = all().collect();
        for (index, test) in all.iter().enumerate() {
            assert!(
                !test.name.is_empty() && !test.cmdline_run.is_empty(),
                "entry {index}"
            );
            assert!(!test.expect.is_empty(), "{} expects nothing", test.name);
            assert!(
                test.cmdline_run
                    .split(',')
                    .all(|program| !program.trim().is_empty()),
                "{}",
                test.name
            );
            assert!(
                all[..index].iter().all(|other| other.name != test.name),
                "{} twice",
                test.name
            );
        }
    }

    #[test]
    fn no_expectation_hard_codes_a_count_of_checks() {
        for test in all() {
            for line in test.expect {
                let Some(at) = line.find(" checks, ") else { continue };
                let before = line[..at].rsplit(' ').next().unwrap_or("");
                assert!(
                    !before.bytes().any(|b| b.is_ascii_digit()),
                    "{}: `{line}` counts checks; write checks!(\"NAME\")",
                    test.name
                );
            }
        }
        assert_eq!(checks!("x"), format!("x: {COUNT} checks, 0 failed"));
    }

    #[test]
    fn every_program_a_test_boots_exists() {
        let programs: Vec<String> = crate::build::user_programs().unwrap().into_iter().map(|p| p.name).collect();
        for test in all() {
            let run_list = test.cmdline_run.split(' ').next().unwrap_or("");
            for program in run_list.split(',') {
                // The malformed ELF files are made by the build; `no_such_program` is missing on purpose.
                let generated = crate::image::MALFORMED.contains(&program) || program == "no_such_program";
                assert!(programs.iter().any(|p| p == program) || generated, "{}: no program `{program}`", test.name);
            }
        }
    }

    #[test]
    fn kernel_panic_is_forbidden_unless_expected() {
        assert!(ALL[0].forbidden().contains(&KERNEL_PANIC));
        let panics = IntegrationTest {
            exit_status: 3,
            ..IntegrationTest::DEFAULT
        };
        assert!(!panics.forbidden().contains(&KERNEL_PANIC));
        assert_eq!(ALL[0].cmdline(), "mode=test run=hello");
    }
}
