//! `cargo xtask`, Exo's host tool: the command line and dispatch.
//!
//! The command line is parsed by `clap` (derive): every subcommand is a variant of [`Command`] and
//! its doc comment is its `--help` text, so `cargo xtask help`, `cargo xtask help COMMAND` and
//! `cargo xtask COMMAND --help` cannot drift from the parser. A bad command line prints a precise
//! message and exits with status 2; it never panics. Each subcommand lives in its own file:
//! `build.rs` (cargo builds, artifact paths), `image.rs` (boot archive and malformed ELF files),
//! `qemu.rs` (QEMU command line, accelerator choice, tool installation), `disk.rs` (the disk
//! image `run` attaches, formatted on the host), `iso.rs` (GRUB ISO),
//! `test.rs` (the test runner), `tests.rs` (the integration-test table), `bench/` (benchmarks
//! against Linux), `abi.rs` (code and docs generated from the system-call table), `lint.rs`
//! (clippy over every crate), `pty.rs` (a pseudo-terminal driver for
//! interactive tests; the only unsafe code, calls into libc) and `gdb.rs`.
#![deny(unsafe_code)]

mod abi;
mod bench;
mod bootfs;
mod build;
mod disk;
mod gdb;
mod image;
mod install;
mod iso;
mod lint;
mod oneshot;
mod pty;
mod qemu;
mod test;
mod tests;

use clap::{CommandFactory, Parser, Subcommand};
use qemu::{AccelRequest, MemSize};
use std::process::ExitCode;

/// Exo's host tool: build, boot, test and measure the exokernel.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

/// A parsed `cargo xtask` command line. Each variant's doc comment is its help text.
#[derive(Debug, PartialEq, Subcommand)]
enum Command {
    /// Build the kernel and the user programs and write the boot archive.
    ///
    /// Always release builds; the archive is target/exo/initrd.cpio. Prints the artifact paths.
    Build,
    /// Build, then boot in QEMU with the serial console on this terminal (Ctrl-A X quits).
    ///
    /// The default kernel command line is "mode=run run=sh" (the shell). Prints the wall time from
    /// QEMU start to the first user instruction. With `-- COMMAND LINE`: boot the shell, run that one
    /// command line non-interactively, print its output and exit with its status
    /// (e.g. cargo xtask run -- 'ls /bin | wc -l'). A disk image (target/exo/disk.img unless
    /// `--disk` names another) is attached as a virtio-blk device; it is made and formatted on
    /// first use and reused afterwards.
    Run {
        #[command(flatten)]
        accel: AccelArg,
        #[command(flatten)]
        disk: disk::DiskArgs,
        /// The guest's RAM: a whole number with M or G (e.g. 512M, 4G).
        #[arg(long, value_name = "SIZE", value_parser = MemSize::parse, default_value = "1G")]
        mem: MemSize,
        /// Kernel command line options, added to the defaults (e.g. "log=debug").
        #[arg(long)]
        cmdline: Option<String>,
        /// The guest's network: `user` (default: a virtio-net NIC on QEMU's user-mode network,
        /// guest 10.0.2.15 by DHCP, gateway 10.0.2.2) or `none` (no NIC).
        #[arg(long, value_name = "user|none", value_parser = parse_net, default_value = "user")]
        net: NetMode,
        /// Forward a host port (on 127.0.0.1) into the guest: tcp:HOSTPORT:GUESTPORT or
        /// udp:HOSTPORT:GUESTPORT (repeatable).
        #[arg(long = "forward", value_name = "PROTO:HOSTPORT:GUESTPORT", value_parser = qemu::Forward::parse)]
        forwards: Vec<qemu::Forward>,
        /// The shell command line to run non-interactively.
        #[arg(last = true, value_name = "COMMAND LINE")]
        command: Vec<String>,
    },
    /// Run the host unit tests (cargo test), then build and boot one QEMU per integration test.
    ///
    /// Only the tests whose name contains FILTER run. Ends with "N passed, N failed".
    Test {
        /// Keep the tests whose name contains this.
        filter: Option<String>,
        #[command(flatten)]
        accel: AccelArg,
        /// How many QEMUs run at once.
        #[arg(long, default_value_t = 2, value_parser = at_least_one)]
        jobs: usize,
    },
    /// Benchmarks: Exo against a Linux guest on the same QEMU machine, and Linux natively.
    ///
    /// Builds, then boots Exo (user/benches/) and a Linux guest (Debian's kernel, fetched once
    /// into target/linux) running bench/linux (linuxbench) N times in time mode and under -icount.
    /// Prints the side-by-side table; writes docs/BENCHMARKS.md and target/bench/results.json. A full
    /// run also builds a kernel and ExOS with stage stamps and breaks the hot paths into stages
    /// (entry, check, work, exit); FILTER `stages` runs only that. FILTER `net` runs only the
    /// network round trips (a host wire program on a datagram netdev; at least 5 boots per side).
    Bench {
        #[command(flatten)]
        accel: AccelArg,
        /// Boots per side and mode.
        #[arg(long, default_value_t = 3, value_parser = at_least_one)]
        repeats: usize,
        /// Only the instruction-count boots (-icount, which needs TCG: implies --accel tcg).
        #[arg(long)]
        icount: bool,
        /// One boot per side and mode, one repeat per line (the programs' quick mode), to check that
        /// every line runs; writes only under target/bench/.
        #[arg(long)]
        quick: bool,
        /// Keep the lines whose name or label contains this.
        filter: Option<String>,
    },
    /// Regenerate what the system-call table (abi/src/calls.rs) defines.
    ///
    /// The `Sysnum` enum (abi/src/sysnum.rs), ExOS's raw stubs, the kernel's dispatch table
    /// (kernel/src/syscall/table.rs) and docs/ABI.md's system-call reference.
    Abi {
        /// Write nothing; fail, naming each file that is stale.
        #[arg(long)]
        check: bool,
    },
    /// Run clippy with `-D warnings` over every crate.
    ///
    /// The host crates with their tests, the kernel and the user programs (with ExOS) with their own
    /// targets and flags, each also with the `stages` feature. The workspace lints deny undocumented
    /// unsafe blocks.
    Lint,
    /// Build, start QEMU halted with a gdb stub and start gdb on it.
    ///
    /// The stub listens on localhost:1234; target/exo/gdbinit sets a breakpoint on kmain.
    Gdb {
        #[command(flatten)]
        accel: AccelArg,
        /// The guest's RAM: a whole number with M or G (e.g. 512M, 4G).
        #[arg(long, value_name = "SIZE", value_parser = MemSize::parse, default_value = "1G")]
        mem: MemSize,
        /// Kernel command line options, added to the defaults.
        #[arg(long)]
        cmdline: Option<String>,
    },
    /// Build, then make the GRUB (multiboot2) image target/exo/exo.iso.
    ///
    /// The default kernel command line is "mode=run run=sh".
    Iso {
        /// Kernel command line options, added to the defaults.
        #[arg(long)]
        cmdline: Option<String>,
    },
}

