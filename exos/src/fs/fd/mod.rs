//! File descriptors: the per-process table and the calls over it (`open`, `read`, `write`,
//! `close`, `dup`, `dup2`, `lseek`, `fstat`, `readdir`, `pipe`, close-on-exec).
//!
//! The table is one page at [`FD_TABLE`], in ExOS's private region, never on the heap: it
//! survives `exec` (which replaces the image, heap included, but keeps the private region), and
//! `fork` copies it explicitly ([`fork_into`]) since it never copies the private region.
//! `spawn_with` builds a child's table from listed descriptors ([`give_table`]); a plain `spawn`
//! gives none. A process with no table yet (every boot program, every plain `spawn`) has the
//! console on descriptors 0, 1 and 2; the page is made the first time a call needs it.
//!
//! Kinds: **Console** (the terminal, through `tty.rs`), **PipeRead** / **PipeWrite** (`pipe.rs`;
//! each descriptor is one registered end, so readers and writers stay counted right through
//! `dup`, `close`, `fork` and `spawn_with`, and end of file / `EPIPE` work), **File** (a boot
//! archive file and an offset) and **Dir** (a directory and a `readdir` cursor). The archive is
//! read-only: opening for writing or creating fails with `EROFS`. Paths under `/tmp` are the
//! session's writable in-memory files (`tmpfs.rs`): **TmpFile** (a file of the pool, its
//! generation, the open flags and an offset) and **TmpDir** (`/tmp` itself, a table cursor).
//! **Socket**: a TCP, UDP or ICMP socket of this process's network stack (made by `net::fd`,
//! reached through the entry it registers in `socket.rs`), read and written like a stream (TCP)
//! or one datagram at a time (UDP); `poll.rs` waits for any of several descriptors (sockets and
//! the terminal together).
//!
//! The page's spare end holds the working directory (`workdir.rs`), copied with the table.
//!
//! **Pipe lifetime.** A pipe's pages belong to the process that made it with [`pipe`]. That
//! process keeps the pipes it made in a list in the table page (the unused words of the slots, so
//! it survives `exec` and is never copied to a child) and frees a pipe's pages as soon as no live
//! process holds an end of it: when it closes the last end itself, else at its next [`pipe`] (or
//! [`reap_pipes`]) once the other holders have closed their ends or ended.
//!
//! User-level threads share one table; the calls are not atomic against a preemption between two
//! threads using the same descriptor.
use crate::fs::bootfs as fs;
use crate::fs::errno::{Described, Errno, FileKind, Stat};
use crate::fs::workdir;
use crate::ipc::pipe::{PipeReader, PipeWriter};
use crate::sys::syscall::{sys_page_alloc, sys_page_free, sys_page_map, sys_page_map_into};
use crate::fs::tmpfs::{self, Handle};
use crate::fs::tty;
use crate::ipc::region;
use crate::mem::cow;
use crate::sys::vm;
use abi::{MapUpdate, ANY_PAGE};
use kcore::initrd::Kind;

mod inherit;
pub mod poll;
pub mod socket;
pub(crate) mod table;
pub use inherit::{fork_into, give_table};
pub use table::{has_table, CWD_MAX, FD_TABLE, MAX_FDS};
use table::*;


/// `open` flags (Linux values). Outside `/tmp` only reading is possible; any of the write
/// flags fails with `EROFS`.
pub const O_RDONLY: u32 = 0;
pub const O_WRONLY: u32 = 0o1;
pub const O_RDWR: u32 = 0o2;
pub const O_CREAT: u32 = 0o100;
pub const O_TRUNC: u32 = 0o1000;
pub const O_APPEND: u32 = 0o2000;
pub const O_DIRECTORY: u32 = 0o200000;
pub const O_CLOEXEC: u32 = 0o2000000;

/// `lseek`'s origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Whence {
    Set,
    Cur,
    End,
}
/// Pipes this process created and has not freed: [`CREATED`] words, `base | pages`, 0 when free,
/// in the slots' unused words (`store` writes only the first 32 bytes of a slot).
const CREATED: usize = MAX_FDS * 2;

