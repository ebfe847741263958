//! ExOS, the library operating system: ordinary, untrusted code linked into every Exo program.
//! Any of it can be replaced by a program that knows better. One folder per subsystem, bottom up
//! (each folder's `mod.rs` says what it owns and what it may call):
//!
//! - `layout.rs`: every address range the library uses, checked to be disjoint at compile time;
//! - `sys/`: the kernel's interface (system-call stubs, the read-only windows, the statistics page)
//!   and the views of the pages the library maps and shares (`sys/shared.rs`);
//! - `rt/`: program start, console output, the heap, exception delivery (handlers register into
//!   it, it calls up into no one), registered functions, the private page, stage stamps;
//! - `mem/`: regions, demand zero, protection, sharing, the Appel-Li primitives, copy-on-write,
//!   reclaim;
//! - `proc/`: `fork`, exit/`wait`/signals, `spawn`, `exec`;
//! - `thread/`: user-level threads, their policy, stacks, locks and the pacer;
//! - `ipc/`: shared regions, pipes, shared-memory channels, LRPC;
//! - `fs/`: the boot file system, `/tmp`, the terminal, descriptors (sockets and `poll` among
//!   them), the working directory;
//! - `net/`: this process's own TCP/IP stack (smoltcp) over the kernel's NIC, port and filter
//!   calls: DHCP, sockets.
//!
//! Pure logic (update batches, the thread policy, the tty line discipline, region placement, the
//! `/tmp` pool's layout and page chains) is in the host-tested crate `exoscore`.
//!
//! Programs name a module by its folder: `exos::proc::fork`, `exos::mem::mmap`, `exos::sys::syscall`.
#![no_std]
#![deny(unsafe_code)]

extern crate alloc;

pub mod fs;
pub mod ipc;
pub mod layout;
pub mod mem;
pub mod net;
pub mod proc;
pub mod rt;
pub mod sys;
pub mod thread;

use cmem as _;

pub use abi::Error;

#[cfg(not(test))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    match info.location() {
        Some(l) => println!("panic at {}:{}: {}", l.file(), l.line(), info.message()),
        None => println!("panic: {}", info.message()),
    }
    sys::syscall::sys_env_exit(101)
}
