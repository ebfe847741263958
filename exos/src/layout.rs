//! Every virtual-address range the library uses, in one place (the kernel's windows are in
//! `abi::layout`). A compile-time check below proves that no two areas overlap, that no area runs
//! into the kernel's windows, and that every fixed page of ExOS's private region lies inside it
//! and apart from the others.
//!
//! | area | owner |
//! |---|---|
//! | [`HEAP`] | the heap (`rt/heap.rs`) |
//! | [`MMAP`] | `mmap` regions (`mem/mmap.rs`) |
//! | [`REGIONS`] | IPC regions: pipes, shared-memory channels (`ipc/region.rs`) |
//! | [`TMPFS`] | the session's `/tmp` pool (`fs/tmpfs.rs`) |
//! | [`TTY`] | the session's terminal page (`fs/tty.rs`) |
//! | [`STACKS`] | user-level thread stacks (`thread/stack.rs`) |
//! | [`PRIVATE`] | ExOS private: scratch pages, status pages, `exec`'s trampoline and staging, the descriptor table; never copied or shared by `fork` |
//! | [`INITIAL_STACK`] | the stack the kernel or `spawn` gives a program; a spawned program's start block is its top page |
//!
//! `exec` keeps [`IPC_AREA`] (regions, `/tmp`, the terminal) and [`PRIVATE`].
use abi::layout::{PAGE_SIZE, USER_END, USER_STACK_SIZE, USER_STACK_TOP, USER_START, WINDOWS_END, WINDOWS_START};
use core::ops::Range;

const PAGE: u64 = PAGE_SIZE;

/// The heap (16 TiB).
pub const HEAP: Range<u64> = 0x0000_1000_0000_0000..0x0000_2000_0000_0000;
pub const HEAP_BASE: u64 = HEAP.start;
/// `mmap` regions: placed from the start up, never past the end.
pub const MMAP: Range<u64> = 0x0000_2000_0000_0000..0x0000_2800_0000_0000;
pub const MMAP_BASE: u64 = MMAP.start;
pub const MMAP_END: u64 = MMAP.end;
/// IPC regions (`ipc::region`).
pub const REGIONS: Range<u64> = 0x0000_2800_0000_0000..0x0000_2e00_0000_0000;
pub const REGION_BASE: u64 = REGIONS.start;
/// The `/tmp` pool: [`TMPFS_PAGES`] pages, header first.
pub const TMPFS_PAGES: u64 = 64;
pub const TMPFS_VA: u64 = 0x0000_2e00_0000_0000;
pub const TMPFS: Range<u64> = TMPFS_VA..TMPFS_VA + TMPFS_PAGES * PAGE;
/// The terminal page.
pub const TTY_VA: u64 = 0x0000_2f00_0000_0000;
pub const TTY: Range<u64> = TTY_VA..TTY_VA + PAGE;
/// What `exec` keeps of the shared areas: IPC regions, `/tmp` and the terminal.
pub const IPC_AREA: Range<u64> = REGIONS.start..0x0000_3000_0000_0000;
/// Thread stacks: [`STACK_WINDOWS`] windows of [`STACK_WINDOW`] bytes.
pub const STACK_WINDOW: u64 = 16 << 20;
pub const STACK_WINDOWS: u64 = 1 << 20;
pub const STACKS: Range<u64> = 0x0000_3000_0000_0000..0x0000_3000_0000_0000 + STACK_WINDOW * STACK_WINDOWS;
pub const STACKS_BASE: u64 = STACKS.start;
/// ExOS's private region.
pub const PRIVATE: Range<u64> = 0x0000_7d00_0000_0000..0x0000_7e00_0000_0000;
/// The program's initial stack.
pub const INITIAL_STACK: Range<u64> = USER_STACK_TOP - USER_STACK_SIZE..USER_STACK_TOP;

