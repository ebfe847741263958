//! Shared regions: runs of pages that two or more environments map, the substrate of ExOS IPC
//! (`pipe.rs`, `shm.rs`, `lrpc.rs`). This module owns where regions go in the address space, how
//! they are created, handed to another environment and attached there, and the few facts about
//! other environments IPC needs without a system call: whether a peer is alive (the read-only
//! environment table) and how to give the CPU to it, or sleep until it moves a word of a shared
//! page ([`wait_word`], [`wake_word`]: the futex pattern over `env_wait(WAIT_WORD)` and
//! `page_wake`, whose authority is having the page mapped, so siblings need no capability over
//! each other).
//!
//! A region is mapped at the same virtual address in every environment that holds it (so a pipe
//! handle stays valid across `spawn` and, later, `fork`). Its pages belong to the environment that
//! created it: they go when that environment ends (its descendants end with it, so in a process
//! tree a region never disappears under a live holder).
// An IPC region is itself a view of shared pages, with the bounds-checked accessors of
// `sys::shared::Mapped`, kept here because pipes and channels call them on every message (a
// `Mapped` built per call changes how the compiler inlines those loops).
#![allow(unsafe_code)]

use crate::sys::syscall::{sys_cap_grant, sys_env_yield, sys_page_alloc, sys_page_free, sys_page_map, sys_page_map_into};
use crate::sys::shared::Shared;
use crate::sys::{vm, wait};
use abi::{Error, MapUpdate, Rights, ANY_ENV, ANY_PAGE};
use core::sync::atomic::{AtomicU64, Ordering};

/// Where regions are placed: 16 TiB above the heap's base, far from program images and stacks.
pub use crate::layout::REGION_BASE;
/// The most pages a region may have.
pub const MAX_PAGES: usize = 16;
const PAGE: u64 = abi::layout::PAGE_SIZE;
const RW: u64 = Rights::READ.0 | Rights::WRITE.0;

/// The next candidate address for a region (a per-environment hint; collisions are found by
/// reading the page tables).
static NEXT: AtomicU64 = AtomicU64::new(REGION_BASE);

/// A run of pages mapped read-write at `base` in this environment. The creator also holds the
/// capabilities (slots) of the pages, which it needs to hand the region to another environment.
/// A `Region` is this environment's handle; it is deliberately not `Clone`.
#[derive(Debug)]
pub struct Region {
    base: u64,
    pages: usize,
    /// Page capability slots, valid when `owned`.
    slots: [u64; MAX_PAGES],
    owned: bool,
}

impl Region {
    /// Allocates `pages` zeroed pages and maps them read-write at a fresh address.
    pub fn create(pages: usize) -> Result<Region, Error> {
        if pages == 0 || pages > MAX_PAGES {
            return Err(Error::BadArgument);
        }
        let base = reserve(pages);
        let mut region = Region { base, pages, slots: [0; MAX_PAGES], owned: true };
        for i in 0..pages {
            let (_, slot) = sys_page_alloc(ANY_PAGE).inspect_err(|_| region.free_first(i))?;
            region.slots[i] = slot;
            let update = MapUpdate { op: MapUpdate::MAP, va: base + i as u64 * PAGE, slot, rights: RW };
            if let (_, Some(e)) = sys_page_map(&[update]) {
                region.free_first(i + 1);
                return Err(e);
            }
        }
        Ok(region)
    }

    /// The view of a region another environment mapped here at `base` (it must be mapped
    /// read-write already, e.g. by [`Region::map_into`] or `user::spawn`'s shared pages).
    pub fn attach(base: u64, pages: usize) -> Result<Region, Error> {
        if pages == 0 || pages > MAX_PAGES || !base.is_multiple_of(PAGE) {
            return Err(Error::BadArgument);
        }
        for i in 0..pages as u64 {
            match vm::translate(base + i * PAGE) {
                Some(entry) if entry & vm::WRITABLE != 0 => {}
                _ => return Err(Error::NotMapped),
            }
        }
        Ok(Region { base, pages, slots: [0; MAX_PAGES], owned: false })
    }

