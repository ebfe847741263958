//! The kernel's interface, at the bottom of ExOS: the system-call stubs (`syscall.rs`, the raw
//! `syscall` instruction), the read-only windows the kernel maps into every address space (`vm.rs`:
//! page ownership, capability counts, the self-map of the page tables, the environment table, the
//! boot archive; `stats.rs`: names, run ticks, counters), and the views of the pages the library
//! maps for itself and shares (`shared.rs`: the one type through which other modules reach them),
//! sleeping (`wait.rs`: `env_wait`, `page_wake`, the clock) and the process's extents (`extent.rs`: large memory from physically contiguous ranges).
//!
//! May call: `abi`, `kcore` and `exoscore`'s pure logic only. Every other folder may call it.
pub mod extent;
pub mod shared;
pub mod stats;
pub mod syscall;
pub mod vm;
pub mod wait;
