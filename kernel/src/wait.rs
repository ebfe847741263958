//! Sleeping in `env_wait`: what a sleeping environment waits for, whether it holds, and waking it.
//!
//! An environment that calls `env_wait` and finds none of its events holding gets a [`Wait`] record
//! and stops being runnable. It is woken (its wait completes: the result goes into its saved
//! registers, it becomes runnable) by whoever makes one of its events hold: `env_notify` and the
//! end of a child ([`notify`]), `page_wake` ([`wake_word`]), the console's receive interrupt and
//! the timer ([`check_all`], which looks at every environment up to the highest table index in use,
//! once per interrupt: O(live environments), up to 4,096; a list of sleepers ordered by deadline
//! would make it O(woken)), a protected control transfer (`syscall/pct.rs` abandons the wait), or a revocation
//! request ([`interrupt`], so the upcall can run). Events are level-triggered where they are
//! state (console input, a deadline) and sticky where they are messages (notification bits,
//! interrupt lines, a `page_wake` on the word), so a wake between a library's check and its wait
//! is never lost.
//!
//! Calls `envs` (the table), `input` (whether bytes wait) and `arch` (the clock).
use crate::arch::x86_64::lapic;
use crate::env::{Env, PctState};
pub use crate::env::Wait;
use crate::envs;
use abi::{WAIT_CONSOLE, WAIT_DEADLINE, WAIT_IRQ, WAIT_IRQ_SHIFT, WAIT_NOTIFY, WAIT_NOTIFY_SHIFT, WAIT_PCT, WAIT_WORD};

/// What the machine looks like to a sleeper right now (read once per wake-up pass).
#[derive(Clone, Copy, Debug)]
pub struct Now {
    pub ns: u64,
    pub console: bool,
}

impl Now {
    /// The clock and the console, now.
    pub fn read() -> Now {
        Now { ns: lapic::now_ns(), console: crate::input::pending() > 0 }
    }
}

/// The result `env_wait` returns to `env` if any of its events holds, consuming what it reports
/// (notification bits, interrupt lines); `None` (nothing consumed) if none holds.
pub fn outcome(env: &mut Env, now: Now) -> Option<u64> {
    let wait = env.wait?;
    let asked = |event| wait.events & event != 0;
    let mut events = 0;
    if asked(WAIT_NOTIFY) && env.notify != 0 {
        events |= WAIT_NOTIFY;
    }
    if asked(WAIT_CONSOLE) && now.console {
        events |= WAIT_CONSOLE;
    }
    if asked(WAIT_DEADLINE) && now.ns >= wait.deadline {
        events |= WAIT_DEADLINE;
    }
    if asked(WAIT_IRQ) && env.irq_pending & env.irq_lines != 0 {
        events |= WAIT_IRQ;
    }
    if asked(WAIT_WORD) && wait.word_fired {
        events |= WAIT_WORD;
    }
    if events == 0 {
        return None;
    }
    let mut result = events;
    if events & WAIT_NOTIFY != 0 {
        result |= u64::from(core::mem::take(&mut env.notify)) << WAIT_NOTIFY_SHIFT;
    }
    if events & WAIT_IRQ != 0 {
        let lines = env.irq_pending & env.irq_lines;
        env.irq_pending &= !lines;
        result |= u64::from(lines) << WAIT_IRQ_SHIFT;
    }
    Some(result)
}

/// Ends `env`'s wait with `result` in its saved registers; it becomes runnable (and, if it also
/// waited for a transfer, stops accepting one).
pub fn complete(env: &mut Env, result: u64) {
    let Some(wait) = env.wait.take() else { return };
    if wait.events & WAIT_PCT != 0 && env.pct == PctState::Waiting {
        env.pct = PctState::Running;
    }
    (env.frame.rax, env.frame.rdx) = (0, result);
    env.runnable = true;
    envs::publish(env);
    crate::stats::count(abi::stats::Counter::Wakeups);
}

/// Wakes `env` if it sleeps and one of its events holds.
fn wake_if_ready(env: &mut Env, now: Now) {
    if let Some(result) = outcome(env, now) {
        complete(env, result);
    }
}

/// Wakes every sleeper whose events hold (deadlines passed, console input): at each timer or
/// console interrupt, and before the CPU halts.
pub fn check_all() {
    let now = Now::read();
    envs::for_each_env(|env| wake_if_ready(env, now));
}

/// ORs `bits` into environment `id`'s notification word and wakes it if it waits for them; false
/// if it does not exist.
pub fn notify(id: u64, bits: u32) -> bool {
    let now = Now::read();
    envs::with_env(id, |env| {
        env.notify |= bits;
        wake_if_ready(env, now);
    })
    .is_some()
}

/// `page_wake`: wakes up to `count` environments sleeping on the word at physical address `pa`,
/// lowest table index first; returns how many and the id of the first.
pub fn wake_word(pa: u64, count: u64) -> (u64, Option<u64>) {
    let now = Now::read();
    let (mut woken, mut first) = (0, None);
    envs::for_each_env(|env| {
        let sleeper = env.wait.as_mut().filter(|w| woken < count && w.events & WAIT_WORD != 0 && w.word == pa);
        if let Some(wait) = sleeper {
            wait.word_fired = true;
            wake_if_ready(env, now);
            woken += 1;
            first.get_or_insert(env.id);
        }
    });
    (woken, first)
}

/// Ends `env`'s wait with no event (result 0): a revocation request must reach it.
pub fn interrupt(env: &mut Env) {
    complete(env, 0);
}

/// Whether some sleeper waits for something that can happen without any environment running: a
/// deadline, console input, or an interrupt line it owns. If not, and none can run, nothing can
/// ever wake anyone (notifications, words and transfers come only from running environments).
pub fn can_wake() -> bool {
    let mut any = false;
    envs::for_each_env(|env| {
        if let Some(wait) = env.wait {
            let irq = wait.events & WAIT_IRQ != 0 && env.irq_lines != 0;
            any |= irq || wait.events & (WAIT_DEADLINE | WAIT_CONSOLE) != 0;
        }
    });
    any
}

/// The earliest deadline a sleeper waits for (nanoseconds since boot), if any.
pub fn next_deadline() -> Option<u64> {
    let mut next: Option<u64> = None;
    envs::for_each_env(|env| {
        if let Some(wait) = env.wait.filter(|w| w.events & WAIT_DEADLINE != 0) {
            next = Some(next.map_or(wait.deadline, |n| n.min(wait.deadline)));
        }
    });
    next
}
