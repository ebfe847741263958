//! User-level threads: many threads of control inside one environment, scheduled by the library
//! with no kernel involvement.
//!
//! A thread gets its own stack (`stack.rs`: pages the library maps, with a guard gap) and a
//! complete saved context when it is not running (`context.rs`). Threads switch voluntarily
//! ([`yield_now`], blocking in [`wait_if`], a `sync::Mutex` or `Condvar`, [`JoinHandle::join`],
//! ending) and involuntarily: when the kernel gives the CPU back after a timer preemption, the
//! slice-end upcall (`exception::set_slice_switch_handler`) saves the interrupted registers and
//! FPU/SSE state into the running thread's record and puts another thread's into the upcall frame,
//! which the exception entry then resumes. Which thread runs next is the business of a
//! replaceable [`Policy`] (`policy.rs`; default round robin, replaced with [`set_policy`]).
//!
//! One lock, `context::SCHED_LOCK`, guards the scheduler's data. The environment's threads share
//! one CPU, so the lock is never contended by another thread: only the slice-end upcall can
//! interrupt its holder, and the upcall then leaves the thread running and notes the preemption as
//! pending (acted on when the lock is released). It does the same while the interrupted thread is
//! inside the heap allocator, whose spin lock other threads would otherwise spin on.
//!
//! The kernel only preempts an environment when another one is runnable; a program alone on the
//! CPU can start a [`crate::thread::pacer::Pacer`] so that every timer tick preempts it.
#![allow(unsafe_code)]

use crate::thread::context::{self, Context, SCHED_LOCK};
use crate::rt::exception::{self, FpuState};
use crate::thread::stack::Stack;
use abi::{Error, ExceptionFrame};
use alloc::boxed::Box;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use core::any::Any;
use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

pub use crate::thread::policy::{Policy, RoundRobin, ThreadId};

/// The stack a thread gets unless its [`Builder`] says otherwise.
pub const DEFAULT_STACK_SIZE: usize = 64 * 1024;
/// How many stacks of ended threads are kept for reuse.
const SPARE_STACKS: usize = 8;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Run {
    Ready,
    Running,
    Blocked,
    Finished,
}

type Entry = Box<dyn FnOnce() -> Box<dyn Any + Send> + Send>;

struct Thread {
    context: Context,
    run: Run,
    param: u64,
    /// `None` for thread 0, which runs on the program's own stack.
    stack: Option<Stack>,
    entry: Option<Entry>,
    result: Option<Box<dyn Any + Send>>,
    /// Nobody will join it: its record goes as soon as it has ended.
    detached: bool,
}

struct State {
    threads: BTreeMap<ThreadId, Box<Thread>>,
    current: ThreadId,
    next_id: ThreadId,
    policy: Box<dyn Policy>,
    /// Threads waiting, by key, in the order they began to wait.
    waits: BTreeMap<usize, VecDeque<ThreadId>>,
    spare: Vec<Stack>,
}

struct Global(UnsafeCell<Option<State>>);
// SAFETY: the state is only reached through `Guard::state`, with SCHED_LOCK held.
unsafe impl Sync for Global {}
static STATE: Global = Global(UnsafeCell::new(None));

static PREEMPTIVE: AtomicBool = AtomicBool::new(true);
static INSTALLED: AtomicBool = AtomicBool::new(false);
/// A preemption arrived while it could not be acted on.
static PENDING: AtomicBool = AtomicBool::new(false);
static SWITCHES: AtomicU64 = AtomicU64::new(0);
static PREEMPTIONS: AtomicU64 = AtomicU64::new(0);
static DEFERRED: AtomicU64 = AtomicU64::new(0);
static BLOCKS: AtomicU64 = AtomicU64::new(0);
static UPCALLS: AtomicU64 = AtomicU64::new(0);

/// Holding the scheduler lock.
struct Guard(());

fn lock() -> Guard {
    let held = SCHED_LOCK.swap(true, Ordering::Acquire);
    assert!(!held, "exos::thread: scheduler re-entered (from a policy or an exception handler?)");
    Guard(())
}

impl Guard {
    fn state(&mut self) -> &mut State {
        // SAFETY: this guard holds SCHED_LOCK, so no other code reaches the state until it is
        // released (the slice-end handler backs off while it is set, and this environment's threads
        // share one CPU); `&mut self` makes this the only reference made through the guard.
        let slot = unsafe { &mut *STATE.0.get() };
        slot.get_or_insert_with(State::new)
    }

    /// Releases the lock without acting on a pending preemption (the slice-end handler's way).
    fn release_quietly(self) {
        core::mem::forget(self);
        SCHED_LOCK.store(false, Ordering::Release);
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        SCHED_LOCK.store(false, Ordering::Release);
        if PENDING.swap(false, Ordering::Relaxed) && PREEMPTIVE.load(Ordering::Relaxed) {
            yield_now();
        }
    }
}

