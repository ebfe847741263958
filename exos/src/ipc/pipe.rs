//! Pipes between environments: a byte ring buffer in a shared region, with all of its state in
//! the region's first page, and a small per-process handle ([`PipeReader`], [`PipeWriter`]) that
//! names the region, the end and who holds it (so the handle can later live in a file-descriptor
//! table and be inherited over `fork`).
//!
//! Page 0 (the header) holds the ring's byte counters, one lock per side, the table of holders
//! and a change counter: each environment that holds ends has an entry with its id and how many
//! read and write ends it holds. The number of readers (writers) is the sum over *live* holders,
//! so an environment that dies without closing counts as closed: the environment table (read
//! without a system call) says who is alive. Every registration and drop of an end bumps the
//! change counter, and a count is taken again until no change overlapped it (an end handed on,
//! then dropped by its giver, is never missed in both places). Pages 1.. are the ring.
//!
//! - `read` blocks while the ring is empty and some writer is alive, returns at least one byte, and
//!   returns 0 (end of file) once every writer has closed or died.
//! - `write` blocks while the ring is full; it fails with [`PipeError::BrokenPipe`] once every
//!   reader has closed or died. Writers take the write lock for the whole call, and a write of at
//!   most [`ATOMIC_WRITE`] bytes waits for room for all of it and then publishes it at once, so it
//!   is never interleaved with other writers' data (nor cut short by its writer's death).
//! - A blocked side gives the CPU straight to a peer that can run (`sys_env_yield`: a writer
//!   when waiting for data, a reader when waiting for room), the fast hand-off; if no peer can
//!   run (it sleeps itself, say reading the terminal), it sleeps (`region::wait_word`) on the
//!   header word it waits to see move: a reader on the head, a writer on the tail, a locker on
//!   the lock. Whoever moves one of those (a write, a read, an unlock, a dropped end, which
//!   wakes both) calls the kernel (`page_wake`) only when the header's sleepers count says
//!   someone sleeps. A sleep lasts at most `region::POLL_NS`, so a peer that died without
//!   closing is noticed. A lock held by a dead environment is taken over.
use crate::ipc::region::{self, Region};
use abi::Error;
use core::sync::atomic::{AtomicU64, Ordering};

/// Writes of at most this many bytes are atomic (POSIX `PIPE_BUF`).
pub const ATOMIC_WRITE: usize = 4096;
/// Ring pages of a pipe made by [`pipe`] (16 KiB).
pub const DEFAULT_RING_PAGES: usize = 4;

const PAGE: usize = 4096;
const MAGIC: u64 = 0x4578_4f53_5049_5045; // "ExOSPIPE"
const MAGIC_AT: usize = 0;
const CAPACITY_AT: usize = 8;
/// Bytes ever written; advanced only by the writer holding the write lock.
const HEAD_AT: usize = 16;
/// Bytes ever read; advanced only by the reader holding the read lock.
const TAIL_AT: usize = 24;
const WRITE_LOCK_AT: usize = 32;
const READ_LOCK_AT: usize = 40;
/// How many holder entries have ever been used (entries beyond are free).
const USED_AT: usize = 48;
/// How many times an end was registered or dropped (see `Shared::count`).
const CHANGES_AT: usize = 56;
const HOLDERS_AT: usize = 64;
/// Holder entries: `id`, `readers`, `writers`, spare (32 bytes each): the most environments one
/// pipe can have holding an end (its control page's room; a library limit, not the kernel's).
const HOLDERS: usize = 64;
const HOLDER_SIZE: usize = 32;
/// How many environments sleep on a word of the header (`region::wait_word`): readers on
/// `HEAD_AT` (waiting for data), writers on `TAIL_AT` (waiting for room), either on a lock word.
/// Whoever moves one of those words calls the kernel to wake them only if some do.
const SLEEPERS_AT: usize = HOLDERS_AT + HOLDERS * HOLDER_SIZE;
const _: () = assert!(SLEEPERS_AT + 8 <= PAGE);
/// An entry being (re)claimed by an environment that registers a holder.
const CLAIMING: u64 = u64::MAX;

