//! The Exo ABI: what the kernel and every library OS agree on, and nothing else.
//!
//! This crate owns the system-call numbers ([`Sysnum`]), the error codes ([`Error`]), the register
//! encoding of a call's result ([`encode_result`] / [`decode_result`]) and the user address-space
//! layout ([`layout`]). It has no dependencies and no unsafe code, so both sides can trust it.
//! `docs/ABI.md` is the prose form of this file; keep the two in step.
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

use core::fmt;

/// A system-call number, passed in `rax`.
///
/// Each variant documents its arguments, the value it returns in `rdx`, and every error it can give.
#[repr(u64)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sysnum {
    /// `console_write(ptr, len)`: write `len` bytes from the caller's memory at `ptr` to the console.
    ///
    /// Returns the number of bytes written (always `len` on success).
    /// Errors: [`Error::BadAddress`] if any byte of the buffer is outside user space or not mapped
    /// readable by the caller; [`Error::TooLong`] if `len` exceeds [`MAX_CONSOLE_WRITE`].
    ConsoleWrite = 0,
    /// `env_exit(code)`: end the calling environment with exit status `code`. Never returns.
    EnvExit = 1,
    /// `env_set_exception_handler(entry, stack_base, stack_size)`: from now on, deliver the caller's
    /// exceptions to `entry` on the exception stack `[stack_base, stack_base + stack_size)`, with an
    /// [`ExceptionFrame`] at the top of that stack (its address in `rdi`). `entry` = 0 removes the
    /// handler (exceptions then end the environment). Returns 0.
    ///
    /// Errors: [`Error::BadAddress`] if `entry` or the stack range is outside user space;
    /// [`Error::BadArgument`] if `stack_size` is below [`MIN_EXCEPTION_STACK`] or the stack is not
    /// 16-byte aligned. Mappings are checked at delivery time, not here: an exception stack that is
    /// not mapped writable then ends the environment.
    EnvSetExceptionHandler = 2,
    /// `page_alloc(frame)`: allocate physical page number `frame` (or any free page when `frame` is
    /// [`ANY_PAGE`]), zeroed, and put a root capability with all rights for it in a free slot.
    ///
    /// Returns `physical address | slot` (slots are below 4096, addresses page-aligned).
    /// Errors: [`Error::Busy`] if the page is in use (by anyone, including the kernel: kernel memory,
    /// page tables and device memory are never free); [`Error::BadArgument`] if `frame` is beyond
    /// physical memory; [`Error::NoMemory`] if no page is free; [`Error::QuotaExceeded`] if the caller
    /// already holds [`PAGE_QUOTA`] pages; [`Error::TableFull`] if its capability table is full.
    PageAlloc = 3,
    /// `page_free(slot)`: free the page behind the root capability in `slot`. Every capability
    /// granted from it is revoked and every mapping made through any of them is removed first.
    ///
    /// Errors: [`Error::BadSlot`], [`Error::EmptySlot`]; [`Error::NoRights`] if the capability is not
    /// the root one (a granted capability cannot free the page).
    PageFree = 4,
    /// `cap_grant(slot, env, rights)`: give environment `env` a capability derived from `slot` with
    /// `rights` (a subset of the source's; the source needs [`Rights::GRANT`]). Returns the new slot
    /// in `env`'s table. Today an environment can only grant to itself (to make a weaker capability).
    ///
    /// Errors: [`Error::BadSlot`], [`Error::EmptySlot`]; [`Error::NoRights`] for rights amplification
    /// or a source without GRANT; [`Error::BadArgument`] for undefined rights bits;
    /// [`Error::NoSuchEnv`] if `env` is not a live environment; [`Error::TableFull`].
    CapGrant = 5,
    /// `cap_revoke(slot)`: revoke every capability granted from `slot`, transitively, and remove
    /// every mapping made through them. The capability in `slot` stays. Returns how many were revoked.
    ///
    /// Errors: [`Error::BadSlot`], [`Error::EmptySlot`].
    CapRevoke = 6,
    /// `page_map(env, updates, count)`: apply `count` [`MapUpdate`]s read from the caller's memory at
    /// `updates`, in order, each checked against the capability it names, to the address space of
    /// `env`: [`SELF_ENV`] for the caller's own, else the slot of a capability over an environment
    /// with [`Rights::WRITE`] (errors for that capability: as `env_start`). Stops at the first one
    /// that fails. Returns the number applied; on failure `rax` is the first failure's error and
    /// `rdx` is still the number applied before it (= the failing index).
    ///
    /// Errors (whole call): [`Error::BadAddress`] if the update array is unreadable,
    /// [`Error::TooLong`] if `count` > [`MAX_MAP_BATCH`]. Per update: [`Error::BadAddress`] (virtual
    /// address not page-aligned user space, or inside the kernel's read-only windows),
    /// [`Error::BadArgument`] (unknown operation, undefined rights bits, or rights without READ),
    /// [`Error::BadSlot`], [`Error::EmptySlot`], [`Error::NoRights`] (rights beyond the capability's),
    /// [`Error::AlreadyMapped`] (map over a mapped page), [`Error::NotMapped`] (unmap/protect of a page
    /// not mapped through a capability).
    PageMap = 7,
    /// `env_create()`: create an environment with an empty address space (only the kernel's
    /// read-only windows), no capabilities, and not runnable, as a child of the caller. Returns
    /// `(id << 16) | slot`: its id and the slot of a capability over it with all rights.
    ///
    /// Errors: [`Error::NoMemory`] (no free environment or page), [`Error::TableFull`].
    EnvCreate = 8,
    /// `env_start(slot, rip, rsp)`: make the environment named by capability `slot` runnable, starting
    /// at `rip` with stack pointer `rsp` (other registers zero). Needs [`Rights::WRITE`].
    ///
    /// Errors: [`Error::BadSlot`], [`Error::EmptySlot`], [`Error::NoRights`], [`Error::WrongType`];
    /// [`Error::NoSuchEnv`] if it has ended; [`Error::BadAddress`] if `rip` or `rsp` is not a user
    /// address; [`Error::Busy`] if it was already started.
    EnvStart = 9,
    /// `env_destroy(slot)`: end the environment named by capability `slot` and every environment it
    /// created; all their pages, mappings and capabilities go. Needs [`Rights::WRITE`].
    ///
    /// Errors: as `env_start` (but not `BadAddress`/`Busy`); [`Error::BadArgument`] if it names the
    /// caller (use `env_exit`).
    EnvDestroy = 10,
    /// `env_yield(id)`: give the rest of the CPU slice to environment `id` (any runnable one if `id`
    /// is [`ANY_ENV`]). Returns 0 when the caller runs again.
    ///
    /// Errors: [`Error::NoSuchEnv`] if `id` is not a live, runnable environment.
    EnvYield = 11,
    /// `pct_set_entry(entry, stack_top)`: where protected control transfers into the caller land:
    /// at `entry` with `rsp` = `stack_top` - 8 (as after a call), `rdi` = the caller's id and the
    /// five arguments in `rsi`, `rdx`, `rcx`, `r8`, `r9`, so `entry` can be an
    /// `extern "C" fn(caller, a0, a1, a2, a3, a4) -> !`. `entry` = 0 removes it. Returns 0.
    ///
    /// Errors: [`Error::BadAddress`] if `entry` or `stack_top` is not a user address, or `stack_top`
    /// is not 16-byte aligned.
    PctSetEntry = 12,
    /// `pct_call(slot, a0, a1, a2, a3, a4)`: synchronous protected control transfer into the
    /// environment named by capability `slot` (needs [`Rights::EXECUTE`]), which must be waiting
    /// (see `pct_wait`): the CPU goes to its entry at once, with the rest of the caller's slice; the
    /// caller is blocked until the callee replies. Returns the callee's reply value.
    ///
    /// Errors: [`Error::BadSlot`], [`Error::EmptySlot`], [`Error::NoRights`], [`Error::WrongType`];
    /// [`Error::NoSuchEnv`] if the callee has ended (also if it ends before replying);
    /// [`Error::NoEntry`] if it registered no entry; [`Error::Busy`] if it is not waiting.
    PctCall = 13,
    /// `pct_send(slot, a0, a1, a2, a3, a4)`: asynchronous transfer: like `pct_call`, but the callee
    /// only becomes runnable at its entry and the caller goes on. Returns 0. Errors: as `pct_call`.
    PctSend = 14,
    /// `pct_reply(caller, value)`: end the call being served and transfer back to `caller` at once,
    /// whose `pct_call` returns `value`; the replier goes back to waiting. Never returns to the
    /// replier on success.
    ///
    /// Errors: [`Error::BadArgument`] if the replier is not serving a call from `caller`;
    /// [`Error::NoSuchEnv`] if the caller has ended (the replier then goes back to waiting anyway,
    /// so this error is seen only by `pct_reply` made while not serving).
    PctReply = 15,
    /// `pct_wait()`: stop running and wait for the next protected control transfer; the caller's
    /// registers are not kept (the next transfer starts at the entry). Needs an entry point.
    ///
    /// Errors: [`Error::NoEntry`] if no entry point is registered.
    PctWait = 16,
    /// `page_set_vital(slot, vital)`: mark the page of root capability `slot` vital (`vital` = 1) or
    /// not (0). The kernel never repossesses a vital page. At most [`MAX_VITAL`] pages per
    /// environment. Returns 0.
    ///
    /// Errors: [`Error::BadSlot`], [`Error::EmptySlot`], [`Error::WrongType`];
    /// [`Error::NoRights`] if it is not the root capability; [`Error::QuotaExceeded`] beyond
    /// [`MAX_VITAL`]; [`Error::BadArgument`] if `vital` is not 0 or 1.
    PageSetVital = 17,
    /// `slice_alloc(position)`: take time slice `position` of the [`SLICES`]-slot slice vector (or
    /// any free one: [`ANY_SLICE`]). Each timer tick moves to the next position; its owner runs if
    /// it can, else the CPU goes round robin. Returns the position.
    ///
    /// Errors: [`Error::BadArgument`] if `position` ≥ [`SLICES`]; [`Error::Busy`] if it is taken (or,
    /// for `ANY_SLICE`, all are).
    SliceAlloc = 18,
    /// `slice_free(position)`: give back a time slice. Errors: [`Error::BadArgument`] if out of
    /// range; [`Error::NoRights`] if the caller does not own it.
    SliceFree = 19,
    /// `env_set_slice_upcall(enabled)`: when enabled (1), each time the timer takes the CPU from the
    /// caller, it resumes next with a slice-end upcall (vector [`SLICE_END_VECTOR`] on its exception
    /// stack, the interrupted registers in the frame) so its library can save state or switch
    /// threads. Errors: [`Error::BadArgument`] if `enabled` is not 0 or 1.
    EnvSetSliceUpcall = 20,
}

