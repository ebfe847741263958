//! The builtins: `cd`, `pwd`, `exit`, `export`, `unset`, `jobs`, `wait`, `kill`, `fg`, `help`, and
//! the shell's bookkeeping of its background jobs (`job.rs`). Builtins run in the shell itself,
//! writing to the descriptors the stage's plan gives them.
use crate::job::{status_code, Job};
use crate::run::Shell;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use exos::proc::process::{self, SIGINT, SIGKILL, SIGTERM};
use abi::Error;
use exos::{fs::cwd, fs::fd};
use shell::exec_plan::{Builtin, Stage};
use shell::expand::split_name_value;

/// Writes `text` to descriptor `fd` (errors are ignored: nothing better to do with them).
fn put(fd: u32, text: &str) {
    let _ = fd::write_all(fd, text.as_bytes());
}

impl Shell {
    /// Records a started job: returns its number and its last process.
    pub fn add_job(&mut self, pids: Vec<u64>, text: String) -> (usize, u64) {
        let id = self.jobs.iter().map(|j| j.id).max().unwrap_or(0) + 1;
        let last = pids.last().copied().unwrap_or(0);
        let statuses = alloc::vec![None; pids.len()];
        self.jobs.push(Job { id, pids, statuses, text });
        (id, last)
    }

    /// Prints `[N]+ Done  CMD` for each job that finished and forgets it.
    pub fn report_jobs(&mut self) {
        for job in &mut self.jobs {
            job.poll();
        }
        let (done, running): (Vec<Job>, Vec<Job>) = core::mem::take(&mut self.jobs).into_iter().partition(Job::done);
        self.jobs = running;
        for job in done {
            put(1, &format!("{}\n", job.line("+")));
        }
    }

    /// Whether the stage is run by the shell itself.
    pub fn is_builtin(&self, stage: &Stage) -> bool {
        stage.builtin.is_some()
    }

    /// Runs a builtin stage with `out` and `err` as its standard output and error.
    pub fn builtin(&mut self, stage: &Stage, out: u32, err: u32) -> i32 {
        let args: Vec<&str> = stage.argv.iter().skip(1).map(String::as_str).collect();
        let fail = |text: String| {
            put(err, &format!("sh: {}: {text}\n", stage.argv[0]));
            1
        };
        match stage.builtin {
            Some(Builtin::Cd) => {
                let home = self.vars.get("HOME").cloned().unwrap_or_else(|| "/".into());
                let target = args.first().copied().unwrap_or(home.as_str()).to_string();
                match cwd::chdir(&target) {
                    Ok(()) => {
                        self.set_exported("PWD", &cwd::cwd());
                        0
                    }
                    Err(e) => fail(format!("{target}: {e}")),
                }
            }
            Some(Builtin::Pwd) => {
                put(out, &format!("{}\n", cwd::cwd()));
                0
            }
            Some(Builtin::Exit) => match args.first().map(|a| a.parse::<i32>()) {
                None => {
                    self.exit = Some(self.status);
                    self.status
                }
                Some(Ok(code)) => {
                    self.exit = Some(code & 0xff);
                    code & 0xff
                }
                Some(Err(_)) => {
                    self.exit = Some(2);
                    fail(format!("{}: numeric argument required", args[0])) + 1
                }
            },
            Some(Builtin::Export) => {
                if args.is_empty() {
                    for name in &self.exported {
                        let value = self.vars.get(name).map_or("", String::as_str);
                        put(out, &format!("export {name}={value}\n"));
                    }
                }
                let mut status = 0;
                for arg in args {
                    let (name, value) = split_name_value(arg);
                    if !valid_name(name) {
                        status = fail(format!("{arg}: not a valid name"));
                        continue;
                    }
                    let value = value.map(String::from).or_else(|| self.vars.get(name).cloned()).unwrap_or_default();
                    self.set_exported(name, &value);
                }
                status
            }
            Some(Builtin::Unset) => {
                for name in args {
                    self.vars.remove(name);
                    self.exported.remove(name);
                }
                0
            }
            Some(Builtin::Jobs) => {
                for job in &mut self.jobs {
                    job.poll();
                    put(out, &format!("{}\n", job.line(" ")));
                }
                self.jobs.retain(|j| !j.done());
                0
            }
            Some(Builtin::Fg) => self.fg(args.first().copied(), err),
            Some(Builtin::Wait) => self.wait_jobs(&args, err),
            Some(Builtin::Kill) => self.kill(&args, err),
            Some(Builtin::Help) => self.help(out, err),
            None => 0, // `is_builtin` said no: never run as a builtin
        }
    }