/// Why a pipe operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PipeError {
    /// Every reader has closed its end or died (Unix `EPIPE`).
    BrokenPipe,
    /// The pages at the given address hold no pipe.
    NotAPipe,
    /// This environment holds no end of that kind (it was never granted one).
    NotGranted,
    /// The holder table is full.
    TooManyHolders,
    /// A system call failed.
    Kernel(Error),
}

impl From<Error> for PipeError {
    fn from(e: Error) -> PipeError {
        PipeError::Kernel(e)
    }
}

impl core::fmt::Display for PipeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            PipeError::BrokenPipe => f.write_str("broken pipe: no reader"),
            PipeError::NotAPipe => f.write_str("not a pipe"),
            PipeError::NotGranted => f.write_str("this environment holds no such end"),
            PipeError::TooManyHolders => f.write_str("too many environments hold the pipe"),
            PipeError::Kernel(e) => write!(f, "system call failed: {e:?}"),
        }
    }
}

/// Which end of a pipe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Read = 1,
    Write = 2,
}

/// The shared part of a pipe, seen from one environment.
struct Shared {
    region: Region,
    capacity: u64,
    /// This environment's id.
    me: u64,
}

impl Shared {
    fn word(&self, offset: usize) -> &'static AtomicU64 {
        self.region.at::<AtomicU64>(offset)
    }

    fn holder(&self, index: usize, field: usize) -> &'static AtomicU64 {
        self.word(HOLDERS_AT + index * HOLDER_SIZE + field * 8)
    }

    fn used(&self) -> usize {
        (self.word(USED_AT).load(Ordering::Acquire) as usize).min(HOLDERS)
    }

    /// How many ends of kind `end` live environments hold; `strict`: make sure the holders are
    /// alive (see `region::alive`), else trust the environment table's hint (`region::listed`).
    ///
    /// The entries are read one by one while other environments change them, and an end can
    /// move between entries: the shell registers a child's end (a new entry, or a reused one
    /// anywhere in the table) and then drops its own. A pass that read the shell's entry after
    /// the drop and the child's before the registration would count neither and report no
    /// holder at all (a writer would take it for a broken pipe, a reader for end of file). Every
    /// registration and drop bumps the change counter *after* it is made, so a pass that found
    /// none while the counter did not move saw every registration that came before any drop it
    /// saw: "none" is only believed from such a pass. (A pass that finds some may count an end
    /// twice while it moves; callers only act on none.)
    fn count(&self, end: End, strict: bool) -> u64 {
        let before = self.word(CHANGES_AT).load(Ordering::Acquire);
        match self.count_once(end, strict) {
            0 => self.recount(end, strict, before),
            n => n,
        }
    }

    /// [`Self::count`] after a pass that found none, begun when the change counter was `before`.
    #[cold]
    #[inline(never)]
    fn recount(&self, end: End, strict: bool, mut before: u64) -> u64 {
        let changes = self.word(CHANGES_AT);
        let mut tries = 0u32;
        loop {
            let after = changes.load(Ordering::Acquire);
            if after == before {
                return 0;
            }
            before = after;
            tries += 1;
            if tries.is_multiple_of(8) {
                // Someone keeps changing the table: let it finish.
                region::yield_to(0);
            }
            if let n @ 1.. = self.count_once(end, strict) {
                return n;
            }
        }
    }

    /// One pass of [`Self::count`] over the holder entries.
    fn count_once(&self, end: End, strict: bool) -> u64 {
        (0..self.used())
            .filter(|&i| {
                let id = self.holder(i, 0).load(Ordering::Acquire);
                id != CLAIMING && if strict { region::alive(id) } else { region::listed(id) }
            })
            .map(|i| self.holder(i, end as usize).load(Ordering::Acquire))
            .sum()
    }

    /// Records that an end was registered or dropped (after the change is made): a reader
    /// waiting for data may now see end of file, a writer waiting for room a broken pipe.
    fn changed(&self) {
        self.word(CHANGES_AT).fetch_add(1, Ordering::AcqRel);
        self.wake(HEAD_AT);
        self.wake(TAIL_AT);
    }

    /// The header word at `offset` moved: wakes whoever sleeps on it.
    #[inline(always)]
    fn wake(&self, offset: usize) {
        region::wake_word(self.word(offset), self.word(SLEEPERS_AT));
    }

    /// Waits until the header word at `offset` may have moved from `seen`: the CPU goes to `peer`
    /// if it can run, else this environment sleeps on the word (at most `region::POLL_NS`, so a
    /// peer that died is noticed).
    #[inline(always)]
    fn block(&self, offset: usize, seen: u64, peer: u64) {
        region::wait_word(self.word(offset), seen, peer, self.word(SLEEPERS_AT));
    }

    /// The holder entry of environment `id`.
    fn entry_of(&self, id: u64) -> Option<usize> {
        (0..self.used()).find(|&i| self.holder(i, 0).load(Ordering::Acquire) == id)
    }

    /// Registers one more end of kind `end` held by environment `id`.
    fn add(&self, id: u64, end: End) -> Result<(), PipeError> {
        if let Some(i) = self.entry_of(id) {
            self.holder(i, end as usize).fetch_add(1, Ordering::AcqRel);
            self.changed();
            return Ok(());
        }
        for i in 0..HOLDERS {
            let current = self.holder(i, 0).load(Ordering::Acquire);
            let reusable = current == 0 || (current != CLAIMING && !region::alive(current));
            if reusable && self.holder(i, 0).compare_exchange(current, CLAIMING, Ordering::AcqRel, Ordering::Acquire).is_ok() {
                self.holder(i, End::Read as usize).store(u64::from(end == End::Read), Ordering::Relaxed);
                self.holder(i, End::Write as usize).store(u64::from(end == End::Write), Ordering::Relaxed);
                self.word(USED_AT).fetch_max(i as u64 + 1, Ordering::AcqRel);
                self.holder(i, 0).store(id, Ordering::Release);
                self.changed();
                return Ok(());
            }
        }
        Err(PipeError::TooManyHolders)
    }

    /// Drops one end of kind `end` held by this environment.
    fn remove(&self, end: End) {
        if let Some(i) = self.entry_of(self.me) {
            let _ = self.holder(i, end as usize).fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
            self.changed();
        }
    }

    /// Takes the lock at `offset`, taking it over from a dead holder.
    fn lock(&self, offset: usize) {
        let word = self.word(offset);
        loop {
            match word.compare_exchange(0, self.me, Ordering::Acquire, Ordering::Relaxed) {
                Ok(_) => return,
                Err(holder) if holder == self.me || !region::alive(holder) => {
                    if word.compare_exchange(holder, self.me, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                        return;
                    }
                }
                // The holder may sleep inside its call (a reader waiting for data): then sleep
                // until the lock word moves.
                Err(holder) => self.block(offset, holder, holder),
            }
        }
    }

    /// Lets go of the lock at `offset` after a call that moved the header word at `moved` (the
    /// head after a write, the tail after a read): wakes whoever sleeps on either (one load of
    /// the sleepers count when nobody does).
    fn unlock(&self, offset: usize, moved: usize) {
        self.word(offset).store(0, Ordering::Release);
        if self.word(SLEEPERS_AT).load(Ordering::Acquire) != 0 {
            self.wake(offset);
            self.wake(moved);
        }
    }

    /// Waits for an environment holding an end of kind `end`, other than this one, to act on the
    /// header word at `offset` (which showed `seen`): gives it the CPU if it can run, else sleeps
    /// until the word moves.
    fn wait_for(&self, end: End, rotor: &mut usize, offset: usize, seen: u64) {
        let used = self.used();
        for k in 0..used {
            let i = (*rotor + k) % used;
            let id = self.holder(i, 0).load(Ordering::Acquire);
            if id != self.me && id != CLAIMING && self.holder(i, end as usize).load(Ordering::Acquire) > 0 && region::listed(id) {
                *rotor = i + 1;
                self.block(offset, seen, id);
                return;
            }
        }
        self.block(offset, seen, 0);
    }

    /// Copies ring bytes starting at stream position `at` into `out`.
    fn copy_out(&self, at: u64, out: &mut [u8]) {
        let position = (at % self.capacity) as usize;
        let first = out.len().min(self.capacity as usize - position);
        self.region.read_bytes(PAGE + position, &mut out[..first]);
        self.region.read_bytes(PAGE, &mut out[first..]);
    }

    /// Copies `data` into the ring at stream position `at`.
    fn copy_in(&self, at: u64, data: &[u8]) {
        let position = (at % self.capacity) as usize;
        let first = data.len().min(self.capacity as usize - position);
        self.region.write_bytes(PAGE + position, &data[..first]);
        self.region.write_bytes(PAGE, &data[first..]);
    }

    fn buffered(&self) -> u64 {
        self.word(HEAD_AT).load(Ordering::Acquire) - self.word(TAIL_AT).load(Ordering::Acquire)
    }

    fn open(region: Region, me: u64) -> Result<Shared, PipeError> {
        let header = Shared { region, capacity: 0, me };
        if header.word(MAGIC_AT).load(Ordering::Acquire) != MAGIC {
            return Err(PipeError::NotAPipe);
        }
        let capacity = header.word(CAPACITY_AT).load(Ordering::Acquire);
        if capacity == 0 || capacity as usize > header.region.len() - PAGE {
            return Err(PipeError::NotAPipe);
        }
        Ok(Shared { capacity, ..header })
    }
}

