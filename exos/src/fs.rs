//! The boot file system: a read-only view of the boot archive (`kcore::initrd`) the kernel maps
//! into every address space. Paths are normalized (`/bin/echo`, `bin/echo` and `./bin//echo` are
//! the same file); directories the archive does not store but paths run through exist implicitly.
//!
//! It also owns [`Errno`], the POSIX-like error of the file API (`fs.rs` and `fd.rs`).
use crate::vm;
pub use crate::cwd::{chdir, cwd};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::sync::atomic::{AtomicU8, Ordering};
pub use kcore::initrd::{Kind, Node, MODE_DIR, MODE_FILE};

/// Why a file operation failed (the POSIX name and meaning).
#[allow(clippy::upper_case_acronyms)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Errno {
    /// No such file or directory.
    ENOENT,
    /// Not an open file descriptor, or not open for that (writing a read-only file).
    EBADF,
    /// Is a directory (reading one, opening one for writing).
    EISDIR,
    /// A path component is not a directory (or `O_DIRECTORY` on a file, `readdir` of a file).
    ENOTDIR,
    /// Invalid argument (a negative offset, an unknown `whence`, a descriptor out of range).
    EINVAL,
    /// Broken pipe: every reader closed.
    EPIPE,
    /// The descriptor table is full.
    EMFILE,
    /// Read-only file system: the boot archive cannot be written or created in.
    EROFS,
    /// Illegal seek: the descriptor is a pipe or the console.
    ESPIPE,
    /// The boot archive is missing or malformed.
    EIO,
    /// No space left on device: the `/tmp` pool is full (pages or file table).
    ENOSPC,
    /// File name too long (a `/tmp` name over `tmpfs::NAME_MAX` bytes).
    ENAMETOOLONG,
    /// A system call failed.
    Kernel(abi::Error),
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Errno::ENOENT => "ENOENT: no such file or directory",
            Errno::EBADF => "EBADF: bad file descriptor",
            Errno::EISDIR => "EISDIR: is a directory",
            Errno::ENOTDIR => "ENOTDIR: not a directory",
            Errno::EINVAL => "EINVAL: invalid argument",
            Errno::EPIPE => "EPIPE: broken pipe",
            Errno::EMFILE => "EMFILE: too many open files",
            Errno::EROFS => "EROFS: read-only file system",
            Errno::ESPIPE => "ESPIPE: illegal seek",
            Errno::EIO => "EIO: the boot archive is missing or malformed",
            Errno::ENOSPC => "ENOSPC: no space left on device",
            Errno::ENAMETOOLONG => "ENAMETOOLONG: file name too long",
            Errno::Kernel(e) => return write!(f, "EIO: system call failed: {e:?}"),
        };
        f.write_str(text)
    }
}

impl From<abi::Error> for Errno {
    fn from(e: abi::Error) -> Errno {
        Errno::Kernel(e)
    }
}

/// What `stat` and `fstat` report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    /// Bytes (0 for directories, pipes and the console).
    pub size: u64,
    /// The whole mode, type bits included (`0o100644`, `0o040755`, `0o010600` for a pipe,
    /// `0o020620` for the console).
    pub mode: u32,
    pub kind: FileKind,
}

/// What a path or a descriptor names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    File,
    Dir,
    Pipe,
    Console,
}

impl Stat {
    /// The stat of an archive node.
    pub fn of(node: &Node<'_>) -> Stat {
        let kind = if node.kind == Kind::Dir { FileKind::Dir } else { FileKind::File };
        Stat { size: node.size() as u64, mode: node.mode, kind }
    }
}

/// 0: not checked yet, 1: valid, 2: refused.
static CHECKED: AtomicU8 = AtomicU8::new(0);

/// The boot archive (checked once per process; the kernel refuses a malformed one at boot).
pub fn archive() -> Result<kcore::initrd::Archive<'static>, Errno> {
    let bytes = vm::initrd();
    match CHECKED.load(Ordering::Relaxed) {
        1 => Ok(kcore::initrd::Archive::validated(bytes)),
        2 => Err(Errno::EIO),
        _ => {
            let ok = kcore::initrd::Archive::new(bytes).is_ok();
            CHECKED.store(if ok { 1 } else { 2 }, Ordering::Relaxed);
            if ok { Ok(kcore::initrd::Archive::validated(bytes)) } else { Err(Errno::EIO) }
        }
    }
}

/// The file or directory at `path`. `ENOENT` if there is none, `ENOTDIR` if a component on the
/// way is a file.
/// A relative path is resolved against the working directory (`cwd.rs`).
pub fn lookup(path: &str) -> Result<Node<'static>, Errno> {
    let resolved;
    let path = if path.starts_with('/') {
        path
    } else {
        resolved = crate::cwd::resolve(path);
        resolved.as_str()
    };
    let archive = archive()?;
    if let Some(node) = archive.lookup(path) {
        return Ok(node);
    }
    let mut parts = [""; kcore::initrd::MAX_DEPTH];
    let depth = kcore::initrd::normalize(path, &mut parts).ok_or(Errno::ENOENT)?;
    let mut prefix = String::new();
    for part in &parts[..depth.saturating_sub(1)] {
        prefix.push('/');
        prefix.push_str(part);
        match archive.lookup(&prefix) {
            Some(node) if node.kind == Kind::File => return Err(Errno::ENOTDIR),
            Some(_) => {}
            None => break,
        }
    }
    Err(Errno::ENOENT)
}

/// Size, mode and kind of `path`.
pub fn stat(path: &str) -> Result<Stat, Errno> {
    lookup(path).map(|node| Stat::of(&node))
}

/// The contents of the file at `path` (`EISDIR` for a directory).
pub fn read_file(path: &str) -> Result<&'static [u8], Errno> {
    match lookup(path)? {
        node if node.kind == Kind::Dir => Err(Errno::EISDIR),
        node => Ok(node.data),
    }
}

/// The children of directory `path`, in archive order (`ENOTDIR` for a file).
pub fn readdir(path: &str) -> Result<Vec<Node<'static>>, Errno> {
    let dir = lookup(path)?;
    if dir.kind != Kind::Dir {
        return Err(Errno::ENOTDIR);
    }
    let archive = archive()?;
    let mut out = Vec::new();
    let mut cursor = 0;
    while let Some((node, next)) = archive.readdir(dir.path, cursor) {
        out.push(node);
        cursor = next;
    }
    Ok(out)
}
