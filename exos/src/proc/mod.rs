//! Processes: copy-on-write `fork` (`fork.rs`; the fault layer is `mem::cow`), exit status, `wait`,
//! `kill` and signals (`process.rs`), starting programs from the boot archive (`spawn.rs`) and
//! replacing the program in place (`exec.rs`), and the budget each child gets (`budget.rs`).
//!
//! May call: `sys/`, `rt/`, `mem/`, `ipc::region` (ids, liveness), `fs/` (descriptors, `/tmp` and
//! the tty follow a child).
pub mod budget;
pub mod exec;
pub mod fork;
pub mod process;
pub mod spawn;

