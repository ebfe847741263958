//! The run queue: which environment runs next, and the switch to it.
//!
//! Round robin over the environment table (`envs.rs`), driven by the time-slice vector
//! (`slice.rs`): at each timer tick the vector moves to its next position; its owner runs if it
//! can, else the CPU goes to the next runnable environment, so a spinning environment cannot
//! starve the others. `env_yield` and protected control transfer move the CPU directly. A switch
//! saves the running environment's registers, FPU state and data selectors, activates the next
//! address space, and delivers a pending revocation or slice-end upcall into its registers.
//!
//! Calls `envs`, `slice`, `revoke` and `upcall` (upcall delivery on resume), `mem::paging` and
//! `arch`. Ending environments is `teardown.rs`'s; what runs when the running one ends, `exit.rs`'s.
use crate::arch::x86_64::cpu;
use crate::arch::x86_64::entry::{self, TrapFrame};
use crate::env::Env;
use crate::envs::{self, Table};
use crate::mem::paging;
use abi::{env_index, MAX_ENVS};

/// Timer tick: the slice vector moves to its next position. Its owner runs if it is runnable;
/// otherwise the CPU goes round robin to the next runnable environment. An environment the timer
/// takes the CPU from gets a slice-end upcall when it next runs, if it asked for one.
pub fn preempt(frame: &mut TrapFrame) {
    let owner = crate::slice::advance();
    envs::with(|t| {
        let owner_index = env_index(owner);
        let owner_runs = owner != 0 && t.get_mut(owner_index).is_some_and(|e| e.id == owner && e.runnable);
        let next = match owner_runs {
            true if owner_index == t.current => None,
            true => Some(owner_index),
            false => next_runnable(t),
        };
        if let Some(next) = next {
            if let Some(env) = t.get_mut(t.current) {
                env.slice_end_pending |= env.slice_upcall;
            }
            switch(t, frame, next);
        }
    });
}

/// `env_yield(target)`: switches to `target` (or the next runnable environment for `ANY_ENV`),
/// saving the caller's registers from `frame` (already holding the call's result).
pub fn yield_to(frame: &mut TrapFrame, target: u64) -> Result<(), abi::Error> {
    envs::with(|t| {
        let next = if target == abi::ANY_ENV {
            match next_runnable(t) {
                Some(next) => next,
                None => return Ok(()),
            }
        } else {
            let index = env_index(target);
            match t.get_mut(index) {
                Some(env) if env.id == target && env.runnable => index,
                _ => return Err(abi::Error::NoSuchEnv),
            }
        };
        if next != t.current {
            switch(t, frame, next);
        }
        Ok(())
    })
}

/// A transfer of control under one lock: `pick` names the target from the running environment
/// (checking the caller's capability, say), then `f` gets the running environment and the target
/// (live, and not the running one: `NoSuchEnv` otherwise) and says whether the CPU moves to the
/// target, saving the running one's registers from `frame` (which must already hold its result).
pub fn transfer(
    frame: &mut TrapFrame,
    pick: impl FnOnce(&Env) -> Result<u64, abi::Error>,
    f: impl FnOnce(&mut Env, &mut Env) -> Result<bool, abi::Error>,
) -> Result<(), abi::Error> {
    envs::with(|t| {
        let me = t.current;
        let target = pick(t.current_mut())?;
        let other = env_index(target);
        if other == me || other >= MAX_ENVS {
            return Err(abi::Error::NoSuchEnv);
        }
        let (mine, theirs) = t.two_mut(me, other).filter(|(_, theirs)| theirs.id == target).ok_or(abi::Error::NoSuchEnv)?;
        if f(mine, theirs)? {
            switch(t, frame, other);
        }
        Ok(())
    })
}

/// Moves the CPU from the running environment to the next runnable one; false if there is none.
pub fn switch_away(frame: &mut TrapFrame) -> bool {
    envs::with(|t| match next_runnable(t) {
        Some(next) => {
            switch(t, frame, next);
            true
        }
        None => false,
    })
}

