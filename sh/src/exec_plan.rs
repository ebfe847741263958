//! Pipeline plans: what each stage of a pipeline runs and where its stdin, stdout and stderr go,
//! so the executor only opens files, makes pipes, and starts programs in a loop.
//!
//! Pipe `k` joins stage `k`'s stdout to stage `k + 1`'s stdin. Redirections are applied after
//! the pipes, left to right, so `a > f | b` sends `a`'s output to `f` (and `b` reads an empty
//! pipe), and `2>&1 > f` sends stderr to where stdout went *before* `> f`, as in POSIX sh.
use crate::expand::{self, Env};
use crate::lex::RedirOp;
use crate::parse::Pipeline;
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
}

/// The builtin called `name`, if any.
pub fn builtin(name: &str) -> Option<Builtin> {
    Some(match name {
        "cd" => Builtin::Cd,
        "pwd" => Builtin::Pwd,
        "exit" => Builtin::Exit,
        "export" => Builtin::Export,
        "unset" => Builtin::Unset,
        "jobs" => Builtin::Jobs,
        "fg" => Builtin::Fg,
        _ => return None,
    })
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
