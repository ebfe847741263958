//! The table of integration tests: one QEMU boot each, judged by serial.
//!
//! A test boots the kernel with `mode=test run=<cmdline_run>`; the kernel exits QEMU when every
//! program has finished. It passes when the QEMU exit status is `exit_status` (1 = the kernel's
//! clean finish, 3 = kernel panic), every `expect` string appears in the serial output in order,
//! and no `forbid` string appears. `KERNEL PANIC` is always forbidden unless the test expects a
//! panic. To add a test, append an entry; start from [`IntegrationTest::DEFAULT`].

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
}

/// The line the kernel prints when it panics.
pub const KERNEL_PANIC: &str = "KERNEL PANIC";

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
    };

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

/// Every integration test, in the order they are started.
pub const ALL: &[IntegrationTest] = &[
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
];

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn table_entries_are_complete_and_uniquely_named() {
        for (index, test) in ALL.iter().enumerate() {
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
                ALL[..index].iter().all(|other| other.name != test.name),
                "{} twice",
                test.name
            );
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
