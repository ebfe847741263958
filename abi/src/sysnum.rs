//! System-call numbers: one variant per call, each documenting its arguments, result and errors.
use crate::*;

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
    /// `env_start(slot, rip, rsp, arg)`: make the environment named by capability `slot` runnable,
    /// starting at `rip` with stack pointer `rsp` and `rdi` = `arg` (other registers zero). Needs
    /// [`Rights::WRITE`].
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
    /// `cap_delete(slot)`: delete the capability in `slot` and everything granted from it (their
    /// mappings go, in every environment). On a page's root capability this is `page_free`. Returns 0.
    ///
    /// Errors: [`Error::BadSlot`], [`Error::EmptySlot`].
    CapDelete = 21,
    /// `env_set_name(env, ptr, len)`: names environment `env` ([`SELF_ENV`](crate::SELF_ENV) for the
    /// caller, or the slot of a capability with `WRITE` over an environment) for the statistics
    /// window and the kernel's messages: `len` bytes of UTF-8 at `ptr`, at most
    /// [`NAME_LEN`](crate::stats::NAME_LEN)` - 1` (longer names are cut). Returns 0.
    ///
    /// Errors: [`Error::BadAddress`] (the bytes are not readable user memory),
    /// [`Error::BadArgument`] (not UTF-8, or empty), the capability errors of `env`.
    EnvSetName = 22,
    /// `console_read(ptr, len)`: copy up to `len` bytes typed at the console (at most
    /// [`MAX_CONSOLE_READ`]) to the caller's memory at `ptr`, oldest first. Never blocks: returns
    /// the number of bytes copied, 0 when nothing is buffered ([`SysInfo::console_input`] says how
    /// many wait, without a call). Bytes come as the terminal sent them (no editing, no echo).
    ///
    /// Errors: [`Error::BadAddress`] if `[ptr, ptr + len)` is not in user space, or if its first
    /// `min(len, MAX_CONSOLE_READ)` bytes are not mapped user-writable (checked even when nothing is
    /// buffered; nothing is consumed then).
    ConsoleRead = 23,
}


impl Sysnum {
    /// Every call, in number order (used to generate documentation and to test the encoding).
    pub const ALL: [Sysnum; 24] = [
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
        Sysnum::CapDelete,
        Sysnum::EnvSetName,
        Sysnum::ConsoleRead,
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
            Sysnum::CapDelete => "sys_cap_delete",
            Sysnum::SliceAlloc => "sys_slice_alloc",
            Sysnum::SliceFree => "sys_slice_free",
            Sysnum::EnvSetSliceUpcall => "sys_env_set_slice_upcall",
            Sysnum::EnvSetName => "sys_env_set_name",
            Sysnum::ConsoleRead => "sys_console_read",
        }
    }
}

impl TryFrom<u64> for Sysnum {
    type Error = Error;
    fn try_from(n: u64) -> Result<Self, Error> {
        Sysnum::ALL.get(usize::try_from(n).map_err(|_| Error::BadSysnum)?).copied().ok_or(Error::BadSysnum)
    }
}