impl State {
    fn new() -> State {
        let mut policy: Box<dyn Policy> = Box::new(RoundRobin::new());
        policy.admit(0, 0);
        let main = Thread { context: Context::running(), run: Run::Running, param: 0, stack: None, entry: None, result: None, detached: true };
        let mut threads = BTreeMap::new();
        threads.insert(0, Box::new(main));
        State { threads, current: 0, next_id: 1, policy, waits: BTreeMap::new(), spare: Vec::new() }
    }

    fn thread(&mut self, id: ThreadId) -> &mut Thread {
        self.threads.get_mut(&id).expect("exos::thread: no such thread")
    }

    fn ready(&mut self, id: ThreadId) {
        self.thread(id).run = Run::Ready;
        self.policy.ready(id);
    }

    /// The policy's choice, checked and marked running.
    fn pick(&mut self) -> Option<ThreadId> {
        let next = self.policy.pick()?;
        match self.threads.get_mut(&next) {
            Some(t) if t.run == Run::Ready => t.run = Run::Running,
            _ => panic!("exos::thread: the policy picked thread {next}, which is not ready"),
        }
        Some(next)
    }

    /// Makes up to `n` threads waiting on `key` ready, first come first served.
    fn wake(&mut self, key: usize, n: usize) -> usize {
        let Some(queue) = self.waits.get_mut(&key) else { return 0 };
        let mut woken = 0;
        while woken < n && let Some(id) = queue.pop_front() {
            if let Some(t) = self.threads.get_mut(&id) {
                t.run = Run::Ready;
                self.policy.ready(id);
            }
            woken += 1;
        }
        if queue.is_empty() {
            self.waits.remove(&key);
        }
        woken
    }

    /// Takes an ended thread's record out of the table; its stack is kept for reuse if there is
    /// room. The caller drops the record (its result, maybe its stack) after releasing the lock.
    fn remove(&mut self, id: ThreadId) -> Option<Box<Thread>> {
        let mut record = self.threads.remove(&id)?;
        if self.spare.len() < SPARE_STACKS && let Some(stack) = record.stack.take() {
            self.spare.push(stack);
        }
        Some(record)
    }

    /// Removes every ended detached thread except the running one.
    fn reap(&mut self) -> Vec<Thread> {
        let dead: Vec<ThreadId> = self.threads.iter()
            .filter(|(id, t)| t.run == Run::Finished && t.detached && **id != self.current)
            .map(|(id, _)| *id)
            .collect();
        dead.into_iter().filter_map(|id| self.remove(id)).map(|record| *record).collect()
    }
}

/// Moves the CPU from the current thread to the one the policy picks. With `requeue` the current
/// thread stays ready (a yield); otherwise the caller has marked it blocked or ended.
fn reschedule(mut guard: Guard, requeue: bool) {
    let s = guard.state();
    let me = s.current;
    if requeue {
        s.ready(me);
    }
    let Some(next) = s.pick() else {
        assert!(!requeue, "exos::thread: the policy picked nothing although a thread is ready");
        nothing_to_run(guard)
    };
    if next == me {
        return;
    }
    let save = &raw mut s.thread(me).context;
    let load = &raw const s.thread(next).context;
    s.current = next;
    SWITCHES.fetch_add(1, Ordering::Relaxed);
    core::mem::forget(guard);
    // SAFETY: SCHED_LOCK is held (the guard is forgotten; `switch` releases it). Both contexts are
    // in boxed records that stay in the table at least until the lock is next taken; they are
    // distinct (next != me), and `next` was ready, so its context is complete.
    unsafe { context::switch(save, load) };
}

/// No thread is ready and the current one cannot go on.
fn nothing_to_run(mut guard: Guard) -> ! {
    if guard.state().threads.values().any(|t| t.run == Run::Blocked) {
        panic!("exos::thread: deadlock: every thread is blocked");
    }
    crate::sys::syscall::sys_env_exit(0) // every thread has ended
}

/// Installs the slice-end handler that preempts threads (and, if the program has none, an
/// exception handler, which the upcall needs: it ends the program on any exception, as the
/// kernel would).
fn install() {
    if !INSTALLED.swap(true, Ordering::Relaxed) {
        if !exception::has_handler() {
            let _ = exception::set_handler(|_| false);
        }
        // Signals (a spawned child's parent may send some) are checked at each slice end too.
        crate::proc::process::check_at_slice_ends();
        let _ = exception::set_slice_switch_handler(on_slice_end);
    }
}

