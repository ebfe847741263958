//! An application that replaces ExOS's thread scheduler with its own: Waldspurger's stride
//! scheduling (the exokernel paper's §6 demonstration). Three threads hold 3, 2 and 1 tickets and
//! count loop iterations while the timer preempts them; after a fixed number of scheduling
//! quanta their shares of the work must be 50%, 33.3% and 16.7% (within 5 points). The stride
//! scheduler counts its picks, and the default round robin's pick counter must stay at zero: the
//! replacement is what ran. The stride queue itself is checked first, deterministically.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::hint::black_box;
use core::sync::atomic::{AtomicU64, Ordering};
use exos::thread::pacer::Pacer;
use exos::thread::{self, Builder, Policy, RoundRobin, ThreadId};
use user::Checks;

/// The stride of one ticket: divisible by every ticket count up to 16, so strides are exact.
const STRIDE1: u64 = 720_720 << 10;

struct Client {
    stride: u64,
    /// Virtual time at which the client is next due.
    pass: u64,
    ready: bool,
}

/// The stride queue: each client advances its pass by its stride (inversely proportional to its
/// tickets) each time it is picked; the ready client with the smallest pass runs next.
#[derive(Default)]
struct StrideQueue {
    clients: BTreeMap<ThreadId, Client>,
    /// The pass of the latest pick: where a new or long-blocked client joins in.
    now: u64,
}

impl StrideQueue {
    fn admit(&mut self, id: ThreadId, tickets: u64) {
        let stride = STRIDE1 / tickets.clamp(1, STRIDE1);
        self.clients.insert(id, Client { stride, pass: self.now + stride, ready: false });
    }

    fn ready(&mut self, id: ThreadId) {
        if let Some(client) = self.clients.get_mut(&id) {
            client.ready = true;
            // A client that slept does not get to catch up on the time it missed.
            client.pass = client.pass.max(self.now);
        }
    }

    fn pick(&mut self) -> Option<ThreadId> {
        let (&id, client) = self.clients.iter_mut().filter(|(_, c)| c.ready).min_by_key(|(id, c)| (c.pass, **id))?;
        client.ready = false;
        self.now = client.pass;
        client.pass += client.stride;
        Some(id)
    }

    fn retire(&mut self, id: ThreadId) {
        self.clients.remove(&id);
    }
}

/// Picks made by the stride scheduler.
static STRIDE_PICKS: AtomicU64 = AtomicU64::new(0);

/// The application's policy: the stride queue, counting its picks.
struct StrideScheduler(StrideQueue);

impl Policy for StrideScheduler {
    fn admit(&mut self, thread: ThreadId, tickets: u64) {
        self.0.admit(thread, tickets);
    }

    fn ready(&mut self, thread: ThreadId) {
        self.0.ready(thread);
    }

    fn pick(&mut self) -> Option<ThreadId> {
        let picked = self.0.pick()?;
        STRIDE_PICKS.fetch_add(1, Ordering::Relaxed);
        Some(picked)
    }

    fn retire(&mut self, thread: ThreadId) {
        self.0.retire(thread);
    }
}

/// The queue alone: exact proportions, readiness, retirement, and a late sleeper.
fn queue_checks(c: &mut Checks) {
    let mut q = StrideQueue::default();
    for (id, tickets) in [(1, 3), (2, 2), (3, 1)] {
        q.admit(id, tickets);
    }
    c.equal("nothing ready, nothing picked", q.pick(), None);
    (1..=3).for_each(|id| q.ready(id));
    let mut counts = [0u64; 4];
    let mut first = Vec::new();
    for n in 0..600 {
        let Some(id) = q.pick() else { break };
        counts[id as usize] += 1;
        if n < 6 {
            first.push(id);
        }
        q.ready(id);
    }
    c.equal("600 picks at 3:2:1", counts, [0, 300, 200, 100]);
    c.equal("the first six picks", first, alloc::vec![1, 2, 1, 1, 2, 3]);
    let Some(busy) = q.pick() else { return c.check("a ready client is picked", false) };
    c.check("a picked client is not picked again until ready", (0..5).all(|_| q.pick().is_none_or(|id| id != busy)));
    let mut q = StrideQueue::default();
    q.admit(1, 1);
    q.admit(2, 1);
    q.ready(1);
    for _ in 0..100 {
        let id = q.pick();
        q.ready(1);
        if id != Some(1) {
            return c.check("the only ready client runs", false);
        }
    }
    q.ready(2);
    let late: Vec<_> = (0..10).filter_map(|_| q.pick().inspect(|&id| q.ready(id))).collect();
    c.check("a late client gets its share, not a catch-up", late.iter().filter(|&&id| id == 2).count() == 5);
    q.retire(2);
    c.check("a retired client is gone", (0..4).all(|_| q.pick().inspect(|&id| q.ready(id)) == Some(1)));
}

/// How many scheduling quanta (stride picks) the measurement lasts.
const QUANTA: u64 = 300;
const TICKETS: [u64; 3] = [3, 2, 1];

fn main() -> i64 {
    let mut c = Checks::new("stride");
    queue_checks(&mut c);
    c.equal("replacing the policy", thread::set_policy(Box::new(StrideScheduler(StrideQueue::default()))), Ok(()));
    let pacer = Pacer::start();
    c.check("pacer started", pacer.is_ok());
    static END: AtomicU64 = AtomicU64::new(0);
    let workers: Vec<_> = TICKETS.iter().map(|&tickets| Builder::new().param(tickets).spawn(|| {
        while END.load(Ordering::Relaxed) == 0 {
            thread::yield_now();
        }
        let end = END.load(Ordering::Relaxed);
        let mut iterations = 0u64;
        while STRIDE_PICKS.load(Ordering::Relaxed) < end {
            iterations = black_box(iterations + 1);
        }
        iterations
    })).collect();
    END.store(STRIDE_PICKS.load(Ordering::Relaxed) + QUANTA, Ordering::Relaxed);
    let counts: Vec<u64> = workers.into_iter().map(|w| w.ok().and_then(|h| h.join()).unwrap_or(0)).collect();
    drop(pacer);
    let total: u64 = counts.iter().sum::<u64>().max(1);
    let permille: Vec<u64> = counts.iter().map(|&n| n * 1000 / total).collect();
    let stats = thread::stats();
    exos::println!("stride: tickets 3:2:1, iterations {counts:?}, shares {}.{}% / {}.{}% / {}.{}% over {QUANTA} quanta",
                   permille[0] / 10, permille[0] % 10, permille[1] / 10, permille[1] % 10, permille[2] / 10, permille[2] % 10);
    exos::println!("stride: the stride scheduler picked {} times, round robin {} times; {} preemptions",
                   STRIDE_PICKS.load(Ordering::Relaxed), RoundRobin::picks(), stats.preemptions);
    for ((share, tickets), name) in permille.iter().zip(TICKETS).zip(["3 tickets", "2 tickets", "1 ticket"]) {
        let expected = tickets * 1000 / 6;
        c.check(name, share.abs_diff(expected) <= 50);
    }
    c.check("the stride scheduler picked", STRIDE_PICKS.load(Ordering::Relaxed) >= QUANTA);
    c.equal("the default scheduler never picked", RoundRobin::picks(), 0);
    c.check("the threads were preempted", stats.preemptions >= QUANTA / 2);
    c.finish()
}

exos::main!(main);