/// Creates a pipe with a 16 KiB ring; returns its two ends, both held by this environment.
pub fn pipe() -> Result<(PipeReader, PipeWriter), PipeError> {
    pipe_with(DEFAULT_RING_PAGES)
}

/// Creates a pipe whose ring has `ring_pages` pages (1 to 15).
pub fn pipe_with(ring_pages: usize) -> Result<(PipeReader, PipeWriter), PipeError> {
    let region = Region::create(ring_pages + 1)?;
    let me = region::owner_of(region.base()).ok_or(PipeError::Kernel(Error::NotMapped))?;
    let header = Shared { capacity: (ring_pages * PAGE) as u64, region, me };
    header.word(CAPACITY_AT).store(header.capacity, Ordering::Relaxed);
    header.word(MAGIC_AT).store(MAGIC, Ordering::Release);
    header.add(me, End::Read)?;
    header.add(me, End::Write)?;
    let writer = Shared { region: header.region.duplicate(), ..header };
    Ok((PipeReader { shared: header, rotor: 0, open: true }, PipeWriter { shared: writer, rotor: 0, open: true }))
}

/// Whether no live environment holds an end of the pipe mapped here at `base` (`pages` pages)
/// any more (ends held by environments that died without closing do not count): its pages can
/// be freed. `false` if the pages hold no pipe.
pub(crate) fn unheld(base: u64, pages: usize) -> bool {
    Shared::open(Region::known(base, pages), 0).is_ok_and(|s| s.count(End::Read, true) == 0 && s.count(End::Write, true) == 0)
}

