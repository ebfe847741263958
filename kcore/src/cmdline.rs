//! The kernel command line: space-separated `key=value` words.
//!
//! Known keys: `mode=run|test`, `run=prog1,prog2,...` (default `init`), `log=error|warn|info|debug|trace`,
//! `user_pages=N` (a budget of pages for all environments, to create memory pressure),
//! and `selftest=panic|page_fault|stack_overflow`, which makes the kernel fail on purpose after boot so
//! the tests can check its panic and double-fault paths.
//! Words are separated by ASCII whitespace; there are no bare flags. Each key may appear once.
//! Anything else is refused with a message naming the word and what is allowed. Parsing borrows
//! from the line and needs no heap.
use core::fmt;

/// What the kernel does when its run list is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    /// Halt and leave the console to the user.
    #[default]
    Run,
    /// Leave QEMU through the debug-exit device (used by `cargo xtask test`).
    Test,
}

/// How much the kernel logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LogLevel {
    /// Only errors.
    Error,
    /// Errors and warnings.
    Warn,
    /// Also boot progress and program starts and exits (the default).
    #[default]
    Info,
    /// Also per-operation detail.
    Debug,
    /// Everything.
    Trace,
}

/// A deliberate kernel failure, to test the kernel's own fault handling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelfTest {
    /// `panic!` in kmain.
    Panic,
    /// A read from an unmapped kernel address.
    PageFault,
    /// Unbounded recursion into the kernel stack's guard page (a double fault on its IST stack).
    StackOverflow,
}

/// The programs to run, in order: the raw comma-separated list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgramList<'a>(&'a str);

impl<'a> ProgramList<'a> {
    /// The program names, skipping empty items.
    pub fn iter(&self) -> impl Iterator<Item = &'a str> {
        self.0.split(',').filter(|s| !s.is_empty())
    }
}

/// A parsed command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cmdline<'a> {
    /// What to do when the run list is done (`mode=`, default `run`).
    pub mode: Mode,
    /// The programs to start, in order (`run=`, default `init`).
    pub run: ProgramList<'a>,
    /// How much to log (`log=`, default `info`).
    pub log: LogLevel,
    /// Everything after a standalone `--` word (leading spaces removed): the boot programs'
    /// arguments, passed through untouched (the kernel publishes them; it does not parse them).
    pub args: Option<&'a str>,
    /// A deliberate kernel failure after boot (`selftest=`, default none).
    pub selftest: Option<SelfTest>,
    /// The most pages all environments together may hold through `page_alloc` (`user_pages=N`);
    /// `None`: as many as are free. Used to create memory pressure.
    pub user_pages: Option<u64>,
}

/// What is wrong with a command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmdlineError<'a> {
    /// A key that is not one of the known keys.
    UnknownKey(&'a str),
    /// A value the key does not accept; `allowed` describes what it does.
    BadValue { key: &'a str, value: &'a str, allowed: &'static str },
    /// A key given twice.
    Duplicate(&'a str),
    /// A word without `=`.
    MissingValue(&'a str),
}

impl fmt::Display for CmdlineError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CmdlineError::UnknownKey(k) => {
                write!(f, "unknown option '{k}' (known: mode, run, log, selftest, user_pages)")
            }
            CmdlineError::BadValue { key, value, allowed } => {
                write!(f, "bad value '{value}' for '{key}' (allowed: {allowed})")
            }
            CmdlineError::Duplicate(k) => write!(f, "option '{k}' given twice"),
            CmdlineError::MissingValue(w) => write!(f, "'{w}' is not of the form key=value"),
        }
    }
}

/// Parses a command line; keys not given keep their defaults.
pub fn parse(line: &str) -> Result<Cmdline<'_>, CmdlineError<'_>> {
    let (options, args) = split_args(line);
    let mut out =
        Cmdline { mode: Mode::Run, run: ProgramList("init"), log: LogLevel::Info, args, selftest: None, user_pages: None };
    let mut seen = [false; 5];
    for word in options.split_ascii_whitespace() {
        let (key, value) = word.split_once('=').ok_or(CmdlineError::MissingValue(word))?;
        let slot = match key {
            "mode" => 0,
            "run" => 1,
            "log" => 2,
            "selftest" => 3,
            "user_pages" => 4,
            _ => return Err(CmdlineError::UnknownKey(key)),
        };
        if core::mem::replace(&mut seen[slot], true) {
            return Err(CmdlineError::Duplicate(key));
        }
        match slot {
            0 => out.mode = parse_mode(value)?,
            1 => out.run = ProgramList(value),
            2 => out.log = parse_log(value)?,
            3 => out.selftest = Some(parse_selftest(value)?),
            _ => {
                let pages =
                    value.parse().map_err(|_| CmdlineError::BadValue { key, value, allowed: "a number of pages" })?;
                out.user_pages = Some(pages);
            }
        }
    }
    Ok(out)
}

/// Splits `line` at its first standalone `--` word: (the options, the arguments after it).
fn split_args(line: &str) -> (&str, Option<&str>) {
    let bytes = line.as_bytes();
    let mut at = 0;
    while let Some(found) = line[at..].find("--") {
        let start = at + found;
        let end = start + 2;
        let before_ok = start == 0 || bytes[start - 1].is_ascii_whitespace();
        let after_ok = end == bytes.len() || bytes[end].is_ascii_whitespace();
        if before_ok && after_ok {
            return (&line[..start], Some(line[end..].trim_start()));
        }
        at = end;
    }
    (line, None)
}