    /// Maps pages this environment was granted (capability `slots`, e.g. with
    /// [`Region::grant`]) read-write at a fresh address here.
    pub fn map_granted(slots: &[u64]) -> Result<Region, Error> {
        if slots.is_empty() || slots.len() > MAX_PAGES {
            return Err(Error::BadArgument);
        }
        let base = reserve(slots.len());
        for (i, &slot) in slots.iter().enumerate() {
            let update = MapUpdate { op: MapUpdate::MAP, va: base + i as u64 * PAGE, slot, rights: RW };
            if let (_, Some(e)) = sys_page_map(&[update]) {
                let region = Region { base, pages: i, slots: [0; MAX_PAGES], owned: false };
                region.unmap();
                return Err(e);
            }
        }
        Ok(Region { base, pages: slots.len(), slots: [0; MAX_PAGES], owned: false })
    }

    /// The view of a region this environment mapped itself at `base` and remembers by address
    /// only (no check: the caller knows it is mapped read-write).
    pub(crate) fn known(base: u64, pages: usize) -> Region {
        Region { base, pages: pages.min(MAX_PAGES), slots: [0; MAX_PAGES], owned: false }
    }

    /// The creator's handle on a region it made at `base` with page capabilities `slots`, rebuilt
    /// from what it remembered (so it can `release` it).
    pub(crate) fn from_parts(base: u64, slots: &[u64]) -> Region {
        let mut all = [0; MAX_PAGES];
        let pages = slots.len().min(MAX_PAGES);
        all[..pages].copy_from_slice(&slots[..pages]);
        Region { base, pages, slots: all, owned: true }
    }

    /// A second handle on the same region (for IPC objects with two ends in one environment).
    pub(crate) fn duplicate(&self) -> Region {
        Region { base: self.base, pages: self.pages, slots: self.slots, owned: self.owned }
    }

    /// The address of the first page.
    pub fn base(&self) -> u64 {
        self.base
    }

    /// The number of pages.
    pub fn pages(&self) -> usize {
        self.pages
    }

    /// The size in bytes.
    pub fn len(&self) -> usize {
        self.pages * PAGE as usize
    }

    /// Whether the region has no pages (never, for a region made by this module).
    pub fn is_empty(&self) -> bool {
        self.pages == 0
    }

    /// `(virtual address, capability slot)` of each page, the form `user::spawn` takes to map
    /// pages into a child before it starts; empty unless this environment created the region.
    pub fn shared_pages(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        let count = if self.owned { self.pages } else { 0 };
        (0..count).map(|i| (self.base + i as u64 * PAGE, self.slots[i]))
    }

    /// Maps the region read-write at the same address into the environment named by capability
    /// `env_slot` (which needs `WRITE`: a parent's capability over its child). Creator only.
    pub fn map_into(&self, env_slot: u64) -> Result<(), Error> {
        if !self.owned {
            return Err(Error::NoRights);
        }
        for (va, slot) in self.shared_pages() {
            if let (_, Some(e)) = sys_page_map_into(env_slot, &[MapUpdate { op: MapUpdate::MAP, va, slot, rights: RW }]) {
                return Err(e);
            }
        }
        Ok(())
    }

    /// Grants environment `env` read-write capabilities for the pages (creator only); writes their
    /// slots in `env`'s table into `out` (which needs room for [`Region::pages`]). The receiver maps
    /// them with [`Region::map_granted`]; revoking the creator's slots takes them back.
    pub fn grant(&self, env: u64, out: &mut [u64]) -> Result<(), Error> {
        if !self.owned {
            return Err(Error::NoRights);
        }
        if out.len() < self.pages {
            return Err(Error::TooLong);
        }
        for (i, (_, slot)) in self.shared_pages().enumerate() {
            out[i] = sys_cap_grant(slot, env, Rights(RW))?;
        }
        Ok(())
    }

    /// Removes this environment's mapping of the region (and, for the creator, frees the pages:
    /// every other environment loses them too).
    pub fn release(self) {
        self.unmap();
        if self.owned {
            self.free_first(self.pages);
        }
    }

    fn unmap(&self) {
        for i in 0..self.pages as u64 {
            let _ = sys_page_map(&[MapUpdate { op: MapUpdate::UNMAP, va: self.base + i * PAGE, slot: 0, rights: 0 }]);
        }
    }

    fn free_first(&self, count: usize) {
        for &slot in &self.slots[..count] {
            let _ = sys_page_free(slot);
        }
    }