/// Frees the pages of a pipe this environment created, mapped here at `base`: freeing the root
/// capabilities also removes every mapping other environments had of them. Call only when
/// [`unheld`] says so.
pub(crate) fn free(base: u64, pages: usize) {
    for va in (0..pages as u64).map(|i| base + i * PAGE as u64) {
        if let Some(slot) = crate::sys::vm::own_slot(va) {
            let _ = crate::sys::syscall::sys_page_free(slot);
        }
    }
}

/// Views the pipe mapped at `base` from an environment that was granted an end of kind `end`
/// (see [`PipeReader::grant`]). If the grant has not been registered yet (the granting
/// environment started this one first), waits for it, giving the CPU to the parent; fails with
/// [`PipeError::NotGranted`] if the parent ends first.
fn attach(base: u64, end: End) -> Result<Shared, PipeError> {
    let first = Region::attach(base, 1)?;
    let capacity = first.at::<AtomicU64>(CAPACITY_AT).load(Ordering::Acquire) as usize;
    if capacity == 0 || !capacity.is_multiple_of(PAGE) || capacity / PAGE + 1 > region::MAX_PAGES {
        return Err(PipeError::NotAPipe);
    }
    let shared = Shared::open(Region::attach(base, capacity / PAGE + 1)?, region::self_id()?)?;
    loop {
        if shared.entry_of(shared.me).is_some_and(|i| shared.holder(i, end as usize).load(Ordering::Acquire) > 0) {
            return Ok(shared);
        }
        let parent = region::parent_of(shared.me);
        if !region::alive(parent) {
            return Err(PipeError::NotGranted);
        }
        region::yield_to(parent);
    }
}