/// `--accel`, shared by every command that boots QEMU.
#[derive(Debug, PartialEq, clap::Args)]
struct AccelArg {
    /// The accelerator: KVM when it can run a guest (auto), or force one.
    #[arg(long = "accel", value_name = "ACCEL", value_enum, default_value_t = AccelRequest::Auto)]
    request: AccelRequest,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some(command) = cli.command else {
        // `cargo xtask` alone: the usage text, as `cargo xtask help` prints it.
        let _ = Cli::command().print_help();
        return ExitCode::SUCCESS;
    };
    if let Err(message) = check(&command) {
        Cli::command().error(clap::error::ErrorKind::ArgumentConflict, message).exit();
    }
    match dispatch(command) {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The checks across options that clap's attributes cannot say.
fn check(command: &Command) -> Result<(), String> {
    match command {
        Command::Bench { accel, icount: true, .. } if accel.request == AccelRequest::Kvm => Err(
            "`--icount` counts guest instructions, which only TCG can do; it cannot be combined with `--accel kvm`"
                .into(),
        ),
        Command::Run { net: NetMode::None, forwards, .. } if !forwards.is_empty() => {
            Err("`--forward` needs a NIC: it cannot be combined with `--net none`".into())
        }
        Command::Run { command, .. } if !command.is_empty() && command.iter().all(|w| w.trim().is_empty()) => {
            Err("`run --` needs a command line after `--`".into())
        }
        _ => Ok(()),
    }
}

/// Runs one parsed command. `Ok` carries the process exit status; `Err` a message for stderr.
fn dispatch(command: Command) -> Result<u8, String> {
    match command {
        Command::Build => build::build_command(),
        Command::Run { accel, disk, mem, cmdline, net, forwards, command } => {
            let nic = (net == NetMode::User).then_some(qemu::Nic { forwards });
            let drive = disk::qemu_args(&disk::prepare(&disk)?);
            if command.is_empty() {
                qemu::run_command(accel.request, mem, cmdline.as_deref(), nic.as_ref(), &drive)
            } else {
                oneshot::run_line(accel.request, mem, cmdline.as_deref(), &command.join(" "), nic.as_ref(), &drive)
            }
        }
        Command::Test { filter, accel, jobs } => test::test_command(filter.as_deref(), accel.request, jobs),
        Command::Bench { accel, repeats, quick, icount, filter } => {
            let repeats = if quick { 1 } else { repeats };
            bench::bench_command(accel.request, repeats, quick, icount, filter.as_deref())
        }
        Command::Abi { check } => abi::abi_command(check),
        Command::Lint => lint::lint_command(),
        Command::Gdb { accel, mem, cmdline } => gdb::gdb_command(accel.request, mem, cmdline.as_deref()),
        Command::Iso { cmdline } => iso::iso_command(cmdline.as_deref()),
    }
}

/// `--net`: the guest's network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NetMode {
    /// A virtio-net NIC on QEMU's user-mode network.
    User,
    /// No NIC.
    None,
}

fn parse_net(value: &str) -> Result<NetMode, String> {
    match value {
        "user" => Ok(NetMode::User),
        "none" => Ok(NetMode::None),
        _ => Err(format!("must be `user` or `none`, not `{value}`")),
    }
}

/// A count option (`--jobs`, `--repeats`): a whole number of at least 1.
fn at_least_one(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(count) if count >= 1 => Ok(count),
        _ => Err(format!("must be a whole number of at least 1, not `{value}`")),
    }
}