fn created_at(k: usize) -> usize {
    HEADER + (k / 2) * SLOT + 32 + (k % 2) * 8
}

/// Frees the listed pipe in entry `k` if no live process holds an end of it; whether it did.
fn collect(page: Page, k: usize, me: u64) -> bool {
    let entry = word(page, created_at(k));
    let (base, pages) = (entry & !0xfff, (entry & 0xfff) as usize);
    if entry == 0 || (crate::sys::vm::translate(base).is_some() && !crate::ipc::pipe::unheld(base, pages)) {
        return false;
    }
    if region::owner_of(base) == Some(me) {
        crate::ipc::pipe::free(base, pages);
    }
    put(page, created_at(k), 0);
    true
}

/// Frees the pages of every pipe this process created that no live process holds an end of
/// any more (every holder closed it or ended); returns how many. [`pipe`] does it first, and
/// closing the last end frees a pipe at once, so callers need this only to give pages back
/// before the next `pipe` (e.g. after waiting for the children of a pipeline).
pub fn reap_pipes() -> usize {
    let (Ok(me), true) = (me(), has_table()) else { return 0 };
    let page = page();
    (0..CREATED).filter(|&k| collect(page, k, me)).count()
}

/// The lowest free descriptor.
fn free_fd() -> Result<u32, Errno> {
    let page = table()?;
    (0..MAX_FDS).find(|&fd| load(page, fd).kind == Type::Free).map(|fd| fd as u32).ok_or(Errno::EMFILE)
}

fn pipe_error(e: crate::ipc::pipe::PipeError) -> Errno {
    match e {
        crate::ipc::pipe::PipeError::BrokenPipe => Errno::EPIPE,
        crate::ipc::pipe::PipeError::Kernel(e) => Errno::Kernel(e),
        _ => Errno::EBADF,
    }
}

/// Opens `path` for reading (flags `O_RDONLY`, optionally `O_DIRECTORY`, `O_CLOEXEC`). A
/// directory opens too (for `readdir`). Write or create flags: `EROFS` (or `EISDIR` for a
/// directory); `ENOENT`, `ENOTDIR` as `fs::lookup`; `EMFILE` when the table is full.
pub fn open(path: &str, flags: u32) -> Result<u32, Errno> {
    let full = full_path(path);
    if let Some(place) = tmpfs::classify(&full) {
        return open_tmp(place?, flags);
    }
    let writes = flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND) != 0;
    let node = match fs::lookup(path) {
        Err(Errno::ENOENT) if flags & O_CREAT != 0 => return Err(Errno::EROFS),
        other => other?,
    };
    let base = fs::archive()?.bytes().as_ptr() as u64;
    let slot = match node.kind {
        Kind::Dir if writes => return Err(Errno::EISDIR),
        Kind::Dir => Slot { kind: Type::Dir, mode: node.mode, a: node.path.as_ptr() as u64 - base, b: node.path.len() as u64, ..FREE },
        _ if writes => return Err(Errno::EROFS),
        _ if flags & O_DIRECTORY != 0 => return Err(Errno::ENOTDIR),
        _ => Slot { kind: Type::File, mode: node.mode, a: node.data.as_ptr() as u64 - base, b: node.data.len() as u64, ..FREE },
    };
    let fd = free_fd()?;
    set(fd, Slot { cloexec: flags & O_CLOEXEC != 0, ..slot })?;
    Ok(fd)
}

/// `open` under `/tmp`: `O_CREAT` makes the file, `O_TRUNC` empties it (when opened for
/// writing), `O_APPEND` writes at the end; `/tmp` itself opens read-only as a directory.
fn open_tmp(name: Option<&str>, flags: u32) -> Result<u32, Errno> {
    let writable = flags & (O_WRONLY | O_RDWR) != 0;
    let slot = match name {
        None if writable || flags & (O_CREAT | O_TRUNC | O_APPEND) != 0 => return Err(Errno::EISDIR),
        None => Slot { kind: Type::TmpDir, mode: tmpfs::DIR_MODE, ..FREE },
        Some(_) if flags & O_DIRECTORY != 0 => return Err(Errno::ENOTDIR),
        Some(name) => {
            let file = tmpfs::open(name, flags & O_CREAT != 0, writable && flags & O_TRUNC != 0)?;
            let mode = flags & (O_WRONLY | O_RDWR | O_APPEND);
            Slot { kind: Type::TmpFile, mode, a: file.index as u64, b: file.generation, ..FREE }
        }
    };
    let fd = free_fd()?;
    set(fd, Slot { cloexec: flags & O_CLOEXEC != 0, ..slot })?;
    Ok(fd)
}

