//! Exo's persistent storage logic, pure and host-tested (`cargo test -p fscore`): no unsafe, no
//! std, only `alloc`, so ExOS and the kernel link it as it is tested.
//!
//! - [`dev`]: the [`BlockDevice`] contract (read, write, flush; a volatile cache, no FUA) and
//!   [`Region`], a library file system's view of its extent.
//! - The file system ExOS mounts at /home: [`layout`] (on-disk records), `store` (metadata cache,
//!   redo journal, allocator, inode table), `tree` (a file's block tree), `fs` (the operations:
//!   [`mkfs`], [`Fs::mount`], files, directories, rename, truncate, fsync) and [`fsck`].
//! - [`kmap`]: the kernel's only on-disk structure, the block-allocation map with named roots,
//!   crash-safe through two superblock slots, two map copies and an intent log.
//!
//! docs/FS.md describes the formats, the invariants and the crash model the tests use.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod crc;
pub mod dev;
mod fs;
pub mod fsck;
pub mod kmap;
pub mod layout;
mod store;
mod tree;

pub use dev::{BLOCK_SIZE, Block, BlockDevice, IoError, MemDevice, Region};
pub use fs::{MAX_DIR_BLOCKS, MkfsOptions, STEP_BLOCKS, Stat, StatFs, mkfs};
pub use fsck::{Report, fsck};
pub use layout::{DirEntry, Kind, NAME_MAX, ROOT_INO};
pub use store::{Clock, Fs};
pub use tree::MAX_FILE_BLOCKS;

/// Why a file system operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsError {
    /// The device failed; the file system refuses further work (`Poisoned`) until remounted.
    Io(IoError),
    /// An earlier I/O error left the in-memory state unlike the disk's: remount.
    Poisoned,
    NotFound,
    Exists,
    NotDir,
    IsDir,
    NotEmpty,
    /// No free block (blocks freed since the last checkpoint count once it has run).
    NoSpace,
    NoInodes,
    NameTooLong,
    /// An empty name, ".", "..", or one holding '/' or NUL.
    BadName,
    /// Past the largest file ([`MAX_FILE_BLOCKS`] blocks).
    FileTooBig,
    /// A bad argument (e.g. moving a directory under itself, a device too large).
    Invalid,
    /// The disk holds something this code never writes; `fsck` may repair it.
    Corrupt(&'static str),
}

/// Counters since mount: device calls and journal activity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub reads: u64,
    pub writes: u64,
    pub flushes: u64,
    pub commits: u64,
    pub checkpoints: u64,
    /// Transactions the mount replayed from the journal.
    pub replayed: u32,
    /// Inodes with no name the mount freed.
    pub orphans: u32,
}
