//! ExOS user-level threads: round-robin order, join results (returned and through `exit`), many
//! short threads, a mutex contended under preemption, a condition-variable producer/consumer over
//! a bounded queue, and FPU/SSE state (including a per-thread rounding mode) across preemptions.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

extern crate alloc;

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::hint::black_box;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use exos::thread::pacer::Pacer;
use exos::thread::sync::{Condvar, Mutex};
use exos::thread::{self, Builder, RoundRobin};
use user::Checks;

static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// Cooperative round robin: three threads that log and yield interleave exactly.
fn round_robin(c: &mut Checks) {
    thread::set_preemptive(false);
    let picks = RoundRobin::picks();
    let handles: Vec<_> = (0..3u8).map(|i| thread::spawn(move || {
        for _ in 0..3 {
            LOG.lock().push(b'A' + i);
            thread::yield_now();
        }
        u64::from(i) * 10
    })).collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join()).collect();
    c.equal("round-robin order", core::str::from_utf8(&LOG.lock()).unwrap_or("?"), "ABCABCABC");
    c.equal("join returns each thread's value", results, alloc::vec![Some(0), Some(10), Some(20)]);
    c.check("the default policy picked", RoundRobin::picks() > picks);
    measure();
    thread::set_preemptive(true);
}

fn rdtsc() -> u64 {
    let (low, high): (u32, u32);
    // SAFETY: rdtsc only reads the time-stamp counter (user mode may: CR4.TSD is clear).
    unsafe { core::arch::asm!("rdtsc", out("eax") low, out("edx") high, options(nomem, nostack)) };
    u64::from(high) << 32 | u64::from(low)
}

/// Prints what a yield to another thread and an uncontended mutex cost (in TSC cycles, which
/// are instructions under `-icount shift=0`). Preemption is off.
fn measure() {
    const ROUNDS: u64 = 5000;
    let before = (thread::stats().switches, rdtsc());
    let pair: Vec<_> = (0..2).map(|_| thread::spawn(|| (0..ROUNDS).for_each(|_| thread::yield_now()))).collect();
    pair.into_iter().for_each(|h| h.join().unwrap_or_default());
    let after = (thread::stats().switches, rdtsc());
    let lock = Mutex::new(0u64);
    let start = rdtsc();
    for _ in 0..ROUNDS {
        *lock.lock() += 1;
    }
    let per_lock = (rdtsc() - start) / ROUNDS;
    exos::println!("threads: a yield to another thread takes {} cycles; an uncontended lock and unlock {per_lock}",
                   (after.1 - before.1) / (after.0 - before.0).max(1));
}

/// Results through return and `exit`, a wrong type, a detached thread, and 100 short threads.
fn joins(c: &mut Checks) {
    let sums: Vec<_> = (1..=8u64).map(|k| thread::spawn(move || (0..k * 1000).sum::<u64>())).collect();
    let got: Vec<_> = sums.into_iter().map(|h| h.join()).collect();
    let expected: Vec<_> = (1..=8u64).map(|k| Some(k * 1000 * (k * 1000 - 1) / 2)).collect();
    c.equal("eight sums joined", got, expected);
    let exited = thread::spawn(|| -> u64 { thread::exit(4242u64) });
    c.equal("a value passed to exit", exited.join(), Some(4242));
    let wrong = thread::spawn(|| -> u64 { thread::exit("not a u64") });
    c.equal("an exit value of another type", wrong.join(), None);
    static DETACHED: AtomicBool = AtomicBool::new(false);
    drop(thread::spawn(|| DETACHED.store(true, Ordering::Relaxed)));
    while !DETACHED.load(Ordering::Relaxed) {
        thread::yield_now();
    }
    let mut total = 0;
    for i in 0..100u64 {
        total += Builder::new().stack_size(16 * 1024).spawn(move || i).map(|h| h.join().unwrap_or(0)).unwrap_or(0);
    }
    c.equal("100 threads one after another", total, 4950);
    let big = Builder::new().stack_size(1 << 20).spawn(|| {
        let buffer = black_box([7u8; 512 * 1024]);
        buffer.iter().map(|&b| u64::from(b)).sum::<u64>()
    });
    c.equal("a thread with a 1 MiB stack", big.ok().and_then(|h| h.join()), Some(7 * 512 * 1024));
}

const MUTEX_THREADS: u64 = 4;
const INCREMENTS: u64 = 1000;
/// Iterations of busy work inside each critical section (about 100 timer ticks in all).
const CRITICAL_WORK: u64 = 200_000;

fn busy(iterations: u64) {
    let mut work = 0u64;
    for i in 0..iterations {
        work = black_box(work.wrapping_add(i));
    }
    black_box(work);
}

