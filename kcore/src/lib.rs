//! Hardware-free kernel logic, unit-tested on the host with `cargo test -p kcore`.
//!
//! The kernel links this crate and calls it for everything that needs no hardware: checking ELF
//! executables (`elf`), memory-budget arithmetic (`budget`), capability tables and revocation (`cap`), reading the boot archive (`initrd`), the physical memory map (`memmap`),
//! the frame bitmap (`frames`), extent mappings (`extent`), the command line (`cmdline`) and the sorted address map that holds
//! an environment's mappings (`vamap`). `memmap` and `frames` work
//! without a heap because they run before the kernel has one.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod net;
pub mod budget;
pub mod cap;
pub mod cmdline;
pub mod elf;
pub mod extent;
pub mod frames;
pub mod initrd;
pub mod memmap;
pub mod vamap;
#[cfg(test)]
mod test_random;
