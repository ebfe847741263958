//! The Exo ABI: what the kernel and every library OS agree on, and nothing else.
//!
//! This crate owns the system-call table ([`calls::CALLS`], `calls.rs`: every call's number, name,
//! arguments, rights, errors and documentation; `cargo xtask abi` generates [`Sysnum`] (`sysnum.rs`),
//! ExOS's stubs, the kernel's dispatch table and docs/ABI.md's reference from it), the error codes ([`Error`])
//! and the register encoding of a call's result ([`encode_result`] / [`decode_result`], `error.rs`),
//! the user address-space layout ([`layout`]), the sequence protocol of the published tables
//! ([`seqlock`]), and here the types calls exchange: [`Rights`],
//! [`ExceptionFrame`], [`MapUpdate`], [`EnvInfo`], environment ids and the ABI's limits. It has no dependencies and no unsafe code, so both sides can trust it.
//! `docs/ABI.md` is the prose form of this crate; its "Calls" section is generated from `calls.rs`.
//!
//! # Register convention
//! A call is made with the `syscall` instruction. `rax` holds the [`Sysnum`]; arguments go in `rdi`,
//! `rsi`, `rdx`, `r10`, `r8`, `r9` (the System V order with `r10` for `rcx`, which `syscall` clobbers).
//! On return `rax` is `0` for success or an [`Error`] code, and `rdx` carries the call's value.
//! `rcx` and `r11` are clobbered by the instruction; every other register, including the vector and
//! x87 state, is preserved.
#![no_std]
#![forbid(unsafe_code)]

pub mod layout;
pub mod net;
pub mod pte;
pub mod seqlock;
pub mod stages;
pub mod stats;
mod error;
pub mod calls;
mod sysnum;

pub use error::*;
pub use sysnum::*;

use core::fmt;

/// System information the kernel publishes at `layout::SYSINFO_BASE` (little-endian `u64`s).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SysInfo {
    /// Length in bytes of the boot archive at `layout::INITRD_BASE`.
    pub initrd_size: u64,
    /// Physical pages of RAM the kernel manages (free or in use): the usable RAM of the firmware's
    /// map, not the holes between its ranges.
    pub total_pages: u64,
    /// Physical pages free now.
    pub free_pages: u64,
    /// Timer ticks since boot (`TICK_MS` milliseconds each).
    pub ticks: u64,
    /// Bytes typed at the console that wait for `console_read` (as of the last interrupt or read).
    pub console_input: u64,
    /// The TSC value at time zero of [`now_ns`] (the kernel's first instruction).
    pub boot_tsc: u64,
    /// TSC cycles per millisecond (measured at boot; 0 before).
    pub tsc_per_ms: u64,
    /// Nanoseconds since boot as of the last interrupt the kernel took (a coarse clock; for the
    /// exact time read the TSC and use [`now_ns`]).
    pub uptime_ns: u64,
    /// Entries of the page-ownership and capability-count tables: physical page numbers
    /// `0..frames`, up to the highest usable page (with 4 GiB or more this spans the PCI hole
    /// below 4 GiB, whose pages show as the kernel's, so it exceeds `total_pages`).
    pub frames: u64,
}

impl SysInfo {
    /// Words of the published block, in the order of the fields.
    pub const WORDS: usize = 9;

    /// The record from its published words (in field order).
    pub const fn from_words(w: [u64; SysInfo::WORDS]) -> SysInfo {
        SysInfo {
            initrd_size: w[0],
            total_pages: w[1],
            free_pages: w[2],
            ticks: w[3],
            console_input: w[4],
            boot_tsc: w[5],
            tsc_per_ms: w[6],
            uptime_ns: w[7],
            frames: w[8],
        }
    }

    /// Its words as published (in field order).
    pub const fn words(&self) -> [u64; SysInfo::WORDS] {
        [self.initrd_size, self.total_pages, self.free_pages, self.ticks, self.console_input, self.boot_tsc, self.tsc_per_ms, self.uptime_ns, self.frames]
    }
}