// The fixed pages and areas inside the private region.
/// Where the copy-on-write handler maps a fresh page to copy into.
pub const COW_SCRATCH: u64 = PRIVATE.start;
/// Where `fork` maps a page it copies for the child.
pub const FORK_SCRATCH: u64 = PRIVATE.start + 0x1000;
/// Where `spawn` maps a child's page while it fills it.
pub const SPAWN_SCRATCH: u64 = PRIVATE.start + 0x2000;
/// This process's status page (shared with its parent).
pub const STATUS_VA: u64 = 0x0000_7d00_0001_0000;
/// The most children one process has at once (created and not yet reaped): the library's own
/// limit, independent of the kernel's `abi::MAX_ENVS` (its records, the status-page area and the
/// signal bit mask are sized by it). A process tree holds as many processes as the kernel allows.
pub const MAX_CHILDREN: usize = 64;
/// Children's status pages: `CHILDREN_BASE + k * 4096`, `k < MAX_CHILDREN`.
pub const CHILDREN_BASE: u64 = 0x0000_7d00_0010_0000;
pub const CHILDREN: Range<u64> = CHILDREN_BASE..CHILDREN_BASE + MAX_CHILDREN as u64 * PAGE;
/// `exec`'s trampoline page, then its table of system calls.
pub const TRAMPOLINE_VA: u64 = 0x0000_7d00_0100_0000;
pub const EXEC_AREA: Range<u64> = TRAMPOLINE_VA..0x0000_7d00_0200_0000;
/// The descriptor table page, then the page where a child's table is built.
pub const FD_TABLE: u64 = 0x0000_7d00_0200_0000;
pub const FD_AREA: Range<u64> = FD_TABLE..FD_TABLE + 2 * PAGE;
/// Where `exec` fills the new image's pages before the switch.
pub const STAGING: Range<u64> = 0x0000_7d01_0000_0000..0x0000_7d02_0000_0000;

/// The network stack's receive rings (`net/link.rs`): one extent per ring, [`NET_RING_STRIDE`]
/// apart. Private: `fork` gives the child no copy (its stack is its own, made on first use).
pub const NET_RINGS: Range<u64> = 0x0000_7d02_0000_0000..0x0000_7d02_1000_0000;
pub const NET_RING_STRIDE: u64 = 1 << 20;

/// The areas of an address space, with their names (for the check and for tests).
pub const AREAS: [(&str, Range<u64>); 8] = [
    ("heap", HEAP),
    ("mmap", MMAP),
    ("regions", REGIONS),
    ("tmpfs", TMPFS),
    ("tty", TTY),
    ("stacks", STACKS),
    ("private", PRIVATE),
    ("initial stack", INITIAL_STACK),
];

/// The fixed parts of the private region.
pub const PRIVATE_AREAS: [(&str, Range<u64>); 9] = [
    ("cow scratch", COW_SCRATCH..COW_SCRATCH + PAGE),
    ("fork scratch", FORK_SCRATCH..FORK_SCRATCH + PAGE),
    ("spawn scratch", SPAWN_SCRATCH..SPAWN_SCRATCH + PAGE),
    ("status page", STATUS_VA..STATUS_VA + PAGE),
    ("children", CHILDREN),
    ("exec", EXEC_AREA),
    ("descriptor table", FD_AREA),
    ("exec staging", STAGING),
    ("network rings", NET_RINGS),
];

const fn overlap(a: &Range<u64>, b: &Range<u64>) -> bool {
    a.start < b.end && b.start < a.end
}

const fn inside(a: &Range<u64>, outer: &Range<u64>) -> bool {
    outer.start <= a.start && a.end <= outer.end
}

/// Whether the areas are non-empty, page-aligned, pairwise disjoint and all inside `outer`.
pub const fn well_placed(areas: &[(&str, Range<u64>)], outer: &Range<u64>) -> bool {
    let mut i = 0;
    while i < areas.len() {
        let a = &areas[i].1;
        if a.start >= a.end || !a.start.is_multiple_of(PAGE) || !a.end.is_multiple_of(PAGE) || !inside(a, outer) {
            return false;
        }
        let mut j = i + 1;
        while j < areas.len() {
            if overlap(a, &areas[j].1) {
                return false;
            }
            j += 1;
        }
        i += 1;
    }
    true
}

/// Whether none of the areas overlaps the kernel's windows.
const fn clear_of_windows(areas: &[(&str, Range<u64>)]) -> bool {
    let mut i = 0;
    while i < areas.len() {
        if overlap(&areas[i].1, &(WINDOWS_START..WINDOWS_END)) {
            return false;
        }
        i += 1;
    }
    true
}

const _: () = assert!(well_placed(&AREAS, &(USER_START..USER_END)) && clear_of_windows(&AREAS));
const _: () = assert!(well_placed(&PRIVATE_AREAS, &PRIVATE));
const _: () = assert!(inside(&IPC_AREA, &(REGIONS.start..STACKS.start)));
const _: () = assert!(inside(&REGIONS, &IPC_AREA) && inside(&TMPFS, &IPC_AREA) && inside(&TTY, &IPC_AREA));
