//! What the kernel exposes about memory, read without system calls: the page-ownership table,
//! the environment table (under its sequence protocol, `abi::seqlock`) and the environment's own
//! page tables (through the read-only self-map).
//!
//! Reading the self-map: the entry for a user virtual page lives at
//! `SELF_MAP_BASE + (va >> 12) * 8`; the entries of the upper levels are reached by recursing
//! through the self-map slot again, which is how [`translate`] checks that each level is present
//! before it reads the next (reading a missing level would fault).
#![allow(unsafe_code)]

use abi::layout::{OWNER_KERNEL, PAGE_OWNERS_BASE, SELF_MAP_BASE, SELF_MAP_SLOT};

pub use abi::pte::{ACCESSED, DIRTY, NO_EXECUTE, PRESENT, USER, WRITABLE};
use abi::pte::{ADDRESS_MASK, HUGE};
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// Who owns physical page number `frame`: `None` if it is free, `Some(OWNER_KERNEL)` for the
/// kernel, else the owning environment's id. `frame` must be below the number of physical pages
/// (the table ends there; reading beyond faults).
pub fn owner(frame: u64) -> Option<u32> {
    // SAFETY: the kernel maps the ownership table read-only at PAGE_OWNERS_BASE in every address
    // space, one u32 per physical page; the caller keeps `frame` within physical memory.
    let value = unsafe { core::ptr::read_volatile((PAGE_OWNERS_BASE + frame * 4) as *const u32) };
    (value != 0).then_some(value)
}

/// Whether `owner` is the kernel's marker.
pub fn is_kernel(owner: u32) -> bool {
    owner == OWNER_KERNEL
}

/// The page-table entry that maps user address `va`, or `None` if some level is not present.
/// Bits: [`PRESENT`], [`WRITABLE`], [`USER`], [`ACCESSED`], [`DIRTY`], [`NO_EXECUTE`]; the physical
/// page is `entry & 0x000f_ffff_ffff_f000`.
pub fn translate(va: u64) -> Option<u64> {
    let page = (va & 0x0000_7fff_ffff_ffff) >> 12;
    match directory_entry(page) {
        Some(pde) if pde & HUGE != 0 => Some(huge_part(pde, page % 512)),
        Some(_) => {
            let entry = read(SELF_MAP_BASE + page * 8);
            (entry & PRESENT != 0).then_some(entry)
        }
        None => None,
    }
}

/// The present page-directory entry above page number `page` (a last-level table, or a 2 MiB
/// page), if the levels above it are present.
fn directory_entry(page: u64) -> Option<u64> {
    let r = SELF_MAP_SLOT;
    let pml4e = (r << 39) | (r << 30) | (r << 21) | (r << 12) | ((page >> 27) << 3);
    let pdpte = (r << 39) | (r << 30) | (r << 21) | ((page >> 18) << 3);
    let pde = (r << 39) | (r << 30) | ((page >> 9) << 3);
    if [pml4e, pdpte].into_iter().all(|address| read(address) & PRESENT != 0) {
        Some(read(pde)).filter(|e| e & PRESENT != 0)
    } else {
        None
    }
}

/// The entry a 4 KiB page would have for page `index` (0..512) of the 2 MiB page of directory
/// entry `pde`: its frame, and the 2 MiB entry's flags without `HUGE` (an extent mapping: the
/// library sees every page of it like a 4 KiB one, with no `OWN_SLOT`).
pub fn huge_part(pde: u64, index: u64) -> u64 {
    let base = pde & ADDRESS_MASK & !((512 * 4096) - 1);
    (base + index * 4096) | (pde & !ADDRESS_MASK & !HUGE)
}

/// Calls `f(i, entry)` for the `pages` pages from `va` in order, `entry` being what [`translate`]
/// gives for page `i`; the levels above are checked once per last-level table (2 MiB). Inlined
/// into its caller, so what `f` captures can stay in registers across pages (`mprotect`'s loop).
#[inline(always)]
pub fn for_each_entry(va: u64, pages: u64, mut f: impl FnMut(u64, Option<u64>)) {
    let first = (va & 0x0000_7fff_ffff_ffff) >> 12;
    let mut i = 0;
    while i < pages {
        let page = first + i;
        let in_table = (512 - page % 512).min(pages - i);
        let pde = directory_entry(page).unwrap_or(0);
        for k in 0..in_table {
            let entry = match pde {
                0 => 0,
                pde if pde & HUGE != 0 => huge_part(pde, (page + k) % 512),
                _ => read(SELF_MAP_BASE + (page + k) * 8),
            };
            f(i + k, (entry & PRESENT != 0).then_some(entry));
        }
        i += in_table;
    }
}

