//! Memory pressure: ExOS's answer to the kernel's revocation requests, and what a demand-zero
//! fault does when it finds no page.
//!
//! When `page_alloc` fails for lack of pages, the kernel asks the environment holding the most
//! pages for 16 of them back (`REVOKE_VECTOR` upcall, deadline 5 ticks; ABI "Revocation and the
//! abort protocol"). [`give_back`] chooses pages whose loss costs nothing, in this order:
//!
//! 1. retired copy-on-write pages no other process maps any more ([`crate::mem::cow::sweep`]);
//! 2. clean demand-zero pages of anonymous `mmap` regions: present, never written (the hardware
//!    dirty bit is clear and no entry rewrite hid a write), held by this process alone (the
//!    capability-count table says 1, no copy-on-write or shared tag). Their contents are zero, so
//!    the page is freed and marked absent in the region list: the next touch demand-zeroes it again.
//!
//! It never frees a page that may hold data, nor pages of shared or attached regions. The heap is
//! not shrunk. What it cannot give back the kernel repossesses at the deadline.
//!
//! A demand-zero fault that gets `NoMemory` ([`on_no_memory`]) never waits while it could help:
//! the upcall cannot reach a process inside its own exception handler, so it first answers a
//! request pending against this process inline (the kernel shows it in the revocation page,
//! `vm::revocation`), then frees one of its own clean pages to make room, and only if it has none
//! yields and faults again, for up to [`PATIENCE_TICKS`].
//!
//! The handler runs on the exception stack, in whatever state the interrupted code left the
//! library: it allocates nothing, writes only pages it finds writable (never resolving a
//! copy-on-write copy, which would need a page) and only *tries* the region-list lock (when the
//! interrupted code holds it, step 2 is skipped and counted in [`Stats::busy`]).
//!
//! [`install`] makes [`give_back`] the revocation handler; a program may set its own with
//! `exception::set_revoke_handler` (and call [`give_back`] from it).
use crate::mem::cow::{COW, SHARED};
use crate::rt::private::EXOS_PRIVATE;
use crate::mem::regions::{self, Kind, PAGE};
use crate::sys::syscall::{sys_env_yield, sys_page_free};
use crate::sys::vm;
use abi::pte::ADDRESS_MASK;
use abi::{Error, Rights};
use core::sync::atomic::{AtomicU64, Ordering};

/// How long (timer ticks) a demand-zero fault waits for pages before it gives up (the program
/// then ends with an unhandled page fault).
pub const PATIENCE_TICKS: u64 = 500;

/// This process's reclaim counters ([`stats`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Revocation requests answered (through the upcall or inline).
    pub requests: u64,
    /// Of those, requests answered inline by a page fault that found no page.
    pub inline: u64,
    /// Pages the kernel asked for, summed over requests.
    pub asked: u64,
    /// Retired copy-on-write pages freed.
    pub cow: u64,
    /// Clean demand-zero pages freed for requests.
    pub clean: u64,
    /// Own clean pages freed by a page fault that found no page, to take their place.
    pub evicted: u64,
    /// Requests where the region list was in use by the interrupted code (no clean page freed).
    pub busy: u64,
    /// Times a demand-zero fault found no page and nothing to free, and waited (yielded).
    pub waits: u64,
    /// The most timer ticks from a request to its answer (the deadline is
    /// `abi::REVOKE_DEADLINE_TICKS` after the request).
    pub slowest: u64,
}

// The counters live on the process-private page (`private.rs`): the handler writes them, and a
// page `fork` left copy-on-write would fault there. A forked child starts from zero.
static R: &[AtomicU64; 16] = &EXOS_PRIVATE.reclaim;
const REQUESTS: usize = 0;
const ASKED: usize = 1;
const COW_FREED: usize = 2;
const CLEAN_FREED: usize = 3;
const BUSY: usize = 4;
const WAITS: usize = 5;
const EVICTED: usize = 8;
const SLOWEST: usize = 9;

/// Makes [`give_back`] this program's revocation handler. Requests arrive through the exception
/// handler, so one must be registered (`mmap` registers one with the first region).
pub fn install() {
    crate::rt::exception::set_revoke_handler(give_back);
}

/// [`install`], unless the program already set a revocation handler (called by `mmap` with the
/// first region, so every program with demand-zero regions answers revocations).
pub fn install_default() {
    if !crate::rt::exception::has_revoke_handler() {
        install();
    }
}

/// The counters so far (per process; a forked child starts from zero).
pub fn stats() -> Stats {
    let get = |i: usize| R[i].load(Ordering::Relaxed);
    Stats {
        requests: get(REQUESTS),
        inline: EXOS_PRIVATE.answered_inline.load(Ordering::Relaxed),
        asked: get(ASKED),
        cow: get(COW_FREED),
        clean: get(CLEAN_FREED),
        evicted: get(EVICTED),
        busy: get(BUSY),
        waits: get(WAITS),
        slowest: get(SLOWEST),
    }
}

/// The default revocation handler: frees up to `pages` pages that hold nothing worth keeping
/// (see the module documentation). Retired copy-on-write pages are all freed once unshared (they
/// are garbage), even beyond `pages`.
pub fn give_back(pages: u64, deadline: u64) {
    let _ = reclaim(pages);
    R[REQUESTS].fetch_add(1, Ordering::Relaxed);
    R[ASKED].fetch_add(pages, Ordering::Relaxed);
    let asked_at = deadline.saturating_sub(abi::REVOKE_DEADLINE_TICKS);
    R[SLOWEST].fetch_max(vm::sysinfo().ticks.saturating_sub(asked_at), Ordering::Relaxed);
}

