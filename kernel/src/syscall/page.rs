//! `page_*` calls: allocating and freeing physical pages, marking them vital, and the checked
//! batch of mapping updates (`page_map`, the hardware secure binding: `bind.rs` applies each update),
//! and waking the environments that sleep on a word of a page (`page_wake`).
use super::{NoValue, SysResult};
use crate::cap::{self, Object};
use crate::mem::owners;
use crate::{bind, budget, envs, page, revoke, uaccess};
use crate::arch::x86_64::entry::TrapFrame;
use crate::env::Env;
use abi::{encode_partial, Error, MapUpdate, Rights, ANY_PAGE, MAX_MAP_BATCH, MAX_MAP_PAGES, SELF_ENV};

/// `page_alloc(frame)`: returns `physical address | slot`. The page is charged to the caller's
/// budget first (`OutOfMemory`: its own limit), then taken from the machine (`NoMemory`: none free,
/// which asks someone for pages back).
pub fn sys_page_alloc(frame: u64) -> SysResult {
    let id = envs::with_current(|env| env.id);
    budget::charge(id, 1)?;
    let allocated = take_frame(id, frame);
    if allocated.is_err() {
        budget::refund(id, 1);
    }
    allocated
}

fn take_frame(id: u64, frame: u64) -> SysResult {
    if page::over_budget() {
        revoke::pressure(id);
        return Err(Error::NoMemory.into());
    }
    let pa = if frame == ANY_PAGE {
        owners::alloc_zeroed().ok_or_else(|| {
            revoke::pressure(id);
            Error::NoMemory
        })?
    } else {
        owners::alloc_at_zeroed(frame).map_err(|e| match e {
            kcore::frames::FrameError::NotFree(_) => Error::Busy,
            _ => Error::BadArgument,
        })?
    };
    match cap::insert_root(id, Object::Page(pa), Rights::ALL) {
        Ok(slot) => {
            envs::with_current(|env| {
                env.pages += 1;
                envs::publish(env);
            });
            page::note_held(pa, id);
            crate::stats::count(abi::stats::Counter::PagesAllocated);
            Ok(pa | slot as u64)
        }
        Err(e) => {
            owners::free(pa);
            Err(e.into())
        }
    }
}

/// `page_free(slot)`, the slot in `rdi` (in bounded pieces, restarting, like `cap_delete`).
pub fn sys_page_free(regs: &mut TrapFrame) -> SysResult {
    let slot = regs.rdi;
    let id = envs::with_current(|env| env.id);
    if !matches!(cap::check(id, slot, Rights::NONE)?, Object::Page(_)) {
        return Err(Error::WrongType.into());
    }
    if !cap::is_root(id, slot)? {
        return Err(Error::NoRights.into());
    }
    super::cap::finish(regs, bind::delete_some(id, slot)?)
}

/// Updates a `page_map` call reads into [`SMALL_BATCH`]; larger batches go through the heap.
const INLINE_UPDATES: usize = 8;

/// Where a small batch is read: one kernel-wide buffer (one CPU, interrupts off, and `page_map`
/// never runs inside another kernel call), not a zeroed array on the stack, whose zeroing the
/// compiler turns into SSE stores that cost the call a lazy FPU save (`#NM`, arch/x86_64/entry.rs).
/// Only the bytes the call copies in are read.
static SMALL_BATCH: spin::Mutex<[u8; INLINE_UPDATES * MapUpdate::SIZE]> = spin::Mutex::new([0; INLINE_UPDATES * MapUpdate::SIZE]);

/// The most updates one kernel entry applies: a larger batch is applied in pieces, the call
/// restarting itself (`syscall::again`) after each, so no entry runs long with interrupts off
/// (128 grant-maps, the dearest update, take about 2 ms under TCG, a fifth of a tick; docs/ABI.md,
/// "Bounded kernel work"). The pages one call changes stay bounded by `MAX_MAP_PAGES`.
pub const PIECE_UPDATES: usize = 128;

/// `page_map(env, updates, count)`, the arguments in `rdi`, `rsi`, `rdx`: returns the number
/// applied; on a failure, `rax` is its error and `rdx` still the number applied before it.
/// A batch of more than [`PIECE_UPDATES`] goes in pieces ([`map_in_pieces`]); a smaller one, the
/// common case, takes the direct path.
pub fn sys_page_map(regs: &mut TrapFrame) -> SysResult {
    let (target, updates, count) = (regs.rdi, regs.rsi, regs.rdx);
    if count > MAX_MAP_BATCH {
        return Err(Error::TooLong.into());
    }
    if count as usize > PIECE_UPDATES {
        return map_in_pieces(regs);
    }
    let target = target_of(target)?;
    // Small batches (the common case: one protection change) are read into a fixed buffer; the
    // allocator costs more than the rest of the call.
    let mut inline = SMALL_BATCH.lock();
    let mut heap = alloc::vec::Vec::new();
    let bytes: &mut [u8] = if count as usize <= INLINE_UPDATES {
        &mut inline[..count as usize * MapUpdate::SIZE]
    } else {
        heap.resize(count as usize * MapUpdate::SIZE, 0);
        &mut heap
    };
    uaccess::copy_from_user(envs::current_root(), updates, bytes)?;
    check_pages(bytes)?;
    crate::stages::stamp(abi::stages::Point::Checked);
    let (done, failure) = apply_batch(target, bytes);
    match failure {
        None => Ok(done),
        Some(e) => {
            (regs.rax, regs.rdx) = encode_partial(done, Some(e));
            Err(NoValue::InFrame)
        }
    }
}