/// The physical address behind user address `va`, if mapped.
pub fn physical(va: u64) -> Option<u64> {
    translate(va).map(|entry| (entry & ADDRESS_MASK) | (va & 0xfff))
}

fn read(address: u64) -> u64 {
    // SAFETY: `translate` only reads self-map entries whose upper levels it found present, and the
    // kernel maps the self-map read-only in every address space.
    unsafe { core::ptr::read_volatile(address as *const u64) }
}

/// Record `index` of the read-only budget table (`abi::BudgetInfo`, `abi::layout::BUDGET_TABLE_BASE`):
/// the memory budget of the environment at that index, in pages (zero for a free index). The two
/// words are loaded one after the other (one may be a change newer than the other).
pub fn budget_info(index: usize) -> abi::BudgetInfo {
    let at = abi::layout::BUDGET_TABLE_BASE + (index % abi::MAX_ENVS) as u64 * 16;
    // SAFETY: the kernel maps the budget table read-only at BUDGET_TABLE_BASE in every address space
    // and never unmaps it; `at` and `at + 8` are aligned u64s inside it (index reduced above); only
    // loaded.
    let word = |a: u64| unsafe { AtomicU64::from_ptr(a as *mut u64) }.load(Ordering::Relaxed);
    abi::BudgetInfo { limit: word(at), used: word(at + 8) }
}

/// Record `index` of the read-only environment table (`abi::EnvInfo`): who exists, who created
/// whom, who is runnable, waiting or blocked, and how many pages each holds. `index` is taken
/// modulo `abi::MAX_ENVS`.
///
/// Read under the sequence protocol (`abi::seqlock`), so the four words belong to one version of
/// the record. The read ends: at most `seqlock::TRIES` attempts, and an attempt fails only if this
/// program lost the CPU inside it while the kernel changed this very record. If every attempt
/// failed (never seen: that takes `TRIES` such preemptions in a row) it reads the record once more
/// without the protocol, which may mix two versions; [`try_env_info`] says so instead.
pub fn env_info(index: usize) -> abi::EnvInfo {
    try_env_info(index).unwrap_or_else(|| env_record(index))
}

/// Record `index` of the environment table read under the sequence protocol, or `None` if all
/// `abi::seqlock::TRIES` attempts overlapped a change of it.
pub fn try_env_info(index: usize) -> Option<abi::EnvInfo> {
    abi::seqlock::read(|| env_sequence(index), || env_record(index), abi::seqlock::TRIES)
}

/// The four words of record `index`, each loaded once, outside the sequence protocol (two versions
/// may mix if the kernel changes the record between the loads).
fn env_record(index: usize) -> abi::EnvInfo {
    abi::EnvInfo { id: env_word(index, 0), parent: env_word(index, 1), state: env_word(index, 2), pages: env_word(index, 3) }
}

/// Word `word` (0 id, 1 parent, 2 state, 3 pages; taken modulo 4) of environment table record
/// `index` (modulo `abi::MAX_ENVS`): one atomic load, outside the sequence protocol. One word is
/// always whole; two such loads may come from two versions of the record (use [`env_info`]).
pub fn env_word(index: usize, word: usize) -> u32 {
    let at = abi::layout::ENV_TABLE_BASE + (index % abi::MAX_ENVS) as u64 * 16 + (word % 4) as u64 * 4;
    // SAFETY: the kernel maps the environment table read-only at ENV_TABLE_BASE in every address
    // space and never unmaps it; `at` is an aligned u32 inside it (index and word reduced above). An
    // atomic load of read-only memory is sound (it is a plain load); nothing is written through it.
    unsafe { AtomicU32::from_ptr(at as *mut u32) }.load(Ordering::Relaxed)
}

/// The id in environment table record `index` (modulo `abi::MAX_ENVS`; 0: free): one word, always
/// whole, so no sequence is needed for a question about the id alone.
pub fn env_id(index: usize) -> u32 {
    env_word(index, 0)
}

/// The sequence word of environment table record `index` (modulo `abi::MAX_ENVS`;
/// `abi::layout::ENV_SEQ_BASE`): odd while the kernel changes the record, two more after each change.
pub fn env_sequence(index: usize) -> u64 {
    let at = abi::layout::ENV_SEQ_BASE + (index % abi::MAX_ENVS) as u64 * 8;
    // SAFETY: the sequence words are MAX_ENVS aligned u64s in the read-only environment table
    // window; `at` is one of them (index reduced above); only loaded.
    unsafe { AtomicU64::from_ptr(at as *mut u64) }.load(Ordering::Relaxed)
}