const _: () = assert!(core::mem::size_of::<SysInfo>() == 8 * SysInfo::WORDS);

/// Nanoseconds since boot at TSC value `tsc`, from the clock published in [`SysInfo`]: the unit of
/// `env_wait`'s deadline. 0 if the TSC rate is not known.
pub const fn now_ns(tsc: u64, boot_tsc: u64, tsc_per_ms: u64) -> u64 {
    if tsc_per_ms == 0 {
        return 0;
    }
    let elapsed = tsc.saturating_sub(boot_tsc) as u128;
    let ns = elapsed * 1_000_000 / tsc_per_ms as u128;
    if ns > u64::MAX as u128 { u64::MAX } else { ns as u64 }
}

/// `env_wait` event: a notification (`env_notify`, or the kernel's [`NOTIFY_CHILD`]) is pending.
/// The pending bits are consumed and returned in bits 32..64 of the result.
pub const WAIT_NOTIFY: u64 = 1 << 0;
/// `env_wait` event: bytes typed at the console wait for `console_read` (level-triggered: it
/// holds until they are read).
pub const WAIT_CONSOLE: u64 = 1 << 1;
/// `env_wait` event: the deadline (nanoseconds since boot, [`now_ns`]) has passed.
pub const WAIT_DEADLINE: u64 = 1 << 2;
/// `env_wait` event: a protected control transfer arrives. It is never reported: the transfer
/// starts fresh at the caller's entry, as after `pct_wait`, and the `env_wait` is abandoned.
pub const WAIT_PCT: u64 = 1 << 3;
/// `env_wait` event: an interrupt line the caller owns fired; the lines (bit `n` = line `n`) are
/// consumed and returned in bits 8..32 of the result.
pub const WAIT_IRQ: u64 = 1 << 4;
/// `env_wait` event: the 8-byte word at `word` no longer holds `expected` when the call is made,
/// or `page_wake` was called on it since.
pub const WAIT_WORD: u64 = 1 << 5;
/// Every `env_wait` event.
pub const WAIT_ALL: u64 = WAIT_NOTIFY | WAIT_CONSOLE | WAIT_DEADLINE | WAIT_PCT | WAIT_IRQ | WAIT_WORD;
/// The bits of `env_wait`'s result that say which events fired.
pub const WAIT_EVENTS_MASK: u64 = 0xff;
/// Where the interrupt lines start in `env_wait`'s result.
pub const WAIT_IRQ_SHIFT: u32 = 8;
/// How many interrupt lines an environment can own (bits 8..32 of the result).
pub const IRQ_LINES: u32 = 24;
/// Where the notification bits start in `env_wait`'s result.
pub const WAIT_NOTIFY_SHIFT: u32 = 32;
/// The notification bit the kernel sets in an environment when one of the environments it
/// created ends. `env_notify` may not send it.
pub const NOTIFY_CHILD: u32 = 1 << 31;
/// The notification bits `env_notify` may send (not the kernel's: [`NOTIFY_CHILD`],
/// [`net::NOTIFY_NET`]).
pub const NOTIFY_USER_BITS: u32 = !(NOTIFY_CHILD | net::NOTIFY_NET);
/// `env_notify` flag (bit 32 of `bits`, above the notification word): notify the target and every
/// environment it created, directly or through its descendants (its process group: what a job
/// control signal reaches). The same `EXECUTE` right over the target is the authority.
pub const NOTIFY_TREE: u64 = 1 << 32;

/// Milliseconds between timer ticks.
pub const TICK_MS: u64 = 10;
/// The bare `syscall` crossing (docs/ABI.md, "The bare crossings"): this call number returns at
/// once with `rax` = 0 through `sysretq`, doing nothing else; for measuring the hardware's cost.
pub const LIMIT_SYSNUM: u64 = 0xfffe;
/// The bare exception crossing: `int 0xf0` (allowed from ring 3) enters an empty kernel handler
/// that returns with `iretq`, changing nothing; for measuring the hardware's cost.
pub const LIMIT_VECTOR: u8 = 0xf0;