/// The slice-end upcall: the timer took the CPU and gives it back now. Puts the interrupted
/// thread back among the ready ones and resumes whichever the policy picks, FPU state included.
fn on_slice_end(frame: &mut ExceptionFrame, fpu: &mut FpuState) {
    UPCALLS.fetch_add(1, Ordering::Relaxed);
    if !PREEMPTIVE.load(Ordering::Relaxed) {
        return;
    }
    if crate::rt::heap::busy() || SCHED_LOCK.swap(true, Ordering::Acquire) {
        PENDING.store(true, Ordering::Relaxed);
        DEFERRED.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let mut guard = Guard(());
    let s = guard.state();
    let me = s.current;
    s.ready(me);
    let next = s.pick().expect("exos::thread: the policy picked nothing although a thread is ready");
    if next != me {
        let from = &mut s.thread(me).context;
        from.regs = *frame;
        from.fpu.0 = fpu.0;
        let to = &s.thread(next).context;
        *frame = to.regs;
        fpu.0 = to.fpu.0;
        s.current = next;
        SWITCHES.fetch_add(1, Ordering::Relaxed);
        PREEMPTIONS.fetch_add(1, Ordering::Relaxed);
    }
    guard.release_quietly();
}

/// Where every spawned thread starts.
extern "C" fn thread_start() -> ! {
    let entry = {
        let mut guard = lock();
        let s = guard.state();
        let me = s.current;
        s.thread(me).entry.take()
    };
    finish(entry.map(|f| f()))
}

/// Ends the current thread with `result` and wakes its joiners.
fn finish(result: Option<Box<dyn Any + Send>>) -> ! {
    let mut guard = lock();
    let s = guard.state();
    let me = s.current;
    let t = s.thread(me);
    t.result = result;
    t.run = Run::Finished;
    s.policy.retire(me);
    s.wake(join_key(me), usize::MAX);
    reschedule(guard, false);
    unreachable!("exos::thread: an ended thread was resumed")
}

/// The wait-queue key of a thread's joiners: above every user address, so no object's address.
fn join_key(id: ThreadId) -> usize {
    (1 << 63) | id as usize
}

/// How a thread is made: stack size and scheduling parameter.
pub struct Builder {
    stack_size: usize,
    param: u64,
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}

impl Builder {
    pub const fn new() -> Builder {
        Builder { stack_size: DEFAULT_STACK_SIZE, param: 0 }
    }

    /// The thread's stack size in bytes (rounded up to pages; at most 16 MiB - 4 KiB).
    pub const fn stack_size(self, bytes: usize) -> Builder {
        Builder { stack_size: bytes, ..self }
    }

    /// The value the policy gets in [`Policy::admit`] for this thread (a priority, tickets...).
    pub const fn param(self, param: u64) -> Builder {
        Builder { param, ..self }
    }

    /// Starts a thread running `f`; it is ready at once (the policy decides when it runs).
    /// Fails when no stack can be mapped (`NoMemory`, `QuotaExceeded`, ...).
    pub fn spawn<F, T>(self, f: F) -> Result<JoinHandle<T>, Error>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        install();
        let size = self.stack_size.next_multiple_of(4096);
        let (spare, dead) = {
            let mut guard = lock();
            let s = guard.state();
            let dead = s.reap();
            let spare = s.spare.iter().position(|st| st.size() == size).map(|i| s.spare.swap_remove(i));
            (spare, dead)
        };
        drop(dead);
        let stack = match spare {
            Some(stack) => stack,
            None => Stack::new(size)?,
        };
        let entry: Entry = Box::new(move || Box::new(f()) as Box<dyn Any + Send>);
        let context = Context::new(thread_start, stack.top());
        let thread = Box::new(Thread { context, run: Run::Ready, param: self.param, stack: Some(stack), entry: Some(entry), result: None, detached: false });
        let mut guard = lock();
        let s = guard.state();
        let id = s.next_id;
        s.next_id += 1;
        s.threads.insert(id, thread);
        s.policy.admit(id, self.param);
        s.policy.ready(id);
        drop(guard);
        Ok(JoinHandle { id, result: PhantomData })
    }
}

/// Starts a thread running `f` with the default stack; panics if no stack can be mapped.
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Builder::new().spawn(f).expect("exos::thread::spawn: no stack")
}

/// Owns the right to join a thread. Dropping it detaches the thread (its record goes when it ends).
pub struct JoinHandle<T> {
    id: ThreadId,
    result: PhantomData<fn() -> T>,
}

