//! `cargo xtask lint`: clippy with `-D warnings` over every crate, each built the way it ships.
//!
//! The host crates (abi, kcore, sh, xtask, linuxbench and any other workspace member that is not
//! a no_std binary) are linted with their tests. The kernel and the user programs are no_std
//! binaries with their own codegen flags (`kernel/cargo-kernel.toml`, `user/cargo-user.toml`) and
//! target directories, so they are linted through the same `--config` files as `cargo kbuild` and
//! `cargo ubuild`; linting the user programs also lints ExOS and `cmem`, which they link. Each
//! no_std build is linted once more with the `stages` feature, which compiles the stage stamps.
//! The workspace lints (root Cargo.toml) deny undocumented unsafe blocks and unsafe operations
//! outside an unsafe block.

use crate::build;

/// One clippy run: what it covers, and the arguments after `cargo clippy`.
struct Pass {
    what: &'static str,
    args: &'static [&'static str],
}

/// The no_std crates: built only through their own configs, never as host crates.
const NO_STD: &[&str] = &[
    "--exclude", "kernel", "--exclude", "user", "--exclude", "user-tools", "--exclude", "user-tests",
    "--exclude", "user-benches", "--exclude", "exos", "--exclude", "cmem",
];

const KERNEL: &[&str] = &["-p", "kernel", "--release", "--target-dir", "target/kernel", "--config", "kernel/cargo-kernel.toml"];
/// The user programs' support library and the three program packages (tools, tests, benches).
const USER: &[&str] = &[
    "-p", "user", "-p", "user-tools", "-p", "user-tests", "-p", "user-benches", "--release", "--target-dir", "target/user",
    "--config", "user/cargo-user.toml",
];
/// The benchmark programs with ExOS's stage stamps (only they have the `stages` feature).
const USER_STAGES: &[&str] = &[
    "-p", "user-benches", "--features", "stages", "--release", "--target-dir", "target/user", "--config", "user/cargo-user.toml",
];

/// Every pass, in order.
fn passes() -> Vec<Pass> {
    let host = [&["--workspace"][..], NO_STD, &["--all-targets"]].concat();
    vec![
        Pass { what: "host crates and their tests", args: leak(host) },
        Pass { what: "kernel", args: KERNEL },
        Pass { what: "kernel with stage stamps", args: leak([KERNEL, &["--features", "stages"]].concat()) },
        Pass { what: "user programs, ExOS, cmem", args: USER },
        Pass { what: "benchmark programs and ExOS with stage stamps", args: USER_STAGES },
    ]
}

/// The argument lists live for the whole (short) run of xtask.
fn leak(args: Vec<&'static str>) -> &'static [&'static str] {
    Vec::leak(args)
}

/// The `lint` subcommand: every pass runs (so one report shows every crate's warnings); the
/// status is 1 when any failed.
pub fn lint_command() -> Result<u8, String> {
    let mut failed = Vec::new();
    for pass in passes() {
        println!("xtask: lint: {}", pass.what);
        let args = [&["clippy"][..], pass.args, &["--", "-D", "warnings"]].concat();
        if let Err(message) = build::cargo(&args) {
            eprintln!("xtask: lint: {message}");
            failed.push(pass.what);
        }
    }
    if failed.is_empty() {
        println!("xtask: lint: clean");
        Ok(0)
    } else {
        eprintln!("xtask: lint: warnings or errors in: {}", failed.join("; "));
        Ok(1)
    }
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn every_no_std_crate_is_linted_through_its_own_config() {
        let passes = passes();
        let host = passes[0].args;
        for krate in ["kernel", "user", "user-tools", "user-tests", "user-benches", "exos", "cmem"] {
            assert!(host.windows(2).any(|w| w == ["--exclude", krate]), "{krate} must not be linted as a host crate");
        }
        assert!(passes.iter().any(|p| p.args.contains(&"kernel/cargo-kernel.toml")));
        assert!(passes.iter().any(|p| p.args.contains(&"user/cargo-user.toml")));
    }
}