/// Positions in the time-slice vector.
pub const SLICES: usize = 16;
/// `slice_alloc`'s argument for "any free position".
pub const ANY_SLICE: u64 = u64::MAX;
/// [`ExceptionFrame::vector`] of a slice-end upcall.
pub const SLICE_END_VECTOR: u64 = 257;

/// The most vital pages one environment may have.
pub const MAX_VITAL: usize = 8;
/// [`ExceptionFrame::vector`] of a revocation upcall: the kernel asks for `error_code` pages back
/// before timer tick `fault_address` (the deadline); the registers are the interrupted ones.
pub const REVOKE_VECTOR: u64 = 256;

/// `env_yield`'s argument for "whoever is next".
pub const ANY_ENV: u64 = u64::MAX;
/// `page_map`'s environment argument for "my own address space".
pub const SELF_ENV: u64 = u64::MAX;

/// The most environments that can exist at once.
pub const MAX_ENVS: usize = 64;
/// Bits of an environment id that hold its index in the kernel's table; the rest is a generation,
/// bumped each time the index is reused, so the id of a dead environment never names its successor.
pub const ENV_INDEX_BITS: u32 = 10;

/// The table index of environment id `id`.
pub const fn env_index(id: u64) -> usize {
    (id & ((1 << ENV_INDEX_BITS) - 1)) as usize
}

