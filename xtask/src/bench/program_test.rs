//! The host test of the Linux benchmark program (`bench/linux`, `linuxbench`): `cargo test`
//! builds it exactly as `cargo xtask bench` does (statically linked, which is checked) and runs
//! it natively in quick mode; every BENCH name the Linux side prints must come with a finite
//! median. No figure is judged, only that each line is there.
use super::*;

/// The BENCH names the Linux program prints (common to both sides unless Exo lacks the
/// primitive); `pct` and `pct_async` use Linux's `pipe` figure.
const LINUX_NAMES: &[&str] = &[
    "null_call", "null_syscall", "getppid", "exc_bp", "exc_ud", "exc_pf", "prot1", "prot100", "unprot100", "trap",
    "appel1", "appel2", "pipe", "pipe_4k", "shm", "yield", "spawn", "fork", "first_touch", "map_2m_pages", "map_2m_huge",
    "touch_1g",
];

#[test]
fn every_linux_table_name_is_printed_by_the_program() {
    for line in LINES {
        if let Some(linux) = line.linux {
            assert!(LINUX_NAMES.contains(&linux), "line `{}` uses Linux's `{linux}`, which the program does not print", line.label);
        }
    }
}

#[test]
fn linux_program_builds_static_and_prints_every_line_natively() {
    install::ensure_installed(&GCC_TOOLS).unwrap_or_else(|e| panic!("{e}"));
    let program = build_linux_program(&workspace_root().join("target/linux")).unwrap_or_else(|e| panic!("{e}"));
    let (output, samples, _tsc_hz) = run_native(&program, true).unwrap_or_else(|e| panic!("{e}"));
    assert!(parse_info(&output, "kernel").is_some(), "no BENCHINFO kernel= line:\n{output}");
    for name in LINUX_NAMES {
        let sample = samples.get(*name).unwrap_or_else(|| panic!("no `BENCH name={name}` line:\n{output}"));
        assert!(sample.median.is_finite() && sample.median > 0.0, "{name}: median {}", sample.median);
        assert!(sample.iters > 0, "{name}: iters 0");
    }
    let extra: Vec<&String> = samples.keys().filter(|name| !LINUX_NAMES.contains(&name.as_str())).collect();
    assert!(extra.is_empty(), "names the list lacks: {extra:?}");
}

#[test]
fn static_and_dynamic_executables_are_told_apart() {
    let this_test = std::fs::read("/proc/self/exe").expect("the test binary");
    let interpreter = elf_interpreter(&this_test).expect("an ELF file");
    assert!(interpreter.is_some_and(|path| path.contains("ld-linux")), "the test binary is dynamically linked");
    assert!(elf_interpreter(b"#!/bin/sh\n").is_err());
    assert!(elf_interpreter(b"\x7fELF\x02\x01\x01").is_err());
}
