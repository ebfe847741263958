//! `pct_*` calls, protected control transfer: a call from one environment into another's registered entry point,
//! with arguments in registers, no copying and no scheduling decision.
//!
//! An environment that serves calls registers an entry and a stack (`pct_set_entry`) and waits
//! (`pct_wait`). A synchronous `pct_call` checks the caller's capability over the callee
//! (EXECUTE), blocks the caller and moves the CPU to the callee's entry at once, giving it the rest
//! of the slice; `pct_reply` moves it straight back with one value. `pct_send` is the asynchronous
//! form: the callee becomes runnable and the caller goes on. A callee's registers are not kept
//! between calls: each transfer starts fresh at the entry, which is the library's business.
//! If a callee ends while a caller is blocked on it, the caller's call fails with `NoSuchEnv`.
//!
//! Who a server owes a reply is recorded on the caller's side only: a caller blocked in a
//! synchronous call is `PctState::Blocked(server)`, and `pct_reply(caller)` is allowed exactly
//! when that holds. The record is the caller's own, so it survives whatever the server does
//! meanwhile (its own `pct_call`s, `pct_wait` for other callers, other replies), replies reach
//! their callers in any order, and it needs no bound: an environment is blocked in one call at a
//! time, so a server owes at most one reply per environment in the table.
use super::{NoValue, SysResult};
use crate::arch::x86_64::entry::TrapFrame;
use crate::env::{Env, PctState};
use crate::{cap, envs, exit, sched};
use abi::layout::{is_user_range, overlaps_windows, USER_END, USER_START};
use abi::{Error, Rights};

/// `pct_set_entry(entry, stack_top)`.
pub fn sys_pct_set_entry(entry: u64, stack_top: u64) -> SysResult {
    let registration = if entry == 0 {
        None
    } else {
        let in_windows = overlaps_windows(stack_top.saturating_sub(16), 16);
        if !is_user_range(entry, 1) || !(USER_START + 16..=USER_END).contains(&stack_top) || !stack_top.is_multiple_of(16) || in_windows {
            return Err(Error::BadAddress.into());
        }
        Some((entry, stack_top))
    };
    envs::with_current(|env| env.pct_entry = registration);
    Ok(0)
}

/// `pct_call(slot, a0, a1, a2, a3, a4)`, the arguments in the caller's registers.
#[inline(always)]
pub fn sys_pct_call(regs: &mut TrapFrame) -> SysResult {
    call(regs, true)
}

/// `pct_send(slot, a0, a1, a2, a3, a4)`, the arguments in the caller's registers.
#[inline(always)]
pub fn sys_pct_send(regs: &mut TrapFrame) -> SysResult {
    call(regs, false)
}

/// `pct_call` (`sync`) or `pct_send`: the capability check, the callee's setup, the caller's block
/// and the switch under one lock.
fn call(frame: &mut TrapFrame, sync: bool) -> SysResult {
    let slot = frame.rdi;
    let args = [frame.rsi, frame.rdx, frame.r10, frame.r8, frame.r9];
    // The caller's result, saved with its registers if the CPU moves (a failure overwrites it).
    (frame.rax, frame.rdx) = (0, 0);
    let pick = |me: &Env| match cap::env_id(me.id, slot, Rights::EXECUTE)? {
        id if id == me.id => Err(Error::Busy),
        id => Ok(id),
    };
    sched::transfer(frame, pick, |me, callee| {
        let (entry, stack_top) = callee.pct_entry.ok_or(Error::NoEntry)?;
        if callee.pct != PctState::Waiting {
            return Err(Error::Busy);
        }
        // A callee sleeping in `env_wait(WAIT_PCT | ...)` abandons the wait: the transfer starts
        // fresh at the entry, as after `pct_wait`.
        callee.wait = None;
        let mut start = TrapFrame::new_user(entry, stack_top - 8);
        (start.rdi, start.rsi, start.rdx, start.rcx, start.r8, start.r9) = (me.id, args[0], args[1], args[2], args[3], args[4]);
        callee.frame = start;
        callee.pct = PctState::Running;
        callee.runnable = true;
        envs::publish(callee);
        crate::stages::stamp(abi::stages::Point::Checked);
        crate::stats::count(abi::stats::Counter::PctTransfers);
        if sync {
            me.pct = PctState::Blocked(callee.id);
            me.runnable = false;
            envs::publish(me);
        }
        Ok(sync)
    })?;
    Err(NoValue::InFrame)
}

/// `pct_reply(caller, value)` (in `rdi`, `rsi`): allowed when `caller` is blocked in a synchronous
/// call to the running environment, under one lock.
pub fn sys_pct_reply(frame: &mut TrapFrame) -> SysResult {
    let (caller, value) = (frame.rdi, frame.rsi);
    let named = |me: &Env| if caller == me.id { Err(Error::BadArgument) } else { Ok(caller) };
    sched::transfer(frame, named, |me, c| {
        if c.pct != PctState::Blocked(me.id) {
            // Not waiting for this replier's answer: nothing changes.
            return Err(Error::BadArgument);
        }
        stop_serving(me);
        (c.pct, c.runnable) = (PctState::Running, true);
        (c.frame.rax, c.frame.rdx) = (0, value);
        envs::publish(c);
        Ok(true)
    })?;
    Err(NoValue::InFrame)
}

/// The running environment is done serving: it waits for the next transfer.
fn stop_serving(me: &mut Env) {
    crate::stages::stamp(abi::stages::Point::Checked);
    me.pct = PctState::Waiting;
    me.runnable = false;
    envs::publish(me);
}

/// `pct_wait()`.
pub fn sys_pct_wait(frame: &mut TrapFrame) -> SysResult {
    envs::with_current(|env| {
        env.pct_entry.ok_or(Error::NoEntry)?;
        env.pct = PctState::Waiting;
        env.runnable = false;
        envs::publish(env);
        Ok::<(), Error>(())
    })?;
    (frame.rax, frame.rdx) = (0, 0);
    exit::block(frame, "waits for a protected control transfer, but no environment can run");
    Err(NoValue::InFrame)
}
