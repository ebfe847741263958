//! The environment table: every environment that exists, by table index, and which one runs.
//!
//! The table holds at most `abi::MAX_ENVS` environments (4,096; each record is boxed, so an empty
//! index costs a pointer, and the kernel heap's reserve bounds how many exist at once); an id is a
//! table index plus a generation, so a stale id never names a newer environment (an index whose
//! generation would wrap is retired). Indices are handed out lowest first and the scans (the run
//! queue's among them) stop at the highest index in use.
//! Every change to an environment's scheduling state is published in the read-only environment
//! table window ([`publish`]). One lock covers the table; the run queue (`sched.rs`) switches
//! under it. Lock order: this lock may be held while the capability space's is taken, never the
//! other way round. This file calls only `env`, `windows` and `stats`.
use crate::env::{Env, PctState};
use abi::{env_id, env_index, MAX_ENVS};
use alloc::boxed::Box;
use alloc::vec::Vec;

/// Every environment, and the index of the running one.
pub struct Table {
    envs: Vec<Option<Box<Env>>>,
    generations: Vec<u32>,
    /// One past the highest index in use (the scans stop there).
    top: usize,
    /// Index of the running environment (meaningful while any exists).
    pub current: usize,
}

/// The last generation an environment-table index can have (ids keep `abi::ENV_GENERATION_MASK`).
const MAX_GENERATION: u32 = abi::ENV_GENERATION_MASK as u32;

static TABLE: spin::Mutex<Option<Table>> = spin::Mutex::new(None);

/// Creates the (empty) table. Call once, before the first environment.
pub fn init() {
    let mut envs = Vec::new();
    envs.resize_with(MAX_ENVS, || None);
    *TABLE.lock() = Some(Table { envs, generations: alloc::vec![0; MAX_ENVS], top: 0, current: 0 });
}

/// Runs `f` on the whole table, under its lock (the run queue's switches).
#[inline(always)]
pub fn with<R>(f: impl FnOnce(&mut Table) -> R) -> R {
    f(TABLE.lock().as_mut().expect("environment table not initialized"))
}

impl Table {
    /// The environment at table index `i`, if one lives there.
    #[inline(always)]
    pub fn get_mut(&mut self, i: usize) -> Option<&mut Env> {
        self.envs.get_mut(i)?.as_deref_mut()
    }

    /// The first runnable environment after index `i`, wrapping round, other than `i` itself.
    #[inline(always)]
    pub fn runnable_after(&self, i: usize) -> Option<usize> {
        let runnable = |e: &Option<Box<Env>>| e.as_ref().is_some_and(|e| e.runnable);
        let after = i + 1;
        // `i` may be past the highest index in use (its environment just ended).
        let used = &self.envs[..self.top];
        let later = used.get(after..).and_then(|rest| rest.iter().position(runnable)).map(|k| after + k);
        later.or_else(|| used[..i.min(used.len())].iter().position(runnable))
    }

    /// The running environment.
    pub fn current_mut(&mut self) -> &mut Env {
        let current = self.current;
        self.envs[current].as_deref_mut().expect("no running environment")
    }

    /// The live environments at table indices `i` and `j` (distinct, in range) at once.
    pub fn two_mut(&mut self, i: usize, j: usize) -> Option<(&mut Env, &mut Env)> {
        let (low, high) = self.envs.split_at_mut(i.max(j));
        let (x, y) = (low[i.min(j)].as_deref_mut()?, high[0].as_deref_mut()?);
        Some(if i < j { (x, y) } else { (y, x) })
    }
}

/// Runs `f` on the running environment.
#[inline(always)]
pub fn with_current<R>(f: impl FnOnce(&mut Env) -> R) -> R {
    with(|t| f(t.current_mut()))
}

/// The id of the running environment.
pub fn current_id() -> u64 {
    with_current(|env| env.id)
}

/// The table index of the running environment.
pub fn current_index() -> usize {
    with(|t| t.current)
}

/// The address space of the running environment.
pub fn current_root() -> u64 {
    with_current(|env| env.root)
}

/// Runs `f` on the live environment with id `id`, or returns `None` if there is none (never
/// existed, or ended: its generation moved on).
pub fn with_env<R>(id: u64, f: impl FnOnce(&mut Env) -> R) -> Option<R> {
    with(|t| t.envs.get_mut(env_index(id))?.as_deref_mut().filter(|e| e.id == id).map(f))
}