/// The repossession vector: how many pages the kernel has taken from this environment by force,
/// and the physical addresses of the most recent ones (up to `layout::REPOSSESSED_CAPACITY`).
pub fn repossessed() -> (u64, impl Iterator<Item = u64>) {
    use abi::layout::{REPOSSESSED_BASE, REPOSSESSED_CAPACITY, REPOSSESSED_ENTRIES};
    let read = |at: u64| {
        // SAFETY: the kernel maps this environment's revocation page read-only at
        // REPOSSESSED_BASE; every address read is a u64 inside that page.
        unsafe { core::ptr::read_volatile(at as *const u64) }
    };
    let count = read(REPOSSESSED_BASE);
    (count, (0..count.min(REPOSSESSED_CAPACITY)).map(move |i| read(REPOSSESSED_ENTRIES + i * 8)))
}

/// The revocation request pending against this environment, read from its revocation page (no
/// system call): `Some((pages, deadline))` while the kernel wants `pages` more pages back by timer
/// tick `deadline`, whether or not the upcall was delivered (each page freed counts).
pub fn revocation() -> Option<(u64, u64)> {
    use abi::layout::{REVOKE_DEADLINE, REVOKE_PAGES};
    let read = |at: u64| {
        // SAFETY: both words are in this environment's read-only revocation page.
        unsafe { core::ptr::read_volatile(at as *const u64) }
    };
    let deadline = read(REVOKE_DEADLINE);
    let pages = read(REVOKE_PAGES);
    // The kernel writes the pages before the deadline; on one CPU a reader never sees half.
    (deadline != 0).then_some((pages, deadline))
}

/// The time-slice vector: the id of the environment owning each position (0: free), and the
/// position the timer is at.
pub fn slices() -> ([u32; abi::SLICES], usize) {
    let read = |i: usize| {
        // SAFETY: the kernel maps the slice vector read-only at SLICE_TABLE_BASE (SLICES + 1 u32s).
        unsafe { core::ptr::read_volatile((abi::layout::SLICE_TABLE_BASE + (i as u64 % (abi::SLICES as u64 + 1)) * 4) as *const u32) }
    };
    (core::array::from_fn(read), read(abi::SLICES) as usize)
}

/// How many capabilities (the root and every grant, in all environments) name physical page
/// `frame`: 1 means whoever holds the root is the only one who can map it. `frame` must be below
/// the number of physical pages.
pub fn refs(frame: u64) -> u32 {
    // SAFETY: the kernel maps the capability-count table read-only at PAGE_REFS_BASE in every
    // address space, one u32 per physical page; the caller keeps `frame` within physical memory.
    unsafe { core::ptr::read_volatile((abi::layout::PAGE_REFS_BASE + frame * 4) as *const u32) }
}

/// The system information the kernel publishes (boot archive size, pages, ticks, console input,
/// the clock).
pub fn sysinfo() -> abi::SysInfo {
    // SAFETY: the kernel maps the system-information block read-only at SYSINFO_BASE
    // (`SysInfo::WORDS` u64s); each is loaded whole.
    let word = |i: usize| unsafe { core::ptr::read_volatile((abi::layout::SYSINFO_BASE + i as u64 * 8) as *const u64) };
    abi::SysInfo::from_words(core::array::from_fn(word))
}

/// Nanoseconds since boot, exactly (the TSC over the clock the kernel publishes): the unit of
/// `env_wait`'s deadlines.
pub fn now_ns() -> u64 {
    let info = sysinfo();
    // SAFETY: `rdtsc` only reads the time-stamp counter (the kernel leaves it readable in ring 3).
    let tsc = unsafe { core::arch::x86_64::_rdtsc() };
    abi::now_ns(tsc, info.boot_tsc, info.tsc_per_ms)
}

/// The boot programs' arguments: the kernel command line after its `--` (empty if none). The
/// shell runs them as a command line when it is a boot program.
pub fn boot_args() -> &'static str {
    // SAFETY: the kernel maps the boot-argument block (BOOT_ARGS_MAX bytes, same page as the
    // environment table) read-only in every address space and writes it only before the first
    // program starts.
    let bytes = unsafe { core::slice::from_raw_parts(abi::layout::BOOT_ARGS_BASE as *const u8, abi::layout::BOOT_ARGS_MAX) };
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    core::str::from_utf8(&bytes[..end]).unwrap_or("")
}

