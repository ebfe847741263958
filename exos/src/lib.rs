//! ExOS, the library operating system: ordinary, untrusted code linked into every Exo program.
//!
//! Today it holds what a program needs to start, print and exit: the `_start` entry point and
//! [`main!`] (`entry.rs`), the system-call wrappers (`syscall.rs`), exception handlers that resume
//! the faulting code without the kernel (`exception.rs`), a heap for `alloc` over pages it maps
//! itself (`heap.rs`), processes: copy-on-write `fork` (`fork.rs`, `cow.rs`), exit status, `wait`,
//! `kill` and signals (`process.rs`), starting programs from the boot archive with arguments and
//! environment variables (`spawn.rs`: the library's ELF loader), replacing the program in place (`exec.rs`), virtual memory as regions with demand-zero pages, sharing, protection
//! changes and per-region fault handlers (`mmap.rs`; across environments: `share.rs`), the Appel-Li primitives over it (`appel.rs`), the answer to the kernel's revocation
//! upcall under memory pressure (`reclaim.rs`: clean demand-zero and retired copy-on-write pages first),
//! IPC between environments: shared regions (`region.rs`), pipes (`pipe.rs`), shared-memory
//! channels (`shm.rs`) and LRPC over protected control transfer (`lrpc.rs`); console output with
//! [`print!`]/[`println!`] (`console.rs`) and a panic handler that reports and exits. Unsafe code
//! is confined to `syscall.rs`, `entry.rs`, `exec.rs` (the switch trampoline), `exception.rs`, `heap.rs`, `fork.rs`, `process.rs`, `vm.rs` (reading the read-only
//! windows the kernel maps: the page-ownership table and the self-map of the page tables) and
//! `region.rs` (viewing shared pages), `tty.rs` (its shared page), `context.rs`, `thread.rs` (the scheduler's state), `sync.rs` and
//! `pacer.rs`. User-level threads: `thread.rs` (spawn, join, yield, exit, preemption on the
//! slice-end upcall), `policy.rs` (the replaceable scheduling policy, round robin by default),
//! `context.rs` (saved contexts and the switch), `stack.rs` (guarded thread stacks), `sync.rs`
//! (blocking `Mutex` and `Condvar`) and `pacer.rs` (a child environment that makes every timer tick
//! preempt its parent). The kernel's counters, environment names and the process table:
//! `stats.rs`.
//! Files: the read-only boot file system over the boot archive (`fs.rs`), per-process file
//! descriptors (console, pipe ends, files, directories) that survive `exec` and follow `fork` and
//! `spawn_with` (`fd.rs`), the working directory kept with them (`cwd.rs`), console input and output for console descriptors (`tty.rs`), and a
//! writable in-memory `/tmp` shared by a session (`tmpfs.rs`; unsafe for its shared pages).
//! Measuring itself: stage stamps on the exception path, merged with the kernel's (`stages.rs`,
//! only with the `stages` feature; `cargo xtask bench`'s breakdown).
//! Any of it can be replaced by a program that knows better.
#![no_std]
#![deny(unsafe_code)]

extern crate alloc;

pub mod console;
pub mod context;
pub mod cow;
pub mod cwd;
pub mod entry;
pub mod exec;
pub mod exception;
pub mod fd;
pub mod fs;
pub mod fork;
pub mod heap;
pub mod process;
pub mod protect;
pub mod mmap;
pub mod reclaim;
pub mod share;
pub mod appel;
pub mod batch;
pub mod lrpc;
pub mod pipe;
pub mod region;
pub mod shm;
pub mod spawn;
pub mod stages;
pub mod stats;
pub mod pacer;
pub mod policy;
pub mod stack;
pub mod sync;
pub mod syscall;
pub mod thread;
pub mod tmpfs;
pub mod tty;
pub mod vm;

use cmem as _;

pub use abi::Error;

#[cfg(not(test))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    match info.location() {
        Some(l) => println!("panic at {}:{}: {}", l.file(), l.line(), info.message()),
        None => println!("panic: {}", info.message()),
    }
    syscall::sys_env_exit(101)
}