/// Positions in the time-slice vector.
pub const SLICES: usize = 16;
/// `slice_alloc`'s argument for "any free position".
pub const ANY_SLICE: u64 = u64::MAX;
/// [`ExceptionFrame::vector`] of a slice-end upcall.
pub const SLICE_END_VECTOR: u64 = 257;
/// [`ExceptionFrame::vector`] of a redirected `syscall` (`env_redirect_syscalls`): `rip` is the
/// instruction after it, every other register as the caller left it (`rcx`, `r11` as `syscall` set them).
pub const SYSCALL_UPCALL_VECTOR: u64 = 258;

/// The most vital pages one environment may have.
pub const MAX_VITAL: usize = 8;
/// [`ExceptionFrame::vector`] of a revocation upcall: the kernel asks for `error_code` pages back
/// before timer tick `fault_address` (the deadline); the registers are the interrupted ones.
pub const REVOKE_VECTOR: u64 = 256;
/// Timer ticks between a revocation request and its deadline.
pub const REVOKE_DEADLINE_TICKS: u64 = 5;

/// `env_yield`'s argument for "whoever is next".
pub const ANY_ENV: u64 = u64::MAX;
/// `page_map`'s environment argument for "my own address space".
pub const SELF_ENV: u64 = u64::MAX;

/// The most environments that can exist at once (the windows that publish them, the kernel's
/// table and its scans are sized by it; the mapping index packs 12 bits of table index). Memory
/// budgets keep a fork bomb inside its creator's budget, so the table can be this large; docs/ABI.md,
/// "Limits".
pub const MAX_ENVS: usize = 4096;
/// Bits of an environment id that hold its index in the kernel's table; the rest is a generation,
/// bumped each time the index is reused, so the id of a dead environment never names its successor.
pub const ENV_INDEX_BITS: u32 = 12;
/// The generation bits of an id: ids keep 31 bits in all (an id fits a `u32` below
/// `layout::OWNER_KERNEL`), so 31 - `ENV_INDEX_BITS` bits of generation before the kernel retires
/// an index.
pub const ENV_GENERATION_MASK: u64 = (1 << (31 - ENV_INDEX_BITS)) - 1;

const _: () = assert!(MAX_ENVS == 1 << ENV_INDEX_BITS);

/// The table index of environment id `id`.
pub const fn env_index(id: u64) -> usize {
    (id & ((1 << ENV_INDEX_BITS) - 1)) as usize
}

/// The id of the environment at `index` in generation `generation` (ids are never 0 and always fit
/// in 32 bits, below `layout::OWNER_KERNEL`).
pub const fn env_id(index: usize, generation: u32) -> u64 {
    ((generation as u64 & ENV_GENERATION_MASK) << ENV_INDEX_BITS) | index as u64
}

/// One record of the read-only environment table at `layout::ENV_TABLE_BASE` (16 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EnvInfo {
    /// The environment's id (0: the slot is free).
    pub id: u32,
    /// The id of the environment that created it (0 for boot programs).
    pub parent: u32,
    /// One of the `ENV_*` states.
    pub state: u32,
    /// Pages it holds through `page_alloc`.
    pub pages: u32,
}

/// One record of the read-only budget table at `layout::BUDGET_TABLE_BASE` (16 bytes): an
/// environment's memory budget, in pages.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BudgetInfo {
    /// Pages the environment may have charged at once (given by its creator; a boot program's is
    /// all the RAM free when it was loaded).
    pub limit: u64,
    /// Pages charged now: its pages, page-table pages and mapping records it caused, its own
    /// record, and the budgets it gave its living children.
    pub used: u64,
}

impl BudgetInfo {
    /// Pages it may still charge.
    pub const fn free(&self) -> u64 {
        self.limit.saturating_sub(self.used)
    }
}

