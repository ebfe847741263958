//! The virtual address-space layout every environment sees.
//!
//! ```text
//!  0xffff_ffff_ffff_ffff ┌──────────────────────────────┐
//!                        │ kernel image (W^X, global)   │ 0xffff_ffff_8000_0000  KERNEL_BASE
//!                        ├──────────────────────────────┤
//!                        │ device windows (uncached)    │ 0xffff_c000_0000_0000  MMIO_BASE
//!                        ├──────────────────────────────┤
//!                        │ direct map of physical RAM   │ 0xffff_8000_0000_0000  PHYS_MAP_BASE
//!                        ├──────────────────────────────┤
//!                        │ non-canonical hole           │
//!  0x0000_7fff_ffff_f000 ├──────────────────────────────┤ USER_END (last page never mapped)
//!                        │ user stack (grows down)      │ USER_STACK_TOP
//!                        │ guard page                   │
//!  0x0000_7f80_0000_0000 ├──────────────────────────────┤ WINDOWS_END
//!                        │ self-map of own page tables  │ 0x0000_7f00_0000_0000  SELF_MAP_BASE (r/o)
//!                        │ boot archive (initrd)        │ 0x0000_7ee0_0000_0000  INITRD_BASE (r/o)
//!                        │ budget table                 │ 0x0000_7ed0_0000_0000  BUDGET_TABLE_BASE (r/o)
//!                        │ env table, slices, sysinfo   │ 0x0000_7ec0_0000_0000  ENV_TABLE_BASE (r/o)
//!                        │ capability counts per page   │ 0x0000_7ea0_0000_0000  PAGE_REFS_BASE (r/o)
//!                        │ page-ownership table         │ 0x0000_7e80_0000_0000  PAGE_OWNERS_BASE (r/o)
//!                        │ own repossession vector      │ 0x0000_7e00_0000_0000  REPOSSESSED_BASE (r/o)
//!  0x0000_7e00_0000_0000 ├──────────────────────────────┤ WINDOWS_START
//!                        │ ... free for the library OS  │
//!                        │ program image (ELF PT_LOAD)  │
//!  0x0000_0000_0001_0000 ├──────────────────────────────┤ USER_START
//!                        │ null guard, never mapped     │
//!  0x0000_0000_0000_0000 └──────────────────────────────┘
//! ```
//! Everything from `PHYS_MAP_BASE` up is mapped supervisor-only in every address space.

