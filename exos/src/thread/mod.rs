//! User-level threads: spawn, join, yield, exit and preemption on the slice-end upcall
//! (`uthread.rs`, re-exported here as `thread::*`), the replaceable scheduling policy
//! (`exoscore::policy`, re-exported as `thread::policy`), saved contexts and the switch (`context.rs`), guarded stacks (`stack.rs`),
//! blocking `Mutex` and `Condvar` (`sync.rs`), and the pacer that makes every tick preempt
//! (`pacer.rs`).
//!
//! May call: `sys/`, `rt/` (the slice-end handler, the FPU state), and `proc::process` (a thread
//! that turns on preemption registers the process's signal check at slice ends).
pub mod context;
pub mod pacer;
pub mod stack;
pub mod sync;
pub mod uthread;

pub use exoscore::policy;
pub use uthread::*;