/// Four threads increment one counter under a mutex, with a long critical section between the
/// read and the write, while the timer preempts them. A fifth thread computes a little and yields
/// meanwhile, so that a preempted lock holder always has someone to give the CPU to.
fn mutex(c: &mut Checks) {
    static COUNTER: Mutex<u64> = Mutex::new(0);
    static INSIDE: AtomicBool = AtomicBool::new(false);
    static OVERLAPS: AtomicU64 = AtomicU64::new(0);
    static FINISHED: AtomicBool = AtomicBool::new(false);
    let before = thread::stats();
    let background = thread::spawn(|| {
        let mut rounds = 0u64;
        while !FINISHED.load(Ordering::Relaxed) {
            busy(1000);
            rounds += 1;
            thread::yield_now();
        }
        rounds
    });
    let workers: Vec<_> = (0..MUTEX_THREADS).map(|_| thread::spawn(|| {
        let mut preempted_inside = 0u64;
        for _ in 0..INCREMENTS {
            busy(CRITICAL_WORK / 4);
            let mut counter = COUNTER.lock();
            if INSIDE.swap(true, Ordering::Relaxed) {
                OVERLAPS.fetch_add(1, Ordering::Relaxed);
            }
            let preemptions = thread::stats().preemptions;
            let value = *counter;
            busy(CRITICAL_WORK);
            *counter = value + 1;
            if thread::stats().preemptions != preemptions {
                preempted_inside += 1;
            }
            INSIDE.store(false, Ordering::Relaxed);
        }
        preempted_inside
    })).collect();
    let inside: u64 = workers.into_iter().map(|h| h.join().unwrap_or(0)).sum();
    FINISHED.store(true, Ordering::Relaxed);
    let rounds = background.join().unwrap_or(0);
    let after = thread::stats();
    exos::println!("threads: mutex: {} increments, {inside} critical sections preempted, {} preemptions, {} blocks, {} deferred",
                   *COUNTER.lock(), after.preemptions - before.preemptions, after.blocks - before.blocks, after.deferred - before.deferred);
    c.equal("the counter is exact", *COUNTER.lock(), MUTEX_THREADS * INCREMENTS);
    c.equal("never two threads inside", OVERLAPS.load(Ordering::Relaxed), 0);
    c.check("threads were preempted inside the critical section", inside > 0);
    c.check("threads blocked on the mutex", after.blocks > before.blocks);
    c.check("the background thread ran", rounds > 0);
}

const ITEMS_PER_PRODUCER: u64 = 5000;
const PRODUCERS: u64 = 2;
const CONSUMERS: u64 = 2;
const CAPACITY: usize = 8;
const DONE: u64 = u64::MAX;
/// Busy work per item produced, so that the exchange spans timer ticks.
const ITEM_WORK: u64 = 20_000;

struct Queue {
    items: Mutex<VecDeque<u64>>,
    not_full: Condvar,
    not_empty: Condvar,
    overfull: AtomicBool,
}

impl Queue {
    fn put(&self, item: u64) {
        let mut items = self.not_full.wait_while(self.items.lock(), |q| q.len() == CAPACITY);
        items.push_back(item);
        self.overfull.fetch_or(items.len() > CAPACITY, Ordering::Relaxed);
        drop(items);
        self.not_empty.notify_one();
    }

    fn take(&self) -> u64 {
        let mut items = self.items.lock();
        let item = loop {
            match items.pop_front() {
                Some(item) => break item,
                None => items = self.not_empty.wait(items),
            }
        };
        drop(items);
        self.not_full.notify_one();
        item
    }
}

/// Two producers pass 10^4 numbered items through a bounded queue to two consumers; every item
/// arrives exactly once and each producer's items arrive in order.
fn producer_consumer(c: &mut Checks) {
    let queue = Arc::new(Queue { items: Mutex::new(VecDeque::new()), not_full: Condvar::new(), not_empty: Condvar::new(), overfull: AtomicBool::new(false) });
    let before = thread::stats();
    let consumers: Vec<_> = (0..CONSUMERS).map(|_| {
        let queue = queue.clone();
        thread::spawn(move || {
            let (mut got, mut last, mut in_order) = (Vec::new(), [None; PRODUCERS as usize], true);
            loop {
                let item = queue.take();
                if item == DONE {
                    break (got, in_order);
                }
                let (producer, sequence) = ((item >> 32) as usize, item & 0xffff_ffff);
                in_order &= last[producer].is_none_or(|l| l < sequence);
                last[producer] = Some(sequence);
                got.push(item);
            }
        })
    }).collect();
    let producers: Vec<_> = (0..PRODUCERS).map(|p| {
        let queue = queue.clone();
        thread::spawn(move || {
            for i in 0..ITEMS_PER_PRODUCER {
                busy(ITEM_WORK);
                queue.put(p << 32 | i);
            }
        })
    }).collect();
    producers.into_iter().for_each(|h| h.join().unwrap_or_default());
    (0..CONSUMERS).for_each(|_| queue.put(DONE));
    let mut seen = alloc::vec![0u8; (PRODUCERS * ITEMS_PER_PRODUCER) as usize];
    let (mut received, mut in_order) = (0, true);
    for h in consumers {
        let (items, ordered) = h.join().unwrap_or_default();
        in_order &= ordered;
        received += items.len();
        for item in items {
            let index = (item >> 32) * ITEMS_PER_PRODUCER + (item & 0xffff_ffff);
            if let Some(count) = seen.get_mut(index as usize) {
                *count += 1;
            }
        }
    }
    let after = thread::stats();
    exos::println!("threads: condvar: {received} items received, {} preemptions, {} blocks", after.preemptions - before.preemptions, after.blocks - before.blocks);
    c.equal("items received", received as u64, PRODUCERS * ITEMS_PER_PRODUCER);
    c.check("every item exactly once", seen.iter().all(|&n| n == 1));
    c.check("each producer's items in order", in_order);
    c.check("the queue never held more than its capacity", !queue.overfull.load(Ordering::Relaxed));
    c.check("threads waited on the condition variables", after.blocks > before.blocks);
    c.check("the exchange was preempted", after.preemptions > before.preemptions);
}