    /// A shared structure at byte `offset` of the region.
    ///
    /// `T` must be made of atomics (or be valid for any bytes and only read), and
    /// `offset + size_of::<T>()` must fit in the region, with `offset` aligned for `T`.
    pub(crate) fn at<T: Shared>(&self, offset: usize) -> &'static T {
        assert!(offset.is_multiple_of(core::mem::align_of::<T>()) && offset + core::mem::size_of::<T>() <= self.len());
        // SAFETY: the region stays mapped read-write until `release` (after its IPC handles are
        // gone); `T: Shared` types are atomics, valid for any bits and shareable across address
        // spaces; the assertion keeps the object inside the region.
        unsafe { &*((self.base as usize + offset) as *const T) }
    }

    /// Copies `bytes` into the region at byte `offset` (which must fit). The caller owns that part
    /// of the region by its IPC protocol (no other party writes or reads it meanwhile).
    pub(crate) fn write_bytes(&self, offset: usize, bytes: &[u8]) {
        assert!(offset.checked_add(bytes.len()).is_some_and(|end| end <= self.len()));
        // SAFETY: the range is inside the mapped region (checked); `bytes` is ordinary memory of
        // this environment, which cannot overlap the shared pages the caller does not hold by
        // reference; the protocol gives the caller exclusive use of the range.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), (self.base as usize + offset) as *mut u8, bytes.len()) }
    }

    /// Copies `out.len()` bytes from the region at byte `offset` (which must fit) into `out`.
    pub(crate) fn read_bytes(&self, offset: usize, out: &mut [u8]) {
        assert!(offset.checked_add(out.len()).is_some_and(|end| end <= self.len()));
        // SAFETY: as in `write_bytes`, reversed: the range is inside the region and the protocol
        // says no other party writes it while it is read.
        unsafe { core::ptr::copy_nonoverlapping((self.base as usize + offset) as *const u8, out.as_mut_ptr(), out.len()) }
    }

    /// A mutable view of bytes `[offset, offset + len)` for code that fills or reads the region in
    /// place (LRPC's argument stack). The caller's protocol must give it exclusive use.
    pub(crate) fn bytes_mut(&mut self, offset: usize, len: usize) -> &mut [u8] {
        assert!(offset.checked_add(len).is_some_and(|end| end <= self.len()));
        // SAFETY: the range is inside the mapped region; the borrow of `self` (a per-process handle;
        // callers of this function never `duplicate` theirs) keeps this environment from taking a
        // second view, and the IPC protocol keeps the other environment away while it is used.
        unsafe { core::slice::from_raw_parts_mut((self.base as usize + offset) as *mut u8, len) }
    }
}

/// Picks a free address range for `pages` pages (plus an unmapped guard page after it).
fn reserve(pages: usize) -> u64 {
    let size = (pages as u64 + 1) * PAGE;
    let mut candidate = NEXT.fetch_add(size, Ordering::Relaxed);
    while (0..pages as u64 + 1).any(|i| vm::translate(candidate + i * PAGE).is_some()) {
        candidate = NEXT.fetch_add(size, Ordering::Relaxed);
    }
    candidate
}

/// Whether the read-only environment table lists environment `id` (no system call). Today's
/// kernel can leave an ended environment listed (see [`alive`]), so a `true` is only a hint.
pub fn listed(id: u64) -> bool {
    id != 0 && u64::from(vm::env_id(abi::env_index(id))) == id
}

/// Whether environment `id` exists.
///
/// The environment table answers without a system call, except in one case. Kernel bug (to be
/// fixed there; then this is just [`listed`]): when an environment that held pages ends, the kernel
/// clears its record and then publishes it again while it credits the freed pages, so the record
/// of an ended environment can stay, with 0 pages, until its table index is reused. A listed
/// environment holding pages is therefore alive; one holding none is checked with a system call
/// that names it and fails with `NoSuchEnv` only if it is gone (a grant from an invalid slot,
/// which the kernel refuses after looking the environment up, without any effect).
pub fn alive(id: u64) -> bool {
    // Two single-word loads, no sequence protocol needed: ids are never reused, so a matching id
    // word means the record is this environment's; a page count from another moment of the same
    // environment was true then, and a torn pair can only err towards the system call below (a
    // record being cleared shows 0 pages or a 0 id). Pipes and channels ask this on every wait.
    let index = abi::env_index(id);
    if id == 0 || u64::from(vm::env_id(index)) != id {
        return false;
    }
    if vm::env_word(index, 3) > 0 {
        return true;
    }
    sys_cap_grant(u64::MAX, id, Rights::NONE) != Err(Error::NoSuchEnv)
}

