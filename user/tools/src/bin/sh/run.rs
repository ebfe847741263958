//! The executor: the shell's variables and status, and running a parsed script — and-or chains,
//! pipelines (pipes, redirection files, programs spawned with their descriptors), foreground
//! waits with the terminal's foreground process, and background jobs.
use crate::job::{status_code, Job};
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use exos::fs::fd::{self, O_APPEND, O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY};
use exos::proc::process::{self, SIGKILL};
use exos::proc::budget;
use exos::proc::spawn::{self, SpawnError};
use exos::{fs::cwd, proc::fork, ipc::region, fs::tty};
use shell::exec_plan::{self, Io, Mode, Plan, Stage};
use shell::expand::Env;
use shell::parse::{self, AndOr, Connector, Pipeline, Script};

/// Status of a command that could not be found.
pub const NOT_FOUND: i32 = 127;
/// Status of a file that is not a program Exo can run.
pub const NOT_EXECUTABLE: i32 = 126;
/// Status after a syntax error.
pub const SYNTAX: i32 = 2;

/// The shell's state.
pub struct Shell {
    /// Every variable, exported or not.
    pub vars: BTreeMap<String, String>,
    /// Names of the variables children get.
    pub exported: BTreeSet<String>,
    /// `$?`.
    pub status: i32,
    /// Background jobs not yet reported done.
    pub jobs: Vec<Job>,
    /// Set by `exit`: the status to end with.
    pub exit: Option<i32>,
    /// Reading from a person (job reports, cooked terminal while a job runs).
    pub interactive: bool,
}

impl Env for Shell {
    fn get(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }

    fn status(&self) -> i32 {
        self.status
    }
}

impl Shell {
    /// A shell whose variables are this process's environment (all exported) and `PWD`.
    pub fn new(interactive: bool) -> Shell {
        let mut shell = Shell {
            vars: BTreeMap::new(),
            exported: BTreeSet::new(),
            status: 0,
            jobs: Vec::new(),
            exit: None,
            interactive,
        };
        for var in spawn::vars() {
            if let Some((name, value)) = var.split_once('=') {
                shell.set_exported(name, value);
            }
        }
        shell.set_exported("PWD", &cwd::cwd());
        shell
    }

    /// Sets `name` and exports it.
    pub fn set_exported(&mut self, name: &str, value: &str) {
        self.vars.insert(name.to_string(), value.to_string());
        self.exported.insert(name.to_string());
    }

    /// The environment a child gets: exported variables, then `assigns` over them.
    fn child_vars(&self, assigns: &[(String, String)]) -> Vec<String> {
        let mut vars: BTreeMap<&str, &str> = self
            .exported
            .iter()
            .filter_map(|name| Some((name.as_str(), self.vars.get(name)?.as_str())))
            .collect();
        for (name, value) in assigns {
            vars.insert(name, value);
        }
        vars.into_iter().map(|(name, value)| format!("{name}={value}")).collect()
    }

    /// Parses and runs `text` (one or more lines); a syntax error is printed and sets `$?` to 2.
    pub fn run_text(&mut self, text: &str) {
        match parse::parse(text) {
            Ok(script) => self.run_script(&script, text),
            Err(e) => {
                exos::eprintln!("{e}");
                self.status = SYNTAX;
            }
        }
    }

    /// Runs every item of `script` (from `text`, for job names) until done or `exit`.
    pub fn run_script(&mut self, script: &Script, text: &str) {
        for item in &script.items {
            if self.exit.is_some() {
                return;
            }
            if item.background {
                self.background(&item.and_or, text);
            } else {
                self.status = self.and_or(&item.and_or);
            }
        }
    }

    /// Runs a chain in the foreground: returns its status.
    fn and_or(&mut self, chain: &AndOr) -> i32 {
        let mut status = self.pipeline(&chain.first, false).unwrap_or(self.status);
        for (connector, pipeline) in &chain.rest {
            if self.exit.is_some() {
                break;
            }
            let run = match connector {
                Connector::And => status == 0,
                Connector::Or => status != 0,
            };
            if run {
                self.status = status;
                status = self.pipeline(pipeline, false).unwrap_or(self.status);
            }
        }
        status
    }

    /// Starts a chain in the background and records it as a job. A single pipeline's programs
    /// are spawned directly; a longer chain runs in a forked copy of the shell.
    fn background(&mut self, chain: &AndOr, text: &str) {
        let name = job_text(chain, text);
        let pids = if chain.rest.is_empty() {
            match self.pipeline(&chain.first, true) {
                Err(pids) if !pids.is_empty() => pids,
                _ => return,
            }
        } else {
            match fork::fork() {
                Ok(0) => {
                    self.interactive = false;
                    let status = self.and_or(chain);
                    process::exit(i64::from(status))
                }
                Ok(pid) => alloc::vec![pid],
                Err(e) => {
                    exos::eprintln!("sh: fork: {e:?}");
                    self.status = 1;
                    return;
                }
            }
        };
        let job = self.add_job(pids, name);
        if self.interactive {
            exos::eprintln!("[{}] {}", job.0, job.1);
        } else {
            exos::println!("[{}] {}", job.0, job.1);
        }
        self.status = 0;
    }

