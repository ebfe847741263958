//! The kernel's statistics window and the programs that read it (issue 6 item 4, issue 5's
//! process table): `env_set_name` refused on bad input, counters that move, `ps`, `free`,
//! `uptime` and `exostat` printing the system's state.

use super::{checks, IntegrationTest};

pub const STATS: &[IntegrationTest] = &[
    IntegrationTest {
        name: "names_and_counters",
        cmdline_run: "bad_names,hello",
        expect: &["'kid' killed: destroyed through a capability", checks!("bad_names"), "hello from ring 3"],
        forbid: &["FAIL", "panicked"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        // The kernel publishes the command line after `--` untouched, for the boot programs.
        name: "boot_arguments",
        cmdline_run: "echoargs -- echo 'a  b' | wc -c -- x",
        expect: &["echoargs: boot args = [echo 'a  b' | wc -c -- x]", "'echoargs' exited with code 0"],
        forbid: &["FAIL", "panicked", "killed"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "ps_free_uptime_exostat",
        cmdline_run: "ps,free,uptime,exostat",
        expect: &[
            "   PID   PPID S PAGES      TIME NAME",
            " 0 R ",
            " ps",
            "'ps' exited with code 0",
            "              total       used       free    by envs",
            "   pages      65407 ",
            "'free' exited with code 0",
            "up 0:00:00.",
            "1 environments, 1 runnable",
            "'uptime' exited with code 0",
            "system calls:",
            "sys_console_write",
            "mechanisms:",
            "  timer ticks",
            "  environments created",
            "environments:",
            " exostat",
            "'exostat' exited with code 0",
        ],
        forbid: &["FAIL", "panicked", "killed"],
        // The exact page total `free` prints depends on the RAM: this test pins it.
        mem_mib: Some(256),
        ..IntegrationTest::DEFAULT
    },
];