fn tmp_handle(slot: &Slot) -> Handle {
    Handle { index: slot.a as usize, generation: slot.b }
}

/// Removes `path`: only files under `/tmp` can be (`EROFS` for other existing paths, `EISDIR`
/// for `/tmp`, `ENOENT`).
pub fn unlink(path: &str) -> Result<(), Errno> {
    let full = full_path(path);
    match tmpfs::classify(&full) {
        Some(Ok(Some(name))) => tmpfs::unlink(name),
        Some(Ok(None)) => Err(Errno::EISDIR),
        Some(Err(e)) => Err(e),
        None => fs::lookup(path).and(Err(Errno::EROFS)),
    }
}

/// Renames `from` to `to` (replacing a file named `to`): both under `/tmp` (`tmpfs::rename`);
/// `EXDEV` across file systems, `EROFS` inside the boot archive, `EINVAL` for `/tmp` itself.
pub fn rename(from: &str, to: &str) -> Result<(), Errno> {
    let (src, dst) = (full_path(from), full_path(to));
    match (tmpfs::classify(&src), tmpfs::classify(&dst)) {
        (Some(Ok(Some(a))), Some(Ok(Some(b)))) => tmpfs::rename(a, b),
        (Some(Err(e)), _) | (_, Some(Err(e))) => Err(e),
        (Some(Ok(None)), _) | (_, Some(Ok(None))) => Err(Errno::EINVAL),
        (Some(_), None) => Err(Errno::EXDEV),
        (None, Some(_)) => fs::lookup(from).and(Err(Errno::EXDEV)),
        (None, None) => fs::lookup(from).and(Err(Errno::EROFS)),
    }
}

/// The directory part of absolute path `path` (`/` for a name in the root).
fn parent(path: &str) -> &str {
    match path.trim_end_matches('/').rfind('/') {
        Some(0) | None => "/",
        Some(at) => &path[..at],
    }
}

/// Makes directory `path`. `/tmp` is flat (`EOPNOTSUPP` for a directory in it, `EEXIST` for
/// `/tmp` itself); the boot archive is read-only (`EEXIST` for an existing path, `EROFS` for a new
/// name in an existing directory, else `ENOENT`).
pub fn mkdir(path: &str) -> Result<(), Errno> {
    let full = full_path(path);
    match tmpfs::classify(&full) {
        Some(Ok(None)) => Err(Errno::EEXIST),
        Some(Ok(Some(name))) => match tmpfs::open(name, false, false) {
            Ok(_) => Err(Errno::EEXIST),
            Err(_) => Err(Errno::EOPNOTSUPP),
        },
        Some(Err(e)) => Err(e),
        None if fs::lookup(&full).is_ok() => Err(Errno::EEXIST),
        None => match fs::lookup(parent(&full)) {
            Ok(node) if node.kind == Kind::Dir => Err(Errno::EROFS),
            Ok(_) => Err(Errno::ENOTDIR),
            Err(e) => Err(e),
        },
    }
}

/// Removes empty directory `path`: `/tmp` and the archive's directories cannot be (`EROFS`);
/// `ENOTDIR` for a file, `ENOENT` for nothing.
pub fn rmdir(path: &str) -> Result<(), Errno> {
    let full = full_path(path);
    match stat(&full)?.kind {
        FileKind::Dir => Err(Errno::EROFS),
        _ => Err(Errno::ENOTDIR),
    }
}

/// Makes what was written through `fd` durable. `/tmp` lives in memory and the archive is
/// read-only, so for them (and pipes, the console) there is nothing to do; `EBADF` if `fd` is
/// not open.
pub fn fsync(fd: u32) -> Result<(), Errno> {
    get(fd).map(|_| ())
}