/// [`EnvInfo::state`]: created, not started.
pub const ENV_NOT_STARTED: u32 = 1;
/// [`EnvInfo::state`]: runnable.
pub const ENV_RUNNABLE: u32 = 2;
/// [`EnvInfo::state`]: waiting for a protected control transfer.
pub const ENV_WAITING: u32 = 3;
/// [`EnvInfo::state`]: blocked in a synchronous protected control transfer.
pub const ENV_BLOCKED: u32 = 4;
/// [`EnvInfo::state`]: sleeping in `env_wait` until one of the events it asked for.
pub const ENV_SLEEPING: u32 = 5;

/// `page_alloc`'s argument for "any free page".
pub const ANY_PAGE: u64 = u64::MAX;
/// Pages of budget the kernel charges an environment for its own record: its PML4, its
/// repossession page and the three page-table pages that map it, its saved registers and FPU
/// area, and its capability table at its largest (1,024 slots of 8 bytes: 2 pages; the table
/// grows on demand, and its growth is paid for here, once). `env_create`'s budget must cover at
/// least this.
pub const ENV_RECORD_PAGES: u64 = 8;
/// Capability mapping records charged as one page of budget (their kernel memory).
pub const RECORDS_PER_PAGE: u64 = 32;
/// The most pages one extent holds (`extent_alloc`), and the most one `extent_map`,
/// `extent_unmap` or `extent_protect` call changes: 32 MiB, so the kernel's work per call (zeroing,
/// capability counts, page-table entries) stays bounded. 1 GiB is 32 extents.
pub const MAX_EXTENT_PAGES: u64 = 8192;
/// Pages in a 2 MiB page.
pub const HUGE_PAGES: u64 = 512;
/// `extent_map` rights flag: map with 2 MiB pages (the virtual address and the physical address
/// of the first page mapped 2 MiB-aligned, the page count a multiple of [`HUGE_PAGES`]).
pub const EXTENT_HUGE: u64 = 1 << 16;
/// The most extent mappings (`extent_map` records) one environment may have.
pub const MAX_EXTENT_MAPPINGS: usize = 1024;
/// The most updates one `page_map` call applies.
pub const MAX_MAP_BATCH: u64 = 512;
/// The most pages one `page_map` call changes, a [`MapUpdate::PROTECT_RANGE`] counting as its
/// pages and every other update as one (the kernel's work per call stays bounded).
pub const MAX_MAP_PAGES: u64 = 4096;

/// One update of a `page_map` batch (32 bytes, `repr(C)`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MapUpdate {
    /// [`MapUpdate::MAP`], [`MapUpdate::UNMAP`], [`MapUpdate::PROTECT`], [`MapUpdate::GIVE_MAP`] or
    /// [`MapUpdate::GRANT_MAP`].
    pub op: u64,
    /// The page-aligned virtual address.
    pub va: u64,
    /// The capability slot (for MAP: the page to map; for UNMAP/PROTECT: ignored, the mapping's own
    /// capability is used; for PROTECT_RANGE: the number of pages).
    pub slot: u64,
    /// For MAP, PROTECT, PROTECT_RANGE, GIVE_MAP and GRANT_MAP: the mapping's rights (READ required; WRITE,
    /// EXECUTE optional), plus the library's tag bits [`MapUpdate::TAG0`], [`MapUpdate::TAG1`].
    pub rights: u64,
}

impl MapUpdate {
    pub const MAP: u64 = 0;
    pub const UNMAP: u64 = 1;
    pub const PROTECT: u64 = 2;
    /// Into another environment only: moves the caller's root page capability `slot` (which must
    /// have no grants) to the target's table, with the page's ownership and quota, and maps it
    /// there at `va` through the target's new slot.
    pub const GIVE_MAP: u64 = 3;
    /// Into another environment only: grants the target a capability derived from `slot` with
    /// the mapping's rights plus `GRANT`, and maps it there at `va` through the target's new slot.
    pub const GRANT_MAP: u64 = 4;
    /// `PROTECT` of `slot` consecutive pages from `va` (1 to [`MAX_MAP_PAGES`]), all or none:
    /// every page must be mapped through a capability and allow `rights`, or nothing changes.
    pub const PROTECT_RANGE: u64 = 5;
    /// Library tag bits in `rights`, stored in the page-table entry as `pte::TAG0`/`pte::TAG1`.
    pub const TAG0: u64 = 1 << 8;
    pub const TAG1: u64 = 1 << 9;
    /// Size in bytes.
    pub const SIZE: usize = 32;