fn parse_mode(value: &str) -> Result<Mode, CmdlineError<'_>> {
    match value {
        "run" => Ok(Mode::Run),
        "test" => Ok(Mode::Test),
        _ => Err(CmdlineError::BadValue { key: "mode", value, allowed: "run, test" }),
    }
}

fn parse_selftest(value: &str) -> Result<SelfTest, CmdlineError<'_>> {
    match value {
        "panic" => Ok(SelfTest::Panic),
        "page_fault" => Ok(SelfTest::PageFault),
        "stack_overflow" => Ok(SelfTest::StackOverflow),
        _ => Err(CmdlineError::BadValue { key: "selftest", value, allowed: "panic, page_fault, stack_overflow" }),
    }
}

fn parse_log(value: &str) -> Result<LogLevel, CmdlineError<'_>> {
    Ok(match value {
        "error" => LogLevel::Error,
        "warn" => LogLevel::Warn,
        "info" => LogLevel::Info,
        "debug" => LogLevel::Debug,
        "trace" => LogLevel::Trace,
        _ => return Err(CmdlineError::BadValue { key: "log", value, allowed: "error, warn, info, debug, trace" }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::ToString;
    use std::vec::Vec;

    #[test]
    fn defaults() {
        for line in ["", "   ", "\t\n"] {
            let c = parse(line).unwrap();
            assert_eq!((c.mode, c.log, c.selftest, c.user_pages), (Mode::Run, LogLevel::Info, None, None));
            assert_eq!(c.run.iter().collect::<Vec<_>>(), ["init"]);
        }
    }

    #[test]
    fn full_line() {
        let c = parse("  mode=test run=a,,b, log=debug selftest=page_fault user_pages=64 ").unwrap();
        assert_eq!((c.mode, c.log), (Mode::Test, LogLevel::Debug));
        assert_eq!(c.run.iter().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!((c.selftest, c.user_pages), (Some(SelfTest::PageFault), Some(64)));
        assert_eq!(parse("run=").unwrap().run.iter().count(), 0, "an empty run list runs nothing");
    }

    #[test]
    fn arguments_after_a_standalone_double_dash() {
        let c = parse("mode=test run=sh -- echo hello | wc -c").unwrap();
        assert_eq!((c.mode, c.args), (Mode::Test, Some("echo hello | wc -c")));
        assert_eq!(c.run.iter().collect::<Vec<_>>(), ["sh"]);
        assert_eq!(parse("--").unwrap().args, Some(""));
        assert_eq!(parse("run=a --   x  -- y ").unwrap().args, Some("x  -- y "));
        assert_eq!(parse("run=a").unwrap().args, None);
        assert_eq!(parse("run=a--b").unwrap().run.iter().collect::<Vec<_>>(), ["a--b"], "not a standalone word");
        assert_eq!(parse("run=x --b"), Err(CmdlineError::MissingValue("--b")));
        assert_eq!(parse("-- mode=nonsense").unwrap().mode, Mode::Run, "options after -- are arguments");
    }

    #[test]
    fn every_log_level() {
        let levels = [("error", LogLevel::Error), ("warn", LogLevel::Warn), ("info", LogLevel::Info)];
        for (word, level) in levels.into_iter().chain([("debug", LogLevel::Debug), ("trace", LogLevel::Trace)]) {
            assert_eq!(parse(&std::format!("log={word}")).unwrap().log, level);
        }
    }

    #[test]
    fn unknown_key_lists_the_known_keys() {
        assert_eq!(parse("color=red"), Err(CmdlineError::UnknownKey("color")));
        let text = parse("=1").unwrap_err().to_string();
        assert_eq!(text, "unknown option '' (known: mode, run, log, selftest, user_pages)");
    }

    #[test]
    fn bad_values_list_the_allowed_values() {
        let e = parse("log=loud").unwrap_err();
        assert_eq!(e, CmdlineError::BadValue { key: "log", value: "loud", allowed: "error, warn, info, debug, trace" });
        assert_eq!(e.to_string(), "bad value 'loud' for 'log' (allowed: error, warn, info, debug, trace)");
        assert!(parse("mode=fast").unwrap_err().to_string().contains("(allowed: run, test)"));
        assert!(parse("mode=").unwrap_err().to_string().contains("(allowed: run, test)"));
        assert!(parse("user_pages=lots").unwrap_err().to_string().contains("a number of pages"));
        assert!(parse("selftest=boom").unwrap_err().to_string().contains("panic, page_fault, stack_overflow"));
    }

    #[test]
    fn duplicate_keys_are_refused() {
        assert_eq!(parse("mode=run mode=test"), Err(CmdlineError::Duplicate("mode")));
        assert_eq!(parse("run=a log=warn run=b"), Err(CmdlineError::Duplicate("run")));
        assert_eq!(parse("mode=run mode=run").unwrap_err().to_string(), "option 'mode' given twice");
    }

    #[test]
    fn words_without_a_value_are_refused() {
        assert_eq!(parse("quiet"), Err(CmdlineError::MissingValue("quiet")));
        assert_eq!(parse("mode=test quiet").unwrap_err().to_string(), "'quiet' is not of the form key=value");
    }
}
