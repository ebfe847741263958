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

/// Set by the kernel when the mapping was made through a capability in this environment's own
/// table; the slot is then in bits [`SLOT_SHIFT`]`..+10` (a library can find which of its
/// capabilities backs any page it has mapped, e.g. to share it with a child).
pub const OWN_SLOT: u64 = 1 << 9;
/// Two bits the library OS sets and clears with each `MAP`/`PROTECT` (`MapUpdate::TAG0`/`TAG1`)
/// and the kernel otherwise ignores: ExOS marks copy-on-write and shared pages with them.
pub const TAG0: u64 = 1 << 10;
pub const TAG1: u64 = 1 << 11;
/// Where the capability slot of an [`OWN_SLOT`] mapping sits (10 bits; the kernel never enables
/// protection keys, so these bits are ignored by the MMU).
pub const SLOT_SHIFT: u32 = 52;
pub const SLOT_MASK: u64 = 0x3ff << SLOT_SHIFT;

/// The capability slot of this environment's own table that `entry` was mapped through, if any.
pub const fn own_slot(entry: u64) -> Option<u64> {
    if entry & PRESENT != 0 && entry & OWN_SLOT != 0 {
        Some((entry & SLOT_MASK) >> SLOT_SHIFT)
    } else {
        None
    }
}