    /// How many pages the update changes: a `PROTECT_RANGE`'s count (which the kernel checks),
    /// 1 for every other update.
    pub fn pages(&self) -> u64 {
        if self.op == MapUpdate::PROTECT_RANGE { self.slot } else { 1 }
    }

    /// Merges `next` into this update when both protect, with the same rights and tags, and `next`
    /// starts at the page right after this one's last (making this a `PROTECT_RANGE`), up to
    /// [`MAX_MAP_PAGES`] pages. Returns whether it did: a library building a batch of page-by-page
    /// changes sends a run of pages as one update.
    pub fn merge(&mut self, next: &MapUpdate) -> bool {
        let protects = |u: &MapUpdate| u.op == MapUpdate::PROTECT || (u.op == MapUpdate::PROTECT_RANGE && u.slot >= 1);
        // The cheap refusals first: a library pushes many updates that are not protections.
        if !protects(next) || self.rights != next.rights {
            return false;
        }
        let pages = self.pages();
        let follows = pages.checked_mul(layout::PAGE_SIZE).and_then(|len| self.va.checked_add(len)) == Some(next.va);
        let total = pages.checked_add(next.pages()).filter(|&total| total <= MAX_MAP_PAGES);
        match total {
            Some(total) if protects(self) && follows => {
                (self.op, self.slot) = (MapUpdate::PROTECT_RANGE, total);
                true
            }
            _ => false,
        }
    }

    /// Decodes an update from its 32 bytes (little-endian fields).
    pub fn from_bytes(b: &[u8; 32]) -> MapUpdate {
        let word = |i: usize| u64::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5], b[i + 6], b[i + 7]]);
        MapUpdate { op: word(0), va: word(8), slot: word(16), rights: word(24) }
    }
}

const _: () = assert!(core::mem::size_of::<MapUpdate>() == MapUpdate::SIZE);

/// Rights a capability carries, as a bit set. A grant can only pass on a subset.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Rights(pub u64);

impl Rights {
    /// No rights.
    pub const NONE: Rights = Rights(0);
    /// Map the page readable.
    pub const READ: Rights = Rights(1);
    /// Map the page writable.
    pub const WRITE: Rights = Rights(2);
    /// Map the page executable.
    pub const EXECUTE: Rights = Rights(4);
    /// Grant derived capabilities to other environments.
    pub const GRANT: Rights = Rights(8);
    /// Every right defined.
    pub const ALL: Rights = Rights(15);

    /// Whether every right in `other` is in `self`.
    pub const fn contains(self, other: Rights) -> bool {
        self.0 & other.0 == other.0
    }

    /// The rights in either.
    pub const fn union(self, other: Rights) -> Rights {
        Rights(self.0 | other.0)
    }

    /// Whether only defined bits are set.
    pub const fn is_valid(self) -> bool {
        self.0 & !Rights::ALL.0 == 0
    }
}

impl fmt::Display for Rights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [(Rights::READ, "r"), (Rights::WRITE, "w"), (Rights::EXECUTE, "x"), (Rights::GRANT, "g")];
        for (right, letter) in names {
            f.write_str(if self.contains(right) { letter } else { "-" })?;
        }
        Ok(())
    }
}

impl fmt::Debug for Rights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rights({self})")
    }
}

/// The smallest exception stack `env_set_exception_handler` accepts.
pub const MIN_EXCEPTION_STACK: u64 = 4096;

/// The state of the code that raised an exception, as the kernel writes it at the top of the
/// exception stack. The handler may change any field; the library's return path (not the kernel)
/// reloads every register from it, so the faulting code resumes at `rip` with these values.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExceptionFrame {
    pub rax: u64,
    pub rbx: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub rbp: u64,
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    /// Where the faulting code resumes.
    pub rip: u64,
    /// The faulting code's stack pointer.
    pub rsp: u64,
    pub rflags: u64,
    /// The exception vector (0 = #DE, 3 = #BP, 6 = #UD, 13 = #GP, 14 = #PF, ...).
    pub vector: u64,
    /// The CPU's error code (0 when the exception has none).
    pub error_code: u64,
    /// For a page fault, the address that faulted (CR2); else 0.
    pub fault_address: u64,
}