/// MXCSR with round-toward-zero (RC = 11) and every exception masked.
const MXCSR_TRUNCATE: u32 = 0x7f80;

/// MXCSR's control bits (the low six are sticky exception flags).
fn mxcsr() -> u32 {
    let mut value = 0u32;
    // SAFETY: stmxcsr stores 4 bytes into a local.
    unsafe { core::arch::asm!("stmxcsr [{0}]", in(reg) &mut value, options(nostack)) };
    value & !0x3f
}

fn set_mxcsr(value: u32) {
    // SAFETY: loads a valid MXCSR (no reserved bits) from a local; it only changes rounding.
    unsafe { core::arch::asm!("ldmxcsr [{0}]", in(reg) &value, options(nostack)) };
}

/// Floating-point work whose result depends on every step and on the rounding mode.
fn series(seed: f64, n: u32) -> f64 {
    let (mut x, mut acc) = (black_box(seed), 0.0f64);
    for i in 0..n {
        x = x * 1.000_000_1 + 0.5 / (f64::from(i) + 1.0);
        acc = acc * 0.999_999 + x / 3.0;
    }
    acc
}

const FPU_STEPS: u32 = 200_000;
/// The series threads go on until the scheduler has preempted them this often (or 500 rounds).
const FPU_PREEMPTIONS: u64 = 12;

/// Three threads compute floating-point series (one in round-toward-zero) over and over until
/// they have been preempted many times; every result must equal the one computed alone, bit for
/// bit, and each thread's rounding mode must survive.
fn fpu(c: &mut Checks) {
    let seeds = [1.0f64, 2.5, -3.25];
    let modes = [0x1f80u32, MXCSR_TRUNCATE, 0x1f80];
    let expected: Vec<_> = seeds.iter().zip(modes).map(|(&seed, mode)| {
        set_mxcsr(mode);
        let value = series(seed, FPU_STEPS);
        set_mxcsr(0x1f80);
        value.to_bits()
    }).collect();
    c.check("round-toward-zero changes the result", expected[1] != series(2.5, FPU_STEPS).to_bits());
    let start = thread::stats().preemptions;
    let workers: Vec<_> = seeds.iter().zip(modes).zip(expected).map(|((&seed, mode), want)| thread::spawn(move || {
        set_mxcsr(mode);
        let (mut rounds, mut wrong) = (0u64, 0u64);
        while rounds < 500 && (rounds < 2 || thread::stats().preemptions - start < FPU_PREEMPTIONS) {
            wrong += u64::from(series(seed, FPU_STEPS).to_bits() != want);
            rounds += 1;
        }
        (rounds, wrong, mxcsr())
    })).collect();
    let got: Vec<_> = workers.into_iter().map(|h| h.join().unwrap_or_default()).collect();
    let preemptions = thread::stats().preemptions - start;
    let rounds: u64 = got.iter().map(|r| r.0).sum();
    exos::println!("threads: fpu: {rounds} series computed, {preemptions} preemptions during them");
    c.equal("wrong results", got.iter().map(|r| r.1).sum::<u64>(), 0);
    c.equal("each thread's rounding mode", got.iter().map(|r| r.2).collect::<Vec<_>>(), modes.to_vec());
    c.check("the series were preempted", preemptions >= FPU_PREEMPTIONS);
    c.equal("main's MXCSR", mxcsr(), 0x1f80);
}

fn main() -> i64 {
    let mut c = Checks::new("threads");
    round_robin(&mut c);
    joins(&mut c);
    let pacer = Pacer::start();
    c.check("pacer started", pacer.is_ok());
    mutex(&mut c);
    producer_consumer(&mut c);
    fpu(&mut c);
    drop(pacer);
    let stats = thread::stats();
    exos::println!("threads: {} switches, {} preemptions, {} deferred, {} blocks, {} slice-end upcalls",
                   stats.switches, stats.preemptions, stats.deferred, stats.blocks, stats.upcalls);
    c.finish()
}

exos::main!(main);
