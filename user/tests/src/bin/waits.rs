//! `env_wait` and its wake sources, each through a child that sleeps (a copy of this program,
//! started by `spawn`, sharing one page with the parent): a deadline (never early, and on time
//! while the CPU is idle: the idle counters move), a notification (while it sleeps, and sent
//! before it sleeps: sticky), the end of a child (`NOTIFY_CHILD`), a word of shared memory woken
//! through another virtual address of the same page (with the CPU donated), and a protected
//! control transfer that arrives while the callee sleeps with `WAIT_PCT` (it starts fresh at the
//! entry) or after that sleep ended (refused: `Busy`).
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::stats::Counter;
use abi::{Error, MapUpdate, Rights, ANY_PAGE, NOTIFY_CHILD, WAIT_DEADLINE, WAIT_NOTIFY, WAIT_NOTIFY_SHIFT, WAIT_PCT, WAIT_WORD};
use exos::sys::syscall::*;
use exos::sys::{stats, vm, wait};
use user::{page_word, set_page_word, spawn, Checks};

const SHARED: u64 = 0x6100_0000;
/// The same page again, at another virtual address of the parent's.
const ALIAS: u64 = 0x6200_0000;
const ENTRY_STACK_TOP: u64 = user::CHILD_STACK_TOP - 0x2000;

/// Words of the shared page.
const STEP: usize = 0;
const RESULT1: usize = 1;
const RESULT2: usize = 2;
const WORD: usize = 3;
const WORD_RESULT: usize = 4;
const PCT_RESULT: usize = 5;
const PCT_ARG: usize = 6;

fn word_va(i: usize) -> u64 {
    SHARED + i as u64 * 8
}

