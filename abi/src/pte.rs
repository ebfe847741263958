//! Page-table entry bits, as x86_64 defines them. They are part of the ABI because every
//! environment reads its own page-table entries through the self-map (`layout::SELF_MAP_BASE`).

pub const PRESENT: u64 = 1;
pub const WRITABLE: u64 = 1 << 1;
pub const USER: u64 = 1 << 2;
pub const WRITE_THROUGH: u64 = 1 << 3;
pub const NO_CACHE: u64 = 1 << 4;
pub const ACCESSED: u64 = 1 << 5;
pub const DIRTY: u64 = 1 << 6;
/// A 2 MiB (or 1 GiB) page at this level instead of a pointer to the next table.
pub const HUGE: u64 = 1 << 7;
pub const GLOBAL: u64 = 1 << 8;
pub const NO_EXECUTE: u64 = 1 << 63;
/// The physical address an entry holds.
pub const ADDRESS_MASK: u64 = 0x000f_ffff_ffff_f000;
