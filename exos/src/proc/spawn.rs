//! Starting a program from the boot archive in a new process, with arguments and environment
//! variables: the library's own ELF loader.
//!
//! The kernel maps the boot archive read-only in every address space (`vm::initrd`). `spawn` finds
//! the program there, checks it with the same rules the kernel's loader uses (`kcore::elf`), and
//! builds the child page by page: each page is allocated here, filled through a scratch mapping,
//! and given to the child with the segment's rights (`GIVE_MAP`: the child owns its pages). The
//! child's stack gets a **start block** at its top, whose address the child receives in `rdi`:
//!
//! ```text
//! u64 magic, u64 child id, u64 argc, u64 envc, then argc + envc (offset, length) pairs of u64,
//! then the strings (offsets are from the block's start)
//! ```
//!
//! `exos_start` reads it (`args`, `vars`, `process::id`). The child gets a status page like a
//! forked child, so `process::wait` and `kill` work the same, and the session's terminal page
//! (`tty::share_with`), the `/tmp` pool (`tmpfs::share_with`), and the NIC capability without
//! the configuring right (`net::link::give_nic`), for its own network stack.
use crate::proc::process;
use crate::sys::syscall::*;
use crate::sys::vm;
use abi::layout::{PAGE_SIZE, USER_STACK_SIZE, USER_STACK_TOP};
use abi::{Error, MapUpdate, Rights, ANY_PAGE};
use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};
use kcore::elf;
pub use kcore::elf::ElfError;

/// The start block's first word.
pub const START_MAGIC: u64 = 0x4558_4f53_5354_5254; // "EXOSSTRT"
/// Where `spawn` maps a page it fills for a child.
use crate::layout::SPAWN_SCRATCH as SCRATCH;
/// The most bytes of arguments and environment (the start block fits in one page).
pub const MAX_ARGS: usize = 4096 - 64;

/// Why `spawn` failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpawnError {
    /// No program of that name in the boot archive.
    NotFound,
    /// The file is not a program Exo can run.
    BadElf(ElfError),
    /// Arguments and environment do not fit in the start block.
    TooLong,
    /// A kernel call failed (out of environments, pages, capabilities).
    Kernel(Error),
    /// A listed file descriptor could not be handed to the child.
    Fd(crate::fs::Errno),
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::NotFound => f.write_str("no such program in the boot archive"),
            SpawnError::BadElf(e) => write!(f, "not a program Exo can run: {e}"),
            SpawnError::TooLong => write!(f, "arguments and environment exceed {MAX_ARGS} bytes"),
            SpawnError::Kernel(e) => write!(f, "{e:?}"),
            SpawnError::Fd(e) => write!(f, "cannot hand a file descriptor to the child: {e}"),
        }
    }
}

impl From<Error> for SpawnError {
    fn from(e: Error) -> Self {
        SpawnError::Kernel(e)
    }
}

/// The program bytes of `name` in the boot archive: a bare name is `/bin/NAME`, a name with a
/// `/` a path (`/bin/echo`, `./bin/echo`).
pub fn find(name: &str) -> Option<&'static [u8]> {
    crate::fs::archive().ok()?.program(name)
}

/// Starts program `name` from the boot archive as a child process with arguments `argv`
/// (`argv[0]` is conventionally the name) and environment `vars` (`NAME=value`). Returns its id.
/// The child inherits no file descriptor: 0, 1 and 2 are the console (see [`spawn_with`]).
pub fn spawn(name: &str, argv: &[&str], vars: &[&str]) -> Result<u64, SpawnError> {
    spawn_with(name, argv, vars, &[])
}

/// [`spawn`] with file descriptors: `fds` lists `(child fd, this process's fd)` pairs, e.g.
/// `&[(0, pipe_r), (1, 1), (2, 2)]`. The child's table is built and given to it before it
/// starts (pipes mapped into it, each end counted for it); descriptors not listed are not
/// inherited. With an empty list the child gets no table (console on 0, 1, 2).
pub fn spawn_with(name: &str, argv: &[&str], vars: &[&str], fds: &[(u32, u32)]) -> Result<u64, SpawnError> {
    spawn_budget(name, argv, vars, fds, crate::proc::budget::DEFAULT_PAGES)
}

