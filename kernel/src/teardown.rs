//! The one path that takes an environment apart.
//!
//! [`release`] is the only code that returns what an environment held, whether it exited, was
//! killed, was destroyed through a capability, ended with its parent, could never run again, or
//! failed to load: its time slices, the calls blocked on it (they fail with `NoSuchEnv`), a
//! notification to its creator (`abi::NOTIFY_CHILD`, which wakes a creator waiting for it), every
//! mapping in its address space made through a capability (once), its capabilities with what
//! they hold (`bind::remove_env`: their mappings elsewhere, their pages), its published record,
//! its address space, and finally its budget (back to its creator, `budget::close`). [`destroy`] and [`end`] take environments out of the table,
//! children first, and report them.
//!
//! Calls `envs`, `wait`, `slice`, `bind`, `windows`, `mem::paging` and `stats`.
use crate::env::{Env, PctState};
use crate::mem::paging;
use crate::{bind, envs, kprintln};
use abi::env_index;
use alloc::string::String;
use core::sync::atomic::{AtomicBool, Ordering};

/// How an environment ended.
pub enum Outcome {
    Exited(u64),
    Killed(String),
}

/// Whether this is an interactive boot (`mode=run`): only boot programs' endings are printed.
static INTERACTIVE: AtomicBool = AtomicBool::new(false);

/// Says whether the boot is interactive (`mode=run`) rather than a test boot.
pub fn set_interactive(interactive: bool) {
    INTERACTIVE.store(interactive, Ordering::Relaxed);
}

/// Ends environment `id` and its descendants (deepest first), reporting each.
pub fn destroy(id: u64, why: &str) {
    end_children(id);
    if let Some(env) = envs::take(id) {
        end(env, Outcome::Killed(String::from(why)));
    }
}

/// Ends every descendant of `parent`, deepest first, without recursion (a chain of environments
/// can be as long as the table, and the kernel stack is small).
pub fn end_children(parent: u64) {
    end_deepest(&envs::descendants(parent), usize::MAX);
}

/// Ends up to `count` of `descendants` (as `envs::descendants` lists them), deepest first: each
/// one ended has no child left. Returns how many it ended.
pub fn end_deepest(descendants: &[u64], count: usize) -> usize {
    let mut ended = 0;
    for &child in descendants.iter().rev().take(count) {
        if let Some(env) = envs::take(child) {
            end(env, Outcome::Killed(String::from("its parent ended")));
            ended += 1;
        }
    }
    ended
}

/// Nothing can run, but environments remain (waiting for transfers, blocked, sleeping for
/// notifications or words only, or never started) and no sleeper waits for anything that can
/// happen without them (`wait::can_wake`): nothing can ever wake them, so they end.
pub fn end_stuck() {
    for id in envs::ids() {
        destroy(id, "no environment can ever run it again");
    }
}

/// Reports how `env` (already out of the table, its children gone) ended, and releases it.
pub fn end(env: Env, outcome: Outcome) {
    report(&env, outcome);
    release(env);
}

/// Says how an environment ended: on the console for boot programs, and for every environment in
/// test mode (tests read these lines); in the log otherwise, so a person at the shell does not see
/// a line per command (`log=debug` shows them).
fn report(env: &Env, outcome: Outcome) {
    crate::stats::count(abi::stats::Counter::EnvsEnded);
    crate::stats::publish();
    if env.parent.is_some() && INTERACTIVE.load(Ordering::Relaxed) {
        match outcome {
            Outcome::Exited(code) => log::debug!("env {} '{}' exited with code {}", env.id, env.name, code as i64),
            Outcome::Killed(why) => log::debug!("env {} '{}' killed: {}", env.id, env.name, why),
        }
        return;
    }
    match outcome {
        Outcome::Exited(code) => kprintln!("exo: env {} '{}' exited with code {}", env.id, env.name, code as i64),
        Outcome::Killed(why) => kprintln!("exo: env {} '{}' killed: {}", env.id, env.name, why),
    }
}

/// Returns everything an environment held (it is out of the table, or never entered it), and
/// fails the calls blocked on it. The one teardown path.
pub fn release(mut env: Env) {
    crate::slice::release(env.id);
    envs::for_each_env(|caller| {
        if caller.pct == PctState::Blocked(env.id) {
            (caller.pct, caller.runnable) = (PctState::Running, true);
            (caller.frame.rax, caller.frame.rdx) = abi::encode_result(Err(abi::Error::NoSuchEnv));
            envs::publish(caller);
        }
    });
    // Its creator hears of it (`NOTIFY_CHILD`), waking it if it waits for notifications.
    if let Some(parent) = env.parent {
        crate::wait::notify(parent, abi::NOTIFY_CHILD);
    }
    // Its own mappings first: then only capabilities mapped elsewhere need looking for, and its
    // address space keeps only the pages the capabilities hold (freed with them).
    bind::unmap_all(&mut env);
    bind::remove_env(&mut env);
    debug_assert!(env.pages == 0);
    // Cleared last: returning its pages republished the record with the new count.
    crate::windows::publish_env(env_index(env.id), abi::EnvInfo::default());
    if paging::is_active(env.root) {
        paging::activate(paging::kernel_root());
    }
    paging::destroy_address_space_noting(env.root, &mut crate::budget::table_freed);
    // Last: everything it paid for is refunded; its budget goes back to its creator.
    crate::budget::close(env.id);
}
