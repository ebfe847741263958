//! `/tmp`: a small writable in-memory file system shared by the processes of a session.
//!
//! The boot file system is read-only; this module gives the shell's `>` and `>>` somewhere to
//! write. **One pool for the session**, [`PAGES`] pages at [`TMPFS_VA`] (in the area `exec`
//! keeps) mapped with the `SHARED` tag (`cow::MAP_SHARED`): `fork` shares them as they are,
//! `spawn` grants them to the child in one batched `page_map_into` ([`share_with`]), `exec`
//! keeps them. The first process that calls [`init`] (or creates a file) allocates the pool; a
//! session leader such as the shell calls [`init`] before it forks or spawns. The pool lives as
//! long as the process that allocated it (it holds the pages' root capabilities), so a file a
//! child writes survives the child.
//!
//! **Layout**: page 0 is the header ([`Header`]: magic, a lock, a generation counter, the free
//! list's head, the table of [`MAX_FILES`] files and the next-page array chaining the data pages
//! of each file and the free list); pages 1..[`PAGES`] hold data, 4 KiB each, a file's bytes in
//! the order of its chain. Free pages are kept zeroed, and a shrinking truncate zeroes the tail
//! of its last page, so a file grows over zeros (a write past the end leaves a hole of zeros).
//!
//! **Names** are single components (no subdirectories) of at most [`NAME_MAX`] bytes. A file is
//! named by its table index plus the generation it was created in: a handle to a file that was
//! unlinked (even if its slot was reused) fails with `ENOENT` instead of reaching another file.
//!
//! **Lock**: a word holding the holder's id; a waiter yields to the holder, and takes over from a
//! holder that has ended (as `tty.rs`). Every call holds it for its whole length, so calls are
//! atomic with respect to each other across the session.
use crate::mem::cow::MAP_SHARED;
use crate::fs::errno::{Errno, FileKind, Stat};
use crate::sys::syscall::{sys_page_alloc, sys_page_free, sys_page_map, sys_page_map_into};
use crate::thread::sync::Mutex;
use crate::ipc::region;
use crate::sys::vm;
use abi::{Error, MapUpdate, Rights, ANY_PAGE};
use alloc::string::String;
use alloc::vec::Vec;
use crate::sys::shared::Mapped;
use exoscore::chain::{Chains, NONE};
use exoscore::pool::{Entry, Header};
use core::sync::atomic::Ordering::*;

/// Where the pool is mapped in every process of the session (header page first).
pub use crate::layout::TMPFS_VA;
/// Pages of the pool: one header page and `PAGES - 1` data pages.
pub const PAGES: usize = crate::layout::TMPFS_PAGES as usize;
/// Data pages (252 KiB), files at most, the longest name, bytes per page (`exoscore::pool`).
pub use exoscore::pool::{DATA_PAGES, MAX_FILES, NAME_MAX, PAGE_SIZE};
const _: () = assert!(DATA_PAGES == PAGES - 1);
/// The mode of every file (type bits included).
pub const FILE_MODE: u32 = 0o100644;
/// The mode of `/tmp` (a world-writable directory with the sticky bit, as on Unix).
pub const DIR_MODE: u32 = 0o041777;

const MAGIC: u64 = u64::from_le_bytes(*b"EXOS-TMP");

/// A file of the pool: its table index and generation (what a descriptor stores).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handle {
    pub index: usize,
    pub generation: u64,
}

/// Whether this process has the pool mapped.
pub fn present() -> bool {
    vm::translate(TMPFS_VA).is_some()
}

fn header() -> &'static Header {
    // Callers check `present()` first; the header page is mapped read-write at TMPFS_VA for the
    // life of the session; `Header` is atomics only, shareable with the other processes.
    Mapped::library(TMPFS_VA, PAGE_SIZE).at(0)
}

fn data_page(page: u8) -> Mapped {
    // `page` < DATA_PAGES (chains and the free list only hold such indexes), so this is a data
    // page of the pool, mapped read-write for the session's life; only this module touches it,
    // holding the pool lock.
    Mapped::library(TMPFS_VA + (1 + u64::from(page)) * PAGE_SIZE as u64, PAGE_SIZE)
}

/// Zeroes data page `page` (a page going back to the free list).
fn zero(page: u8) {
    data_page(page).fill(0, PAGE_SIZE, 0);
}