/// Runs `f` on two distinct live environments at once, or returns `None` if either is gone (or
/// they are the same).
pub fn with_two<R>(a: u64, b: u64, f: impl FnOnce(&mut Env, &mut Env) -> R) -> Option<R> {
    let (i, j) = (env_index(a), env_index(b));
    if i == j || i >= MAX_ENVS || j >= MAX_ENVS {
        return None;
    }
    with(|t| {
        let (ea, eb) = t.two_mut(i, j)?;
        (ea.id == a && eb.id == b).then(|| f(ea, eb))
    })
}

/// Runs `f` on every live environment.
pub fn for_each_env(mut f: impl FnMut(&mut Env)) {
    with(|t| {
        let top = t.top;
        t.envs[..top].iter_mut().flatten().for_each(|env| f(env))
    });
}

/// The ids of every live environment.
pub fn ids() -> Vec<u64> {
    with(|t| t.envs[..t.top].iter().flatten().map(|e| e.id).collect())
}

/// The descendants of `root` (the environments it created, theirs, and so on), level by level:
/// the deepest last, so taking from the end never leaves a child without its parent. One pass over
/// the table and a sort, however deep the tree (not one pass per descendant).
pub fn descendants(root: u64) -> Vec<u64> {
    let mut by_parent: Vec<(u64, u64)> =
        with(|t| t.envs[..t.top].iter().flatten().filter_map(|e| Some((e.parent?, e.id))).collect());
    by_parent.sort_unstable();
    let mut found = Vec::new();
    let mut next = 0;
    let mut parent = root;
    loop {
        let from = by_parent.partition_point(|&(p, _)| p < parent);
        found.extend(by_parent[from..].iter().take_while(|&&(p, _)| p == parent).map(|&(_, id)| id));
        let Some(&id) = found.get(next) else { break };
        parent = id;
        next += 1;
    }
    found
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

/// Reserves a table slot and builds an environment in it with `build(id)`. The new environment is
/// not runnable until it is started.
pub fn create<E>(build: impl FnOnce(u64) -> Result<Env, E>) -> Result<u64, Option<E>> {
    if !crate::mem::heap::has_room() {
        return Err(None);
    }
    let id = with(|t| {
        // An index whose generation would wrap is retired, so an old id can never name a new one.
        let index = (0..MAX_ENVS).find(|&i| t.envs[i].is_none() && t.generations[i] < MAX_GENERATION)?;
        // Reserved at once (the generation moved on): the environment is built outside the lock.
        t.top = t.top.max(index + 1);
        t.generations[index] += 1;
        Some(env_id(index, t.generations[index]))
    })
    .ok_or(None)?;
    let env = build(id).map_err(Some)?;
    publish(&env);
    crate::stats::set_name(env_index(id), &env.name, true);
    crate::stats::count(abi::stats::Counter::EnvsCreated);
    with(|t| t.envs[env_index(id)] = Some(Box::new(env)));
    Ok(id)
}

/// Takes environment `id` out of the table (it is ending), if it is there.
pub fn take(id: u64) -> Option<Env> {
    with(|t| {
        let env = t.envs.get_mut(env_index(id))?.take_if(|e| e.id == id)?;
        while t.top > 0 && t.envs[t.top - 1].is_none() {
            t.top -= 1;
        }
        Some(*env)
    })
}

/// Publishes `env`'s record in the read-only environment table.
pub fn publish(env: &Env) {
    // A sleeper is never runnable (and may wait for a transfer too: it shows as sleeping).
    let state = match env.pct {
        PctState::Blocked(_) => abi::ENV_BLOCKED,
        _ if env.runnable => abi::ENV_RUNNABLE,
        _ if env.wait.is_some() => abi::ENV_SLEEPING,
        PctState::Waiting => abi::ENV_WAITING,
        PctState::Running => abi::ENV_NOT_STARTED,
    };
    let parent = env.parent.unwrap_or(0) as u32;
    crate::windows::publish_env(env_index(env.id), abi::EnvInfo { id: env.id as u32, parent, state, pages: env.pages as u32 });
}
