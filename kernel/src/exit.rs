//! What happens when the running environment ends (it exits, faults, or waits with nothing left
//! to wake it) or stops being runnable (it waits): it and its descendants are taken apart
//! (`teardown.rs`), or it is set aside, and the CPU goes to the next runnable environment. If none
//! can run but some sleeper waits for something that can still happen (a deadline, console input,
//! an interrupt: `wait::can_wake`, or a frame: `net::can_wake`), the CPU goes idle (`idle.rs`); if nothing can ever wake them,
//! the environments that remain end, and the next boot program starts (`runlist.rs`). The top of
//! the kernel's layers below `syscall` and `trap`.
use crate::arch::x86_64::entry::{self, TrapFrame};
use crate::teardown::{self, Outcome};
use crate::{envs, idle, runlist, sched, wait};
use alloc::string::String;

/// Ends the running environment (and, first, every environment it created) and runs another.
/// Never returns.
pub fn end_current(outcome: Outcome) -> ! {
    let id = envs::current_id();
    teardown::end_children(id);
    let env = envs::take(id).expect("no running environment");
    entry::drop_fpu();
    teardown::end(env, outcome);
    if let Some(frame) = sched::resume_next() {
        entry::enter_user(&frame)
    }
    if can_wake() {
        idle::enter()
    }
    teardown::end_stuck();
    let frame = sched::resume_next().unwrap_or_else(runlist::launch_next);
    entry::enter_user(&frame)
}

/// The running environment just stopped being runnable (it sleeps or waits for a transfer; its
/// result so far is in `frame`): the CPU moves to another environment, or goes idle if none can
/// run but something can still wake one. If nothing can, the caller is ended with `why` (and then
/// every other stuck environment). Returns only when the CPU moved to another environment.
pub fn block(frame: &mut TrapFrame, why: &str) {
    if sched::switch_away(frame) {
        return;
    }
    if can_wake() {
        sched::park(frame);
        idle::enter()
    }
    end_current(Outcome::Killed(String::from(why)))
}

/// Whether something can still wake a sleeper: an event the kernel itself causes
/// (`wait::can_wake`), or a frame for a sleeper that owns a receive ring (`net::can_wake`).
fn can_wake() -> bool {
    wait::can_wake() || crate::net::can_wake()
}
