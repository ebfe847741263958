//! Files: the read-only boot file system (`bootfs.rs`), the writable session `/tmp`
//! (`tmpfs.rs`), the terminal (`tty.rs`), per-process descriptors (`fd/`), the working directory
//! (`workdir.rs` stores and resolves it, `cwd.rs` changes it) and the error and metadata types
//! (`errno.rs`).
//!
//! May call: `sys/`, `rt/`, `ipc/` (pipes, shared-page locks), `proc::process` and `mem::cow`
//! (ids, signals, the `SHARED` tag). Layers, bottom up: `errno`, `fd/table`, `workdir`, `bootfs`
//! and `tmpfs`, `fd`, `cwd`.
//!
//! The names below are the boot file system's API as programs know it (`exos::fs::lookup`).
pub mod bootfs;
pub mod cwd;
pub mod errno;
pub mod fd;
pub mod tmpfs;
pub mod tty;
pub mod workdir;

pub use bootfs::{archive, lookup, read_file, readdir, stat, Kind, Node, MODE_DIR, MODE_FILE};
pub use cwd::{chdir, cwd};
pub use errno::{Errno, FileKind, Stat};
