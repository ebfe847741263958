//! System-call wrappers, one per `abi::Sysnum`, named as the call (`sys_<object>_<verb>`).
//!
//! [`syscall6`] is the raw instruction; the typed wrappers above it are safe because the kernel
//! checks every argument and the only call that writes the caller's memory (`console_read`) is
//! given a buffer the wrapper borrows mutably.
#![allow(unsafe_code)]

use abi::{decode_result, Error, MapUpdate, Sysnum};
use core::arch::asm;

/// Issues system call `number` with six raw arguments and returns the kernel's `(rax, rdx)`.
///
/// # Safety
/// Calls that map, unmap or change memory can invalidate memory the Rust program relies on; the
/// caller must know what the call does. (Every call here today is harmless, and the kernel itself
/// is protected from any argument values: hostile tests pass garbage on purpose.)
pub unsafe fn syscall6(number: u64, args: [u64; 6]) -> (u64, u64) {
    let (rax, rdx);
    // SAFETY: `syscall` clobbers rcx and r11 only (declared); the kernel preserves everything else
    // and does not touch the user stack. Memory effects are the caller's responsibility.
    unsafe {
        asm!(
            "syscall",
            inlateout("rax") number => rax,
            in("rdi") args[0],
            in("rsi") args[1],
            inlateout("rdx") args[2] => rdx,
            in("r10") args[3],
            in("r8") args[4],
            in("r9") args[5],
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    (rax, rdx)
}

fn call(number: Sysnum, args: [u64; 6]) -> Result<u64, Error> {
    // SAFETY: only used for calls that leave the caller's memory alone (see above).
    let (rax, rdx) = unsafe { syscall6(number as u64, args) };
    decode_result(rax, rdx).map_err(|e| e.unwrap_or(Error::BadArgument))
}

/// Writes `bytes` to the console; at most `abi::MAX_CONSOLE_WRITE` per call.
pub fn sys_console_write(bytes: &[u8]) -> Result<u64, Error> {
    call(Sysnum::ConsoleWrite, [bytes.as_ptr() as u64, bytes.len() as u64, 0, 0, 0, 0])
}

/// Ends the calling environment with exit status `code`.
pub fn sys_env_exit(code: i64) -> ! {
    let _ = call(Sysnum::EnvExit, [code as u64, 0, 0, 0, 0, 0]);
    unreachable!("env_exit returned")
}

/// Registers `entry` as the caller's exception handler, running on `[stack_base, stack_base +
/// stack_size)`; `entry` = 0 removes it. Most programs use `exception::set_handler` instead.
pub fn sys_env_set_exception_handler(entry: u64, stack_base: u64, stack_size: u64) -> Result<u64, Error> {
    call(Sysnum::EnvSetExceptionHandler, [entry, stack_base, stack_size, 0, 0, 0])
}

/// Allocates physical page number `frame` (or any page: `abi::ANY_PAGE`), zeroed. Returns the
/// page's physical address and the slot of the root capability for it.
pub fn sys_page_alloc(frame: u64) -> Result<(u64, u64), Error> {
    let value = call(Sysnum::PageAlloc, [frame, 0, 0, 0, 0, 0])?;
    Ok((value & !0xfff, value & 0xfff))
}

/// Frees the page behind the root capability in `slot` (revoking what was granted from it).
pub fn sys_page_free(slot: u64) -> Result<(), Error> {
    call(Sysnum::PageFree, [slot, 0, 0, 0, 0, 0]).map(drop)
}

/// Grants environment `env` a capability derived from `slot` with `rights`; returns its slot.
pub fn sys_cap_grant(slot: u64, env: u64, rights: abi::Rights) -> Result<u64, Error> {
    call(Sysnum::CapGrant, [slot, env, rights.0, 0, 0, 0])
}

/// Revokes everything granted from `slot`; returns how many capabilities went.
pub fn sys_cap_revoke(slot: u64) -> Result<u64, Error> {
    call(Sysnum::CapRevoke, [slot, 0, 0, 0, 0, 0])
}

/// Applies a batch of mapping updates to the caller's address space. Returns how many were
/// applied, and the first failure.
pub fn sys_page_map(updates: &[MapUpdate]) -> (u64, Option<Error>) {
    sys_page_map_into(abi::SELF_ENV, updates)
}

/// Applies a batch of mapping updates to the address space of the environment named by capability
/// `env` (or the caller's own for `abi::SELF_ENV`).
pub fn sys_page_map_into(env: u64, updates: &[MapUpdate]) -> (u64, Option<Error>) {
    // SAFETY: the kernel only reads `updates`; mapping changes affect pages the program names
    // explicitly, which it must not be using through Rust references (the caller's business).
    let (rax, rdx) = unsafe { syscall6(Sysnum::PageMap as u64, [env, updates.as_ptr() as u64, updates.len() as u64, 0, 0, 0]) };
    (rdx, if rax == 0 { None } else { Some(Error::from_code(rax).unwrap_or(Error::BadArgument)) })
}

/// Creates an empty, not yet runnable child environment. Returns its id and the slot of the
/// capability over it.
pub fn sys_env_create() -> Result<(u64, u64), Error> {
    let value = call(Sysnum::EnvCreate, [0; 6])?;
    Ok((value >> 16, value & 0xffff))
}

/// Starts the environment named by capability `slot` at `rip` with stack `rsp`.
pub fn sys_env_start(slot: u64, rip: u64, rsp: u64) -> Result<(), Error> {
    sys_env_start_with(slot, rip, rsp, 0)
}

/// Starts the environment named by capability `slot` at `rip` with stack `rsp` and `rdi` = `arg`.
pub fn sys_env_start_with(slot: u64, rip: u64, rsp: u64, arg: u64) -> Result<(), Error> {
    call(Sysnum::EnvStart, [slot, rip, rsp, arg, 0, 0]).map(drop)
}

/// Deletes the capability in `slot` and everything granted from it (on a page's root: frees it).
pub fn sys_cap_delete(slot: u64) -> Result<(), Error> {
    call(Sysnum::CapDelete, [slot, 0, 0, 0, 0, 0]).map(drop)
}

/// Names environment `env` (`abi::SELF_ENV` or a capability slot over it) for `ps` and the
/// kernel's messages; names longer than `abi::stats::NAME_LEN - 1` bytes are cut.
pub fn sys_env_set_name(env: u64, name: &str) -> Result<(), Error> {
    call(Sysnum::EnvSetName, [env, name.as_ptr() as u64, name.len() as u64, 0, 0, 0]).map(drop)
}

/// Ends the environment named by capability `slot`, and its descendants.
pub fn sys_env_destroy(slot: u64) -> Result<(), Error> {
    call(Sysnum::EnvDestroy, [slot, 0, 0, 0, 0, 0]).map(drop)
}

/// Gives the CPU to environment `id` (`abi::ANY_ENV`: to whoever is next).
pub fn sys_env_yield(id: u64) -> Result<(), Error> {
    call(Sysnum::EnvYield, [id, 0, 0, 0, 0, 0]).map(drop)
}

/// Registers where protected control transfers into this environment land: `entry` runs on a stack
/// ending at `stack_top` with (caller id, a0, a1, a2, a3, a4) as its six arguments.
pub fn sys_pct_set_entry(entry: extern "C" fn(u64, u64, u64, u64, u64, u64) -> !, stack_top: u64) -> Result<(), Error> {
    call(Sysnum::PctSetEntry, [entry as *const () as u64, stack_top, 0, 0, 0, 0]).map(drop)
}

/// Synchronous protected control transfer into the environment named by capability `slot`;
/// returns the callee's reply.
pub fn sys_pct_call(slot: u64, args: [u64; 5]) -> Result<u64, Error> {
    call(Sysnum::PctCall, [slot, args[0], args[1], args[2], args[3], args[4]])
}

/// Asynchronous protected control transfer: the callee starts at its entry; the caller goes on.
pub fn sys_pct_send(slot: u64, args: [u64; 5]) -> Result<(), Error> {
    call(Sysnum::PctSend, [slot, args[0], args[1], args[2], args[3], args[4]]).map(drop)
}

/// Replies `value` to `caller` and transfers back to it; returns only on error.
pub fn sys_pct_reply(caller: u64, value: u64) -> Error {
    match call(Sysnum::PctReply, [caller, value, 0, 0, 0, 0]) {
        Ok(_) => Error::BadArgument,
        Err(e) => e,
    }
}

/// Waits at the entry point for the next transfer; returns only on error.
pub fn sys_pct_wait() -> Error {
    match call(Sysnum::PctWait, [0; 6]) {
        Ok(_) => Error::BadArgument,
        Err(e) => e,
    }
}

/// Marks the page of root capability `slot` vital (never repossessed) or not.
pub fn sys_page_set_vital(slot: u64, vital: bool) -> Result<(), Error> {
    call(Sysnum::PageSetVital, [slot, u64::from(vital), 0, 0, 0, 0]).map(drop)
}

/// Takes time slice `position` (or any free one: `abi::ANY_SLICE`); returns the position.
pub fn sys_slice_alloc(position: u64) -> Result<u64, Error> {
    call(Sysnum::SliceAlloc, [position, 0, 0, 0, 0, 0])
}

/// Gives back time slice `position`.
pub fn sys_slice_free(position: u64) -> Result<(), Error> {
    call(Sysnum::SliceFree, [position, 0, 0, 0, 0, 0]).map(drop)
}

/// Asks for (or stops) a slice-end upcall after every preemption.
pub fn sys_env_set_slice_upcall(enabled: bool) -> Result<(), Error> {
    call(Sysnum::EnvSetSliceUpcall, [u64::from(enabled), 0, 0, 0, 0, 0]).map(drop)
}

/// Copies bytes typed at the console into `buf` (at most `abi::MAX_CONSOLE_READ`); returns how
/// many, 0 when nothing waits. Never blocks. Most programs read through `tty::read` instead.
pub fn sys_console_read(buf: &mut [u8]) -> Result<usize, Error> {
    // The kernel writes only to pages mapped writable: resolve copy-on-write pages first by
    // writing each page the buffer touches (its first and last byte per page-sized chunk).
    for chunk in buf.chunks_mut(4096) {
        let last = chunk.len() - 1;
        chunk[0] = core::hint::black_box(chunk[0]);
        chunk[last] = core::hint::black_box(chunk[last]);
    }
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`, which this function borrows
    // mutably, and touches no other memory of the caller.
    let (rax, rdx) = unsafe { syscall6(Sysnum::ConsoleRead as u64, [buf.as_mut_ptr() as u64, buf.len() as u64, 0, 0, 0, 0]) };
    decode_result(rax, rdx).map(|n| n as usize).map_err(|e| e.unwrap_or(Error::BadArgument))
}