/// Makes the next runnable environment current (the running one has ended, or the CPU is idle)
/// and returns its registers; `None` if none can run.
pub fn resume_next() -> Option<TrapFrame> {
    envs::with(|t| any_runnable(t).map(|next| resume(t, next)))
}

/// The CPU is idle and an interrupt's `frame` is in the frame slot: makes the next runnable
/// environment current and loads its registers into `frame`; false (nothing changes) if none can
/// run.
pub fn resume_into_frame(frame: &mut TrapFrame) -> bool {
    envs::with(|t| match any_runnable(t) {
        Some(next) => {
            resume_into(t, next, frame);
            true
        }
        None => false,
    })
}

/// The running environment sleeps and no other can run: saves its registers from `frame` (which
/// holds its result so far) as a switch would, before the CPU goes idle (`idle.rs`).
pub fn park(frame: &TrapFrame) {
    envs::with(|t| {
        if let Some(env) = t.get_mut(t.current) {
            entry::park_fpu();
            env.frame = *frame;
            env.selectors = cpu::read_data_selectors();
        }
    });
}

/// Makes environment `id` runnable and current (a boot program's first run) and returns its
/// registers.
pub fn start(id: u64) -> TrapFrame {
    envs::with(|t| {
        let env = t.get_mut(env_index(id)).expect("just created");
        env.runnable = true;
        envs::publish(env);
        resume(t, env_index(id))
    })
}

/// The next runnable environment after the current one, round robin (not the current one).
#[inline(always)]
fn next_runnable(t: &Table) -> Option<usize> {
    t.runnable_after(t.current)
}

/// Any runnable environment, round robin after the current one, the current one last (it may have
/// been woken while the CPU was idle).
fn any_runnable(t: &mut Table) -> Option<usize> {
    let current = t.current;
    next_runnable(t).or_else(|| t.get_mut(current).is_some_and(|e| e.runnable).then_some(current))
}

/// Saves the running environment's registers from `frame` and loads `next`'s into it. Inlined
/// into the transfer and yield paths (left to itself the compiler stopped inlining it once the
/// kernel grew, which cost a protected control transfer 20 instructions each way).
#[inline(always)]
fn switch(t: &mut Table, frame: &mut TrapFrame, next: usize) {
    crate::stats::count(abi::stats::Counter::EnvSwitches);
    if let Some(env) = t.get_mut(t.current) {
        // Its FPU area must be whole before another environment's is loaded.
        entry::park_fpu();
        env.frame = *frame;
        env.selectors = cpu::read_data_selectors();
    }
    resume_into(t, next, frame);
}

/// Makes `next` current (address space, FPU area) and returns its saved registers.
fn resume(t: &mut Table, next: usize) -> TrapFrame {
    let mut frame = TrapFrame::default();
    resume_into(t, next, &mut frame);
    frame
}

/// Makes `next` current (address space, FPU area) and loads its saved registers into `frame`
/// (one copy: the register frame is 176 bytes).
fn resume_into(t: &mut Table, next: usize, frame: &mut TrapFrame) {
    t.current = next;
    let env = t.get_mut(next).expect("resuming an empty slot");
    // PCID = table index + 1; 0 is the kernel's own address space.
    paging::activate_tagged(env.root, next as u64 + 1, core::mem::take(&mut env.tlb_stale));
    // SAFETY: the FPU area lives in the environment's box, which stays in the table (and so
    // alive) until the environment ends; the next resume replaces it before any entry.
    unsafe { entry::set_fpu_area(env.fpu.address()) };
    // SAFETY: the selectors were read from this environment's own ring-3 state (or are null).
    unsafe { cpu::load_data_selectors(env.selectors) };
    // After the selectors (loading `fs` changes its base).
    cpu::load_fs_base(env.fs_base);
    crate::redirect::load(env);
    if !crate::revoke::deliver_pending(env) {
        crate::upcall::deliver_slice_end(env);
    }
    *frame = env.frame;
}