#[cfg(test)]
mod unit_tests {
    use super::*;
    use qemu::DEFAULT_MEM;

    /// Parses `cargo xtask ARGS`; `Err` carries clap's rendered message.
    fn parse(args: &[&str]) -> Result<Option<Command>, String> {
        let argv = std::iter::once("cargo xtask").chain(args.iter().copied());
        let cli = Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
        if let Some(command) = &cli.command {
            check(command)?;
        }
        Ok(cli.command)
    }

    fn parse_str(line: &str) -> Result<Option<Command>, String> {
        parse(&line.split_whitespace().collect::<Vec<_>>())
    }

    fn accel(request: AccelRequest) -> AccelArg {
        AccelArg { request }
    }

    #[test]
    fn the_clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn no_arguments_means_usage() {
        assert_eq!(parse_str(""), Ok(None));
    }

    #[test]
    fn help_lists_every_command_from_its_doc_comment() {
        let text = Cli::command().render_long_help().to_string();
        for name in ["build", "run", "test", "bench", "abi", "lint", "gdb", "iso", "help"] {
            assert!(text.contains(&format!("  {name}")), "{name} missing from:\n{text}");
        }
        for (line, expected) in [("help test", "Usage: cargo xtask test"), ("bench --help", "--icount")] {
            let error = parse_str(line).expect_err("help is an early exit");
            assert!(error.contains(expected), "{line}: {error}");
        }
    }

    #[test]
    fn test_takes_filter_accel_and_jobs_in_any_order() {
        let expected = Command::Test { filter: Some("elf".into()), accel: accel(AccelRequest::Tcg), jobs: 4 };
        assert_eq!(parse_str("test --jobs 4 elf --accel=tcg"), Ok(Some(expected)));
        let defaults = Command::Test { filter: None, accel: accel(AccelRequest::Auto), jobs: 2 };
        assert_eq!(parse_str("test"), Ok(Some(defaults)));
    }

    #[test]
    fn bench_takes_accel_repeats_and_switches() {
        let bench = |request, repeats, quick, icount, filter: Option<&str>| {
            Ok(Some(Command::Bench { accel: accel(request), repeats, quick, icount, filter: filter.map(String::from) }))
        };
        assert_eq!(parse_str("bench --repeats 5 --accel tcg"), bench(AccelRequest::Tcg, 5, false, false, None));
        assert_eq!(parse_str("bench"), bench(AccelRequest::Auto, 3, false, false, None));
        assert_eq!(parse_str("bench --quick pipe"), bench(AccelRequest::Auto, 3, true, false, Some("pipe")));
        assert_eq!(parse_str("bench --icount --quick null"), bench(AccelRequest::Auto, 3, true, true, Some("null")));
    }

    #[test]
    fn abi_takes_check() {
        assert_eq!(parse_str("abi"), Ok(Some(Command::Abi { check: false })));
        assert_eq!(parse_str("abi --check"), Ok(Some(Command::Abi { check: true })));
    }

    #[test]
    fn run_takes_one_command_line_after_double_dash() {
        let args = ["run", "--accel", "tcg", "--", "echo hello | wc -c", "--help"];
        let expected =
            Command::Run { accel: accel(AccelRequest::Tcg), disk: disk::DiskArgs::default(), mem: DEFAULT_MEM, cmdline: None, net: NetMode::User, forwards: vec![], command: vec!["echo hello | wc -c".into(), "--help".into()] };
        assert_eq!(parse(&args), Ok(Some(expected)));
        let args = ["run", "--cmdline", "mode=run log=debug"];
        let expected = Command::Run { accel: accel(AccelRequest::Auto), disk: disk::DiskArgs::default(), mem: DEFAULT_MEM, cmdline: Some("mode=run log=debug".into()), net: NetMode::User, forwards: vec![], command: vec![] };
        assert_eq!(parse(&args), Ok(Some(expected)));
        assert_eq!(parse(&["run", "--", " "]), Err("`run --` needs a command line after `--`".into()));
    }