/// Frees up to `pages` pages that hold nothing worth keeping, as [`give_back`] does but without
/// counting a request; returns the number freed.
pub fn reclaim(pages: u64) -> u64 {
    let swept = crate::mem::cow::sweep();
    R[COW_FREED].fetch_add(swept, Ordering::Relaxed);
    if swept >= pages {
        return swept;
    }
    let clean = free_clean(pages - swept).unwrap_or_else(|_| {
        R[BUSY].fetch_add(1, Ordering::Relaxed);
        0
    });
    R[CLEAN_FREED].fetch_add(clean, Ordering::Relaxed);
    swept + clean
}

/// Pages this process still owes the kernel for the revocation request pending against it (0
/// when there is none).
pub fn outstanding() -> u64 {
    vm::revocation().map_or(0, |(pages, _)| pages)
}

/// Answers the request pending against this process now, with its revocation handler (the
/// exception path's own answer, `rt::exception::answer_pending`). Returns the pages freed.
pub use crate::rt::exception::answer_pending;

/// Called by a demand-zero fault that got `NoMemory`, with the region list unlocked. Returns
/// `true` to fault again (a page may be there now), `false` to give up. In order: answers a
/// request pending against this process ([`answer_pending`]: the upcall cannot reach it here);
/// frees one of its own clean pages to take its place; else yields so others can give pages
/// back, until [`PATIENCE_TICKS`] have passed since the wait began.
pub fn on_no_memory() -> bool {
    if answer_pending() > 0 {
        return true;
    }
    if free_clean(1) == Ok(1) {
        R[EVICTED].fetch_add(1, Ordering::Relaxed);
        return true;
    }
    wait_for_memory()
}

/// Frees up to `want` clean demand-zero pages; `Busy` if the region list is in use.
fn free_clean(want: u64) -> Result<u64, Error> {
    let state = regions::state_bytes();
    if !(state.start & !(PAGE - 1)..state.end).step_by(PAGE as usize).all(writable) {
        return Err(Error::Busy);
    }
    regions::with_state(|s| {
        let mut freed = 0;
        for region in s.regions.iter_mut().filter(|r| r.kind == Kind::Anonymous) {
            let start = region.start;
            let (first, bytes) = (region.pages.as_ptr() as u64, (region.pages.len() * size_of::<regions::Page>()) as u64);
            if !(first & !(PAGE - 1)..first + bytes).step_by(PAGE as usize).all(writable) {
                continue; // its bookkeeping is still copy-on-write: writing it here would fault
            }
            for (i, page) in region.pages.iter_mut().enumerate() {
                if freed == want {
                    return Ok(freed);
                }
                let va = start + i as u64 * PAGE;
                if page.backed() && !page.written && page.prot != Rights::NONE.0 as u8 && is_clean(va, page.slot)
                    && sys_page_free(u64::from(page.slot)).is_ok()
                {
                    page.slot = regions::NO_SLOT;
                    freed += 1;
                }
            }
        }
        Ok(freed)
    })
}

/// Whether the page holding `addr` is writable now. A copy-on-write page nobody else maps is made
/// writable in place; one that would need a copy is not (copying takes a page: the wrong way).
fn writable(addr: u64) -> bool {
    let Some(entry) = vm::translate(addr) else { return false };
    let frame = (entry & ADDRESS_MASK) >> 12;
    let mine = vm::owner(frame) == Some(EXOS_PRIVATE.self_id.load(Ordering::Relaxed) as u32) && vm::refs(frame) == 1;
    entry & vm::WRITABLE != 0 || (entry & COW != 0 && mine && crate::mem::cow::resolve(addr & !(PAGE - 1)))
}

/// Whether the page at `va` is mapped through `slot`, unwritten since it was mapped, and named by
/// no capability but this one (so freeing it loses nothing and takes it from no one).
fn is_clean(va: u64, slot: u16) -> bool {
    let Some(entry) = vm::translate(va) else { return false };
    let frame = (entry & ADDRESS_MASK) >> 12;
    entry & vm::DIRTY == 0
        && entry & (COW | SHARED) == 0
        && abi::pte::own_slot(entry) == Some(u64::from(slot))
        && vm::refs(frame) == 1
}

/// Called by a demand-zero fault that got `NoMemory`: yields so the environment asked to give
/// pages back can run, and returns `true` (fault again) until [`PATIENCE_TICKS`] have passed
/// since the wait began, then `false`.
fn wait_for_memory() -> bool {
    let now = vm::sysinfo().ticks;
    let since = EXOS_PRIVATE.waiting_since.load(Ordering::Relaxed);
    if since == 0 {
        EXOS_PRIVATE.waiting_since.store(now + 1, Ordering::Relaxed);
    } else if now + 1 - since > PATIENCE_TICKS {
        EXOS_PRIVATE.waiting_since.store(0, Ordering::Relaxed);
        return false;
    }
    R[WAITS].fetch_add(1, Ordering::Relaxed);
    let _ = sys_env_yield(abi::ANY_ENV);
    true
}

/// Called when a demand-zero fault got its page: the wait, if any, is over.
pub use crate::rt::private::got_memory;