/// Byte offsets of [`ExceptionFrame`] fields, for assembly.
pub mod exception_frame {
    pub const RIP: usize = 15 * 8;
    pub const RSP: usize = 16 * 8;
    pub const RFLAGS: usize = 17 * 8;
    pub const SIZE: usize = 21 * 8;
}

const _: () = assert!(core::mem::size_of::<ExceptionFrame>() == exception_frame::SIZE);

/// The largest buffer one `console_write` accepts.
pub const MAX_CONSOLE_WRITE: u64 = 4096;
/// The most bytes one `console_read` returns (a longer buffer is filled only this far).
pub const MAX_CONSOLE_READ: u64 = 4096;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protect_runs_merge_into_ranges() {
        let protect = |va, rights| MapUpdate { op: MapUpdate::PROTECT, va, slot: 0, rights };
        let mut run = protect(0x1000_0000, 1);
        assert!(run.merge(&protect(0x1000_1000, 1)));
        assert!(run.merge(&protect(0x1000_2000, 1)));
        assert_eq!(run, MapUpdate { op: MapUpdate::PROTECT_RANGE, va: 0x1000_0000, slot: 3, rights: 1 });
        assert_eq!(run.pages(), 3);
        // Not the next page, other rights, not a protect: no merge, and the run is unchanged.
        assert!(!run.merge(&protect(0x1000_4000, 1)));
        assert!(!run.merge(&protect(0x1000_2000, 1)));
        assert!(!run.merge(&protect(0x1000_3000, 3)));
        assert!(!run.merge(&MapUpdate { op: MapUpdate::UNMAP, va: 0x1000_3000, slot: 0, rights: 1 }));
        assert!(!MapUpdate { op: MapUpdate::MAP, va: 0, slot: 5, rights: 1 }.merge(&protect(0x1000, 1)));
        assert_eq!(run.pages(), 3);
        // Two ranges merge; a merge never passes MAX_MAP_PAGES.
        assert!(run.merge(&MapUpdate { op: MapUpdate::PROTECT_RANGE, va: 0x1000_3000, slot: 5, rights: 1 }));
        assert_eq!(run.pages(), 8);
        let mut big = MapUpdate { op: MapUpdate::PROTECT_RANGE, va: 0, slot: MAX_MAP_PAGES - 1, rights: 1 };
        assert!(big.merge(&protect((MAX_MAP_PAGES - 1) * 4096, 1)));
        assert!(!big.merge(&protect(MAX_MAP_PAGES * 4096, 1)));
        assert_eq!(big.pages(), MAX_MAP_PAGES);
        // An empty range (which the kernel refuses) is never extended, and nothing wraps.
        assert!(!MapUpdate { op: MapUpdate::PROTECT_RANGE, va: 0, slot: 0, rights: 1 }.merge(&protect(0, 1)));
        assert!(!protect(!0xfff, 1).merge(&protect(0, 1)));
        // Huge counts neither overflow nor wrap into a smaller range.
        let mut huge = MapUpdate { op: MapUpdate::PROTECT_RANGE, va: 0, slot: u64::MAX, rights: 1 };
        assert!(!huge.merge(&protect(0, 1)));
        assert!(!protect(0, 1).merge(&MapUpdate { op: MapUpdate::PROTECT_RANGE, va: 0x1000, slot: u64::MAX, rights: 1 }));
        assert_eq!(huge.slot, u64::MAX);
        assert_eq!(protect(0, 1).pages(), 1);
    }

    #[test]
    fn sysnum_round_trips_and_rejects_garbage() {
        for s in Sysnum::ALL {
            assert_eq!(Sysnum::try_from(s as u64), Ok(s));
        }
        for n in [Sysnum::ALL.len() as u64, 0x100, u64::MAX, 1 << 63] {
            assert_eq!(Sysnum::try_from(n), Err(Error::BadSysnum));
        }
    }

    #[test]
    fn sysnum_all_is_dense_and_ordered() {
        for (i, s) in Sysnum::ALL.iter().enumerate() {
            assert_eq!(*s as u64, i as u64);
            assert!(s.name().starts_with("sys_"));
        }
    }

    #[test]
    fn error_codes_are_nonzero_unique_and_round_trip() {
        for (i, e) in Error::ALL.iter().enumerate() {
            assert_ne!(e.code(), 0, "0 means success");
            assert_eq!(Error::from_code(e.code()), Some(*e));
            for other in &Error::ALL[i + 1..] {
                assert_ne!(e.code(), other.code());
            }
        }
        assert_eq!(Error::from_code(0), None);
        assert_eq!(Error::from_code(999), None);
    }

    #[test]
    fn result_encoding_round_trips() {
        assert_eq!(encode_result(Ok(42)), (0, 42));
        assert_eq!(decode_result(0, 42), Ok(42));
        for e in Error::ALL {
            let (rax, rdx) = encode_result(Err(e));
            assert_eq!(rdx, 0);
            assert_eq!(decode_result(rax, rdx), Err(Some(e)));
        }
        assert_eq!(decode_result(77, 0), Err(None));
        assert_eq!(encode_partial(3, None), (0, 3));
        assert_eq!(encode_partial(3, Some(Error::NoRights)), (Error::NoRights.code(), 3));
    }

    #[test]
    fn map_update_decodes_little_endian() {
        let mut bytes = [0u8; 32];
        bytes[0] = 2;
        bytes[8..16].copy_from_slice(&0x4000_1000u64.to_le_bytes());
        bytes[16] = 7;
        bytes[24] = 3;
        let u = MapUpdate::from_bytes(&bytes);
        assert_eq!(u, MapUpdate { op: MapUpdate::PROTECT, va: 0x4000_1000, slot: 7, rights: 3 });
    }

    #[test]
    fn env_ids_carry_index_and_generation() {
        let id = env_id(5, 3);
        assert_eq!(env_index(id), 5);
        assert_ne!(env_id(5, 4), id, "a new generation is a new id");
        assert!(env_id(MAX_ENVS - 1, u32::MAX) < u64::from(layout::OWNER_KERNEL));
        assert_ne!(env_id(0, 1), 0);
    }

    #[test]
    fn rights_subset_and_display() {
        let rw = Rights::READ.union(Rights::WRITE);
        assert!(rw.contains(Rights::READ) && !rw.contains(Rights::GRANT));
        assert!(Rights::ALL.contains(rw) && Rights::ALL.is_valid() && !Rights(16).is_valid());
        extern crate std;
        assert_eq!(std::format!("{rw}"), "rw--");
    }
}

#[cfg(test)]
mod calls_tests {
    extern crate std;
    use crate::calls::*;
    use crate::{Error, Sysnum};
    use std::format;
    use std::string::ToString;

    #[test]
    fn the_generated_sysnum_matches_the_table() {
        assert_eq!(Sysnum::ALL.len(), CALLS.len());
        for (call, sysnum) in CALLS.iter().zip(Sysnum::ALL) {
            assert_eq!(sysnum as u64, call.number);
            assert_eq!(sysnum.name(), call.name().to_string());
            assert_eq!(Sysnum::try_from(call.number), Ok(sysnum));
        }
        assert_eq!(Sysnum::try_from(CALLS.len() as u64), Err(Error::BadSysnum));
    }

    #[test]
    fn every_listed_error_exists_and_appears_once_per_call() {
        for call in CALLS {
            for (i, (name, _)) in call.errors.iter().enumerate() {
                assert!(Error::ALL.iter().any(|e| format!("{e:?}") == *name), "{}: {name}", call.name());
                assert!(call.errors[..i].iter().all(|(other, _)| other != name), "{}: {name} twice", call.name());
            }
        }
    }
}