/// The id of the environment at `index` in generation `generation` (ids are never 0 and always fit
/// in 32 bits, below `layout::OWNER_KERNEL`).
pub const fn env_id(index: usize, generation: u32) -> u64 {
    ((generation as u64 & 0x1f_ffff) << ENV_INDEX_BITS) | index as u64
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

/// [`EnvInfo::state`]: created, not started.
pub const ENV_NOT_STARTED: u32 = 1;
/// [`EnvInfo::state`]: runnable.
pub const ENV_RUNNABLE: u32 = 2;
/// [`EnvInfo::state`]: waiting for a protected control transfer.
pub const ENV_WAITING: u32 = 3;
/// [`EnvInfo::state`]: blocked in a synchronous protected control transfer.
pub const ENV_BLOCKED: u32 = 4;

/// `page_alloc`'s argument for "any free page".
pub const ANY_PAGE: u64 = u64::MAX;
/// The most pages one environment may hold through `page_alloc`.
pub const PAGE_QUOTA: u64 = 768;
/// The most updates one `page_map` call applies.
pub const MAX_MAP_BATCH: u64 = 512;

/// One update of a `page_map` batch (32 bytes, `repr(C)`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MapUpdate {
    /// [`MapUpdate::MAP`], [`MapUpdate::UNMAP`] or [`MapUpdate::PROTECT`].
    pub op: u64,
    /// The page-aligned virtual address.
    pub va: u64,
    /// The capability slot (for MAP: the page to map; for UNMAP/PROTECT: ignored, the mapping's own
    /// capability is used).
    pub slot: u64,
    /// For MAP and PROTECT: the mapping's rights (READ required; WRITE, EXECUTE optional).
    pub rights: u64,
}