    #[test]
    fn run_takes_the_disk_options() {
        let expected = Command::Run {
            accel: accel(AccelRequest::Auto),
            disk: disk::DiskArgs { path: Some("my.img".into()), fresh: true },
            mem: DEFAULT_MEM,
            cmdline: None,
            net: NetMode::User,
            forwards: vec![],
            command: vec!["cat /home/probe".into()],
        };
        assert_eq!(parse(&["run", "--disk", "my.img", "--fresh-disk", "--", "cat /home/probe"]), Ok(Some(expected)));
        assert!(parse_str("test --fresh-disk").unwrap_err().contains("unexpected argument '--fresh-disk'"));
    }

    #[test]
    fn run_takes_net_and_forwards() {
        let f = |t| qemu::Forward::parse(t).unwrap();
        let expected = Command::Run {
            accel: accel(AccelRequest::Auto),
            disk: disk::DiskArgs::default(),
            mem: DEFAULT_MEM,
            cmdline: None,
            net: NetMode::User,
            forwards: vec![f("tcp:18080:80"), f("udp:18081:7")],
            command: vec!["udpecho 7 & httpd 80".into()],
        };
        assert_eq!(parse(&["run", "--forward", "tcp:18080:80", "--forward", "udp:18081:7", "--", "udpecho 7 & httpd 80"]), Ok(Some(expected)));
        let none = parse(&["run", "--net", "none"]).unwrap().unwrap();
        assert!(matches!(none, Command::Run { net: NetMode::None, .. }));
        assert!(parse(&["run", "--net", "tap"]).is_err());
        assert!(parse(&["run", "--forward", "tcp:1"]).is_err());
        assert_eq!(parse(&["run", "--net", "none", "--forward", "tcp:1:2"]), Err("`--forward` needs a NIC: it cannot be combined with `--net none`".into()));
    }

    #[test]
    fn run_and_gdb_take_the_memory_size() {
        let expected = Command::Run { accel: accel(AccelRequest::Auto), disk: disk::DiskArgs::default(), mem: MemSize(4096), cmdline: None, net: NetMode::User, forwards: vec![], command: vec!["memtouch 2048".into()] };
        assert_eq!(parse(&["run", "--mem", "4G", "--", "memtouch 2048"]), Ok(Some(expected)));
        let expected = Command::Run { accel: accel(AccelRequest::Tcg), disk: disk::DiskArgs::default(), mem: MemSize(512), cmdline: None, net: NetMode::User, forwards: vec![], command: vec![] };
        assert_eq!(parse_str("run --mem=512M --accel tcg"), Ok(Some(expected)));
        let expected = Command::Gdb { accel: accel(AccelRequest::Auto), mem: MemSize(2048), cmdline: None };
        assert_eq!(parse_str("gdb --mem 2g"), Ok(Some(expected)));
        assert_eq!(DEFAULT_MEM, MemSize(1024), "the default is 1 GiB");
    }

    #[test]
    fn bad_command_lines_give_precise_errors() {
        let cases = [
            ("frobnicate", "unrecognized subcommand 'frobnicate'"),
            ("build --accel tcg", "unexpected argument '--accel'"),
            ("iso --jobs 3", "unexpected argument '--jobs'"),
            ("run --accel", "a value is required for '--accel <ACCEL>'"),
            ("run --accel xen", "invalid value 'xen' for '--accel <ACCEL>'"),
            ("test --jobs 0", "must be a whole number of at least 1, not `0`"),
            ("bench --repeats 0", "must be a whole number of at least 1, not `0`"),
            ("test a b", "unexpected argument 'b'"),
            ("run extra", "unexpected argument 'extra'"),
            ("run --mem", "a value is required for '--mem <SIZE>'"),
            ("run --mem 4X", "`4X` is not a memory size"),
            ("run --mem 16M", "16 MiB is outside 64M"),
            ("test --mem 4G", "unexpected argument '--mem'"),
            ("test --icount", "unexpected argument '--icount'"),
            ("bench --icount=yes", "unexpected value 'yes' for '--icount'"),
            ("bench --icount --accel kvm", "only TCG can do"),
        ];
        for (line, message) in cases {
            let error = parse_str(line).expect_err(line);
            assert!(error.contains(message), "{line}: {error}");
        }
    }
}