/// The size of a page, in bytes.
pub const PAGE_SIZE: u64 = 4096;
/// The lowest user address that can be mapped: the first 64 KiB stay unmapped to catch null pointers.
pub const USER_START: u64 = 0x0000_0000_0001_0000;
/// One past the highest user address that can be mapped. The last page below the canonical hole is
/// never mapped, so a `syscall` can never return to a non-canonical address.
pub const USER_END: u64 = 0x0000_7fff_ffff_f000;
/// The top of the initial user stack (exclusive).
pub const USER_STACK_TOP: u64 = 0x0000_7fff_fff0_0000;
/// The size of the initial user stack the kernel maps for a program.
pub const USER_STACK_SIZE: u64 = 64 * 1024;
/// The kernel's read-only windows into the user half start here (one PML4 slot each).
pub const WINDOWS_START: u64 = 0x0000_7e00_0000_0000;
/// The environment's revocation page (one page, its own), read-only, `u64` words: the count of
/// pages the kernel took by force (word 0), the revocation request pending against it (word 1
/// [`REVOKE_PAGES`], word 2 [`REVOKE_DEADLINE`]), then from [`REPOSSESSED_ENTRIES`] the
/// physical address of each page taken (the last [`REPOSSESSED_CAPACITY`] are kept, the count keeps
/// growing).
pub const REPOSSESSED_BASE: u64 = 0x0000_7e00_0000_0000;
/// The pending revocation request: how many pages the environment still owes (each page it
/// frees or gives away counts). Meaningful while [`REVOKE_DEADLINE`] is not 0.
pub const REVOKE_PAGES: u64 = REPOSSESSED_BASE + 8;
/// The pending revocation request's deadline tick; 0 when no request is pending.
pub const REVOKE_DEADLINE: u64 = REPOSSESSED_BASE + 16;
/// The first entry of the ring of repossessed physical addresses.
pub const REPOSSESSED_ENTRIES: u64 = REPOSSESSED_BASE + 24;
/// Entries in that ring (the rest of the page).
pub const REPOSSESSED_CAPACITY: u64 = (PAGE_SIZE - 24) / 8;
/// The page-ownership table: one `u32` per physical page, the id of the environment that owns it
/// (0 = free, [`OWNER_KERNEL`] = the kernel, device memory or a hole). Read-only.
pub const PAGE_OWNERS_BASE: u64 = 0x0000_7e80_0000_0000;
/// The capability-count table: one `u32` per physical page, how many capabilities name it (its
/// root and every grant, in all environments). A library sees whether a page it owns is shared
/// (copy-on-write needs to know). Read-only.
pub const PAGE_REFS_BASE: u64 = 0x0000_7ea0_0000_0000;
/// The budget table: `abi::MAX_ENVS` [`BudgetInfo`](crate::BudgetInfo) records (16 bytes), one
/// per environment-table index: the environment's memory budget and how much of it is charged
/// (`ps` and `free` read it). A record of a free index is zero. The two words are written one after
/// the other (a reader may see one change before the other). Read-only.
pub const BUDGET_TABLE_BASE: u64 = 0x0000_7ed0_0000_0000;
/// Pages of the budget table.
pub const BUDGET_TABLE_PAGES: u64 = (crate::MAX_ENVS as u64 * 16).div_ceil(PAGE_SIZE);
/// The boot archive (the initrd, a cpio `newc` archive holding every program), read-only, at a
/// page-aligned copy; its length is [`SysInfo`](crate::SysInfo)`::initrd_size`.
pub const INITRD_BASE: u64 = 0x0000_7ee0_0000_0000;
/// System information ([`SysInfo`](crate::SysInfo)), updated by the kernel at every timer tick.
/// Read-only (same page as the time-slice vector).
pub const SYSINFO_BASE: u64 = SLICE_TABLE_BASE + 1024;
/// The boot programs' arguments: the kernel command line after its standalone `--` word, as
/// NUL-terminated UTF-8 of at most [`BOOT_ARGS_MAX`] bytes with the NUL (empty if there was no
/// `--`). Read-only (same page as the time-slice vector).
pub const BOOT_ARGS_BASE: u64 = SLICE_TABLE_BASE + 1152;
const _: () = assert!(SYSINFO_BASE + core::mem::size_of::<crate::SysInfo>() as u64 <= BOOT_ARGS_BASE);
/// Room for the boot arguments, NUL included.
pub const BOOT_ARGS_MAX: usize = 960;
/// The environment table: `abi::MAX_ENVS` [`EnvInfo`](crate::EnvInfo) records, one per table
/// index, each guarded by a sequence word at [`ENV_SEQ_BASE`] (a record has four words; read it
/// with [`crate::seqlock::read`] or it may be half old, half new). Read-only. The window is
/// [`ENV_WINDOW_PAGES`] pages: the records, the sequence words, then one page with the time-slice
/// vector, the system information and the boot arguments.
pub const ENV_TABLE_BASE: u64 = 0x0000_7ec0_0000_0000;
/// The environment table's sequence words: `abi::MAX_ENVS` `u64`s, one per record (word `i` guards
/// the record at `ENV_TABLE_BASE + 16 * i`). The kernel makes word `i` odd before it rewrites
/// record `i` and even after; read a record with [`crate::seqlock::read`]. Read-only.
pub const ENV_SEQ_BASE: u64 = ENV_TABLE_BASE + 16 * crate::MAX_ENVS as u64;
/// The time-slice vector: `abi::SLICES` `u32`s, the id of the environment owning each position (0:
/// free), then the `u32` position the timer is at. Read-only (the last page of the environment
/// table's window).
pub const SLICE_TABLE_BASE: u64 = ENV_SEQ_BASE + 8 * crate::MAX_ENVS as u64;
/// Pages of the environment table's window (records, sequence words, and the page of the slice
/// vector, system information and boot arguments).
pub const ENV_WINDOW_PAGES: u64 = (SLICE_TABLE_BASE - ENV_TABLE_BASE) / PAGE_SIZE + 1;
/// The owner value of pages the kernel keeps.
pub const OWNER_KERNEL: u32 = u32::MAX;
/// The environment's own page tables, through a recursive PML4 entry (slot 254). Read-only.
/// The entry for virtual page `va` (a user address) is the u64 at `SELF_MAP_BASE + (va >> 12) * 8`.
pub const SELF_MAP_BASE: u64 = 0x0000_7f00_0000_0000;
/// The PML4 slot of the self-map.
pub const SELF_MAP_SLOT: u64 = 254;
/// The end of the read-only windows.
pub const WINDOWS_END: u64 = 0x0000_7f80_0000_0000;

