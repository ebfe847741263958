//! The descriptor table page as stored: its place in the private region, its header, the
//! slots, and the working directory kept in its spare end (`workdir.rs` reads and sets it through
//! [`cwd_bytes`] and [`set_cwd_bytes`]). The calls over the table are in `fd/mod.rs`.
use crate::fs::Errno;
use crate::ipc::region;
use crate::proc::process;
use crate::sys::syscall::{sys_page_alloc, sys_page_free, sys_page_map};
use crate::sys::shared::Mapped;
use crate::sys::vm;
use alloc::vec::Vec;
use abi::{MapUpdate, Rights, ANY_PAGE};

/// Where the table lives (its own page of the private region).
pub use crate::layout::FD_TABLE;
/// Where the library maps a table page it builds for a child.
pub(crate) const SCRATCH: u64 = FD_TABLE + 0x1000;
/// Descriptors per process.
pub const MAX_FDS: usize = 64;
pub(crate) const MAGIC: u64 = 0x3154_4446_534f_5845; // "EXOSFDT1"
/// Header: magic, owner id.
pub(crate) const HEADER: usize = 16;
pub(crate) const SLOT: usize = 48;
pub(crate) const RW: u64 = Rights::READ.0 | Rights::WRITE.0;
/// After the slots: the working directory (`workdir.rs`), a length word then its bytes.
pub(crate) const CWD_AT: usize = HEADER + MAX_FDS * SLOT;
/// The longest working directory the page holds.
pub const CWD_MAX: usize = 4096 - CWD_AT - 8;


#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Type {
    Free = 0,
    Console = 1,
    PipeRead = 2,
    PipeWrite = 3,
    File = 4,
    Dir = 5,
    TmpFile = 6,
    TmpDir = 7,
    Socket = 8,
}

/// One descriptor as stored. File: `a` = data offset in the archive, `b` = length. Dir: `a`,
/// `b` = the path's offset and length in the archive. Pipe: `a` = address, `b` = pages.
/// Socket: `a` = the socket's index in this process's stack (`net::socket`), `b` = the process
/// whose stack it is (a forked child's copy of the slot names no socket of its own).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slot {
    pub(crate) kind: Type,
    pub(crate) cloexec: bool,
    pub(crate) mode: u32,
    pub(crate) a: u64,
    pub(crate) b: u64,
    pub(crate) pos: u64,
}

pub(crate) const FREE: Slot = Slot { kind: Type::Free, cloexec: false, mode: 0, a: 0, b: 0, pos: 0 };
pub(crate) const CONSOLE: Slot = Slot { kind: Type::Console, ..FREE };

/// The table page, a view that copies in and out (no Rust reference into the page is handed
/// out, so two uses can never alias).
pub(crate) type Page = Mapped;

/// The view of the table page. It is mapped read-write at FD_TABLE by `table()` (callers check
/// `has_table` or call `table()` first) and never unmapped.
pub(crate) fn page() -> Page {
    Mapped::library(FD_TABLE, 4096)
}

pub(crate) fn word(page: Page, at: usize) -> u64 {
    let mut bytes = [0; 8];
    page.read_bytes(at, &mut bytes);
    u64::from_le_bytes(bytes)
}

pub(crate) fn put(page: Page, at: usize, value: u64) {
    page.write_bytes(at, &value.to_le_bytes());
}

pub(crate) fn load(page: Page, fd: usize) -> Slot {
    let at = HEADER + fd * SLOT;
    let head = word(page, at);
    let kind = match head & 0xff {
        1 => Type::Console,
        2 => Type::PipeRead,
        3 => Type::PipeWrite,
        4 => Type::File,
        5 => Type::Dir,
        6 => Type::TmpFile,
        7 => Type::TmpDir,
        8 => Type::Socket,
        _ => Type::Free,
    };
    Slot { kind, cloexec: head & 0x100 != 0, mode: (head >> 32) as u32, a: word(page, at + 8), b: word(page, at + 16), pos: word(page, at + 24) }
}

pub(crate) fn store(page: Page, fd: usize, slot: Slot) {
    let at = HEADER + fd * SLOT;
    put(page, at, slot.kind as u64 | u64::from(slot.cloexec) << 8 | u64::from(slot.mode) << 32);
    put(page, at + 8, slot.a);
    put(page, at + 16, slot.b);
    put(page, at + 24, slot.pos);
}

/// Whether this process has a table page (else descriptors 0-2 are the console).
pub fn has_table() -> bool {
    vm::translate(FD_TABLE).is_some() && word(page(), 0) == MAGIC
}

/// This process's table page, made (console on 0, 1, 2) if it has none.
pub(crate) fn table() -> Result<Page, Errno> {
    if !has_table() {
        if vm::translate(FD_TABLE).is_none() {
            let (_, slot) = sys_page_alloc(ANY_PAGE)?;
            if let (_, Some(e)) = sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: FD_TABLE, slot, rights: RW }]) {
                let _ = sys_page_free(slot);
                return Err(e.into());
            }
        }
        let page = page();
        page.write_bytes(0, &[0; 4096]);
        put(page, 0, MAGIC);
        put(page, 8, me()?);
        for fd in 0..3 {
            store(page, fd, CONSOLE);
        }
    }
    Ok(page())
}

/// The working directory's bytes as stored (`None` without a table; empty: never set).
pub(crate) fn cwd_bytes() -> Option<Vec<u8>> {
    if !has_table() {
        return None;
    }
    let page = page();
    let mut bytes = alloc::vec![0; (word(page, CWD_AT) as usize).min(CWD_MAX)];
    page.read_bytes(CWD_AT + 8, &mut bytes);
    Some(bytes)
}

/// Stores the working directory (`workdir.rs` checks it first); makes the table if there is none.
pub(crate) fn set_cwd_bytes(path: &[u8]) -> Result<(), Errno> {
    if path.len() > CWD_MAX {
        return Err(Errno::EINVAL);
    }
    let page = table()?;
    put(page, CWD_AT, path.len() as u64);
    page.write_bytes(CWD_AT + 8, path);
    Ok(())
}

/// This environment's id (boot programs learn it from the kernel once).
pub(crate) fn me() -> Result<u64, Errno> {
    match process::id() {
        0 if vm::translate(FD_TABLE).is_some() && word(page(), 8) != 0 && word(page(), 0) == MAGIC => Ok(word(page(), 8)),
        0 => Ok(region::self_id()?),
        id => Ok(id),
    }
}

pub(crate) fn get(fd: u32) -> Result<Slot, Errno> {
    let slot = if (fd as usize) < MAX_FDS && has_table() {
        load(page(), fd as usize)
    } else if fd < 3 {
        CONSOLE
    } else {
        FREE
    };
    if slot.kind == Type::Free { Err(Errno::EBADF) } else { Ok(slot) }
}

pub(crate) fn set(fd: u32, slot: Slot) -> Result<(), Errno> {
    store(table()?, fd as usize, slot);
    Ok(())
}

