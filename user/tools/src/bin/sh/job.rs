//! A background job: its processes, what they ended with so far, and the shell's `$?` for a
//! child's end. The job table itself is the shell's (`run.rs`); the builtins that show and wait for
//! jobs are in `builtins.rs`.
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use exos::ipc::region;
use exos::proc::process::{self, Status};

/// A background job: its programs and what they ended with so far.
pub struct Job {
    /// `%N`.
    pub id: usize,
    /// Its processes (pipeline stages, or one forked shell).
    pub pids: Vec<u64>,
    /// Each process's status once reaped.
    pub statuses: Vec<Option<i32>>,
    /// The command as typed.
    pub text: String,
}

impl Job {
    pub fn done(&self) -> bool {
        self.statuses.iter().all(Option::is_some)
    }

    /// Reaps the processes that ended (never blocks).
    pub fn poll(&mut self) {
        for (pid, status) in self.pids.iter().zip(self.statuses.iter_mut()) {
            if status.is_none() && !region::listed(*pid) {
                *status = Some(process::wait(*pid).map_or(1, status_code));
            }
        }
    }

    pub fn line(&self, marker: &str) -> String {
        let state = if self.done() { "Done" } else { "Running" };
        format!("[{}]{marker} {state:<8}{}", self.id, self.text)
    }
}

/// The shell's `$?` for a child's end: its code (low 8 bits), or 128 + the signal.
pub fn status_code(status: Status) -> i32 {
    (status.code() & 0xff) as i32
}