    /// `help`: the builtins, then the tools in /bin (`shell::help`).
    fn help(&self, out: u32, err: u32) -> i32 {
        let bin = match exos::fs::readdir("/bin") {
            Ok(nodes) => nodes,
            Err(e) => {
                put(err, &format!("sh: help: /bin: {e}\n"));
                alloc::vec::Vec::new()
            }
        };
        put(out, &shell::help::text(bin.iter().map(|node| node.name())));
        0
    }

    /// `wait`: every background job to its end, status 0; `wait %N|PID...`: those, status of
    /// the last one named (127 for one that is not a job or child of this shell).
    fn wait_jobs(&mut self, args: &[&str], err: u32) -> i32 {
        let mut status = 0;
        let all: Vec<String> = self.jobs.iter().map(|j| format!("%{}", j.id)).collect();
        let targets: Vec<&str> = if args.is_empty() { all.iter().map(String::as_str).collect() } else { args.to_vec() };
        for target in targets {
            let index = match target.strip_prefix('%') {
                Some(n) => self.jobs.iter().position(|j| n.parse() == Ok(j.id)),
                None => self.jobs.iter().position(|j| j.pids.iter().any(|p| Ok(*p) == target.parse())),
            };
            let Some(index) = index else {
                put(err, &format!("sh: wait: {target}: no such job\n"));
                status = 127;
                continue;
            };
            let job = self.jobs.remove(index);
            for (pid, done) in job.pids.iter().zip(&job.statuses) {
                status = done.unwrap_or_else(|| process::wait(*pid).map_or(1, status_code));
            }
        }
        if args.is_empty() { 0 } else { status }
    }

    /// `fg [%N]`: job N (default: the newest) back in the foreground.
    fn fg(&mut self, which: Option<&str>, err: u32) -> i32 {
        let index = match which {
            None => self.jobs.len().checked_sub(1),
            Some(spec) => spec.trim_start_matches('%').parse::<usize>().ok().and_then(|n| self.jobs.iter().position(|j| j.id == n)),
        };
        let Some(index) = index else {
            put(err, "sh: fg: no such job\n");
            return 1;
        };
        let job = self.jobs.remove(index);
        put(1, &format!("{}\n", job.text));
        let running: Vec<u64> = job.pids.iter().zip(&job.statuses).filter(|(_, done)| done.is_none()).map(|(pid, _)| *pid).collect();
        let mut waited = self.wait_job(&running).into_iter();
        let mut status = 0;
        for done in &job.statuses {
            status = done.unwrap_or_else(|| waited.next().unwrap_or(1));
        }
        status
    }

    /// `kill [-INT|-TERM|-KILL|-N] PID|%N...`: signals a process the shell holds a capability
    /// over (itself, its children, one it was given: `process::kill`), or every process of job
    /// `%N` with everything they started (`process::kill_group`). Anyone else: not permitted.
    fn kill(&mut self, args: &[&str], err: u32) -> i32 {
        let (sig, targets) = match args.first() {
            Some(flag) if flag.starts_with('-') => {
                let sig = match &flag[1..] {
                    "INT" | "SIGINT" => Some(SIGINT),
                    "TERM" | "SIGTERM" => Some(SIGTERM),
                    "KILL" | "SIGKILL" => Some(SIGKILL),
                    n => n.parse::<u32>().ok(),
                };
                let Some(sig) = sig else {
                    put(err, &format!("sh: kill: {flag}: unknown signal\n"));
                    return 1;
                };
                (sig, &args[1..])
            }
            _ => (SIGTERM, args),
        };
        if targets.is_empty() {
            put(err, "sh: kill: usage: kill [-INT|-TERM|-KILL|-N] PID|%N...\n");
            return 2;
        }
        let mut status = 0;
        for target in targets {
            let (pids, group): (Vec<u64>, bool) = match target.strip_prefix('%') {
                Some(n) => (self.jobs.iter().filter(|j| n.parse() == Ok(j.id)).flat_map(|j| j.pids.clone()).collect(), true),
                None => (target.parse::<u64>().ok().or_else(|| u64::from_str_radix(target.trim_start_matches("0x"), 16).ok()).into_iter().collect(), false),
            };
            if pids.is_empty() {
                put(err, &format!("sh: kill: {target}: no such job or process\n"));
                status = 1;
            }
            for pid in pids {
                let sent = if group { process::kill_group(pid, sig) } else { process::kill(pid, sig) };
                let why = match sent {
                    Ok(()) => continue,
                    Err(Error::NoRights) => "not permitted (EPERM: the shell holds no capability over it)".into(),
                    Err(Error::NoSuchEnv) => "no such process (ESRCH)".into(),
                    Err(e) => format!("{e:?}"),
                };
                put(err, &format!("sh: kill: {target}: {why}\n"));
                status = 1;
            }
        }
        status
    }
}

/// `[A-Za-z_][A-Za-z0-9_]*`.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