/// Sets the size of the file open for writing on `fd` (`EBADF` if not writable, `EINVAL` on
/// anything but a file of `/tmp`).
pub fn ftruncate(fd: u32, size: u64) -> Result<(), Errno> {
    let slot = get(fd)?;
    match slot.kind {
        Type::TmpFile if slot.mode & (O_WRONLY | O_RDWR) != 0 => tmpfs::truncate(tmp_handle(&slot), size),
        Type::TmpFile => Err(Errno::EBADF),
        _ => Err(Errno::EINVAL),
    }
}

/// Creates `path` empty if it does not exist (`open` with `O_CREAT`, then `close`); an existing
/// file is left as it is (`/tmp` and the archive keep no times). Errors as [`open`].
pub fn touch(path: &str) -> Result<(), Errno> {
    let fd = match open(path, O_WRONLY | O_CREAT) {
        Err(Errno::EISDIR) | Err(Errno::EROFS) if stat(path).is_ok() => return Ok(()),
        other => other?,
    };
    close(fd)
}

/// The space of one mounted file system, as `df` prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    /// The file system's name (`bootfs`, `tmpfs`).
    pub name: &'static str,
    /// Where it is mounted.
    pub mount: &'static str,
    /// Bytes it holds in all, in use, and free for new data.
    pub total: u64,
    pub used: u64,
    pub free: u64,
}

/// Every mounted file system's space: the boot archive (read-only, full) and `/tmp` (its pool of
/// data pages, all free before the first file is made).
pub fn usage() -> alloc::vec::Vec<Usage> {
    let archive = fs::archive().map_or(0, |a| a.bytes().len() as u64);
    let total = (tmpfs::DATA_PAGES * tmpfs::PAGE_SIZE) as u64;
    let free = if tmpfs::present() { (tmpfs::free_pages() * tmpfs::PAGE_SIZE) as u64 } else { total };
    alloc::vec![
        Usage { name: "bootfs", mount: "/", total: archive, used: archive, free: 0 },
        Usage { name: "tmpfs", mount: "/tmp", total, used: total - free, free },
    ]
}

fn archive_bytes(slot: &Slot) -> Result<&'static [u8], Errno> {
    let bytes = fs::archive()?.bytes();
    bytes.get(slot.a as usize..(slot.a + slot.b) as usize).ok_or(Errno::EIO)
}

/// Reads into `buf`: returns how many bytes (0 at end of file). Pipes block until data or end
/// of file; the console reads through `tty::read`. `EISDIR` on a directory, `EBADF` on a write
/// end or a closed descriptor.
pub fn read(fd: u32, buf: &mut [u8]) -> Result<usize, Errno> {
    let mut slot = get(fd)?;
    match slot.kind {
        Type::Console => Ok(tty::read(buf)?),
        Type::File => {
            let data = archive_bytes(&slot)?;
            let start = (slot.pos as usize).min(data.len());
            let n = buf.len().min(data.len() - start);
            buf[..n].copy_from_slice(&data[start..start + n]);
            slot.pos += n as u64;
            set(fd, slot)?;
            Ok(n)
        }
        Type::Dir | Type::TmpDir => Err(Errno::EISDIR),
        Type::TmpFile if slot.mode & O_WRONLY != 0 => Err(Errno::EBADF),
        Type::TmpFile => {
            let n = tmpfs::read_at(tmp_handle(&slot), slot.pos, buf)?;
            slot.pos += n as u64;
            set(fd, slot)?;
            Ok(n)
        }
        Type::PipeRead => {
            let mut reader = PipeReader::from_parts(slot.a, slot.b as usize, me()?).map_err(pipe_error)?;
            let result = reader.read(buf).map_err(pipe_error);
            reader.into_parts();
            result
        }
        Type::Socket => socket::call(socket::Call::Read(socket::id(&slot)?, buf)),
        Type::PipeWrite | Type::Free => Err(Errno::EBADF),
    }
}