/// [`spawn_with`] with a memory budget of `budget` pages out of this process's, at most what
/// leaves it `proc::budget::RESERVE_PAGES` (`u64::MAX`: all it can spare, what a shell gives its
/// foreground command; the default is `proc::budget::DEFAULT_PAGES`). The image pages are given to
/// the child on top of that (they come back with its budget).
pub fn spawn_budget(name: &str, argv: &[&str], vars: &[&str], fds: &[(u32, u32)], budget: u64) -> Result<u64, SpawnError> {
    let bytes = find(name).ok_or(SpawnError::NotFound)?;
    let image = elf::check(bytes).map_err(SpawnError::BadElf)?;
    let mut block = [0u8; 4096];
    let block_len = start_block(&mut block, 0, argv, vars)?;
    let (id, child) = sys_env_create(abi::ENV_RECORD_PAGES)?;
    // First, so it lands in the child's NIC slot: the network interface, without the right to
    // configure it (the session leader did).
    if let Err(e) = crate::net::link::give_nic(id, false) {
        let _ = sys_env_destroy(child);
        return Err(e.into());
    }
    // The child is named after its program (for `ps`); a name the kernel refuses is no reason to fail.
    let _ = sys_env_set_name(child, name.rsplit('/').next().unwrap_or(name));
    let built = build(child, bytes, &image, id, &mut block[..block_len]).and_then(|()| {
        if fds.is_empty() {
            return Ok(());
        }
        crate::fs::fd::give_table(id, child, fds).map_err(SpawnError::Fd)
    }).and_then(|()| crate::fs::tty::share_with(child).map_err(SpawnError::from))
        .and_then(|()| crate::fs::tmpfs::share_with(child).map_err(SpawnError::from))
        .and_then(|()| crate::proc::budget::endow(child, budget).map_err(SpawnError::from));
    if let Err(e) = built.and_then(|()| process::attach_child(id, child).map_err(SpawnError::from)) {
        let _ = sys_env_destroy(child);
        return Err(e);
    }
    if let Err(e) = sys_env_start_with(child, image.entry, START_RSP, BLOCK_VA) {
        process::forget_child(id);
        let _ = sys_env_destroy(child);
        return Err(e.into());
    }
    Ok(id)
}

fn build(child: u64, bytes: &[u8], image: &elf::Image, id: u64, block: &mut [u8]) -> Result<(), SpawnError> {
    block[8..16].copy_from_slice(&id.to_le_bytes());
    image_pages(bytes, image, block, |va, rights, fill| give_page(child, va, rights, fill).map_err(SpawnError::from))
}

/// Calls `f(va, rights, fill)` for every page of a new process's image (`image`, checked, from
/// `bytes`) and then of its stack (the start block `block` in its top page): `fill` writes the
/// page's contents into a zeroed page. Shared by `spawn` and `exec` (`exec.rs`).
pub(crate) fn image_pages(
    bytes: &[u8],
    image: &elf::Image,
    block: &[u8],
    mut f: impl FnMut(u64, u64, &mut dyn FnMut(&mut [u8; 4096])) -> Result<(), SpawnError>,
) -> Result<(), SpawnError> {
    for segment in &image.segments {
        let data = segment.file_bytes(bytes);
        let mut rights = Rights::READ.0;
        if segment.writable {
            rights |= Rights::WRITE.0;
        }
        if segment.executable {
            rights |= Rights::EXECUTE.0;
        }
        let (first, end) = segment.page_range();
        for page in (first..end).step_by(PAGE_SIZE as usize) {
            let copy_start = page.max(segment.vaddr);
            let copy_end = (page + PAGE_SIZE).min(segment.vaddr + data.len() as u64);
            f(page, rights, &mut |dst| {
                if copy_start < copy_end {
                    let src = &data[(copy_start - segment.vaddr) as usize..(copy_end - segment.vaddr) as usize];
                    dst[(copy_start - page) as usize..(copy_end - page) as usize].copy_from_slice(src);
                }
            })?;
        }
    }
    let rw = Rights::READ.0 | Rights::WRITE.0;
    for page in (STACK_BOTTOM..USER_STACK_TOP).step_by(PAGE_SIZE as usize) {
        f(page, rw, &mut |dst| {
            if page == BLOCK_VA {
                dst[..block.len()].copy_from_slice(block);
            }
        })?;
    }
    Ok(())
}