impl<T: 'static> JoinHandle<T> {
    /// The thread's id.
    pub fn id(&self) -> ThreadId {
        self.id
    }

    /// Whether the thread has ended.
    pub fn is_finished(&self) -> bool {
        lock().state().threads.get(&self.id).is_none_or(|t| t.run == Run::Finished)
    }

    /// Waits (blocked, not spinning) until the thread ends and returns what it returned, or what
    /// it passed to [`exit`]; `None` if that was of another type than `T`.
    pub fn join(self) -> Option<T> {
        let id = self.id;
        core::mem::forget(self);
        assert!(id != current(), "exos::thread: a thread cannot join itself");
        wait_if(join_key(id), |locked| locked.state.threads.get(&id).is_some_and(|t| t.run != Run::Finished));
        let record = lock().state().remove(id);
        let result = record?.result.take()?;
        result.downcast::<T>().ok().map(|value| *value)
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let mut guard = lock();
        let s = guard.state();
        let ended = match s.threads.get_mut(&self.id) {
            Some(t) if t.run == Run::Finished => true,
            Some(t) => {
                t.detached = true;
                false
            }
            None => false,
        };
        let record = if ended { s.remove(self.id) } else { None };
        drop(guard);
        drop(record);
    }
}

/// Ends the calling thread; its joiner gets `value`. Nothing on its stack is dropped. When the
/// last thread ends this way the program exits with status 0 (returning from `main` ends the
/// whole program at once, as `env_exit` does).
pub fn exit<T: Send + 'static>(value: T) -> ! {
    finish(Some(Box::new(value)))
}

/// Gives the CPU to the next ready thread the policy picks (maybe the caller again).
pub fn yield_now() {
    reschedule(lock(), true);
}

/// The calling thread's id (0 for the thread running `main`).
pub fn current() -> ThreadId {
    lock().state().current
}

/// The scheduler, locked: what a [`wait_if`] decision may do before the caller sleeps.
pub struct Locked<'a> {
    state: &'a mut State,
}

impl Locked<'_> {
    /// Wakes up to `n` threads waiting on `key` (see [`wake`]).
    pub fn wake(&mut self, key: usize, n: usize) -> usize {
        self.state.wake(key, n)
    }
}

/// The blocking primitive under `sync` (like a futex): with the scheduler locked, runs `decide`;
/// if it returns true, the calling thread waits on `key` until a [`wake`] on the same key, and
/// the call returns true; otherwise it returns false at once. Nothing else runs between the
/// decision and the wait, so no wake-up is lost. A key is the address of a byte the waiting
/// object owns. `decide` must not call functions of this module.
pub fn wait_if(key: usize, decide: impl FnOnce(&mut Locked) -> bool) -> bool {
    let mut guard = lock();
    let s = guard.state();
    if !decide(&mut Locked { state: &mut *s }) {
        return false;
    }
    let me = s.current;
    s.thread(me).run = Run::Blocked;
    s.waits.entry(key).or_default().push_back(me);
    BLOCKS.fetch_add(1, Ordering::Relaxed);
    reschedule(guard, false);
    true
}

/// Makes up to `n` threads waiting on `key` ready (first come first served), then runs
/// `then(woken)` before any other thread runs. Returns how many woke. `then` must not call
/// functions of this module.
pub fn wake(key: usize, n: usize, then: impl FnOnce(usize)) -> usize {
    let mut guard = lock();
    let woken = guard.state().wake(key, n);
    then(woken);
    woken
}

/// Replaces the scheduling policy. Only while no other thread is ready or blocked (typically
/// before the first spawn): the calling thread is admitted to `policy` with its parameter, and the
/// old policy is dropped. `Busy` otherwise.
pub fn set_policy(policy: Box<dyn Policy>) -> Result<(), Error> {
    install();
    let mut guard = lock();
    let s = guard.state();
    let me = s.current;
    if s.threads.iter().any(|(&id, t)| id != me && matches!(t.run, Run::Ready | Run::Blocked)) {
        return Err(Error::Busy);
    }
    let mut policy = policy;
    policy.admit(me, s.thread(me).param);
    let old = core::mem::replace(&mut s.policy, policy);
    drop(guard);
    drop(old);
    Ok(())
}

/// Turns preemption on (the default) or off: without it, threads switch only when they yield,
/// block or end.
pub fn set_preemptive(on: bool) {
    PREEMPTIVE.store(on, Ordering::Relaxed);
}

/// What the scheduler has done since the program started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Thread switches of every kind.
    pub switches: u64,
    /// Switches made by the slice-end upcall: a thread was preempted.
    pub preemptions: u64,
    /// Slice-end upcalls that came while the scheduler lock or the heap was held (the switch
    /// waited for the lock's release).
    pub deferred: u64,
    /// Times a thread blocked (joins, mutexes, condition variables, [`wait_if`]).
    pub blocks: u64,
    /// Slice-end upcalls received.
    pub upcalls: u64,
}

/// The scheduler's counters.
pub fn stats() -> Stats {
    let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
    Stats { switches: load(&SWITCHES), preemptions: load(&PREEMPTIONS), deferred: load(&DEFERRED), blocks: load(&BLOCKS), upcalls: load(&UPCALLS) }
}