impl MapUpdate {
    pub const MAP: u64 = 0;
    pub const UNMAP: u64 = 1;
    pub const PROTECT: u64 = 2;
    /// Size in bytes.
    pub const SIZE: usize = 32;

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

impl Sysnum {
    /// Every call, in number order (used to generate documentation and to test the encoding).
    pub const ALL: [Sysnum; 21] = [
        Sysnum::ConsoleWrite,
        Sysnum::EnvExit,
        Sysnum::EnvSetExceptionHandler,
        Sysnum::PageAlloc,
        Sysnum::PageFree,
        Sysnum::CapGrant,
        Sysnum::CapRevoke,
        Sysnum::PageMap,
        Sysnum::EnvCreate,
        Sysnum::EnvStart,
        Sysnum::EnvDestroy,
        Sysnum::EnvYield,
        Sysnum::PctSetEntry,
        Sysnum::PctCall,
        Sysnum::PctSend,
        Sysnum::PctReply,
        Sysnum::PctWait,
        Sysnum::PageSetVital,
        Sysnum::SliceAlloc,
        Sysnum::SliceFree,
        Sysnum::EnvSetSliceUpcall,
    ];

    /// The call's name as the library OS spells its wrapper (`sys_<object>_<verb>`).
    pub const fn name(self) -> &'static str {
        match self {
            Sysnum::ConsoleWrite => "sys_console_write",
            Sysnum::EnvExit => "sys_env_exit",
            Sysnum::EnvSetExceptionHandler => "sys_env_set_exception_handler",
            Sysnum::PageAlloc => "sys_page_alloc",
            Sysnum::PageFree => "sys_page_free",
            Sysnum::CapGrant => "sys_cap_grant",
            Sysnum::CapRevoke => "sys_cap_revoke",
            Sysnum::PageMap => "sys_page_map",
            Sysnum::EnvCreate => "sys_env_create",
            Sysnum::EnvStart => "sys_env_start",
            Sysnum::EnvDestroy => "sys_env_destroy",
            Sysnum::EnvYield => "sys_env_yield",
            Sysnum::PctSetEntry => "sys_pct_set_entry",
            Sysnum::PctCall => "sys_pct_call",
            Sysnum::PctSend => "sys_pct_send",
            Sysnum::PctReply => "sys_pct_reply",
            Sysnum::PctWait => "sys_pct_wait",
            Sysnum::PageSetVital => "sys_page_set_vital",
            Sysnum::SliceAlloc => "sys_slice_alloc",
            Sysnum::SliceFree => "sys_slice_free",
            Sysnum::EnvSetSliceUpcall => "sys_env_set_slice_upcall",
        }
    }
}

impl TryFrom<u64> for Sysnum {
    type Error = Error;
    fn try_from(n: u64) -> Result<Self, Error> {
        Sysnum::ALL.get(usize::try_from(n).map_err(|_| Error::BadSysnum)?).copied().ok_or(Error::BadSysnum)
    }
}