/// Writes `data`: returns how many bytes. `EPIPE` when a pipe has no reader left; `EBADF` on
/// files and directories (opened read-only) and read ends. A `/tmp` file opened for writing
/// grows (`ENOSPC` when the pool is full); with `O_APPEND` every write goes to its end.
pub fn write(fd: u32, data: &[u8]) -> Result<usize, Errno> {
    let mut slot = get(fd)?;
    match slot.kind {
        Type::TmpFile if slot.mode & (O_WRONLY | O_RDWR) == 0 => Err(Errno::EBADF),
        Type::TmpFile => {
            let file = tmp_handle(&slot);
            if slot.mode & O_APPEND != 0 {
                slot.pos = tmpfs::stat(file)?.size;
            }
            let n = tmpfs::write_at(file, slot.pos, data)?;
            slot.pos += n as u64;
            set(fd, slot)?;
            Ok(n)
        }
        Type::Console => Ok(tty::write(data)?),
        Type::PipeWrite => {
            let mut writer = PipeWriter::from_parts(slot.a, slot.b as usize, me()?).map_err(pipe_error)?;
            let result = writer.write(data).map_err(pipe_error);
            writer.into_parts();
            result
        }
        Type::Socket => socket::call(socket::Call::Write(socket::id(&slot)?, data)),
        _ => Err(Errno::EBADF),
    }
}

/// Writes all of `data` (as `write`, looping on short writes).
pub fn write_all(fd: u32, mut data: &[u8]) -> Result<(), Errno> {
    while !data.is_empty() {
        match write(fd, data)? {
            0 => return Err(Errno::EPIPE),
            n => data = &data[n..],
        }
    }
    Ok(())
}

/// Drops one registration of a pipe end (a descriptor going away).
/// A pipe this process created goes as soon as no live process holds an end.
fn release(slot: &Slot) -> Result<(), Errno> {
    let me = me()?;
    match slot.kind {
        Type::Socket => return socket::release(slot),
        Type::PipeRead => PipeReader::from_parts(slot.a, slot.b as usize, me).map_err(pipe_error)?.close(),
        Type::PipeWrite => PipeWriter::from_parts(slot.a, slot.b as usize, me).map_err(pipe_error)?.close(),
        _ => return Ok(()),
    }
    let page = table()?;
    if let Some(k) = (0..CREATED).find(|&k| word(page, created_at(k)) == slot.a | slot.b) {
        collect(page, k, me);
    }
    Ok(())
}

/// Registers one more end for environment `env` (a descriptor copied to it or within it).
fn retain(slot: &Slot, env: u64) -> Result<(), Errno> {
    let me = me()?;
    match slot.kind {
        Type::Socket if env == me => socket::call(socket::Call::Retain(socket::id(slot)?)).map(drop),
        // A socket lives in its process's stack: it cannot go to another process.
        Type::Socket => Err(Errno::EINVAL),
        Type::PipeRead => {
            let end = PipeReader::from_parts(slot.a, slot.b as usize, me).map_err(pipe_error)?;
            let granted = end.grant(env).map_err(pipe_error);
            end.into_parts();
            granted
        }
        Type::PipeWrite => {
            let end = PipeWriter::from_parts(slot.a, slot.b as usize, me).map_err(pipe_error)?;
            let granted = end.grant(env).map_err(pipe_error);
            end.into_parts();
            granted
        }
        _ => Ok(()),
    }
}

/// Closes `fd` (`EBADF` if it is not open). Closing the last write end of a pipe anywhere is end
/// of file for its readers; the last read end, `EPIPE` for its writers.
pub fn close(fd: u32) -> Result<(), Errno> {
    let slot = get(fd)?;
    table()?;
    set(fd, FREE)?;
    release(&slot)
}

/// A second descriptor (the lowest free) for what `fd` refers to; close-on-exec is clear on it.
pub fn dup(fd: u32) -> Result<u32, Errno> {
    let slot = get(fd)?;
    let new = free_fd()?;
    retain(&slot, me()?)?;
    set(new, Slot { cloexec: false, ..slot })?;
    Ok(new)
}

