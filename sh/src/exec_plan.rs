//! Pipeline plans: what each stage of a pipeline runs and where its stdin, stdout and stderr go,
//! so the executor only opens files, makes pipes, and starts programs in a loop.
//!
//! Pipe `k` joins stage `k`'s stdout to stage `k + 1`'s stdin. Redirections are applied after
//! the pipes, left to right, so `a > f | b` sends `a`'s output to `f` (and `b` reads an empty
//! pipe), and `2>&1 > f` sends stderr to where stdout went *before* `> f`, as in POSIX sh.
use crate::expand::{self, Env};
use crate::lex::RedirOp;
use crate::parse::Pipeline;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// How a file is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Read only (`<`).
    Read,
    /// Write, created or truncated (`>`, `2>`).
    Truncate,
    /// Write at the end, created if missing (`>>`, `2>>`).
    Append,
}

/// Where one of a stage's standard descriptors comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Io {
    /// The shell's own descriptor.
    Inherit,
    /// The read end of pipe `k`.
    PipeRead(usize),
    /// The write end of pipe `k`.
    PipeWrite(usize),
    /// A file opened with a mode.
    File {
        /// The expanded path.
        path: String,
        /// How to open it.
        mode: Mode,
    },
}

/// The builtins: commands the shell runs itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    /// `cd [dir]`
    Cd,
    /// `pwd`
    Pwd,
    /// `exit [status]`
    Exit,
    /// `export NAME[=value]...`
    Export,
    /// `unset NAME...`
    Unset,
    /// `jobs`
    Jobs,
    /// `fg [job]`
    Fg,
    /// `wait [job|pid...]`
    Wait,
    /// `kill [-SIG] job|pid...`
    Kill,
    /// `help`
    Help,
}

impl Builtin {
    /// Every builtin, in the order `help` lists them; [`builtin`] recognizes exactly these.
    pub const ALL: [Builtin; 10] = [
        Builtin::Cd,
        Builtin::Pwd,
        Builtin::Exit,
        Builtin::Export,
        Builtin::Unset,
        Builtin::Jobs,
        Builtin::Fg,
        Builtin::Wait,
        Builtin::Kill,
        Builtin::Help,
    ];

    /// The name that runs it.
    pub fn name(self) -> &'static str {
        self.usage().split(' ').next().unwrap_or("")
    }

    /// Its synopsis and one line saying what it does (what `help` prints). The match is
    /// exhaustive, so a new builtin cannot lack its line.
    pub fn usage(self) -> &'static str {
        match self {
            Builtin::Cd => "cd [DIR]",
            Builtin::Pwd => "pwd",
            Builtin::Exit => "exit [N]",
            Builtin::Export => "export [NAME[=VALUE]...]",
            Builtin::Unset => "unset NAME...",
            Builtin::Jobs => "jobs",
            Builtin::Fg => "fg [%N]",
            Builtin::Wait => "wait [%N|PID...]",
            Builtin::Kill => "kill [-INT|-TERM|-KILL|-N] PID|%N...",
            Builtin::Help => "help",
        }
    }

    /// One line saying what it does.
    pub fn summary(self) -> &'static str {
        match self {
            Builtin::Cd => "change the working directory (default $HOME, else /)",
            Builtin::Pwd => "print the working directory",
            Builtin::Exit => "leave the shell with status N (default $?)",
            Builtin::Export => "give variables to children (none: list the exported ones)",
            Builtin::Unset => "forget variables",
            Builtin::Jobs => "list the background jobs",
            Builtin::Fg => "bring a job (default the newest) back to the foreground",
            Builtin::Wait => "wait for every job, or for those named",
            Builtin::Kill => "signal (default TERM) a process the shell holds a capability over, or job %N's groups",
            Builtin::Help => "list the builtins and the tools in /bin",
        }
    }
}

/// The builtin called `name`, if any.
pub fn builtin(name: &str) -> Option<Builtin> {
    Builtin::ALL.into_iter().find(|b| b.name() == name)
}

/// The search path when `PATH` is unset: the tools only (test and benchmark programs, in /test
/// and /bench, are run by path or with `PATH=/bin:/test`).
pub const DEFAULT_PATH: &str = "/bin";

