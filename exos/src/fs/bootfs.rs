//! The boot file system: a read-only view of the boot archive (`kcore::initrd`) the kernel maps
//! into every address space. Paths are normalized (`/bin/echo`, `bin/echo` and `./bin//echo` are
//! the same file); directories the archive does not store but paths run through exist implicitly.
//!
//! Relative paths are resolved against the working directory (`workdir.rs`).
use crate::fs::errno::{Errno, Stat};
use crate::fs::workdir;
use crate::sys::vm;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU8, Ordering};
pub use kcore::initrd::{Kind, Node, MODE_DIR, MODE_FILE};

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
/// A relative path is resolved against the working directory (`workdir.rs`).
pub fn lookup(path: &str) -> Result<Node<'static>, Errno> {
    let resolved;
    let path = if path.starts_with('/') {
        path
    } else {
        resolved = workdir::resolve(path);
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