/// Makes `new` refer to what `old` does, closing `new` first if open; returns `new`.
/// `EINVAL` if `new` is out of range; nothing happens when they are equal.
pub fn dup2(old: u32, new: u32) -> Result<u32, Errno> {
    let slot = get(old)?;
    if new as usize >= MAX_FDS {
        return Err(Errno::EINVAL);
    }
    if old == new {
        return Ok(new);
    }
    retain(&slot, me()?)?;
    let previous = get(new).ok();
    set(new, Slot { cloexec: false, ..slot })?;
    if let Some(previous) = previous {
        release(&previous)?;
    }
    Ok(new)
}

/// Moves a file's offset (or rewinds a directory with `(0, Set)`); returns the new offset.
/// `ESPIPE` on pipes and the console, `EINVAL` for a negative result.
pub fn lseek(fd: u32, offset: i64, whence: Whence) -> Result<u64, Errno> {
    let mut slot = get(fd)?;
    let base = match (slot.kind, whence) {
        (Type::File, Whence::Set) | (Type::Dir, Whence::Set) => 0,
        (Type::File, Whence::Cur) => slot.pos as i64,
        (Type::File, Whence::End) => slot.b as i64,
        (Type::TmpFile, Whence::Set) | (Type::TmpDir, Whence::Set) => 0,
        (Type::TmpFile, Whence::Cur) => slot.pos as i64,
        (Type::TmpFile, Whence::End) => tmpfs::stat(tmp_handle(&slot))?.size as i64,
        (Type::Dir, _) | (Type::TmpDir, _) => return Err(Errno::EINVAL),
        _ => return Err(Errno::ESPIPE),
    };
    let pos = base.checked_add(offset).filter(|&p| p >= 0).ok_or(Errno::EINVAL)?;
    if matches!(slot.kind, Type::Dir | Type::TmpDir) && pos != 0 {
        return Err(Errno::EINVAL);
    }
    slot.pos = pos as u64;
    set(fd, slot)?;
    Ok(slot.pos)
}

/// Size, mode and kind of what `fd` refers to.
pub fn fstat(fd: u32) -> Result<Stat, Errno> {
    let slot = get(fd)?;
    Ok(match slot.kind {
        Type::File => Stat { size: slot.b, mode: slot.mode, kind: FileKind::File },
        Type::Dir => Stat { size: 0, mode: slot.mode, kind: FileKind::Dir },
        Type::TmpFile => tmpfs::stat(tmp_handle(&slot))?,
        Type::TmpDir => tmpfs::dir_stat(),
        Type::PipeRead | Type::PipeWrite => Stat { size: 0, mode: 0o010600, kind: FileKind::Pipe },
        Type::Socket => Stat { size: 0, mode: 0o140777, kind: FileKind::Socket },
        _ => Stat { size: 0, mode: 0o020620, kind: FileKind::Console },
    })
}

/// Size, mode and kind of `path` (as `fs::stat`; under `/tmp`, of the session's files).
pub fn stat(path: &str) -> Result<Stat, Errno> {
    let full = full_path(path);
    match tmpfs::classify(&full) {
        Some(Ok(None)) => Ok(tmpfs::dir_stat()),
        Some(Ok(Some(name))) => tmpfs::stat(tmpfs::open(name, false, false)?),
        Some(Err(e)) => Err(e),
        None => fs::stat(path),
    }
}

/// One directory entry from [`readdir`] or [`list`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// The last component of its path.
    pub name: &'static str,
    pub stat: Stat,
}

impl DirEntry {
    /// The last component of its path (as `Node::name`).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Its size in bytes (as `Node::size`).
    pub fn size(&self) -> usize {
        self.stat.size as usize
    }
}

impl Described for DirEntry {
    fn stat(&self) -> Stat {
        self.stat
    }
}

/// `path` absolute, with `.`, `..` and repeated `/` resolved (as given when it is too deep, for
/// the lookup to refuse), so `/tmp` is recognised however it is reached (`..` from `/tmp/x`, a
/// relative path from `/tmp`).
fn full_path(path: &str) -> alloc::string::String {
    workdir::normalize(path).unwrap_or_else(|_| workdir::resolve(path))
}

