//! Everything specific to x86_64 hardware. All of the kernel's unsafe code that touches the CPU
//! lives here (plus `mem::phys`/`mem::paging` for memory and `uaccess` for user memory).
pub mod boot;
pub mod cpu;
pub mod entry;
pub mod gdt;
pub mod idt;
pub mod lapic;
pub mod legacy;
pub mod serial;
