//! The runtime every program starts in: `_start` and [`crate::main!`] (`entry.rs`), output
//! (`console.rs`), the heap (`heap.rs`), exception delivery (`exception.rs`: the entry, the
//! handlers the program and library layers register, the dispatcher), registered functions
//! (`hook.rs`) and stage stamps (`stages.rs`).
//!
//! May call: `sys/`. `console.rs` writes through `fs::fd` when the process has a descriptor table,
//! and `entry.rs` (the top of the library) starts programs through `proc/` and registers the
//! library's exception layers (`proc::init`, `mem::init`). The exception dispatcher names no
//! folder above `sys/`: layers register into it.
pub mod console;
pub mod entry;
pub mod exception;
pub mod heap;
pub mod hook;
pub mod stages;
