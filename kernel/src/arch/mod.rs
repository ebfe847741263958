//! Architecture support. Exo runs on x86_64 only for now. The bottom of the kernel with `mem/`:
//! `x86_64/` may call `mem::paging` (the LAPIC's device window) and `stages` (whether stamps are on),
//! nothing else.
pub mod x86_64;