/// Makes sure this process has the pool: allocates the session's pool (zeroed, every data page
/// free) if it has none. `Kernel(NoMemory)` when pages run out (nothing is left allocated).
pub fn init() -> Result<(), Errno> {
    if present() {
        return Ok(());
    }
    let rw = Rights::READ.0 | Rights::WRITE.0 | MAP_SHARED;
    let mut updates = [MapUpdate { op: MapUpdate::MAP, va: 0, slot: 0, rights: rw }; PAGES];
    for i in 0..PAGES {
        match sys_page_alloc(ANY_PAGE) {
            Ok((_, slot)) => updates[i] = MapUpdate { op: MapUpdate::MAP, va: TMPFS_VA + (i * PAGE_SIZE) as u64, slot, rights: rw },
            Err(e) => {
                for u in &updates[..i] {
                    let _ = sys_page_free(u.slot);
                }
                return Err(e.into());
            }
        }
    }
    if let (done, Some(e)) = sys_page_map(&updates) {
        let unmap: Vec<MapUpdate> = updates[..done as usize].iter().map(|u| MapUpdate { op: MapUpdate::UNMAP, slot: 0, rights: 0, ..*u }).collect();
        sys_page_map(&unmap);
        for u in &updates {
            let _ = sys_page_free(u.slot);
        }
        return Err(e.into());
    }
    let h = header();
    h.chains.init();
    h.magic.store(MAGIC, Release);
    Ok(())
}

/// Maps this process's pool into the child named by capability `env_slot` (before it starts), in
/// one batched call, if this process has one. Called by `spawn`.
pub(crate) fn share_with(env_slot: u64) -> Result<(), Error> {
    if !present() {
        return Ok(());
    }
    let rights = Rights::READ.0 | Rights::WRITE.0 | MAP_SHARED;
    let mut updates = [MapUpdate { op: MapUpdate::GRANT_MAP, va: 0, slot: 0, rights }; PAGES];
    for (i, update) in updates.iter_mut().enumerate() {
        update.va = TMPFS_VA + (i * PAGE_SIZE) as u64;
        update.slot = vm::own_slot(update.va).ok_or(Error::NotMapped)?;
    }
    match sys_page_map_into(env_slot, &updates) {
        (_, Some(e)) => Err(e),
        _ => Ok(()),
    }
}

/// Holds the pool's lock; released on drop.
struct Guard(&'static Header);

/// The pool, locked: `ENOENT` if this process has none (nothing was ever created in it).
fn lock() -> Result<Guard, Errno> {
    if !present() || header().magic.load(Acquire) != MAGIC {
        return Err(Errno::ENOENT);
    }
    let h = header();
    region::lock_shared(&h.lock);
    Ok(Guard(h))
}

impl Drop for Guard {
    fn drop(&mut self) {
        region::unlock_shared(&self.0.lock);
    }
}

/// Checks a name: one non-empty component of at most [`NAME_MAX`] bytes.
pub fn check_name(name: &str) -> Result<(), Errno> {
    match name {
        "" | "." | ".." => Err(Errno::EINVAL),
        _ if name.contains('/') || name.contains('\0') => Err(Errno::EINVAL),
        _ if name.len() > NAME_MAX => Err(Errno::ENAMETOOLONG),
        _ => Ok(()),
    }
}

impl Guard {
    fn find(&self, name: &str) -> Option<usize> {
        self.0.files.iter().position(|f| f.generation.load(Relaxed) != 0 && f.name_is(name))
    }

    fn entry(&self, file: Handle) -> Result<&'static Entry, Errno> {
        let entry = self.0.files.get(file.index).ok_or(Errno::EBADF)?;
        if entry.generation.load(Relaxed) != file.generation || file.generation == 0 {
            return Err(Errno::ENOENT);
        }
        Ok(entry)
    }

    fn chains(&self) -> &'static Chains<DATA_PAGES> {
        &self.0.chains
    }

    fn set_size(&self, entry: &Entry, size: u64) {
        let pages = (size as usize).div_ceil(PAGE_SIZE);
        let first = entry.first.load(Relaxed) as u8;
        let chains = self.chains();
        entry.first.store(u64::from(chains.keep(first, pages, &mut zero)), Relaxed);
        let last = if pages == 0 { NONE } else { chains.nth(first, pages - 1) };
        if last != NONE {
            let tail = size as usize - (pages - 1) * PAGE_SIZE;
            data_page(last).fill(tail, PAGE_SIZE - tail, 0);
        }
        entry.size.store(size.min(entry.size.load(Relaxed)), Relaxed);
    }
}