/// Takes a lock word in a page several processes share: it holds the holder's id (0 = free). A
/// holder re-entering (a signal handler of the holding process) goes on; a holder that has ended
/// is taken over; otherwise the CPU goes to the holder until it lets go. Release with
/// [`unlock_shared`].
pub fn lock_shared(word: &AtomicU64) {
    let me = crate::proc::process::id().max(1);
    loop {
        match word.compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed) {
            Ok(_) => return,
            Err(holder) if holder == me => return,
            Err(holder) if !alive(holder) => {
                let _ = word.compare_exchange(holder, 0, Ordering::Relaxed, Ordering::Relaxed);
            }
            Err(holder) => yield_to(holder),
        }
    }
}

/// Lets go of a lock word taken with [`lock_shared`].
pub fn unlock_shared(word: &AtomicU64) {
    word.store(0, Ordering::Release);
}

/// How long a sleep in [`wait_word`] lasts at most: a peer that dies without touching the word
/// wakes nobody, so waiters look again (at its liveness) this often.
pub const POLL_NS: u64 = 50_000_000;

/// Waits, for a condition the caller just found false, until `word` may have moved from `seen`
/// (the value it showed when the caller found the condition false): gives the CPU straight to
/// `peer` if it can run (the fast hand-off between two processes on one CPU: one `env_yield`,
/// which the kernel refuses if the peer cannot run; no sleep, no wake-up call), else sleeps on
/// `word` (`env_wait(WAIT_WORD)`, counted in `sleepers` so that wakers know to call the kernel)
/// for at most [`POLL_NS`]. Returns at once if `word` moved already. The caller looks at its
/// condition (and its peer's liveness) again.
#[inline(always)]
pub fn wait_word(word: &AtomicU64, seen: u64, peer: u64, sleepers: &AtomicU64) {
    if peer == 0 || sys_env_yield(peer).is_err() {
        sleep_on_word(word, seen, sleepers);
    }
}

/// [`wait_word`]'s sleep.
#[cold]
#[inline(never)]
fn sleep_on_word(word: &AtomicU64, seen: u64, sleepers: &AtomicU64) {
    sleepers.fetch_add(1, Ordering::AcqRel);
    let deadline = wait::now_ns().saturating_add(POLL_NS);
    wait::sleep_on(word, seen, 0, Some(deadline));
    sleepers.fetch_sub(1, Ordering::AcqRel);
}

/// After a change to `word` (a store the caller made): wakes whoever sleeps on it in
/// [`wait_word`], if anyone does (one load when nobody sleeps).
#[inline(always)]
pub fn wake_word(word: &AtomicU64, sleepers: &AtomicU64) {
    if sleepers.load(Ordering::Acquire) != 0 {
        wake_sleepers(word);
    }
}

#[cold]
#[inline(never)]
fn wake_sleepers(word: &AtomicU64) {
    wait::wake(word, false);
}

/// Whether environment `id` is listed as runnable in the environment table (a hint).
pub fn runnable(id: u64) -> bool {
    let index = abi::env_index(id);
    id != 0 && vm::env_word(index, 2) == abi::ENV_RUNNABLE && u64::from(vm::env_id(index)) == id
}

/// Gives the CPU to `peer` if it can run, else to anyone (0 or an unknown id: anyone). Blocking
/// IPC calls this while they wait.
pub fn yield_to(peer: u64) {
    if peer == 0 || sys_env_yield(peer).is_err() {
        let _ = sys_env_yield(ANY_ENV);
    }
}

/// This environment's id, found by allocating a page and reading its owner in the page-ownership
/// table (three system calls: there is no call that says it; callers keep the answer).
pub fn self_id() -> Result<u64, Error> {
    let (address, slot) = sys_page_alloc(ANY_PAGE)?;
    let owner = vm::owner(address >> 12);
    sys_page_free(slot)?;
    owner.map(u64::from).ok_or(Error::BadArgument)
}

/// The id of environment `id`'s parent (0: none, or `id` is gone).
pub fn parent_of(id: u64) -> u64 {
    let info = vm::env_info(abi::env_index(id));
    if u64::from(info.id) == id { u64::from(info.parent) } else { 0 }
}

/// Who created the page mapped at `va` (the owner of its frame), if mapped.
pub fn owner_of(va: u64) -> Option<u64> {
    vm::physical(va).and_then(|pa| vm::owner(pa >> 12)).map(u64::from)
}
