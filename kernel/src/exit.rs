//! What happens when the running environment ends (it exits, faults, or waits with nothing left
//! to wake it): it and its descendants are taken apart (`teardown.rs`), and the CPU goes to the
//! next runnable environment; if none can run, the environments that remain end, and the next boot
//! program starts (`runlist.rs`). The top of the kernel's layers below `syscall` and `trap`.
use crate::arch::x86_64::entry;
use crate::teardown::{self, Outcome};
use crate::{envs, runlist, sched};

/// Ends the running environment (and, first, every environment it created) and runs another.
/// Never returns.
pub fn end_current(outcome: Outcome) -> ! {
    let id = envs::current_id();
    teardown::end_children(id);
    let env = envs::take(id).expect("no running environment");
    entry::drop_fpu();
    teardown::end(env, outcome);
    let next = sched::resume_next().or_else(|| {
        teardown::end_stuck();
        sched::resume_next()
    });
    let frame = next.unwrap_or_else(runlist::launch_next);
    entry::enter_user(&frame)
}