/// The boot archive (a cpio `newc` archive of every program), read-only.
pub fn initrd() -> &'static [u8] {
    let size = sysinfo().initrd_size as usize;
    // SAFETY: the kernel maps `initrd_size` bytes of the archive read-only at INITRD_BASE in every
    // address space and never changes or unmaps them.
    unsafe { core::slice::from_raw_parts(abi::layout::INITRD_BASE as *const u8, size) }
}

/// The capability slot of this environment's own table through which `va` is mapped, if any.
pub fn own_slot(va: u64) -> Option<u64> {
    translate(va).and_then(abi::pte::own_slot)
}

/// Calls `f(va, entry)` for every present user page below the kernel's windows and in the stack
/// area above them, in address order, reading the page tables through the self-map and skipping
/// absent upper levels. Stops at the first error `f` returns.
pub fn for_each_mapped<E>(mut f: impl FnMut(u64, u64) -> Result<(), E>) -> Result<(), E> {
    let r = SELF_MAP_SLOT;
    let windows = (abi::layout::WINDOWS_START >> 39)..(abi::layout::WINDOWS_END >> 39);
    let pml4 = (r << 39) | (r << 30) | (r << 21) | (r << 12);
    for_each_present(pml4, 0..256, |i, _| {
        if windows.contains(&i) {
            return Ok(());
        }
        for_each_present((r << 39) | (r << 30) | (r << 21) | (i << 12), 0..512, |j, _| {
            for_each_present((r << 39) | (r << 30) | (i << 21) | (j << 12), 0..512, |k, pde| {
                if pde & HUGE != 0 {
                    // A 2 MiB page (an extent mapping): its 512 pages, as 4 KiB entries.
                    return (0..512).try_for_each(|l| f((i << 39) | (j << 30) | (k << 21) | (l << 12), huge_part(pde, l)));
                }
                for_each_present((r << 39) | (i << 30) | (j << 21) | (k << 12), 0..512, |l, entry| {
                    f((i << 39) | (j << 30) | (k << 21) | (l << 12), entry)
                })
            })
        })
    })
}

/// Calls `f(index, entry)` for each present entry among `indices` (a multiple of 8 long, starting
/// at a multiple of 8) of the page table the self-map shows at `table`. Tables are mostly empty:
/// 64 entries (a block) are read and tested at once, then eight at a time in a block that has any.
fn for_each_present<E>(table: u64, indices: core::ops::Range<u64>, mut f: impl FnMut(u64, u64) -> Result<(), E>) -> Result<(), E> {
    let mut chunk = indices.start;
    while chunk < indices.end {
        if chunk.is_multiple_of(BLOCK) && indices.end - chunk >= BLOCK && !any_present::<{ BLOCK as usize }>(table, chunk) {
            chunk += BLOCK;
            continue;
        }
        if any_present::<8>(table, chunk) {
            for index in chunk..chunk + 8 {
                let entry = read(table + index * 8);
                if entry & PRESENT != 0 {
                    f(index, entry)?;
                }
            }
        }
        chunk += 8;
    }
    Ok(())
}

/// The entries [`for_each_present`] tests at once before it looks closer.
const BLOCK: u64 = 64;

/// Whether any of the `N` entries from `index` of the page table the self-map shows at `table` is
/// present. The kernel changes the table only in system calls: none comes between this read and
/// the test (the caller's `f` may make some; each entry is read again before it is used).
fn any_present<const N: usize>(table: u64, index: u64) -> bool {
    // SAFETY: N aligned entries of a page-table page mapped read-only by the self-map (its upper
    // levels were found present; the caller keeps `index + N` within the table); copied, so no
    // Rust reference to the table exists.
    let entries = unsafe { core::ptr::read((table + index * 8) as *const [u64; N]) };
    entries.iter().fold(0, |any, e| any | e) & PRESENT != 0
}

/// The u64 at byte `offset` of the kernel's statistics window (`abi::stats`; clamped to an
/// aligned word inside its `STATS_PAGES` pages).
pub fn stats_word(offset: usize) -> u64 {
    let offset = offset.min(abi::stats::STATS_PAGES * 4096 - 8) & !7;
    // SAFETY: the kernel maps the statistics window (STATS_PAGES pages) read-only at STATS_BASE in
    // every address space; `offset` is clamped to an aligned u64 inside it; volatile: the kernel
    // writes it.
    unsafe { core::ptr::read_volatile((abi::stats::STATS_BASE + offset as u64) as *const u64) }
}
