//! ExOS's pure logic, unit-tested on the host with `cargo test -p exoscore`.
//!
//! ExOS (`exos/`) links this crate for everything that makes no system call and reads no page of
//! its own: batches of `page_map` updates (`batch`), the thread scheduling policy (`policy`), the
//! terminal's line discipline over its shared state (`tty`), placing regions in an address range
//! (`place`), cutting a range into extents (`extent`), the layout of the `/tmp` pool's header (`pool`) and its page chains (`chain`), the network utilities' URLs, HTTP heads, ping statistics and interface reports (`net`), and the Linux personality's ELF load plan and initial stack (`linux`). ExOS keeps the mapping, the
//! locking across processes and the system calls.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod batch;
pub mod chain;
pub mod extent;
pub mod linux;
pub mod net;
pub mod place;
pub mod policy;
pub mod pool;
pub mod tty;