/// Why a call failed: each variant names what the caller did wrong. Returned in `rax`.
#[repr(u64)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// `rax` did not hold a known [`Sysnum`].
    BadSysnum = 1,
    /// A pointer argument names memory the caller may not access (unmapped, kernel, non-canonical,
    /// or wrapping around the end of the address space).
    BadAddress = 2,
    /// A length argument is larger than the call allows.
    TooLong = 3,
    /// An argument is out of the range the call accepts.
    BadArgument = 4,
    /// No free physical page.
    NoMemory = 5,
    /// The caller already holds its quota of pages.
    QuotaExceeded = 6,
    /// The named physical page is in use.
    Busy = 7,
    /// A capability slot number is out of range.
    BadSlot = 8,
    /// A capability slot is empty (never filled, freed, or revoked).
    EmptySlot = 9,
    /// The capability lacks a right the operation needs (or would pass on more than it has).
    NoRights = 10,
    /// The capability table is full.
    TableFull = 11,
    /// The virtual page is already mapped.
    AlreadyMapped = 12,
    /// The virtual page is not mapped through a capability.
    NotMapped = 13,
    /// The named environment does not exist (or is no longer alive).
    NoSuchEnv = 14,
    /// The capability names another kind of object than the call needs.
    WrongType = 15,
    /// The target environment has no protected-control-transfer entry point.
    NoEntry = 16,
}

impl Error {
    /// Every error, in code order.
    pub const ALL: [Error; 16] = [
        Error::BadSysnum,
        Error::BadAddress,
        Error::TooLong,
        Error::BadArgument,
        Error::NoMemory,
        Error::QuotaExceeded,
        Error::Busy,
        Error::BadSlot,
        Error::EmptySlot,
        Error::NoRights,
        Error::TableFull,
        Error::AlreadyMapped,
        Error::NotMapped,
        Error::NoSuchEnv,
        Error::WrongType,
        Error::NoEntry,
    ];

    /// The error's numeric code, as it appears in `rax`.
    pub const fn code(self) -> u64 {
        self as u64
    }

    /// The error with this code, if any.
    pub fn from_code(code: u64) -> Option<Error> {
        Error::ALL.into_iter().find(|e| e.code() == code)
    }

    /// A short description for messages.
    pub const fn describe(self) -> &'static str {
        match self {
            Error::BadSysnum => "unknown system call number",
            Error::BadAddress => "bad address",
            Error::TooLong => "length too large",
            Error::BadArgument => "bad argument",
            Error::NoMemory => "no free physical page",
            Error::QuotaExceeded => "page quota exceeded",
            Error::Busy => "page in use",
            Error::BadSlot => "capability slot out of range",
            Error::EmptySlot => "capability slot empty",
            Error::NoRights => "capability lacks the rights",
            Error::TableFull => "capability table full",
            Error::AlreadyMapped => "virtual page already mapped",
            Error::NotMapped => "virtual page not mapped through a capability",
            Error::NoSuchEnv => "no such environment",
            Error::WrongType => "capability names another kind of object",
            Error::NoEntry => "no entry point registered",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Encodes a call's result as the kernel returns it: `(rax, rdx)`.
pub const fn encode_result(result: Result<u64, Error>) -> (u64, u64) {
    match result {
        Ok(value) => (0, value),
        Err(e) => (e.code(), 0),
    }
}

/// Encodes a batch call's result: `done` updates applied, then possibly a failure. Unlike
/// [`encode_result`], `rdx` carries `done` even on failure.
pub const fn encode_partial(done: u64, failure: Option<Error>) -> (u64, u64) {
    match failure {
        None => (0, done),
        Some(e) => (e.code(), done),
    }
}

/// Decodes `(rax, rdx)` as returned by the kernel. An unknown non-zero code decodes as
/// [`Error::BadArgument`]'s neighbour is not guessed: it is reported as `Err(None)`.
pub fn decode_result(rax: u64, rdx: u64) -> Result<u64, Option<Error>> {
    if rax == 0 { Ok(rdx) } else { Err(Error::from_code(rax)) }
}

#[cfg(test)]
mod tests {
    use super::*;

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