/// Whether `[addr, addr + len)` touches the kernel's read-only windows.
pub const fn overlaps_windows(addr: u64, len: u64) -> bool {
    addr < WINDOWS_END && addr.saturating_add(len) > WINDOWS_START
}

/// The start of the kernel half: the direct map of physical memory.
pub const PHYS_MAP_BASE: u64 = 0xffff_8000_0000_0000;
/// The start of the kernel's uncached device windows.
pub const MMIO_BASE: u64 = 0xffff_c000_0000_0000;
/// The virtual base of the kernel image (its physical base is added to this).
pub const KERNEL_BASE: u64 = 0xffff_ffff_8000_0000;

/// Whether `[addr, addr + len)` lies entirely within mappable user space (and does not wrap).
pub const fn is_user_range(addr: u64, len: u64) -> bool {
    match addr.checked_add(len) {
        Some(end) => addr >= USER_START && end <= USER_END,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_range_checks() {
        assert!(is_user_range(USER_START, PAGE_SIZE));
        assert!(is_user_range(USER_END - 1, 1));
        assert!(!is_user_range(USER_END - 1, 2));
        assert!(!is_user_range(0, 1), "the null guard is not user space");
        assert!(!is_user_range(KERNEL_BASE, 1));
        assert!(!is_user_range(USER_START, u64::MAX), "wrap-around is refused");
        assert!(!is_user_range(u64::MAX, 1));
    }

    #[test]
    fn layout_is_ordered_and_page_aligned() {
        for a in [USER_START, USER_END, USER_STACK_TOP, USER_STACK_SIZE, PHYS_MAP_BASE, MMIO_BASE, KERNEL_BASE] {
            assert_eq!(a % PAGE_SIZE, 0);
        }
        const { assert!(USER_START < USER_STACK_TOP - USER_STACK_SIZE - PAGE_SIZE) };
        const { assert!(USER_STACK_TOP < USER_END) };
        const { assert!(WINDOWS_END <= USER_STACK_TOP - USER_STACK_SIZE) };
        assert_eq!(SELF_MAP_BASE, SELF_MAP_SLOT << 39);
        assert!(overlaps_windows(SELF_MAP_BASE, 1) && !overlaps_windows(0x40_0000, 0x1000));
        const { assert!(16 * crate::MAX_ENVS as u64 <= ENV_SEQ_BASE - ENV_TABLE_BASE) };
        const { assert!(ENV_SEQ_BASE + 8 * crate::MAX_ENVS as u64 <= SLICE_TABLE_BASE) };
        const { assert!(SLICE_TABLE_BASE.is_multiple_of(PAGE_SIZE)) };
        const { assert!(SLICE_TABLE_BASE + 4 * (crate::SLICES as u64 + 1) <= SYSINFO_BASE) };
        const { assert!(BOOT_ARGS_BASE + BOOT_ARGS_MAX as u64 <= SLICE_TABLE_BASE + PAGE_SIZE) };
        const { assert!(ENV_TABLE_BASE + ENV_WINDOW_PAGES * PAGE_SIZE <= crate::stats::STATS_BASE) };
        const { assert!(PHYS_MAP_BASE < MMIO_BASE && MMIO_BASE < KERNEL_BASE) };
    }
}
