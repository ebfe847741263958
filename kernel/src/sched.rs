//! Environments that exist and which one runs: the environment table, round-robin preemption on
//! the timer, and the boot run list.
//!
//! The table holds at most `abi::MAX_ENVS` environments; an id is a table index plus a generation,
//! so a stale id never names a newer environment. The timer interrupt moves the CPU to the next
//! runnable environment, so a spinning environment cannot starve the others.
//!
//! The boot run list (`run=a,b,c` on the command line) starts the first library OS: each program
//! is loaded from the boot archive into a fresh environment; when it and every environment it
//! created have ended, the next program starts. A program that cannot be loaded is refused with a
//! message and skipped. When the list is done, a test boot (`mode=test`) leaves QEMU; a normal
//! boot halts.
use crate::arch::x86_64::entry::{self, TrapFrame};
use crate::arch::x86_64::{cpu, lapic, legacy};
use crate::env::{Env, PctState};
use crate::mem::{frames, paging};
use crate::{cap, kprintln, loader};
use abi::{env_id, env_index, MAX_ENVS, SLICES};
use alloc::string::String;
use alloc::vec::Vec;
use kcore::cmdline::Mode;
use kcore::initrd::Archive;

struct Sched {
    envs: Vec<Option<Env>>,
    generations: [u32; MAX_ENVS],
    /// Index of the running environment (meaningful while any exists).
    current: usize,
    boot: BootList,
    /// Free frames before the first program, to detect leaks when the list is done.
    free_at_start: u64,
    started: bool,
    /// The time-slice vector: the owner's id at each position (0: free), and where the timer is.
    slices: [u64; SLICES],
    position: usize,
}

struct BootList {
    programs: Vec<&'static str>,
    next: usize,
    archive: Archive<'static>,
    mode: Mode,
}

/// The last generation an environment-table index can have (ids keep 21 bits of it).
const MAX_GENERATION: u32 = 0x1f_ffff;

static SCHED: spin::Mutex<Option<Sched>> = spin::Mutex::new(None);

/// How an environment ended.
pub enum Outcome {
    Exited(u64),
    Killed(String),
}

/// Starts the boot run list. Never returns: the CPU leaves for ring 3.
pub fn start(programs: Vec<&'static str>, archive: Archive<'static>, mode: Mode) -> ! {
    let mut envs = Vec::new();
    envs.resize_with(MAX_ENVS, || None);
    *SCHED.lock() = Some(Sched {
        envs, generations: [0; MAX_ENVS], current: 0,
        boot: BootList { programs, next: 0, archive, mode },
        free_at_start: frames::free_count(), started: false, slices: [0; SLICES], position: 0,
    });
    let frame = launch_next_boot_program();
    entry::enter_user(&frame)
}

fn with<R>(f: impl FnOnce(&mut Sched) -> R) -> R {
    f(SCHED.lock().as_mut().expect("scheduler not started"))
}

/// Runs `f` on the running environment.
pub fn with_current<R>(f: impl FnOnce(&mut Env) -> R) -> R {
    with(|s| {
        let current = s.current;
        f(s.envs[current].as_mut().expect("no running environment"))
    })
}

/// The table index of the running environment.
pub fn current_index() -> usize {
    with(|s| s.current)
}

/// The address space of the running environment.
pub fn current_root() -> u64 {
    with_current(|env| env.root)
}

/// Runs `f` on the live environment with id `id`, or returns `None` if there is none (never
/// existed, or ended: its generation moved on).
pub fn with_env<R>(id: u64, f: impl FnOnce(&mut Env) -> R) -> Option<R> {
    with(|s| s.envs.get_mut(env_index(id))?.as_mut().filter(|e| e.id == id).map(f))
}

/// Runs `f` on two distinct live environments at once, or returns `None` if either is gone (or
/// they are the same).
pub fn with_two<R>(a: u64, b: u64, f: impl FnOnce(&mut Env, &mut Env) -> R) -> Option<R> {
    let (i, j) = (env_index(a), env_index(b));
    if i == j || i >= MAX_ENVS || j >= MAX_ENVS {
        return None;
    }
    with(|s| {
        let (ea, eb) = two_mut(&mut s.envs, i, j)?;
        (ea.id == a && eb.id == b).then(|| f(ea, eb))
    })
}

