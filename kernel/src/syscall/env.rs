//! `env_*` calls: creating, starting, naming and ending environments, their exception handler and
//! slice-end upcalls, giving the CPU away, sleeping until an event (`env_wait`) and notifying.
use super::{NoValue, SysResult};
use crate::arch::x86_64::entry::TrapFrame;
use crate::env::{Env, ExceptionHandler, PctState};
use crate::teardown::{self, Outcome};
use crate::wait::{self, Wait};
use crate::{cap, envs, exit, sched, uaccess};
use abi::layout::{is_user_range, overlaps_windows, USER_END, USER_START};
use abi::{Error, Rights, MIN_EXCEPTION_STACK, WAIT_ALL, WAIT_DEADLINE, WAIT_IRQ, WAIT_PCT, WAIT_WORD};
use alloc::string::String;

/// `env_exit(code)`.
pub fn sys_env_exit(code: u64) -> SysResult {
    exit::end_current(Outcome::Exited(code))
}

/// `env_set_exception_handler(entry, stack_base, stack_size)`.
pub fn sys_env_set_exception_handler(entry: u64, stack_base: u64, stack_size: u64) -> SysResult {
    let handler = if entry == 0 {
        None
    } else {
        if !is_user_range(entry, 1) || !is_user_range(stack_base, stack_size) || overlaps_windows(stack_base, stack_size) {
            return Err(Error::BadAddress.into());
        }
        if stack_size < MIN_EXCEPTION_STACK || !(stack_base | stack_size).is_multiple_of(16) {
            return Err(Error::BadArgument.into());
        }
        Some(ExceptionHandler { entry, stack_base, stack_top: stack_base + stack_size })
    };
    envs::with_current(|env| env.exception_handler = handler);
    Ok(0)
}

/// `env_redirect_syscalls(native_start, native_end)` (`redirect.rs`).
#[inline(never)]
pub fn sys_env_redirect_syscalls(native_start: u64, native_end: u64) -> SysResult {
    crate::redirect::set(native_start, native_end)?;
    Ok(0)
}

/// `env_set_fs_base(base)`: only a user address is accepted. A non-canonical value would make the
/// kernel's `wrmsr` fault (#GP in ring 0); a kernel address is refused too, though the CPU would
/// never let ring 3 use it.
#[inline(never)]
pub fn sys_env_set_fs_base(base: u64) -> SysResult {
    if base >= USER_END {
        return Err(Error::BadAddress.into());
    }
    envs::with_current(|env| env.fs_base = base);
    crate::arch::x86_64::cpu::load_fs_base(base);
    Ok(0)
}

/// `env_create(budget)`: returns `(id << 16) | slot`. (Kept out of the dispatcher, like the other
/// cold calls, so the hot handlers stay inlined there.)
#[inline(never)]
pub fn sys_env_create(budget: u64) -> SysResult {
    let parent = envs::with_current(|env| env.id);
    let id = envs::create(|id| {
        crate::budget::open_child(parent, id, budget)?;
        envs::with_current(|p| Env::new_child(id, p)).inspect_err(|_| crate::budget::close(id))
    })
    .map_err(|e| e.unwrap_or(Error::NoMemory))?;
    match cap::insert_root(parent, cap::Object::Env(id), Rights::ALL) {
        Ok(slot) => Ok((id << 16) | slot as u64),
        Err(e) => {
            teardown::destroy(id, "its creator's capability table was full");
            Err(e.into())
        }
    }
}

/// `env_start(slot, rip, rsp, arg)`.
pub fn sys_env_start(slot: u64, rip: u64, rsp: u64, arg: u64) -> SysResult {
    let caller = envs::with_current(|env| env.id);
    let id = cap::env_of(caller, slot, Rights::WRITE)?;
    if !(USER_START..USER_END).contains(&rip) || !(USER_START..=USER_END).contains(&rsp) {
        return Err(Error::BadAddress.into());
    }
    Ok(envs::with_env(id, |env| {
        // Only a never-started environment: one waiting or blocked in a transfer is not runnable,
        // but restarting it would leave its transfer state behind.
        if env.runnable || env.pct != PctState::Running {
            return Err(Error::Busy);
        }
        env.frame = TrapFrame::new_user(rip, rsp);
        env.frame.rdi = arg;
        env.runnable = true;
        envs::publish(env);
        Ok(0)
    })
    .ok_or(Error::NoSuchEnv)??)
}

/// Descendants one kernel entry ends at most: ending an environment costs some 35,000
/// instructions (its mappings, capabilities and address space), so a piece stays near a twentieth
/// of a tick; a larger tree goes in pieces, the call restarting itself (docs/ABI.md, "Bounded
/// kernel work").
pub const DESTROY_PIECE: usize = 16;

/// `env_destroy(slot)`, the slot in `rdi`: ends the environment and its descendants, deepest first,
/// [`DESTROY_PIECE`] descendants per kernel entry (the call restarts until only the environment
/// itself is left, then ends it).
pub fn sys_env_destroy(regs: &mut TrapFrame) -> SysResult {
    let slot = regs.rdi;
    let caller = envs::with_current(|env| env.id);
    let id = cap::env_of(caller, slot, Rights::WRITE)?;
    if id == caller || envs::is_ancestor(id, caller) {
        // Destroying oneself (or an ancestor, which takes oneself along) is `env_exit`'s job.
        return Err(Error::BadArgument.into());
    }
    let family = envs::descendants(id);
    if family.len() > DESTROY_PIECE {
        teardown::end_deepest(&family, DESTROY_PIECE);
        return Err(super::again(regs, 0));
    }
    teardown::destroy(id, "destroyed through a capability");
    Ok(0)
}