/// The entries of directory `path`, in directory order: the boot archive's (as `bootfs::readdir`,
/// and `tmp` last in the root) or, for `/tmp`, the session's files. `ENOTDIR` for a file, `ENOENT`.
pub fn list(path: &str) -> Result<alloc::vec::Vec<DirEntry>, Errno> {
    let full = full_path(path);
    match tmpfs::classify(&full) {
        Some(Ok(None)) => {
            let mut out = alloc::vec::Vec::new();
            let mut from = 0;
            while let Some((index, name, stat)) = tmpfs::entry_from(from) {
                out.push(DirEntry { name: tmpfs::intern(name), stat });
                from = index + 1;
            }
            Ok(out)
        }
        Some(Ok(Some(name))) => tmpfs::open(name, false, false).and(Err(Errno::ENOTDIR)),
        Some(Err(e)) => Err(e),
        None => {
            let mut out: alloc::vec::Vec<DirEntry> =
                fs::readdir(&full)?.iter().map(|node| DirEntry { name: node.name(), stat: Stat::of(node) }).collect();
            // `/tmp` is not in the boot archive, but it is a directory of the root all the same.
            if full == "/" {
                out.push(DirEntry { name: "tmp", stat: tmpfs::dir_stat() });
            }
            Ok(out)
        }
    }
}

/// The next entry of directory `fd`, or `None` at the end. `ENOTDIR` on anything else.
pub fn readdir(fd: u32) -> Result<Option<DirEntry>, Errno> {
    let mut slot = get(fd)?;
    if slot.kind == Type::TmpDir {
        let Some((index, name, stat)) = tmpfs::entry_from(slot.pos as usize) else { return Ok(None) };
        slot.pos = index as u64 + 1;
        set(fd, slot)?;
        return Ok(Some(DirEntry { name: tmpfs::intern(name), stat }));
    }
    if slot.kind != Type::Dir {
        return Err(Errno::ENOTDIR);
    }
    let path = core::str::from_utf8(archive_bytes(&slot)?).map_err(|_| Errno::EIO)?;
    let Some((node, next)) = fs::archive()?.readdir(path, slot.pos as usize) else { return Ok(None) };
    slot.pos = next as u64;
    set(fd, slot)?;
    Ok(Some(DirEntry { name: node.name(), stat: Stat::of(&node) }))
}

/// A pipe (16 KiB ring): returns `(read end, write end)` descriptors. Its pages are tagged
/// shared so `fork` keeps them shared. This process owns them: they are freed once no live
/// process holds an end (see the module's "Pipe lifetime"); pipes no longer held are freed first.
pub fn pipe() -> Result<(u32, u32), Errno> {
    reap_pipes();
    let page = table()?;
    let mut free = (0..MAX_FDS).filter(|&fd| load(page, fd).kind == Type::Free);
    let (Some(r), Some(w)) = (free.next(), free.next()) else { return Err(Errno::EMFILE) };
    let (reader, writer) = crate::ipc::pipe::pipe().map_err(pipe_error)?;
    for (va, _) in reader.shared_pages() {
        let _ = sys_page_map(&[MapUpdate { op: MapUpdate::PROTECT, va, slot: 0, rights: RW | cow::MAP_SHARED }]);
    }
    let (base, pages) = reader.into_parts();
    writer.into_parts();
    // A full list leaves the pipe to be freed when this process ends, as before.
    if let Some(k) = (0..CREATED).find(|&k| word(page, created_at(k)) == 0) {
        put(page, created_at(k), base | pages as u64);
    }
    store(page, r, Slot { kind: Type::PipeRead, a: base, b: pages as u64, ..FREE });
    store(page, w, Slot { kind: Type::PipeWrite, a: base, b: pages as u64, ..FREE });
    Ok((r as u32, w as u32))
}

/// Sets or clears close-on-exec on `fd`.
pub fn set_cloexec(fd: u32, on: bool) -> Result<(), Errno> {
    let slot = get(fd)?;
    set(fd, Slot { cloexec: on, ..slot })
}

/// Closes every close-on-exec descriptor, and every socket (its stack lives in the image that
/// goes); `exec` calls it before the new image starts.
pub fn on_exec() {
    if has_table() {
        for fd in 0..MAX_FDS as u32 {
            if get(fd).is_ok_and(|slot| slot.cloexec || slot.kind == Type::Socket) {
                let _ = close(fd);
            }
        }
    }
}
