//! Changing the working directory: [`chdir`], over the boot archive's directories and `/tmp`.
//! Reading it and resolving paths against it is `workdir.rs` (re-exported here, so `cwd::cwd`,
//! `cwd::resolve` and `cwd::normalize` stay one name away from `chdir`).
use crate::fs::bootfs::{self, Kind};
use crate::fs::errno::Errno;
use crate::fs::{tmpfs, workdir};

pub use crate::fs::workdir::{cwd, normalize, resolve, CWD_MAX};

/// Changes the working directory to `path` (absolute or relative). `ENOENT` if it does not exist,
/// `ENOTDIR` if it is a file, `EINVAL` if its normalized path is longer than [`CWD_MAX`]. `/tmp`
/// is a directory (the session's in-memory files: `tmpfs.rs`), whether or not it holds any.
pub fn chdir(path: &str) -> Result<(), Errno> {
    let target = normalize(path)?;
    match tmpfs::classify(&target) {
        Some(Ok(None)) => {}
        Some(Ok(Some(name))) => return Err(if tmpfs::open(name, false, false).is_ok() { Errno::ENOTDIR } else { Errno::ENOENT }),
        Some(Err(e)) => return Err(e),
        None if target != "/" && bootfs::lookup(&target)?.kind != Kind::Dir => return Err(Errno::ENOTDIR),
        None => {}
    }
    if target.len() > CWD_MAX {
        return Err(Errno::EINVAL);
    }
    workdir::set(&target)
}