/// The live environments at table indices `i` and `j` (distinct, in range) at once.
fn two_mut(envs: &mut [Option<Env>], i: usize, j: usize) -> Option<(&mut Env, &mut Env)> {
    let (low, high) = envs.split_at_mut(i.max(j));
    let (x, y) = (low[i.min(j)].as_mut()?, high[0].as_mut()?);
    Some(if i < j { (x, y) } else { (y, x) })
}

/// Runs `f` on every live environment.
pub fn for_each_env(mut f: impl FnMut(&mut Env)) {
    with(|s| s.envs.iter_mut().flatten().for_each(&mut f));
}

/// Reserves a table slot and builds an environment in it with `build(id)`. The new environment is
/// not runnable until it is started.
pub fn create<E>(build: impl FnOnce(u64) -> Result<Env, E>) -> Result<u64, Option<E>> {
    let id = with(|s| {
        // An index whose generation would wrap is retired, so an old id can never name a new one.
        let index = (0..MAX_ENVS).find(|&i| s.envs[i].is_none() && s.generations[i] < MAX_GENERATION)?;
        s.generations[index] += 1;
        Some(env_id(index, s.generations[index]))
    })
    .ok_or(None)?;
    let env = build(id).map_err(Some)?;
    publish(&env);
    crate::stats::set_name(env_index(id), &env.name, true);
    crate::stats::count(abi::stats::Counter::EnvsCreated);
    with(|s| s.envs[env_index(id)] = Some(env));
    Ok(id)
}

/// Timer tick: the slice vector moves to its next position. Its owner runs if it is runnable;
/// otherwise the CPU goes round robin to the next runnable environment. An environment the timer
/// takes the CPU from gets a slice-end upcall when it next runs, if it asked for one.
pub fn preempt(frame: &mut TrapFrame) {
    with(|s| {
        s.position = (s.position + 1) % SLICES;
        let owner = s.slices[s.position];
        let owner_index = s.envs[env_index(owner)].as_ref().filter(|e| owner != 0 && e.id == owner && e.runnable).map(|_| env_index(owner));
        let next = match owner_index {
            Some(i) if i == s.current => None,
            Some(i) => Some(i),
            None => s.next_runnable(),
        };
        if let Some(next) = next {
            if let Some(env) = s.envs[s.current].as_mut() {
                env.slice_end_pending |= env.slice_upcall;
            }
            s.switch(frame, next);
        }
        crate::page::publish_slices(&s.slices, s.position);
    });
}

/// Runs `f` on the slice vector (owners' ids, 0 = free) and publishes the result.
pub fn with_slices<R>(f: impl FnOnce(&mut [u64; SLICES]) -> R) -> R {
    with(|s| {
        let result = f(&mut s.slices);
        crate::page::publish_slices(&s.slices, s.position);
        result
    })
}

