//! A job member with a grandchild, for the tests of process groups (`sh_job_signals_pty`): it
//! ignores `SIGINT`, forks a grandchild of the shell (default actions) that prints its id and
//! sleeps, and waits for it. Ctrl-C must reach the grandchild directly (the shell signals the
//! foreground job's process groups), although its parent ignores the signal and relays nothing:
//! then it prints how the grandchild ended and exits 0 if `SIGINT` ended it (1 otherwise).
//! `SIGTERM` (`kill %N`) ends it with its default action, and the grandchild with it.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use exos::println;
use exos::proc::fork::fork;
use exos::proc::process::{self, Action, Status, SIGINT};

fn main() -> i64 {
    let _ = process::signal(SIGINT, Action::Ignore);
    let child = match fork() {
        Ok(0) => {
            let _ = process::signal(SIGINT, Action::Default);
            println!("sigtree: grandchild {} running", process::id());
            loop {
                process::sleep_ms(1000);
            }
        }
        Ok(child) => child,
        Err(e) => {
            println!("sigtree: fork: {e:?}");
            return 2;
        }
    };
    let status = process::wait(child);
    println!("sigtree: grandchild ended: {status:?}");
    if status == Ok(Status::Signaled(SIGINT)) { 0 } else { 1 }
}

exos::main!(main);
