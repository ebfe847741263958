//! The working directory as stored, and paths resolved against it: [`cwd`], [`resolve`],
//! [`normalize`]. It lives in the spare end of the descriptor-table page (`fd/table.rs`), so it
//! survives `exec`, `fork` copies it and `spawn_with` gives the child the parent's. A process
//! without a table (a boot program, a plain `spawn`) is at `/`. Changing it (`chdir`, which
//! checks the target) is `cwd.rs`, one layer up.
use crate::fs::errno::Errno;
use crate::fs::fd::table;
use alloc::string::String;

/// The longest working directory (bytes of its normalized absolute path).
pub const CWD_MAX: usize = table::CWD_MAX;

/// The working directory: a normalized absolute path (`/`, `/usr/share`).
pub fn cwd() -> String {
    match table::cwd_bytes() {
        Some(bytes) if !bytes.is_empty() => String::from_utf8_lossy(&bytes).into_owned(),
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

/// Stores `path` (normalized, absolute, checked by the caller) as the working directory.
pub(crate) fn set(path: &str) -> Result<(), Errno> {
    table::set_cwd_bytes(path.as_bytes())
}