/// Sleeps for notifications twice: once until the parent notifies it, once after the parent
/// notified it already (step 1 says so); records both results, then exits.
extern "C" fn notified() -> ! {
    set_page_word(SHARED, RESULT1, sys_env_wait(WAIT_NOTIFY, 0, 0, 0).unwrap_or(u64::MAX));
    while page_word(SHARED, STEP) != 1 {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
    set_page_word(SHARED, RESULT2, sys_env_wait(WAIT_NOTIFY, 0, 0, 0).unwrap_or(u64::MAX));
    sys_env_exit(0)
}

/// Sleeps on the shared word while it is 0; records the result.
extern "C" fn word_sleeper() -> ! {
    let result = sys_env_wait(WAIT_WORD, 0, word_va(WORD), 0).unwrap_or(u64::MAX);
    set_page_word(SHARED, WORD_RESULT, result);
    sys_env_exit(0)
}

/// A transfer's entry: records its argument and exits.
extern "C" fn entry(_caller: u64, a0: u64, _a1: u64, _a2: u64, _a3: u64, _a4: u64) -> ! {
    set_page_word(SHARED, PCT_ARG, a0);
    sys_env_exit(0)
}

/// Registers an entry, sleeps for a transfer or a far deadline (records the result if the sleep
/// ever returns: it must not), then (step 2) sleeps for a transfer with a short deadline, records
/// that result and waits for notifications (the parent's transfer is refused meanwhile).
extern "C" fn pct_sleeper() -> ! {
    let _ = sys_pct_set_entry(entry, ENTRY_STACK_TOP);
    let far = wait::now_ns() + 60_000_000_000;
    let result = sys_env_wait(WAIT_PCT | WAIT_DEADLINE, far, 0, 0).unwrap_or(u64::MAX);
    set_page_word(SHARED, PCT_RESULT, result | 1 << 63);
    sys_env_exit(1)
}

extern "C" fn pct_short() -> ! {
    let _ = sys_pct_set_entry(entry, ENTRY_STACK_TOP);
    let soon = wait::now_ns() + 5_000_000;
    let result = sys_env_wait(WAIT_PCT | WAIT_DEADLINE, soon, 0, 0).unwrap_or(u64::MAX);
    set_page_word(SHARED, PCT_RESULT, result);
    let _ = sys_env_wait(WAIT_NOTIFY, 0, 0, 0);
    sys_env_exit(0)
}

/// Yields until environment `id` sleeps in `env_wait`.
fn until_sleeping(id: u64) {
    while vm::env_info(abi::env_index(id)).state != abi::ENV_SLEEPING {
        let _ = sys_env_yield(id);
    }
}

/// Sleeps for notifications until `id` has ended; returns the bits received.
fn reap(id: u64) -> u64 {
    let mut bits = 0;
    while vm::env_info(abi::env_index(id)).id as u64 == id {
        bits |= sys_env_wait(WAIT_NOTIFY, 0, 0, 0).unwrap_or(0) >> WAIT_NOTIFY_SHIFT;
    }
    bits
}

fn deadlines(c: &mut Checks) {
    let (halts, idle) = (stats::counter(Counter::IdleHalts), stats::counter(Counter::IdleMicros));
    for ms in [1u64, 20, 50] {
        let start = wait::now_ns();
        let deadline = start + ms * 1_000_000;
        let result = sys_env_wait(WAIT_DEADLINE, deadline, 0, 0);
        let end = wait::now_ns();
        c.equal("a deadline fires", result, Ok(WAIT_DEADLINE));
        c.check("never before the deadline", end >= deadline);
        // One-shot timer while idle: late by the crossing's cost only, plus whatever the host
        // makes QEMU wait (a loaded host delays its timers by milliseconds): generous, but it
        // still catches a wake that waits for a periodic tick that does not run while idle.
        c.check("on time (within 30 ms)", end - deadline < 30_000_000);
        exos::println!("waits: {ms} ms deadline: woken {} us late", (end - deadline) / 1000);
    }
    // No periodic tick while idle: a 100 ms sleep takes one timer interrupt (the one-shot), a few
    // at most (an early one re-armed), not the ten a 10 ms tick would. (Waking publishes the
    // counters, so both reads are fresh.)
    let _ = sys_env_wait(WAIT_DEADLINE, wait::now_ns() + 1_000_000, 0, 0);
    let ticks = stats::counter(Counter::TimerTicks);
    let _ = sys_env_wait(WAIT_DEADLINE, wait::now_ns() + 100_000_000, 0, 0);
    let taken = stats::counter(Counter::TimerTicks) - ticks;
    exos::println!("waits: a 100 ms idle sleep took {taken} timer interrupts");
    c.check("no periodic tick while idle (at most 3 timer interrupts in 100 ms)", taken <= 3);
    let start = wait::now_ns();
    c.equal("a past deadline returns at once", sys_env_wait(WAIT_DEADLINE, 1, 0, 0), Ok(WAIT_DEADLINE));
    c.check("without sleeping", wait::now_ns() - start < 30_000_000);
    // Published at the next timer interrupt: wait for one (a sleep of a tick and more).
    let _ = sys_env_wait(WAIT_DEADLINE, wait::now_ns() + 25_000_000, 0, 0);
    let mut spins = 0u64;
    let until = stats::counter(Counter::TimerTicks) + 2;
    while stats::counter(Counter::TimerTicks) < until && spins < 1 << 32 {
        spins += 1;
    }
    c.check("the CPU halted while nothing ran (idle halts counted)", stats::counter(Counter::IdleHalts) > halts);
    c.check("idle time counted (over 70 ms)", stats::counter(Counter::IdleMicros) >= idle + 70_000);
}

fn main() -> i64 {
    let mut c = Checks::new("waits");
    let (_, shared) = sys_page_alloc(ANY_PAGE).expect("shared page");
    let rw = Rights::READ.0 | Rights::WRITE.0;
    let map = |va| MapUpdate { op: MapUpdate::MAP, va, slot: shared, rights: rw };
    c.equal("map shared", sys_page_map(&[map(SHARED), map(ALIAS)]), (2, None));

    deadlines(&mut c);

    // Notifications: while it sleeps, and before it sleeps (sticky).
    let (child, slot) = spawn(notified, &[(SHARED, shared)]).expect("spawn");
    until_sleeping(child);
    c.equal("notify the sleeper", sys_env_notify(slot, 0x5), Ok(()));
    c.equal("notify again before it sleeps", sys_env_notify(slot, 0x40), Ok(()));
    set_page_word(SHARED, STEP, 1);
    let bits = reap(child);
    c.equal("it woke with the bits sent", page_word(SHARED, RESULT1), WAIT_NOTIFY | 0x5 << WAIT_NOTIFY_SHIFT);
    c.equal("bits sent before the sleep end it at once", page_word(SHARED, RESULT2), WAIT_NOTIFY | 0x40 << WAIT_NOTIFY_SHIFT);
    c.check("the creator heard of its end (NOTIFY_CHILD)", bits & u64::from(NOTIFY_CHILD) != 0);
    c.equal("notify it once ended", sys_env_notify(slot, 1), Err(Error::NoSuchEnv));

    // A word of shared memory, woken through another virtual address of the same page.
    let (child, _) = spawn(word_sleeper, &[(SHARED, shared)]).expect("spawn");
    until_sleeping(child);
    c.equal("nobody sleeps on another word", sys_page_wake(ALIAS, 1, false), Ok(0));
    set_page_word(SHARED, WORD, 1);
    c.equal("wake the sleeper (CPU donated)", sys_page_wake(ALIAS + WORD as u64 * 8, 1, true), Ok(1));
    c.equal("the donated CPU ran it at once", page_word(SHARED, WORD_RESULT), WAIT_WORD);
    reap(child);
    c.equal("a word that differs already returns at once", sys_env_wait(WAIT_WORD, 0, word_va(WORD), 0), Ok(WAIT_WORD));

    // A transfer into a sleeper with WAIT_PCT starts fresh at the entry.
    let (child, slot) = spawn(pct_sleeper, &[(SHARED, shared)]).expect("spawn");
    until_sleeping(child);
    c.equal("send to the sleeper", sys_pct_send(slot, [0x77, 0, 0, 0, 0]), Ok(()));
    reap(child);
    c.equal("the transfer ran at the entry", page_word(SHARED, PCT_ARG), 0x77);
    c.equal("and the sleep never returned", page_word(SHARED, PCT_RESULT), 0);
    // A sleep with WAIT_PCT that ended by its deadline accepts no transfer.
    let (child, slot) = spawn(pct_short, &[(SHARED, shared)]).expect("spawn");
    while page_word(SHARED, PCT_RESULT) == 0 {
        let _ = sys_env_wait(WAIT_DEADLINE, wait::now_ns() + 1_000_000, 0, 0);
    }
    c.equal("the deadline ended it", page_word(SHARED, PCT_RESULT), WAIT_DEADLINE);
    until_sleeping(child);
    c.equal("a transfer after it is refused", sys_pct_send(slot, [1, 0, 0, 0, 0]), Err(Error::Busy));
    c.equal("wake it", sys_env_notify(slot, 1), Ok(()));
    reap(child);
    c.finish()
}

exos::main!(main);
