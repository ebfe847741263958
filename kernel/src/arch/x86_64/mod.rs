//! Everything specific to x86_64 hardware. All of the kernel's unsafe code that touches the CPU
//! lives here (memory's is in `mem/`; docs/ARCHITECTURE.md, "Unsafe code", lists the few other
//! modules allowed unsafe code). Above itself it calls only `mem::paging::map_device`
//! (the LAPIC's window) and reads `stages::ENABLED`; the entry code reaches `syscall_dispatch` and
//! `trap_dispatch` by symbol.
pub mod boot;
pub mod cpu;
pub mod entry;
pub mod gdt;
pub mod idt;
pub mod irqoff;
pub mod lapic;
pub mod legacy;
pub mod serial;
