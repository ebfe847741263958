//! Files: the read-only boot file system (`bootfs.rs`), the writable session `/tmp`
//! (`tmpfs.rs`), the terminal (`tty.rs`), per-process descriptors (`fd/`), the working directory
//! (`workdir.rs` stores and resolves it, `cwd.rs` changes it) and the error and metadata types
//! (`errno.rs`).
//!
//! May call: `sys/`, `rt/`, `ipc/` (pipes, shared-page locks), `mem::cow` (the `SHARED` tag),
//! `proc::process` (ids, signals) and `thread::sync` (a lock). Layers, bottom up: `errno`, `fd/table`, `workdir`, `bootfs`
//! and `tmpfs`, `fd`, `cwd`.
//!
//! The names below are the file API as programs know it (`exos::fs::lookup`): the boot archive's
//! calls, except `stat` and `readdir`, which see `/tmp` too (`fd::stat`, `fd::list`).
pub mod bootfs;
pub mod cwd;
pub mod errno;
pub mod fd;
pub mod tmpfs;
pub mod tty;
pub mod workdir;

pub use bootfs::{archive, lookup, read_file, Kind, Node, MODE_DIR, MODE_FILE};
pub use cwd::{chdir, cwd};
pub use errno::{Described, Errno, FileKind, Stat};
pub use fd::{list as readdir, stat, DirEntry};