/// The read end of a pipe, as held by one environment.
pub struct PipeReader {
    shared: Shared,
    rotor: usize,
    open: bool,
}

/// The write end of a pipe, as held by one environment.
pub struct PipeWriter {
    shared: Shared,
    rotor: usize,
    open: bool,
}

macro_rules! common_end_methods {
    ($end:expr) => {
        /// The address the pipe is mapped at (the same in every environment holding it).
        pub fn base(&self) -> u64 {
            self.shared.region.base()
        }

        /// The ring's size in bytes.
        pub fn capacity(&self) -> usize {
            self.shared.capacity as usize
        }

        /// Bytes written and not yet read.
        pub fn buffered(&self) -> usize {
            self.shared.buffered() as usize
        }

        /// How many read ends live environments hold.
        pub fn readers(&self) -> u64 {
            self.shared.count(End::Read, true)
        }

        /// How many write ends live environments hold.
        pub fn writers(&self) -> u64 {
            self.shared.count(End::Write, true)
        }

        /// The pipe's pages as `(address, capability slot)`, for `user::spawn` to map into a child
        /// before it starts (empty unless this environment created the pipe).
        pub fn shared_pages(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
            self.shared.region.shared_pages()
        }

        /// Maps the pipe's pages, at the same address, into the child named by capability
        /// `env_slot` (creator only; `user::spawn` can do it instead).
        pub fn map_into(&self, env_slot: u64) -> Result<(), PipeError> {
            Ok(self.shared.region.map_into(env_slot)?)
        }

        /// Registers environment `env` as holding one more end of this kind, so it can `attach`
        /// it and it counts as a reader (writer) until it closes it or dies. Any holder may grant.
        pub fn grant(&self, env: u64) -> Result<(), PipeError> {
            self.shared.add(env, $end)
        }

        /// [`Self::map_into`] and [`Self::grant`]: hands the end to a child.
        pub fn give(&self, env: u64, env_slot: u64) -> Result<(), PipeError> {
            self.map_into(env_slot)?;
            self.grant(env)
        }

        /// A second handle on this end for this environment (like `dup`).
        pub fn try_clone(&self) -> Result<Self, PipeError> {
            self.shared.add(self.shared.me, $end)?;
            let shared = Shared { region: self.shared.region.duplicate(), ..self.shared };
            Ok(Self { shared, rotor: 0, open: true })
        }

        /// Makes a copy of this handle inherited by a child (`fork` copies the parent's memory)
        /// the child's own: `me` is the child's id. The parent must have registered the child
        /// first with [`Self::grant`].
        pub fn adopt(&mut self, me: u64) {
            self.shared.me = me;
            self.rotor = 0;
        }

        /// A handle on an end this environment already holds (it is registered), rebuilt from
        /// the address and page count a file-descriptor table keeps; `me` is this environment.
        pub(crate) fn from_parts(base: u64, pages: usize, me: u64) -> Result<Self, PipeError> {
            Ok(Self { shared: Shared::open(Region::known(base, pages), me)?, rotor: 0, open: true })
        }

        /// Forgets the handle but leaves the end registered (a file-descriptor table keeps it):
        /// returns the pipe's address and page count for [`Self::from_parts`].
        pub(crate) fn into_parts(mut self) -> (u64, usize) {
            self.open = false;
            (self.shared.region.base(), self.shared.region.pages())
        }

        /// Closes this end (dropping the handle does the same).
        pub fn close(mut self) {
            self.release();
        }

        fn release(&mut self) {
            if core::mem::replace(&mut self.open, false) {
                self.shared.remove($end);
            }
        }
    };
}

impl PipeReader {
    common_end_methods!(End::Read);

    /// The read end of the pipe mapped at `base`, in an environment it was granted to.
    pub fn attach(base: u64) -> Result<PipeReader, PipeError> {
        Ok(PipeReader { shared: attach(base, End::Read)?, rotor: 0, open: true })
    }

