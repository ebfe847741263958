//! The kernel's interface, at the bottom of ExOS: the system-call stubs (`syscall.rs`, the raw
//! `syscall` instruction), the read-only windows the kernel maps into every address space (`vm.rs`:
//! page ownership, capability counts, the self-map of the page tables, the environment table, the
//! boot archive; `stats.rs`: names, run ticks, counters).
//!
//! May call: `abi`, `kcore` only. Every other folder may call it.
pub mod stats;
pub mod syscall;
pub mod vm;