/// The environment a `page_map` changes: the caller (`SELF_ENV`) or the one its `slot` names
/// with `WRITE`; with the caller's id.
#[inline(always)]
fn target_of(target: u64) -> Result<(u64, u64), NoValue> {
    let caller = envs::with_current(|env| env.id);
    Ok((caller, match target {
        SELF_ENV => caller,
        slot => cap::env_of(caller, slot, Rights::WRITE)?,
    }))
}

/// The work per call is bounded by pages, a range counting as its own (each range's count is
/// checked again when it is applied): `TooLong` beyond `MAX_MAP_PAGES`.
#[inline(always)]
fn check_pages(bytes: &[u8]) -> Result<(), NoValue> {
    let pages = bytes.chunks_exact(MapUpdate::SIZE).fold(0u64, |sum, chunk| {
        sum.saturating_add(MapUpdate::from_bytes(chunk.try_into().expect("32-byte chunk")).pages())
    });
    if pages > MAX_MAP_PAGES {
        return Err(Error::TooLong.into());
    }
    Ok(())
}

/// Applies the updates in `bytes` to `target` = (caller, target), in order, stopping at the first
/// failure: how many were applied, and the failure.
#[inline(always)]
fn apply_batch((caller, target): (u64, u64), bytes: &[u8]) -> (u64, Option<Error>) {
    let run = |env: &mut Env, mut giver: Option<&mut Env>| {
        for (done, chunk) in bytes.chunks_exact(MapUpdate::SIZE).enumerate() {
            let update = MapUpdate::from_bytes(chunk.try_into().expect("32-byte chunk"));
            if let Err(e) = bind::apply(env, caller, giver.as_deref_mut(), &update) {
                return (done as u64, Some(e));
            }
        }
        ((bytes.len() / MapUpdate::SIZE) as u64, None)
    };
    let applied = if target == caller {
        envs::with_env(target, |env| run(env, None))
    } else {
        envs::with_two(caller, target, |me, env| run(env, Some(me)))
    };
    let (done, failure) = applied.unwrap_or((0, Some(Error::NoSuchEnv)));
    crate::stats::add(abi::stats::Counter::MapUpdates, done);
    (done, failure)
}

/// A batch of more than [`PIECE_UPDATES`] updates: one piece of them per kernel entry, the call
/// restarting itself until all are applied (the environment's record keeps how far it got,
/// `syscall::resumed`). The first piece reads and checks the whole batch; a resumed one reads its
/// own updates only.
#[inline(never)]
#[cold]
fn map_in_pieces(regs: &mut TrapFrame) -> SysResult {
    let (target, updates, count) = (regs.rdi, regs.rsi, regs.rdx);
    let first = super::resumed(regs).min(count);
    let target = target_of(target)?;
    let read = if first == 0 { count } else { (count - first).min(PIECE_UPDATES as u64) };
    let mut bytes = alloc::vec![0u8; read as usize * MapUpdate::SIZE];
    uaccess::copy_from_user(envs::current_root(), updates + first * MapUpdate::SIZE as u64, &mut bytes)?;
    if first == 0 {
        check_pages(&bytes)?;
    }
    let piece = &bytes[..(read as usize).min(PIECE_UPDATES) * MapUpdate::SIZE];
    let (done, failure) = apply_batch(target, piece);
    let done = first + done;
    match failure {
        None if done == count => Ok(done),
        None => Err(super::again(regs, done)),
        Some(e) => {
            (regs.rax, regs.rdx) = encode_partial(done, Some(e));
            Err(NoValue::InFrame)
        }
    }
}

/// `page_set_vital(slot, vital)`.
pub fn sys_page_set_vital(slot: u64, vital: u64) -> SysResult {
    let id = envs::with_current(|env| env.id);
    if !matches!(cap::check(id, slot, abi::Rights::NONE)?, Object::Page(_)) {
        return Err(Error::WrongType.into());
    }
    if !cap::is_root(id, slot)? {
        return Err(Error::NoRights.into());
    }
    Ok(envs::with_current(|env| match vital {
        0 => {
            env.vital.retain(|&s| s != slot);
            Ok(0)
        }
        1 if env.vital.contains(&slot) => Ok(0),
        1 if env.vital.len() < abi::MAX_VITAL => {
            env.vital.push(slot);
            Ok(0)
        }
        1 => Err(Error::QuotaExceeded),
        _ => Err(Error::BadArgument),
    })?)
}

/// `page_wake(word, count, donate)` (in `rdi`, `rsi`, `rdx`): the authority is having the word's
/// page mapped; returns how many sleepers were woken, and with `donate` moves the CPU to the first.
pub fn sys_page_wake(regs: &mut TrapFrame) -> SysResult {
    let (word, count, donate) = (regs.rdi, regs.rsi, regs.rdx);
    if !word.is_multiple_of(8) || count == 0 || donate > 1 {
        return Err(Error::BadArgument.into());
    }
    let (_, pa) = crate::uaccess::read_word(crate::envs::current_root(), word)?;
    let (woken, first) = crate::wait::wake_word(pa, count);
    (regs.rax, regs.rdx) = (0, woken);
    if let (1, Some(first)) = (donate, first) {
        // The woken environment is runnable: the switch cannot fail.
        let _ = crate::sched::yield_to(regs, first);
    }
    Err(NoValue::InFrame)
}