/// `env_yield(id)`, `id` in `rdi`: the caller's result is in its registers before the CPU moves.
#[inline(always)]
pub fn sys_env_yield(regs: &mut TrapFrame) -> SysResult {
    let id = regs.rdi;
    (regs.rax, regs.rdx) = (0, 0);
    sched::yield_to(regs, id)?;
    Err(NoValue::InFrame)
}

/// `env_set_slice_upcall(enabled)`.
pub fn sys_env_set_slice_upcall(enabled: u64) -> SysResult {
    let enabled = match enabled {
        0 => false,
        1 => true,
        _ => return Err(Error::BadArgument.into()),
    };
    envs::with_current(|env| {
        env.slice_upcall = enabled;
        env.slice_end_pending &= enabled;
    });
    Ok(0)
}

/// `env_set_name(env, ptr, len)`: `env` is `SELF_ENV` or a slot with `WRITE` over an environment.
#[inline(never)]
pub fn sys_env_set_name(env: u64, ptr: u64, len: u64) -> SysResult {
    let caller = envs::with_current(|e| e.id);
    let id = if env == abi::SELF_ENV { caller } else { cap::env_of(caller, env, Rights::WRITE)? };
    let mut bytes = [0u8; abi::stats::NAME_LEN];
    let take = len.min(bytes.len() as u64) as usize;
    if take == 0 {
        return Err(Error::BadArgument.into());
    }
    uaccess::copy_from_user(envs::current_root(), ptr, &mut bytes[..take])?;
    // A name cut in the middle of a character keeps its valid prefix.
    let name = match core::str::from_utf8(&bytes[..take]) {
        Ok(name) => name,
        Err(e) if e.error_len().is_none() && len > take as u64 => {
            core::str::from_utf8(&bytes[..e.valid_up_to()]).map_err(|_| Error::BadArgument)?
        }
        Err(_) => return Err(Error::BadArgument.into()),
    };
    let name = abi::stats::fit_name(name);
    if name.is_empty() {
        return Err(Error::BadArgument.into());
    }
    envs::with_env(id, |e| e.name = String::from(name)).ok_or(Error::NoSuchEnv)?;
    crate::stats::set_name(abi::env_index(id), name, false);
    Ok(0)
}

/// `env_wait(events, deadline, word, expected)` (in `rdi`, `rsi`, `rdx`, `r10`): returns at once
/// if an event holds, else sleeps (the result is written into the saved registers on wake-up).
pub fn sys_env_wait(regs: &mut TrapFrame) -> SysResult {
    let (events, deadline, word, expected) = (regs.rdi, regs.rsi, regs.rdx, regs.r10);
    if events == 0 || events & !WAIT_ALL != 0 {
        return Err(Error::BadArgument.into());
    }
    if (events & WAIT_DEADLINE == 0 && deadline != 0) || (events & WAIT_WORD == 0 && (word | expected) != 0) {
        return Err(Error::BadArgument.into());
    }
    let (word, word_fired) = match events & WAIT_WORD {
        0 => (0, false),
        _ if !word.is_multiple_of(8) => return Err(Error::BadArgument.into()),
        _ => {
            let (value, pa) = uaccess::read_word(envs::current_root(), word)?;
            (pa, value != expected)
        }
    };
    let now = wait::Now::read();
    let done = envs::with_current(|env| {
        if events & WAIT_IRQ != 0 && env.irq_lines == 0 {
            return Err(Error::BadArgument);
        }
        if events & WAIT_PCT != 0 && env.pct_entry.is_none() {
            return Err(Error::NoEntry);
        }
        env.wait = Some(Wait { events, deadline, word, word_fired });
        if let Some(result) = wait::outcome(env, now) {
            env.wait = None;
            return Ok(Some(result));
        }
        env.runnable = false;
        if events & WAIT_PCT != 0 {
            env.pct = PctState::Waiting;
        }
        envs::publish(env);
        Ok(None)
    })?;
    if let Some(result) = done {
        return Ok(result);
    }
    (regs.rax, regs.rdx) = (0, 0);
    exit::block(regs, "waits for events that nothing can ever cause (no environment can run)");
    Err(NoValue::InFrame)
}

/// `env_notify(slot, bits)`: `EXECUTE` over the target. With `NOTIFY_TREE` in `bits`, the target's
/// descendants get the bits too ([`notify_descendants`]).
pub fn sys_env_notify(slot: u64, bits: u64) -> SysResult {
    let caller = envs::with_current(|env| env.id);
    let id = cap::env_of(caller, slot, Rights::EXECUTE)?;
    let word = bits & !abi::NOTIFY_TREE;
    if word == 0 || word & !u64::from(abi::NOTIFY_USER_BITS) != 0 {
        return Err(Error::BadArgument.into());
    }
    if !wait::notify(id, word as u32) {
        return Err(Error::NoSuchEnv.into());
    }
    if bits & abi::NOTIFY_TREE != 0 {
        notify_descendants(id, word as u32);
    }
    Ok(0)
}

/// Notifies every descendant of `id` (a process group), found in one pass over the table and a
/// sort, as `env_destroy` finds them: bounded by the table's size (4,096), a few hundred thousand
/// instructions at most. Kept out of the dispatcher (cold), so the hot handlers stay inlined there.
#[inline(never)]
fn notify_descendants(id: u64, bits: u32) {
    for member in envs::descendants(id) {
        wait::notify(member, bits);
    }
}