    /// Runs one pipeline. Foreground: `Ok(status)` of its last stage. Background: `Err(pids)`
    /// of the programs started (a pipeline of builtins only gives none).
    fn pipeline(&mut self, pipeline: &Pipeline, background: bool) -> Result<i32, Vec<u64>> {
        let plan = match exec_plan::plan(pipeline, self) {
            Ok(plan) => plan,
            Err(e) => {
                exos::eprintln!("{e}");
                return Ok(1);
            }
        };
        if let [stage] = plan.stages.as_slice()
            && stage.argv.is_empty()
        {
            return Ok(self.assignments(stage));
        }
        let Plan { pipes: count, stages } = plan;
        let mut pipes = Vec::with_capacity(count);
        for _ in 0..count {
            match fd::pipe() {
                Ok(pair) => pipes.push(pair),
                Err(e) => {
                    exos::eprintln!("sh: pipe: {e}");
                    close_pipes(&pipes);
                    return Ok(1);
                }
            }
        }
        // Programs first, builtins after (so a builtin writing into a pipe has its reader).
        let mut started: Vec<(usize, u64)> = Vec::new();
        let mut statuses: Vec<i32> = alloc::vec![0; stages.len()];
        let programs = stages.iter().filter(|stage| !self.is_builtin(stage)).count();
        for pass in [false, true] {
            for (k, stage) in stages.iter().enumerate() {
                if self.is_builtin(stage) != pass {
                    continue;
                }
                let Some((fds, opened)) = wire(stage, &pipes) else {
                    statuses[k] = 1;
                    continue;
                };
                if pass {
                    statuses[k] = self.builtin(stage, fds[1], fds[2]);
                } else {
                    // Memory: a background job gets the default share; a foreground pipeline
                    // shares all the shell can spare (a lone command gets all of it).
                    // (`BUDGET=64M cmd` asks for a budget of its own.)
                    let asked = stage.assigns.iter().rev().find(|(name, _)| name == exec_plan::BUDGET_VAR);
                    let budget = match asked.map(|(_, value)| (value, exec_plan::budget_pages(value))) {
                        Some((_, Some(pages))) => Some(pages),
                        Some((value, None)) => {
                            exos::eprintln!("sh: {}={value}: not a size (pages, or bytes with K, M or G)", exec_plan::BUDGET_VAR);
                            None
                        }
                        None if background => Some(budget::DEFAULT_PAGES),
                        None => Some(budget::remaining() / programs.saturating_sub(started.len()).max(1) as u64),
                    };
                    match budget.map(|budget| self.spawn(stage, &fds, budget)) {
                        Some(Ok(pid)) => started.push((k, pid)),
                        Some(Err(status)) => statuses[k] = status,
                        None => statuses[k] = 2,
                    }
                }
                for fd in opened {
                    let _ = fd::close(fd);
                }
            }
            if !pass {
                // Builtins run with the pipes still open; after them every end goes.
                continue;
            }
            close_pipes(&pipes);
        }
        if background {
            return Err(started.into_iter().map(|(_, pid)| pid).collect());
        }
        let pids: Vec<u64> = started.iter().map(|&(_, pid)| pid).collect();
        for (&(k, _), status) in started.iter().zip(self.wait_job(&pids)) {
            statuses[k] = status;
        }
        Ok(statuses.last().copied().unwrap_or(0))
    }

    /// Waits for the processes `pids` (children of the shell) as the terminal's foreground job,
    /// and reaps them: their `$?`s, in order. The terminal delivers Ctrl-C's `SIGINT` to the
    /// process group of each (the shell pumps it, holding their capabilities), as
    /// `tty::wait_foreground` does, plus one escalation: a program only acts on `SIGINT` when it
    /// calls into the library (a spawned program that only computes never does), so a second
    /// Ctrl-C during the same job ends it with `SIGKILL` (each process with everything it created).
    pub fn wait_job(&mut self, pids: &[u64]) -> Vec<i32> {
        let live: Vec<u64> = pids.iter().copied().filter(|&pid| process::children().any(|c| c == pid)).collect();
        let running = |live: &[u64]| live.iter().any(|&pid| region::listed(pid));
        if !live.is_empty() && tty::set_foreground_job(&live).is_ok() {
            let start = tty::interrupts();
            let mut killed = false;
            while running(&live) {
                let seen = tty::changes();
                tty::pump();
                if !killed && tty::interrupts() >= start + 2 {
                    killed = true;
                    for &pid in &live {
                        let _ = process::kill(pid, SIGKILL);
                    }
                }
                process::check_signals();
                if running(&live) {
                    // Until typing, input another process moved, or a child's end.
                    tty::sleep(seen);
                }
            }
            tty::set_foreground(process::id());
        }
        pids.iter()
            .map(|&pid| match process::wait(pid) {
                Ok(status) => status_code(status),
                Err(e) => {
                    exos::eprintln!("sh: wait {pid}: {e:?}");
                    1
                }
            })
            .collect()
    }