/// Opens file `name`: with `create`, makes it (empty) if absent; with `truncate`, empties it.
/// `ENOENT` if absent and not `create` (or no pool and not `create`), `ENOSPC` when the table is
/// full, `ENAMETOOLONG` / `EINVAL` for a bad name. Creating allocates the pool if needed.
pub fn open(name: &str, create: bool, truncate: bool) -> Result<Handle, Errno> {
    check_name(name)?;
    if create {
        init()?;
    }
    let g = lock()?;
    if let Some(index) = g.find(name) {
        let entry = &g.0.files[index];
        if truncate {
            g.set_size(entry, 0);
        }
        return Ok(Handle { index, generation: entry.generation.load(Relaxed) });
    }
    if !create {
        return Err(Errno::ENOENT);
    }
    let index = g.0.files.iter().position(|f| f.generation.load(Relaxed) == 0).ok_or(Errno::ENOSPC)?;
    let entry = &g.0.files[index];
    entry.set_name(name);
    entry.size.store(0, Relaxed);
    entry.first.store(u64::from(NONE), Relaxed);
    let generation = g.0.generations.fetch_add(1, Relaxed) + 1;
    entry.generation.store(generation, Relaxed);
    Ok(Handle { index, generation })
}

/// Reads from offset `off` into `buf`: returns how many bytes (0 at or past the end).
pub fn read_at(file: Handle, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
    let g = lock()?;
    let entry = g.entry(file)?;
    let size = entry.size.load(Relaxed);
    let mut done = 0;
    let mut pos = off;
    while done < buf.len() && pos < size {
        let page = g.chains().nth(entry.first.load(Relaxed) as u8, pos as usize / PAGE_SIZE);
        if page == NONE {
            return Err(Errno::EIO);
        }
        let at = pos as usize % PAGE_SIZE;
        let n = (buf.len() - done).min(PAGE_SIZE - at).min((size - pos) as usize);
        data_page(page).read_bytes(at, &mut buf[done..done + n]);
        done += n;
        pos += n as u64;
    }
    Ok(done)
}

/// Writes `data` at offset `off` (a gap past the end reads as zeros), growing the file: returns
/// how many bytes were written, fewer than asked when the pool filled up. `ENOSPC` when not one
/// byte fits.
pub fn write_at(file: Handle, off: u64, data: &[u8]) -> Result<usize, Errno> {
    let g = lock()?;
    let entry = g.entry(file)?;
    if data.is_empty() {
        return Ok(0);
    }
    // Pages the file must have: extend its chain until it does or the pool is empty.
    let want = (off as usize + data.len()).div_ceil(PAGE_SIZE);
    let chains = g.chains();
    let (first, have) = chains.extend(entry.first.load(Relaxed) as u8, want);
    entry.first.store(u64::from(first), Relaxed);
    let capacity = (have * PAGE_SIZE) as u64;
    if off >= capacity {
        return Err(Errno::ENOSPC);
    }
    let total = data.len().min((capacity - off) as usize);
    let mut done = 0;
    let mut page = chains.nth(first, off as usize / PAGE_SIZE);
    while done < total {
        let at = (off as usize + done) % PAGE_SIZE;
        let n = (total - done).min(PAGE_SIZE - at);
        data_page(page).write_bytes(at, &data[done..done + n]);
        done += n;
        page = chains.next(page);
    }
    let end = off + total as u64;
    if end > entry.size.load(Relaxed) {
        entry.size.store(end, Relaxed);
    }
    Ok(total)
}

/// Sets the file's size: shrinking frees whole pages past it (and zeroes the rest of the last);
/// growing adds zeros (`ENOSPC` if they do not fit; the size is then unchanged).
pub fn truncate(file: Handle, size: u64) -> Result<(), Errno> {
    let g = lock()?;
    let entry = g.entry(file)?;
    let old = entry.size.load(Relaxed);
    // Also drops pages a write that ran out of room left past the end.
    g.set_size(entry, size.min(old));
    if size <= old {
        return Ok(());
    }
    let have = (old as usize).div_ceil(PAGE_SIZE);
    let need = (size as usize).div_ceil(PAGE_SIZE) - have;
    if need > g.chains().free_count() {
        return Err(Errno::ENOSPC);
    }
    let (first, got) = g.chains().extend(entry.first.load(Relaxed) as u8, have + need);
    entry.first.store(u64::from(first), Relaxed);
    if got < have + need {
        return Err(Errno::EIO);
    }
    entry.size.store(size, Relaxed);
    Ok(())
}