/// Where the shell looks for command `name` along `path` (the value of `PATH`: directories
/// separated by `:`, empty ones skipped): `DIR/NAME` for each directory, in order. A name with a
/// `/` is a path and an empty name is nothing: neither is searched.
pub fn search_path<'a>(name: &'a str, path: &'a str) -> impl Iterator<Item = String> + 'a {
    let searched = !name.is_empty() && !name.contains('/');
    path.split(':')
        .filter(move |dir| searched && !dir.is_empty())
        .map(move |dir| format!("{}/{name}", dir.trim_end_matches('/')))
}

/// The variable that sets a program's memory budget when assigned before it (`BUDGET=64M cmd`).
pub const BUDGET_VAR: &str = "BUDGET";

/// A memory budget written as a number of pages (`512`) or of bytes with a `K`, `M` or `G` suffix
/// (`64M`, rounded up to whole 4 KiB pages); `None` if it is neither (or overflows).
pub fn budget_pages(text: &str) -> Option<u64> {
    let (digits, unit) = match text.as_bytes().last()? {
        b'K' | b'k' => (&text[..text.len() - 1], 1u64 << 10),
        b'M' | b'm' => (&text[..text.len() - 1], 1 << 20),
        b'G' | b'g' => (&text[..text.len() - 1], 1 << 30),
        _ => (text, 0),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    if unit == 0 {
        return Some(n);
    }
    Some(n.checked_mul(unit)?.div_ceil(4096))
}

/// One command of a pipeline, expanded and wired.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    /// The arguments; empty for a command of only assignments/redirections.
    pub argv: Vec<String>,
    /// `NAME=value` pairs: the shell's own variables if `argv` is empty, else the child's.
    pub assigns: Vec<(String, String)>,
    /// The builtin `argv[0]` names, if any.
    pub builtin: Option<Builtin>,
    /// Descriptors 0, 1 and 2.
    pub fds: [Io; 3],
}

/// A whole pipeline: how many pipes to make and the stages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Pipes to create, numbered from 0 (stages - 1).
    pub pipes: usize,
    /// The stages in order.
    pub stages: Vec<Stage>,
}

/// A redirection whose file name expanded to nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanError {
    /// Byte offset of the redirection operator.
    pub pos: usize,
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sh: empty file name for redirection at column {}",
            self.pos + 1
        )
    }
}

/// Expands and wires `pipeline` against `env`.
pub fn plan(pipeline: &Pipeline, env: &dyn Env) -> Result<Plan, PlanError> {
    let count = pipeline.commands.len();
    let mut stages = Vec::with_capacity(count);
    for (k, command) in pipeline.commands.iter().enumerate() {
        let (argv, assigns) = expand::command(command, env);
        let stdin = if k > 0 {
            Io::PipeRead(k - 1)
        } else {
            Io::Inherit
        };
        let stdout = if k + 1 < count {
            Io::PipeWrite(k)
        } else {
            Io::Inherit
        };
        let mut fds = [stdin, stdout, Io::Inherit];
        for redirect in &command.redirects {
            let file = |mode| -> Result<Io, PlanError> {
                let word = redirect
                    .file
                    .as_ref()
                    .map(|w| expand::word(w, env))
                    .unwrap_or_default();
                if word.is_empty() {
                    return Err(PlanError { pos: redirect.pos });
                }
                Ok(Io::File { path: word, mode })
            };
            match redirect.op {
                RedirOp::In => fds[0] = file(Mode::Read)?,
                RedirOp::Out => fds[1] = file(Mode::Truncate)?,
                RedirOp::Append => fds[1] = file(Mode::Append)?,
                RedirOp::ErrOut => fds[2] = file(Mode::Truncate)?,
                RedirOp::ErrAppend => fds[2] = file(Mode::Append)?,
                RedirOp::ErrToOut => fds[2] = fds[1].clone(),
                RedirOp::OutToErr => fds[1] = fds[2].clone(),
            }
        }
        let builtin = argv.first().and_then(|name| builtin(name));
        stages.push(Stage {
            argv,
            assigns,
            builtin,
            fds,
        });
    }
    Ok(Plan {
        pipes: count.saturating_sub(1),
        stages,
    })
}
