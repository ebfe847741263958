//! The working directory: `chdir`, `cwd`, and resolving relative paths against it.
//!
//! The directory is kept in the spare end of the file-descriptor table page (`fd.rs`), so it
//! survives `exec` (the page is in the private region), `fork` copies it and `spawn_with` gives
//! the child the parent's (both build the child's table from this one). A process without a table
//! (a boot program, a plain `spawn`) is at `/`. `fs::lookup` resolves every relative path with
//! [`resolve`], so `fd::open`, `fd::stat`, `fs::read_file` and `fs::readdir` all see it.
use crate::fd;
use crate::fs::{self, Errno, Kind};
use alloc::string::String;

/// The longest working directory (bytes of its normalized absolute path).
pub const CWD_MAX: usize = fd::CWD_MAX;

/// The working directory: a normalized absolute path (`/`, `/usr/share`).
pub fn cwd() -> String {
    match fd::cwd_bytes() {
        Some(bytes) if !bytes.is_empty() => String::from_utf8_lossy(bytes).into_owned(),
        _ => String::from("/"),
    }
}

/// `path` made absolute: unchanged if it starts with `/`, else joined to [`cwd`] (`.` and `..`
/// are left for the lookup to resolve).
pub fn resolve(path: &str) -> String {
    if path.starts_with('/') {
        return String::from(path);
    }
    let mut full = cwd();
    if !full.ends_with('/') {
        full.push('/');
    }
    full.push_str(path);
    full
}

/// `path` (resolved against the working directory) with `.`, `..` and repeated `/` removed.
pub fn normalize(path: &str) -> Result<String, Errno> {
    let full = resolve(path);
    let mut parts = [""; kcore::initrd::MAX_DEPTH];
    let depth = kcore::initrd::normalize(&full, &mut parts).ok_or(Errno::ENOENT)?;
    let mut out = String::new();
    for part in &parts[..depth] {
        out.push('/');
        out.push_str(part);
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

/// Changes the working directory to `path` (absolute or relative). `ENOENT` if it does not exist,
/// `ENOTDIR` if it is a file, `EINVAL` if its normalized path is longer than [`CWD_MAX`].
pub fn chdir(path: &str) -> Result<(), Errno> {
    let target = normalize(path)?;
    if target != "/" && fs::lookup(&target)?.kind != Kind::Dir {
        return Err(Errno::ENOTDIR);
    }
    if target.len() > CWD_MAX {
        return Err(Errno::EINVAL);
    }
    fd::set_cwd_bytes(target.as_bytes())
}
