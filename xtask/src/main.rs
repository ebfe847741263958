//! `cargo xtask`, Exo's host tool: argument parsing and dispatch.
//!
//! Every subcommand is a variant of [`Command`]; the variant's doc comment is its help text, and the
//! usage text is assembled from those docs, so the two cannot drift apart. Parsing is hand-written
//! (xtask uses only std). A bad command line prints a precise message plus the usage text and exits
//! with status 2; it never panics. Each subcommand lives in its own file:
//! `build.rs` (cargo builds, artifact paths), `image.rs` (boot archive and malformed ELF files),
//! `qemu.rs` (QEMU command line, accelerator choice, tool installation), `iso.rs` (GRUB ISO),
//! `test.rs` (the test runner), `tests.rs` (the integration-test table), `bench.rs` (benchmarks
//! against Linux), `pty.rs` (a pseudo-terminal driver for interactive tests; the only unsafe code,
//! calls into libc) and `gdb.rs`.
#![deny(unsafe_code)]

mod abi;
mod bench;
mod bootfs;
mod build;
mod gdb;
mod image;
mod install;
mod iso;
mod oneshot;
mod pty;
mod qemu;
mod test;
mod tests;

use qemu::AccelRequest;
use std::process::ExitCode;

/// Declares [`Command`] and [`HELP`], the help text of each variant taken from its doc comment.
macro_rules! subcommands {
    ($( $(#[doc = $doc:literal])+ $variant:ident $({ $($field:ident: $ty:ty),+ $(,)? })? ),+ $(,)?) => {
        /// A parsed `cargo xtask` command line. Each variant's doc comment is its help text: the first
        /// line is the synopsis, the rest the description.
        #[derive(Debug, PartialEq)]
        enum Command {
            $( $(#[doc = $doc])+ $variant $({ $($field: $ty),+ })? ),+
        }

        /// The help text of every subcommand, in declaration order.
        const HELP: &[&str] = &[ $( concat!($($doc, "\n"),+) ),+ ];
    };
}

subcommands! {
    /// build
    ///   Build the kernel and the user programs (always release) and write the boot archive
    ///   target/exo/initrd.cpio. Prints the artifact paths.
    Build,
    /// run [--accel tcg|kvm|auto] [--cmdline "..."] [-- COMMAND LINE]
    ///   Build, then boot in QEMU with the serial console on this terminal (Ctrl-A X quits).
    ///   The default kernel command line is "mode=run run=sh" (the shell). Prints the wall time from QEMU start to
    ///   the first user instruction.
    ///   With `-- COMMAND LINE`: boot the shell, run that one command line non-interactively,
    ///   print its output and exit with its status (e.g. cargo xtask run -- 'ls /bin | wc -l').
    Run { accel: AccelRequest, cmdline: Option<String>, command: Option<String> },
    /// test [FILTER] [--accel tcg|kvm|auto] [--jobs N]
    ///   Run the host unit tests (cargo test), then build and boot one QEMU per integration test
    ///   whose name contains FILTER, N at a time (default 2). Ends with "N passed, N failed".
    Test { filter: Option<String>, accel: AccelRequest, jobs: usize },
    /// bench [--accel tcg|kvm|auto] [--repeats N] [--icount] [--quick] [FILTER]
    ///   Build, then boot Exo (user/src/benches/) and a Linux guest (Debian's kernel, fetched
    ///   once into target/linux) running bench/linux (linuxbench) under the same QEMU machine,
    ///   N times (default 3) in time mode and under -icount, and run the Linux program natively.
    ///   Prints the side-by-side table; writes docs/BENCHMARKS.md and target/exo/bench.json.
    ///   --icount: only the instruction-count boots (-icount, which needs TCG: implies --accel tcg).
    ///   --quick: one boot per side and mode, one repeat per line (the programs' quick mode), to
    ///   check that every line runs (under 2 minutes). FILTER keeps the lines whose name or label
    ///   contains it. A full run also builds a kernel and ExOS with stage stamps and breaks the
    ///   hot paths into stages (entry, check, work, exit); FILTER `stages` runs only that.
    Bench { accel: AccelRequest, repeats: usize, quick: bool, icount: bool, filter: Option<String> },
    /// gdb [--accel tcg|kvm|auto] [--cmdline "..."]
    ///   Build, start QEMU halted with a gdb stub on localhost:1234, write target/exo/gdbinit and
    ///   start gdb on it (breakpoint on kmain).
    Gdb { accel: AccelRequest, cmdline: Option<String> },
    /// iso [--cmdline "..."]
    ///   Build, then make the GRUB (multiboot2) image target/exo/exo.iso. The default kernel
    ///   command line is "mode=run run=sh".
    Iso { cmdline: Option<String> },
    /// abi [--check]
    ///   Regenerate what the system-call table (abi/src/calls.rs) defines: the Sysnum enum, ExOS's
    ///   stubs, the kernel's dispatch table, docs/ABI.md's reference. --check: fail naming each stale file.
    Abi { check: bool },
    /// help [COMMAND]
    ///   Print this usage text, or the help of one command. Also: --help, -h.
    Help { command: Option<String> },
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match parse(&args) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("xtask: error: {message}\n\n{}", usage());
            return ExitCode::from(2);
        }
    };
    match dispatch(command) {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one parsed command. `Ok` carries the process exit status; `Err` a message for stderr.
fn dispatch(command: Command) -> Result<u8, String> {
    match command {
        Command::Build => build::build_command(),
        Command::Run { accel, cmdline, command: None } => qemu::run_command(accel, cmdline.as_deref()),
        Command::Run { accel, cmdline, command: Some(line) } => oneshot::run_line(accel, cmdline.as_deref(), &line),
        Command::Test {
            filter,
            accel,
            jobs,
        } => test::test_command(filter.as_deref(), accel, jobs),
        Command::Bench { accel, repeats, quick, icount, filter } => {
            bench::bench_command(accel, repeats, quick, icount, filter.as_deref())
        }
        Command::Gdb { accel, cmdline } => gdb::gdb_command(accel, cmdline.as_deref()),
        Command::Iso { cmdline } => iso::iso_command(cmdline.as_deref()),
        Command::Abi { check } => abi::abi_command(check),
        Command::Help { command: None } => {
            println!("{}", usage());
            Ok(0)
        }
        Command::Help {
            command: Some(name),
        } => {
            println!(
                "{}",
                command_help(&name).ok_or(format!("no such command `{name}`"))?
            );
            Ok(0)
        }
    }
}

/// The full usage text: every command's help, from the [`Command`] doc comments.
fn usage() -> String {
    let mut text = String::from("usage: cargo xtask <command> [options]\n\ncommands:\n");
    for help in HELP {
        text.push_str(&indent(help));
    }
    text.pop();
    text
}

/// The help text of the command called `name`, if there is one.
fn command_help(name: &str) -> Option<String> {
    let help = HELP
        .iter()
        .find(|help| help.split_whitespace().next() == Some(name))?;
    Some(format!("usage: cargo xtask {}", indent(help).trim()))
}

/// Indents doc-comment text (whose lines start with one space) by two spaces.
fn indent(doc: &str) -> String {
    doc.lines()
        .map(|line| format!("  {}\n", line.strip_prefix(' ').unwrap_or(line)))
        .collect()
}

/// Parses the arguments after `cargo xtask`. An empty list means `help`.
fn parse(args: &[String]) -> Result<Command, String> {
    let Some((name, rest)) = args.split_first() else {
        return Ok(Command::Help { command: None });
    };
    if matches!(name.as_str(), "help" | "--help" | "-h") {
        return parse_help(rest);
    }
    let allowed: &[&str] = match name.as_str() {
        "build" => &[],
        "run" | "gdb" => &["--accel", "--cmdline"],
        "test" => &["--accel", "--jobs"],
        "bench" => &["--accel", "--repeats", "--icount", "--quick"],
        "iso" => &["--cmdline"],
        "abi" => &["--check"],
        _ => return Err(format!("unknown command `{name}`")),
    };
    let flags = Flags::parse(name, rest, allowed)?;
    if flags.help {
        return Ok(Command::Help {
            command: Some(name.clone()),
        });
    }
    flags.into_command(name)
}

/// Parses `help [COMMAND]`.
fn parse_help(rest: &[String]) -> Result<Command, String> {
    match rest {
        [] => Ok(Command::Help { command: None }),
        [name] if command_help(name).is_some() => Ok(Command::Help {
            command: Some(name.clone()),
        }),
        [name] => Err(format!("no such command `{name}`")),
        [_, extra, ..] => Err(format!(
            "`help` takes at most one command name; unexpected `{extra}`"
        )),
    }
}

/// The options of one subcommand, before they are checked against what it takes.
#[derive(Debug, Default)]
struct Flags {
    accel: Option<AccelRequest>,
    cmdline: Option<String>,
    jobs: Option<usize>,
    repeats: Option<usize>,
    /// `--quick` (a switch: no value).
    quick: bool,
    /// `--icount` (a switch: no value).
    icount: bool,
    /// `--check` (a switch: no value).
    check: bool,
    /// The words after a `--` (only `run` takes them).
    rest: Option<Vec<String>>,
    positional: Vec<String>,
    help: bool,
}

impl Flags {
    /// Parses `args` for command `name`, which accepts only the flags in `allowed`.
    /// A flag's value may follow as the next argument or after `=`.
    fn parse(name: &str, args: &[String], allowed: &[&str]) -> Result<Flags, String> {
        let mut flags = Flags::default();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            if arg == "--help" || arg == "-h" {
                flags.help = true;
                continue;
            }
            if arg == "--" && name == "run" {
                flags.rest = Some(args.by_ref().cloned().collect());
                continue;
            }
            if SWITCHES.contains(&arg.as_str()) && allowed.contains(&arg.as_str()) {
                flags.switch(arg);
                continue;
            }
            if !arg.starts_with('-') || arg == "-" {
                flags.positional.push(arg.clone());
                continue;
            }
            let (flag, inline_value) = match arg.split_once('=') {
                Some((flag, value)) => (flag, Some(value.to_string())),
                None => (arg.as_str(), None),
            };
            if !allowed.contains(&flag) {
                return Err(unknown_flag(name, flag, allowed));
            }
            if SWITCHES.contains(&flag) {
                return Err(format!("`{flag}` takes no value, but got `{arg}`"));
            }
            let value = match inline_value {
                Some(value) => value,
                None => args
                    .next()
                    .cloned()
                    .ok_or(format!("`{flag}` needs a value"))?,
            };
            flags.set(flag, value)?;
        }
        Ok(flags)
    }

    /// Sets one allowed switch (a flag in [`SWITCHES`]).
    fn switch(&mut self, flag: &str) {
        match flag {
            "--quick" => self.quick = true,
            "--icount" => self.icount = true,
            "--check" => self.check = true,
            _ => unreachable!("switch {flag} is in SWITCHES but has no field"),
        }
    }

    /// Stores the value of one allowed flag, checking it.
    fn set(&mut self, flag: &str, value: String) -> Result<(), String> {
        match flag {
            "--accel" => self.accel = Some(parse_accel(&value)?),
            "--cmdline" => self.cmdline = Some(value),
            "--jobs" => self.jobs = Some(parse_count("--jobs", &value)?),
            "--repeats" => self.repeats = Some(parse_count("--repeats", &value)?),
            _ => unreachable!("flag {flag} is in an allowed list but has no parser"),
        }
        Ok(())
    }

    /// Builds the command, checking the positional arguments.
    fn into_command(self, name: &str) -> Result<Command, String> {
        let max_positional = if name == "test" || name == "bench" { 1 } else { 0 };
        if let Some(extra) = self.positional.get(max_positional) {
            return Err(format!("`{name}` does not take the argument `{extra}`"));
        }
        let accel = self.accel.unwrap_or(AccelRequest::Auto);
        if self.icount && accel == AccelRequest::Kvm {
            return Err("`--icount` counts guest instructions, which only TCG can do; it cannot be combined with `--accel kvm`".into());
        }
        Ok(match name {
            "build" => Command::Build,
            "abi" => Command::Abi { check: self.check },
            "run" => Command::Run {
                accel,
                command: match self.rest {
                    Some(words) if words.iter().all(|w| w.trim().is_empty()) => {
                        return Err("`run --` needs a command line after `--`".into())
                    }
                    Some(words) => Some(words.join(" ")),
                    None => None,
                },
                cmdline: self.cmdline,
            },
            "gdb" => Command::Gdb {
                accel,
                cmdline: self.cmdline,
            },
            "iso" => Command::Iso {
                cmdline: self.cmdline,
            },
            "bench" => Command::Bench {
                accel,
                repeats: if self.quick { 1 } else { self.repeats.unwrap_or(3) },
                quick: self.quick,
                icount: self.icount,
                filter: self.positional.into_iter().next(),
            },
            "test" => Command::Test {
                filter: self.positional.into_iter().next(),
                accel,
                jobs: self.jobs.unwrap_or(2),
            },
            _ => unreachable!("command {name} was checked by parse()"),
        })
    }
}

/// The flags that take no value.
const SWITCHES: &[&str] = &["--quick", "--icount", "--check"];

/// The message for a flag that command `name` does not take.
fn unknown_flag(name: &str, flag: &str, allowed: &[&str]) -> String {
    if allowed.is_empty() {
        format!("`{name}` takes no options, but got `{flag}`")
    } else {
        format!(
            "`{name}` has no option `{flag}`; it takes {}",
            allowed.join(", ")
        )
    }
}

fn parse_accel(value: &str) -> Result<AccelRequest, String> {
    match value {
        "tcg" => Ok(AccelRequest::Tcg),
        "kvm" => Ok(AccelRequest::Kvm),
        "auto" => Ok(AccelRequest::Auto),
        _ => Err(format!("`--accel` must be tcg, kvm or auto, not `{value}`")),
    }
}

/// A count option (`--jobs`, `--repeats`): a whole number of at least 1.
fn parse_count(flag: &str, value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(count) if count >= 1 => Ok(count),
        _ => Err(format!(
            "`{flag}` must be a whole number of at least 1, not `{value}`"
        )),
    }
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    fn parse_str(line: &str) -> Result<Command, String> {
        parse(
            &line
                .split_whitespace()
                .map(String::from)
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn no_arguments_and_help_flags_mean_help() {
        for line in ["", "help", "--help", "-h"] {
            assert_eq!(
                parse_str(line),
                Ok(Command::Help { command: None }),
                "{line:?}"
            );
        }
        assert_eq!(
            parse_str("help run"),
            Ok(Command::Help {
                command: Some("run".into())
            })
        );
        assert_eq!(
            parse_str("test --help"),
            Ok(Command::Help {
                command: Some("test".into())
            })
        );
    }

    #[test]
    fn test_takes_filter_accel_and_jobs_in_any_order() {
        let expected = Command::Test {
            filter: Some("elf".into()),
            accel: AccelRequest::Tcg,
            jobs: 4,
        };
        assert_eq!(parse_str("test --jobs 4 elf --accel=tcg"), Ok(expected));
        let defaults = Command::Test {
            filter: None,
            accel: AccelRequest::Auto,
            jobs: 2,
        };
        assert_eq!(parse_str("test"), Ok(defaults));
    }

    #[test]
    fn bench_takes_accel_and_repeats() {
        assert_eq!(
            parse_str("bench --repeats 5 --accel tcg"),
            Ok(Command::Bench {
                accel: AccelRequest::Tcg,
                repeats: 5,
                quick: false,
                icount: false,
                filter: None
            })
        );
        assert_eq!(
            parse_str("bench"),
            Ok(Command::Bench {
                accel: AccelRequest::Auto,
                repeats: 3,
                quick: false,
                icount: false,
                filter: None
            })
        );
        assert_eq!(
            parse_str("bench --quick pipe"),
            Ok(Command::Bench {
                accel: AccelRequest::Auto,
                repeats: 1,
                quick: true,
                icount: false,
                filter: Some("pipe".into())
            })
        );
        assert_eq!(
            parse_str("bench --icount --quick null"),
            Ok(Command::Bench {
                accel: AccelRequest::Auto,
                repeats: 1,
                quick: true,
                icount: true,
                filter: Some("null".into())
            })
        );
        assert_eq!(
            parse_str("bench --icount=yes"),
            Err("`--icount` takes no value, but got `--icount=yes`".into())
        );
        assert_eq!(
            parse_str("bench --quick=1"),
            Err("`--quick` takes no value, but got `--quick=1`".into())
        );
        assert_eq!(
            parse_str("bench --icount --accel kvm"),
            Err("`--icount` counts guest instructions, which only TCG can do; it cannot be combined with `--accel kvm`".into())
        );
        assert_eq!(
            parse_str("test --icount"),
            Err("`test` has no option `--icount`; it takes --accel, --jobs".into())
        );
        assert_eq!(
            parse_str("bench --repeats 0"),
            Err("`--repeats` must be a whole number of at least 1, not `0`".into())
        );
        assert_eq!(
            parse_str("bench --jobs 2"),
            Err("`bench` has no option `--jobs`; it takes --accel, --repeats, --icount, --quick".into())
        );
    }

    #[test]
    fn cmdline_keeps_spaces_when_given_as_one_argument() {
        let args = ["run", "--cmdline", "mode=run log=debug"].map(String::from);
        let expected = Command::Run {
            accel: AccelRequest::Auto,
            cmdline: Some("mode=run log=debug".into()),
            command: None,
        };
        assert_eq!(parse(&args), Ok(expected));
    }

    #[test]
    fn run_takes_one_command_line_after_double_dash() {
        let args = ["run", "--accel", "tcg", "--", "echo hello | wc -c", "--help"].map(String::from);
        let expected = Command::Run {
            accel: AccelRequest::Tcg,
            cmdline: None,
            command: Some("echo hello | wc -c --help".into()),
        };
        assert_eq!(parse(&args), Ok(expected));
        assert_eq!(parse_str("run --"), Err("`run --` needs a command line after `--`".into()));
        assert_eq!(parse_str("test -- x"), Err("`test` has no option `--`; it takes --accel, --jobs".into()));
    }

    #[test]
    fn bad_command_lines_give_precise_errors() {
        let cases = [
            ("frobnicate", "unknown command `frobnicate`"),
            (
                "build --accel tcg",
                "`build` takes no options, but got `--accel`",
            ),
            (
                "iso --jobs 3",
                "`iso` has no option `--jobs`; it takes --cmdline",
            ),
            ("run --accel", "`--accel` needs a value"),
            (
                "run --accel xen",
                "`--accel` must be tcg, kvm or auto, not `xen`",
            ),
            (
                "test --jobs 0",
                "`--jobs` must be a whole number of at least 1, not `0`",
            ),
            ("test a b", "`test` does not take the argument `b`"),
            ("run extra", "`run` does not take the argument `extra`"),
            ("help nope", "no such command `nope`"),
        ];
        for (line, message) in cases {
            assert_eq!(parse_str(line), Err(message.to_string()), "{line}");
        }
    }

    #[test]
    fn usage_lists_every_command_from_its_doc_comment() {
        let text = usage();
        for name in ["build", "run", "test", "bench", "gdb", "iso", "help"] {
            assert!(
                text.contains(&format!("\n  {name}")),
                "{name} missing from:\n{text}"
            );
            assert!(command_help(name).is_some(), "{name}");
        }
        assert!(
            command_help("test")
                .unwrap()
                .starts_with("usage: cargo xtask test [FILTER]")
        );
    }
}