/// Removes file `name` and frees its pages. Handles to it then fail with `ENOENT`.
pub fn unlink(name: &str) -> Result<(), Errno> {
    check_name(name)?;
    let g = lock()?;
    let index = g.find(name).ok_or(Errno::ENOENT)?;
    let entry = &g.0.files[index];
    g.chains().free_chain(entry.first.load(Relaxed) as u8, &mut zero);
    entry.first.store(u64::from(NONE), Relaxed);
    entry.size.store(0, Relaxed);
    entry.generation.store(0, Relaxed);
    Ok(())
}

/// Renames file `from` to `to` in one locked step: a file already named `to` is replaced (its
/// pages freed, handles to it then fail with `ENOENT`); handles to `from` stay valid (the
/// generation is kept). `ENOENT` if `from` is absent; renaming a file to itself does nothing.
pub fn rename(from: &str, to: &str) -> Result<(), Errno> {
    check_name(from)?;
    check_name(to)?;
    let g = lock()?;
    let index = g.find(from).ok_or(Errno::ENOENT)?;
    if from == to {
        return Ok(());
    }
    if let Some(old) = g.find(to) {
        let entry = &g.0.files[old];
        g.chains().free_chain(entry.first.load(Relaxed) as u8, &mut zero);
        entry.first.store(u64::from(NONE), Relaxed);
        entry.size.store(0, Relaxed);
        entry.generation.store(0, Relaxed);
    }
    g.0.files[index].set_name(to);
    Ok(())
}

/// Size and mode of an open file.
pub fn stat(file: Handle) -> Result<Stat, Errno> {
    let g = lock()?;
    let entry = g.entry(file)?;
    Ok(Stat { size: entry.size.load(Relaxed), mode: FILE_MODE, kind: FileKind::File })
}

/// The stat of `/tmp` itself.
pub fn dir_stat() -> Stat {
    Stat { size: 0, mode: DIR_MODE, kind: FileKind::Dir }
}

/// The first file at table index `from` or after: `(its index, name, stat)` (for `readdir`).
pub fn entry_from(from: usize) -> Option<(usize, String, Stat)> {
    let g = lock().ok()?;
    (from..MAX_FILES).find(|&i| g.0.files[i].generation.load(Relaxed) != 0).map(|i| {
        let entry = &g.0.files[i];
        (i, entry.name(), Stat { size: entry.size.load(Relaxed), mode: FILE_MODE, kind: FileKind::File })
    })
}

/// Names handed out as `&'static str` (by `fd::readdir`), each distinct name leaked once.
static NAMES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

/// `name` as a `&'static str`: the same allocation for the same name every time, so listing
/// `/tmp` again and again costs no memory (each distinct name costs its bytes once).
pub fn intern(name: String) -> &'static str {
    let mut names = NAMES.lock();
    if let Some(&known) = names.iter().find(|&&n| n == name) {
        return known;
    }
    let leaked: &'static str = alloc::boxed::Box::leak(name.into_boxed_str());
    names.push(leaked);
    leaked
}

/// Every file: `(name, size)`, in table order.
pub fn list() -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some((index, name, stat)) = entry_from(at) {
        out.push((name, stat.size));
        at = index + 1;
    }
    out
}

/// Free data pages left in the pool (0 without a pool).
pub fn free_pages() -> usize {
    lock().map(|g| g.chains().free_count()).unwrap_or(0)
}

/// What a path names in `/tmp`: `None` if it is not under `/tmp`; `Some(None)` for `/tmp`
/// itself; `Some(Some(name))` for a file there. Paths are taken from the root (`tmp/x`,
/// `/tmp//x` and `/./tmp/x` are the same); deeper paths are `ENOENT` (no subdirectories).
pub fn classify(path: &str) -> Option<Result<Option<&str>, Errno>> {
    let mut parts = path.split('/').filter(|p| !p.is_empty() && *p != ".");
    if parts.next() != Some("tmp") {
        return None;
    }
    Some(match (parts.next(), parts.next()) {
        (None, _) => Ok(None),
        (Some(name), None) => check_name(name).map(|()| Some(name)),
        (Some(_), Some(_)) => Err(Errno::ENOENT),
    })
}
