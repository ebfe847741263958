//! The benchmark programs in quick mode (issue 7): `cargo xtask bench --quick`'s Exo boot (the
//! programs of /bench with the argument `--quick`), one repeat per line, checked to print a figure for every line Exo has (no timing assertions).

use super::{IntegrationTest, KERNEL_PANIC, LEAK};
use std::time::Duration;

/// The BENCH names Exo's quick boot prints, in order (`ipcbench`, `bench`, `vmbench`, `procbench`); xtask's
/// bench unit tests check this against the benchmark table, so a new line must be added here.
#[cfg(test)]
pub const QUICK_LINES: &[&str] = &[
    "pipe", "pipe_4k", "shm", "lrpc", "null_call", "null_syscall", "limit_syscall", "limit_exception", "exc_bp", "exc_ud", "exc_pf", "pct",
    "dirty", "prot1", "prot100", "unprot100", "trap", "appel1", "appel2", "first_touch",
    "map_2m_pages", "map_2m_extent_pages", "map_2m_huge", "touch_1g",
    "yield", "pct_async", "getppid", "fork", "spawn", "env_create",
];

/// Lines of the table Exo cannot print yet, each with what it waits for in a comment (none now:
/// `touch_1g` waited for memory budgets). When one lands, move it to [`QUICK_LINES`] and the
/// expectations below.
#[cfg(test)]
pub const WAITING: &[&str] = &[];

/// `BENCH name=<n> median=` for each of [`QUICK_LINES`] (the programs print the number with `{:.1}`).
macro_rules! line {
    ($name:literal) => {
        concat!("BENCH name=", $name, " median=")
    };
}

pub const BENCH: &[IntegrationTest] = &[IntegrationTest {
    name: "bench_quick",
    cmdline_run: "ipcbench,bench,vmbench,procbench -- --quick",
    expect: &[
        line!("pipe"), line!("pipe_4k"), line!("shm"), line!("lrpc"),
        "'ipcbench' exited with code 0",
        line!("null_call"), line!("null_syscall"), line!("limit_syscall"), line!("limit_exception"), line!("exc_bp"), line!("exc_ud"), line!("exc_pf"), line!("pct"),
        "BENCH done",
        "'bench' exited with code 0",
        line!("dirty"), line!("prot1"), line!("prot100"), line!("unprot100"), line!("trap"), line!("appel1"),
        line!("appel2"), line!("first_touch"),
        line!("map_2m_pages"), line!("map_2m_extent_pages"), line!("map_2m_huge"),
        line!("touch_1g"),
        "BENCH vmbench done",
        "'vmbench' exited with code 0",
        line!("yield"), line!("pct_async"), line!("getppid"), line!("fork"), line!("spawn"), line!("env_create"),
        "BENCH procbench done",
        "'procbench' exited with code 0",
    ],
    forbid: &["failed", "unhandled", "exited with code 1", "median=NaN", "median=inf", KERNEL_PANIC, LEAK],
    timeout: Duration::from_secs(90),
    // As `cargo xtask bench` boots (`bench::BENCH_MEM`).
    mem_mib: Some(2048),
    ..IntegrationTest::DEFAULT
}];