    /// `X=1 Y=2` alone: shell variables (exported ones stay exported). Redirections are still
    /// opened, for their errors.
    fn assignments(&mut self, stage: &Stage) -> i32 {
        let Some((_, opened)) = wire(stage, &[]) else { return 1 };
        for fd in opened {
            let _ = fd::close(fd);
        }
        for (name, value) in &stage.assigns {
            self.vars.insert(name.clone(), value.clone());
        }
        0
    }

    /// Starts a stage's program with descriptors `fds`; `Err(status)` if it cannot.
    fn spawn(&self, stage: &Stage, fds: &[u32; 3], budget: u64) -> Result<u64, i32> {
        let name = &stage.argv[0];
        let path = if name.contains('/') {
            cwd::normalize(name).unwrap_or_else(|_| name.clone())
        } else {
            // A bare name is searched along `PATH` (default /bin: the tools only).
            let search = self.vars.get("PATH").map_or(exec_plan::DEFAULT_PATH, String::as_str);
            let found = exec_plan::search_path(name, search)
                .find(|path| exos::fs::lookup(path).is_ok_and(|node| node.kind == exos::fs::Kind::File));
            let Some(found) = found else {
                exos::eprintln!("sh: {name}: command not found");
                return Err(NOT_FOUND);
            };
            found
        };
        let argv: Vec<&str> = stage.argv.iter().map(String::as_str).collect();
        let vars = self.child_vars(&stage.assigns);
        let vars: Vec<&str> = vars.iter().map(String::as_str).collect();
        let map = [(0, fds[0]), (1, fds[1]), (2, fds[2])];
        spawn::spawn_budget(&path, &argv, &vars, &map, budget).map_err(|e| match e {
            SpawnError::NotFound if name.contains('/') => {
                exos::eprintln!("sh: {name}: {}", exos::fs::lookup(&path).err().unwrap_or(exos::fs::Errno::ENOENT));
                NOT_FOUND
            }
            SpawnError::NotFound => {
                exos::eprintln!("sh: {name}: command not found");
                NOT_FOUND
            }
            SpawnError::BadElf(_) => {
                exos::eprintln!("sh: {name}: {e}");
                NOT_EXECUTABLE
            }
            e => {
                exos::eprintln!("sh: {name}: {e}");
                NOT_EXECUTABLE
            }
        })
    }
}

fn close_pipes(pipes: &[(u32, u32)]) {
    for &(r, w) in pipes {
        let _ = fd::close(r);
        let _ = fd::close(w);
    }
}

/// The shell's descriptors for a stage's 0, 1 and 2, and the files opened for it (to close once
/// it started). `None` after printing why a redirection file could not be opened.
fn wire(stage: &Stage, pipes: &[(u32, u32)]) -> Option<([u32; 3], Vec<u32>)> {
    let mut fds = [0, 1, 2];
    let mut opened = Vec::new();
    for (k, io) in stage.fds.iter().enumerate() {
        fds[k] = match io {
            Io::Inherit => k as u32,
            Io::PipeRead(p) => pipes.get(*p).map_or(k as u32, |p| p.0),
            Io::PipeWrite(p) => pipes.get(*p).map_or(k as u32, |p| p.1),
            Io::File { path, mode } => {
                // `2>&1` after `> f` names the same file: share the descriptor.
                if let Some(j) = (0..k).find(|&j| stage.fds[j] == *io) {
                    fds[j]
                } else {
                    let flags = match mode {
                        Mode::Read => O_RDONLY,
                        Mode::Truncate => O_WRONLY | O_CREAT | O_TRUNC,
                        Mode::Append => O_WRONLY | O_CREAT | O_APPEND,
                    };
                    match fd::open(path, flags) {
                        Ok(fd) => {
                            opened.push(fd);
                            fd
                        }
                        Err(e) => {
                            exos::eprintln!("sh: {path}: {e}");
                            for fd in opened {
                                let _ = fd::close(fd);
                            }
                            return None;
                        }
                    }
                }
            }
        };
    }
    Some((fds, opened))
}

/// The source text of a chain, for `jobs` (`a | b && c`).
fn job_text(chain: &AndOr, text: &str) -> String {
    let start = chain.first.commands.first().map_or(0, |c| c.pos);
    let rest = &text[start.min(text.len())..];
    let end = rest.find(['&', ';', '\n']).map_or(rest.len(), |i| {
        // `&&` is part of the chain: look past each one.
        let mut at = i;
        while rest[at..].starts_with("&&") {
            at += 2 + rest[at + 2..].find(['&', ';', '\n']).unwrap_or(rest.len() - at - 2);
        }
        at
    });
    rest[..end.min(rest.len())].trim().to_string()
}