/// Where a new process's start block is (the top page of its stack), and its first stack pointer:
/// below the block, 16-byte aligned as after a call.
pub(crate) const BLOCK_VA: u64 = USER_STACK_TOP - PAGE_SIZE;
pub(crate) const START_RSP: u64 = BLOCK_VA - 8;
/// The lowest page of a new process's stack.
pub(crate) const STACK_BOTTOM: u64 = USER_STACK_TOP - USER_STACK_SIZE;

/// Allocates a page, lets `fill` write it (through a scratch mapping), and gives it to `child`.
fn give_page(child: u64, va: u64, rights: u64, fill: &mut dyn FnMut(&mut [u8; 4096])) -> Result<(), Error> {
    let (_, page) = sys_page_alloc(ANY_PAGE)?;
    let map = MapUpdate { op: MapUpdate::MAP, va: SCRATCH, slot: page, rights: Rights::READ.0 | Rights::WRITE.0 };
    if let (_, Some(e)) = sys_page_map(&[map]) {
        let _ = sys_page_free(page);
        return Err(e);
    }
    fill(crate::sys::shared::scratch_page(SCRATCH));
    sys_page_map(&[MapUpdate { op: MapUpdate::UNMAP, va: SCRATCH, slot: 0, rights: 0 }]);
    let (_, e) = sys_page_map_into(child, &[MapUpdate { op: MapUpdate::GIVE_MAP, va, slot: page, rights }]);
    if let Some(e) = e {
        let _ = sys_page_free(page);
        return Err(e);
    }
    Ok(())
}

/// Writes a start block for `id` with `argv` and `vars` into `out`; returns its length.
pub(crate) fn start_block(out: &mut [u8; 4096], id: u64, argv: &[&str], vars: &[&str]) -> Result<usize, SpawnError> {
    let count = argv.len() + vars.len();
    let header = 32 + count * 16;
    let strings: usize = argv.iter().chain(vars).map(|s| s.len()).sum();
    if header + strings > MAX_ARGS {
        return Err(SpawnError::TooLong);
    }
    let mut put = |at: usize, v: u64| out[at..at + 8].copy_from_slice(&v.to_le_bytes());
    put(0, START_MAGIC);
    put(8, id);
    put(16, argv.len() as u64);
    put(24, vars.len() as u64);
    let mut offset = header;
    for (i, s) in argv.iter().chain(vars).enumerate() {
        put(32 + i * 16, offset as u64);
        put(40 + i * 16, s.len() as u64);
        offset += s.len();
    }
    let mut offset = header;
    for s in argv.iter().chain(vars) {
        out[offset..offset + s.len()].copy_from_slice(s.as_bytes());
        offset += s.len();
    }
    Ok(offset)
}

/// The start block this process was given (0: none, a boot program).
static BLOCK: AtomicU64 = AtomicU64::new(0);

/// Called by `exos_start` with the `rdi` the process started with.
pub(crate) fn start(rdi: u64) {
    if rdi != 0 && rdi.is_multiple_of(8) && vm::translate(rdi).is_some() {
        let block = crate::sys::shared::start_block(rdi);
        if block.len() >= 32 && word(block, 0) == START_MAGIC {
            BLOCK.store(rdi, Ordering::Relaxed);
            process::set_id(word(block, 1));
        }
    }
}

fn word(block: &[u8], i: usize) -> u64 {
    block.get(i * 8..i * 8 + 8).map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
}

/// The start block, or nothing for a boot program.
fn block() -> &'static [u8] {
    match BLOCK.load(Ordering::Relaxed) {
        0 => &[],
        at => crate::sys::shared::start_block(at),
    }
}

fn strings(first: usize, count: usize) -> impl Iterator<Item = &'static str> {
    let block = block();
    (first..first + count).filter_map(move |i| {
        let (offset, len) = (word(block, 4 + 2 * i) as usize, word(block, 5 + 2 * i) as usize);
        block.get(offset..offset.checked_add(len)?).and_then(|b| core::str::from_utf8(b).ok())
    })
}

/// This process's arguments (`argv[0]` first); none for a boot program.
pub fn args() -> impl Iterator<Item = &'static str> {
    strings(0, word(block(), 2) as usize)
}

/// This process's environment variables (`NAME=value`).
pub fn vars() -> impl Iterator<Item = &'static str> {
    strings(word(block(), 2) as usize, word(block(), 3) as usize)
}

/// The value of environment variable `name`.
pub fn var(name: &str) -> Option<&'static str> {
    vars().find_map(|v| v.strip_prefix(name)?.strip_prefix('='))
}