/// `env_yield(target)`: switches to `target` (or the next runnable environment for `ANY_ENV`),
/// saving the caller's registers from `frame` (already holding the call's result).
pub fn yield_to(frame: &mut TrapFrame, target: u64) -> Result<(), abi::Error> {
    with(|s| {
        let next = if target == abi::ANY_ENV {
            match s.next_runnable() {
                Some(next) => next,
                None => return Ok(()),
            }
        } else {
            let index = env_index(target);
            match s.envs.get(index).and_then(Option::as_ref) {
                Some(env) if env.id == target && env.runnable => index,
                _ => return Err(abi::Error::NoSuchEnv),
            }
        };
        if next != s.current {
            s.switch(frame, next);
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
    with(|s| {
        let me = s.current;
        let target = pick(s.envs[me].as_ref().expect("no running environment"))?;
        let other = env_index(target);
        if other == me || other >= MAX_ENVS {
            return Err(abi::Error::NoSuchEnv);
        }
        let (mine, theirs) = two_mut(&mut s.envs, me, other).filter(|(_, t)| t.id == target).ok_or(abi::Error::NoSuchEnv)?;
        if f(mine, theirs)? {
            s.switch(frame, other);
        }
        Ok(())
    })
}

/// Moves the CPU from the running environment to the next runnable one; false if there is none.
pub fn switch_away(frame: &mut TrapFrame) -> bool {
    with(|s| match s.next_runnable() {
        Some(next) => {
            s.switch(frame, next);
            true
        }
        None => false,
    })
}

/// Ends the running environment (and, first, every environment it created) and runs another.
/// Never returns.
pub fn end_current(outcome: Outcome) -> ! {
    let current = with(|s| s.current);
    let id = with(|s| s.envs[current].as_ref().expect("no running environment").id);
    end_children(id);
    let env = with(|s| s.envs[current].take().expect("no running environment"));
    entry::drop_fpu();
    report(&env, outcome);
    release(env);
    let mut next = with(|s| s.next_runnable().map(|next| s.resume(next)));
    if next.is_none() {
        end_stuck();
        next = with(|s| s.next_runnable().map(|next| s.resume(next)));
    }
    let frame = next.unwrap_or_else(launch_next_boot_program);
    entry::enter_user(&frame)
}

/// Nothing can run, but environments remain (waiting for transfers, blocked, or never started):
/// nothing can ever wake them, so they end.
fn end_stuck() {
    let stuck: Vec<u64> = with(|s| s.envs.iter().flatten().map(|e| e.id).collect());
    for id in stuck {
        destroy(id, "no environment can ever run it again");
    }
}

/// Ends environment `id` (not the running one) and its descendants.
pub fn destroy(id: u64, why: &str) {
    end_children(id);
    destroy_one(id, why);
}

/// Ends environment `id` alone (its children must already be gone).
fn destroy_one(id: u64, why: &str) {
    if let Some(env) = with(|s| s.envs[env_index(id)].take_if(|e| e.id == id)) {
        report(&env, Outcome::Killed(String::from(why)));
        release(env);
    }
}

/// Whether `ancestor` created `id`, directly or through its descendants.
pub fn is_ancestor(ancestor: u64, id: u64) -> bool {
    let mut parent = with_env(id, |e| e.parent).flatten();
    while let Some(p) = parent {
        if p == ancestor {
            return true;
        }
        parent = with_env(p, |e| e.parent).flatten();
    }
    false
}

/// Ends every descendant of `parent`, deepest first, without recursion (a chain of environments
/// can be as long as the table, and the kernel stack is small).
fn end_children(parent: u64) {
    let mut descendants = alloc::vec![parent];
    let mut next = 0;
    while next < descendants.len() {
        let id = descendants[next];
        next += 1;
        with(|s| descendants.extend(s.envs.iter().flatten().filter(|e| e.parent == Some(id)).map(|e| e.id)));
    }
    for &child in descendants[1..].iter().rev() {
        destroy_one(child, "its parent ended");
    }
}

/// Says how an environment ended: on the console for boot programs, and for every environment in
/// test mode (tests read these lines); in the log otherwise, so a person at the shell does not see
/// a line per command (`log=debug` shows them).
fn report(env: &Env, outcome: Outcome) {
    crate::stats::count(abi::stats::Counter::EnvsEnded);
    crate::stats::publish();
    if env.parent.is_some() && with(|s| s.boot.mode) == Mode::Run {
        match outcome {
            Outcome::Exited(code) => log::debug!("env {} '{}' exited with code {}", env.id, env.name, code as i64),
            Outcome::Killed(why) => log::debug!("env {} '{}' killed: {}", env.id, env.name, why),
        }
        return;
    }
    match outcome {
        Outcome::Exited(code) => kprintln!("exo: env {} '{}' exited with code {}", env.id, env.name, code as i64),
        Outcome::Killed(why) => kprintln!("exo: env {} '{}' killed: {}", env.id, env.name, why),
    }
}

/// Publishes `env`'s record in the read-only environment table.
pub fn publish(env: &Env) {
    let state = match env.pct {
        PctState::Waiting => abi::ENV_WAITING,
        PctState::Blocked(_) => abi::ENV_BLOCKED,
        _ if env.runnable => abi::ENV_RUNNABLE,
        _ => abi::ENV_NOT_STARTED,
    };
    let parent = env.parent.unwrap_or(0) as u32;
    crate::page::publish_env(env_index(env.id), abi::EnvInfo { id: env.id as u32, parent, state, pages: env.pages as u32 });
}

/// Returns everything an ended environment held, and fails the calls blocked on it.
fn release(mut env: Env) {
    with_slices(|slices| slices.iter_mut().filter(|o| **o == env.id).for_each(|o| *o = 0));
    for_each_env(|caller| {
        if caller.pct == PctState::Blocked(env.id) {
            (caller.pct, caller.runnable) = (PctState::Running, true);
            (caller.frame.rax, caller.frame.rdx) = abi::encode_result(Err(abi::Error::NoSuchEnv));
            publish(caller);
        }
    });
    // Its own mappings first: then only capabilities mapped elsewhere need looking for.
    crate::bind::unmap_all(&mut env);
    cap::remove_env(&mut env);
    // Cleared last: returning its pages republishes the record with the new count.
    crate::page::publish_env(env_index(env.id), abi::EnvInfo::default());
    env.destroy();
}

impl Sched {
    /// The next runnable environment after the current one, round robin (not the current one).
    fn next_runnable(&self) -> Option<usize> {
        (1..=MAX_ENVS)
            .map(|step| (self.current + step) % MAX_ENVS)
            .find(|&i| i != self.current && self.envs[i].as_ref().is_some_and(|e| e.runnable))
    }

    /// Saves the running environment's registers from `frame` and loads `next`'s into it.
    fn switch(&mut self, frame: &mut TrapFrame, next: usize) {
        crate::stats::count(abi::stats::Counter::EnvSwitches);
        if let Some(env) = self.envs[self.current].as_mut() {
            // Its FPU area must be whole before another environment's is loaded.
            entry::park_fpu();
            env.frame = *frame;
            env.selectors = cpu::read_data_selectors();
        }
        self.resume_into(next, frame);
    }

    /// Makes `next` current (address space, FPU area) and returns its saved registers.
    fn resume(&mut self, next: usize) -> TrapFrame {
        let mut frame = TrapFrame::default();
        self.resume_into(next, &mut frame);
        frame
    }

    /// Makes `next` current (address space, FPU area) and loads its saved registers into `frame`
    /// (one copy: the register frame is 176 bytes).
    fn resume_into(&mut self, next: usize, frame: &mut TrapFrame) {
        self.current = next;
        let env = self.envs[next].as_mut().expect("resuming an empty slot");
        // PCID = table index + 1; 0 is the kernel's own address space.
        paging::activate_tagged(env.root, next as u64 + 1, core::mem::take(&mut env.tlb_stale));
        // SAFETY: the FPU area lives in the environment's box, which stays in the table (and so
        // alive) until the environment ends; the next resume replaces it before any entry.
        unsafe { entry::set_fpu_area(env.fpu.address()) };
        // SAFETY: the selectors were read from this environment's own ring-3 state (or are null).
        unsafe { cpu::load_data_selectors(env.selectors) };
        if !crate::revoke::deliver_pending(env) {
            crate::upcall::deliver_slice_end(env);
        }
        *frame = env.frame;
    }
}

/// Loads the next loadable boot program and returns its first frame; finishes the boot when none
/// is left.
fn launch_next_boot_program() -> TrapFrame {
    loop {
        let Some((name, bytes)) = with(next_program) else { finish() };
        let Some(bytes) = bytes else {
            kprintln!("exo: refused '{name}': not in the boot archive");
            continue;
        };
        match create(|id| loader::load(id, name, bytes)) {
            Ok(id) => return start_boot_program(id),
            Err(Some(e)) => kprintln!("exo: refused '{name}': {e}"),
            Err(None) => kprintln!("exo: refused '{name}': no free environment"),
        }
    }
}

fn next_program(s: &mut Sched) -> Option<(&'static str, Option<&'static [u8]>)> {
    let name = *s.boot.programs.get(s.boot.next)?;
    s.boot.next += 1;
    Some((name, s.boot.archive.program(name)))
}

fn start_boot_program(id: u64) -> TrapFrame {
    let (frame, first) = with(|s| {
        let env = s.envs[env_index(id)].as_mut().expect("just created");
        env.runnable = true;
        publish(env);
        let frame = s.resume(env_index(id));
        (frame, !core::mem::replace(&mut s.started, true))
    });
    if first {
        let cycles = cpu::rdtsc() - crate::console::entry_tsc();
        kprintln!("exo: boot: first user instruction at +{} us ({} cycles since kernel entry)",
                  lapic::cycles_to_us(cycles), cycles);
    }
    frame
}

/// The run list is done: report, then leave QEMU (through the debug-exit device; on a machine
/// without one, halt).
fn finish() -> ! {
    let (mode, free_at_start) = with(|s| (s.boot.mode, s.free_at_start));
    let free_now = frames::free_count();
    kprintln!("exo: all programs finished ({} timer ticks taken in ring 3)", lapic::ticks());
    if entry::nmi_count() > 0 {
        kprintln!("exo: {} NMIs arrived (counted and ignored)", entry::nmi_count());
    }
    if free_now != free_at_start {
        kprintln!("exo: LEAK: {} frames free before the first program, {} now", free_at_start, free_now);
    }
    match mode {
        Mode::Test => legacy::qemu_exit(0),
        Mode::Run => {
            kprintln!("exo: nothing left to run; halting");
            legacy::qemu_exit(0)
        }
    }
}
