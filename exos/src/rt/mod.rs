//! The runtime every program starts in: `_start` and [`crate::main!`] (`entry.rs`), output
//! (`console.rs`), the heap (`heap.rs`), exception delivery (`exception.rs`: the entry, the
//! handlers the program and library layers register, the dispatcher; `fpu.rs` the state it
//! saves), registered functions (`hook.rs`), the process-private page `fork` never shares (`private.rs`), syscall redirection for foreign
//! personalities (`redirect.rs`) and stage stamps
//! (`stages.rs`).
//!
//! May call: `sys/`. `console.rs` writes through `fs::fd` when the process has a descriptor table,
//! and `entry.rs` (the top of the library) starts programs through `proc/`. The exception
//! dispatcher names no folder above `sys/`: the layers above register into it where they become
//! needed (`fork` registers copy-on-write, `proc::process` signals at slice ends).
pub mod console;
pub mod entry;
pub mod exception;
pub mod fpu;
pub mod heap;
pub mod hook;
pub mod private;
pub mod redirect;
pub mod stages;