    /// Reads at least one byte into `buf` (blocking while the pipe is empty); returns how many,
    /// or 0 at end of file (every writer closed or died) or when `buf` is empty.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize, PipeError> {
        if buf.is_empty() {
            return Ok(0);
        }
        let s = &self.shared;
        s.lock(READ_LOCK_AT);
        // Takes what is there; `Err(head)`: empty, the head word showed `head`.
        let take = |buf: &mut [u8]| {
            let tail = s.word(TAIL_AT).load(Ordering::Relaxed);
            let head = s.word(HEAD_AT).load(Ordering::Acquire);
            let n = ((head - tail) as usize).min(buf.len());
            if n == 0 {
                return Err(head);
            }
            s.copy_out(tail, &mut buf[..n]);
            s.word(TAIL_AT).store(tail + n as u64, Ordering::Release);
            Ok(n)
        };
        let n = loop {
            if let Ok(n) = take(buf) {
                break n;
            }
            // Empty. Count the writers, then look again: data written before the last writer
            // closed (or died) is never taken for end of file.
            let writers = s.count(End::Write, true);
            let head = match take(buf) {
                Ok(n) => break n,
                Err(head) => head,
            };
            if writers == 0 {
                break 0;
            }
            s.wait_for(End::Write, &mut self.rotor, HEAD_AT, head);
        };
        s.unlock(READ_LOCK_AT, TAIL_AT);
        Ok(n)
    }

    /// Reads until `buf` is full; returns how many bytes were read (less only at end of file).
    pub fn read_exact(&mut self, buf: &mut [u8]) -> Result<usize, PipeError> {
        let mut done = 0;
        while done < buf.len() {
            match self.read(&mut buf[done..])? {
                0 => break,
                n => done += n,
            }
        }
        Ok(done)
    }
}

impl PipeWriter {
    common_end_methods!(End::Write);

    /// The write end of the pipe mapped at `base`, in an environment it was granted to.
    pub fn attach(base: u64) -> Result<PipeWriter, PipeError> {
        Ok(PipeWriter { shared: attach(base, End::Write)?, rotor: 0, open: true })
    }

    /// Writes all of `data`, blocking while the ring is full. At most [`ATOMIC_WRITE`] bytes are
    /// written at once, never interleaved with other writers. Fails with
    /// [`PipeError::BrokenPipe`] when no reader is left (if some of `data` went in first, returns
    /// that count instead; the next write fails).
    pub fn write(&mut self, data: &[u8]) -> Result<usize, PipeError> {
        let s = &self.shared;
        s.lock(WRITE_LOCK_AT);
        let mut done = 0;
        let result = loop {
            if done == data.len() {
                break Ok(done);
            }
            let head = s.word(HEAD_AT).load(Ordering::Relaxed);
            let tail = s.word(TAIL_AT).load(Ordering::Acquire);
            let room = (s.capacity - (head - tail)) as usize;
            let need = if data.len() <= ATOMIC_WRITE { data.len() } else { 1 };
            // Make sure of the readers before blocking; otherwise the table's hint will do.
            if s.count(End::Read, room < need) == 0 {
                break if done > 0 { Ok(done) } else { Err(PipeError::BrokenPipe) };
            }
            if room >= need {
                let n = room.min(data.len() - done);
                s.copy_in(head, &data[done..done + n]);
                s.word(HEAD_AT).store(head + n as u64, Ordering::Release);
                done += n;
                continue;
            }
            if done > 0 {
                // Data for a reader that sleeps waiting for it, before this writer waits.
                s.wake(HEAD_AT);
            }
            s.wait_for(End::Read, &mut self.rotor, TAIL_AT, tail);
        };
        s.unlock(WRITE_LOCK_AT, HEAD_AT);
        result
    }

    /// The environment holding the write lock (0: nobody), for diagnostics and tests.
    pub fn lock_holder(&self) -> u64 {
        self.shared.word(WRITE_LOCK_AT).load(Ordering::Acquire)
    }
}

impl Drop for PipeReader {
    fn drop(&mut self) {
        self.release();
    }
}

impl Drop for PipeWriter {
    fn drop(&mut self) {
        self.release();
    }
}
