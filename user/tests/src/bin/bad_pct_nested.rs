//! Hostile test: nested protected control transfer must not lose a caller. The program (C) calls a
//! server S (a copy of this program) which, while serving C, consults servers of its own (T, T2),
//! waits for other callers and replies to them in either order; every reply must reach the
//! caller it names. A caller whose server dies gets `NoSuchEnv`, never a hang, and a server whose
//! own callee dies can still answer its caller.
//!
//! Layout: C spawns S; S spawns T and T2 (so S holds their capabilities); for the rounds with two
//! callers C spawns a helper H and grants it `EXECUTE` over S. The shared page carries the round's
//! state (words below). Each scenario has a fresh S, so each passes or fails on its own.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use abi::{Error, MapUpdate, Rights, ANY_ENV, ANY_PAGE};
use core::sync::atomic::{AtomicU64, Ordering};
use exos::sys::syscall::*;
use user::{spawn, Checks};

const SHARED: u64 = 0x6100_0000;
const SERVER_STACK_TOP: u64 = user::CHILD_STACK_TOP - 0x2000;

/// Shared words: the round S is holding a caller for, H's slot over S plus 1 (0: not granted yet),
/// H's result, the round.
const HELD_ROUND: usize = 0;
const H_SLOT: usize = 1;
const H_RESULT: usize = 2;
const ROUND: usize = 3;

/// Rounds with a second caller: S answers the newest caller first, the oldest first, or dies.
const LIFO: u64 = 1;
const FIFO: u64 = 2;
const DIE_HOLDING: u64 = 3;

/// S's operations (`a0`).
const NEST: u64 = 1;
const HOLD: u64 = 2;
const SECOND: u64 = 3;
const RELEASE: u64 = 4;
const CALL_DYING: u64 = 5;
const DIE: u64 = 6;

/// T's operations (`a0`).
const ADD1: u64 = 1;
const ROGUE_REPLY: u64 = 2;
const T_DIE: u64 = 3;

/// S's state (its own copy of this program's data): its capabilities over T and T2, their ids, and
/// the callers it holds.
static T_SLOT: AtomicU64 = AtomicU64::new(0);
static T_ID: AtomicU64 = AtomicU64::new(0);
static T2_SLOT: AtomicU64 = AtomicU64::new(0);
static T2_ID: AtomicU64 = AtomicU64::new(0);
static HELD: AtomicU64 = AtomicU64::new(0);
static HELD2: AtomicU64 = AtomicU64::new(0);

fn word(i: usize) -> u64 {
    // SAFETY: the shared page is mapped read-write in every environment that uses it; words are
    // read and written whole, by one environment at a time (there is one CPU).
    unsafe { core::ptr::read_volatile((SHARED as *const u64).add(i)) }
}

fn set_word(i: usize, value: u64) {
    // SAFETY: as in `word`.
    unsafe { core::ptr::write_volatile((SHARED as *mut u64).add(i), value) }
}

/// Calls until the callee is waiting (it must first run to `pct_set_entry` and `pct_wait`).
fn call_when_ready(slot: u64, callee: u64, args: [u64; 5]) -> Result<u64, Error> {
    loop {
        match sys_pct_call(slot, args) {
            Err(Error::Busy | Error::NoEntry) => {
                let _ = sys_env_yield(callee);
            }
            other => return other,
        }
    }
}

/// Replies, or reports the failure and ends (which fails the caller's call rather than hanging it).
fn reply(who: &str, caller: u64, value: u64) -> ! {
    let e = sys_pct_reply(caller, value);
    exos::println!("bad_pct_nested {who}: FAIL: reply to {caller}: {e:?}");
    sys_env_exit(1)
}

/// Waits for the next transfer (never returns unless waiting fails).
fn wait(who: &str) -> ! {
    let e = sys_pct_wait();
    exos::println!("bad_pct_nested {who}: FAIL: wait: {e:?}");
    sys_env_exit(1)
}

/// S's main: start T and T2, register the entry and wait.
extern "C" fn s_main() -> ! {
    match (spawn(t_main, &[]), spawn(t_main, &[])) {
        (Ok((t, t_slot)), Ok((t2, t2_slot))) => {
            T_ID.store(t, Ordering::Relaxed);
            T_SLOT.store(t_slot, Ordering::Relaxed);
            T2_ID.store(t2, Ordering::Relaxed);
            T2_SLOT.store(t2_slot, Ordering::Relaxed);
        }
        other => {
            exos::println!("bad_pct_nested S: FAIL: spawning T: {other:?}");
            sys_env_exit(1)
        }
    }
    if let Err(e) = sys_pct_set_entry(s_entry, SERVER_STACK_TOP) {
        exos::println!("bad_pct_nested S: FAIL: set_entry: {e:?}");
        sys_env_exit(1)
    }
    wait("S")
}

fn call_t(args: [u64; 5]) -> Result<u64, Error> {
    call_when_ready(T_SLOT.load(Ordering::Relaxed), T_ID.load(Ordering::Relaxed), args)
}

extern "C" fn s_entry(caller: u64, op: u64, a1: u64, a2: u64, _: u64, _: u64) -> ! {
    match op {
        // Consult T twice (once with T trying to answer S's caller itself), then answer.
        NEST => {
            let sum = call_t([ADD1, a1, 0, 0, 0]).unwrap_or(0);
            let refused = call_t([ROGUE_REPLY, caller, 0, 0, 0]).unwrap_or(0);
            reply("S", caller, sum * 10 + refused)
        }
        // Keep the caller waiting and wait for others.
        HOLD => {
            HELD.store(caller, Ordering::Relaxed);
            set_word(HELD_ROUND, a1);
            wait("S")
        }
        // A second caller while one is held: answer the newest first, or the oldest.
        SECOND if a1 == LIFO => reply("S", caller, 200),
        SECOND => {
            HELD2.store(caller, Ordering::Relaxed);
            reply("S", HELD.load(Ordering::Relaxed), 100)
        }
        // Answer a held caller (from an asynchronous send: no caller of its own).
        RELEASE => {
            let held = if a1 == 1 { &HELD } else { &HELD2 };
            reply("S", held.load(Ordering::Relaxed), a2)
        }
        // Consult T2, which dies; then T, which answers.
        CALL_DYING => {
            let t2 = call_when_ready(T2_SLOT.load(Ordering::Relaxed), T2_ID.load(Ordering::Relaxed), [T_DIE, 0, 0, 0, 0]);
            let after = call_t([ADD1, 1, 0, 0, 0]).unwrap_or(0);
            reply("S", caller, if t2 == Err(Error::NoSuchEnv) { 100 + after } else { after })
        }
        DIE => {
            // SAFETY: deliberately raises #UD so S dies while it holds a caller.
            unsafe { core::arch::asm!("ud2") };
            sys_env_exit(1)
        }
        _ => reply("S", caller, u64::MAX),
    }
}

/// T's main (and T2's): register the entry and wait.
extern "C" fn t_main() -> ! {
    let e = sys_pct_set_entry(t_entry, SERVER_STACK_TOP).err().unwrap_or_else(sys_pct_wait);
    exos::println!("bad_pct_nested T: FAIL: {e:?}");
    sys_env_exit(1)
}

extern "C" fn t_entry(caller: u64, op: u64, a1: u64, _: u64, _: u64, _: u64) -> ! {
    match op {
        ADD1 => reply("T", caller, a1 + 1),
        // Answer a caller blocked on another server: refused.
        ROGUE_REPLY => {
            let refused = sys_pct_reply(a1, 666) == Error::BadArgument;
            reply("T", caller, u64::from(refused))
        }
        T_DIE => {
            // SAFETY: deliberately raises #UD so T dies while S calls it.
            unsafe { core::arch::asm!("ud2") };
            sys_env_exit(1)
        }
        _ => reply("T", caller, u64::MAX),
    }
}

/// H: the second caller. Waits until S holds C for this round, then calls S.
extern "C" fn h_main() -> ! {
    let round = word(ROUND);
    while word(H_SLOT) == 0 || word(HELD_ROUND) != round {
        let _ = sys_env_yield(ANY_ENV);
    }
    let slot = word(H_SLOT) - 1;
    match round {
        DIE_HOLDING => {
            let _ = sys_pct_send(slot, [DIE, 0, 0, 0, 0]);
        }
        _ => {
            let got = sys_pct_call(slot, [SECOND, round, 0, 0, 0]);
            set_word(H_RESULT, got.unwrap_or(u64::MAX));
            if round == LIFO {
                let _ = sys_pct_send(slot, [RELEASE, 1, 100, 0, 0]);
            }
        }
    }
    sys_env_exit(0)
}

/// One round with a second caller: C holds S's attention, H calls (or kills S), S answers in the
/// round's order. Returns C's result and H's.
fn two_callers(s: u64, s_slot: u64, round: u64) -> (Result<u64, Error>, u64) {
    for i in 0..4 {
        set_word(i, 0);
    }
    set_word(ROUND, round);
    let Ok((h, h_slot)) = spawn(h_main, &[(SHARED, shared_slot())]) else { return (Err(Error::NoMemory), 0) };
    match sys_cap_grant(s_slot, h, Rights::EXECUTE) {
        Ok(slot) => set_word(H_SLOT, slot + 1),
        Err(e) => exos::println!("bad_pct_nested: FAIL: granting S to H: {e:?}"),
    }
    let mine = call_when_ready(s_slot, s, [HOLD, round, 0, 0, 0]);
    if round == FIFO && mine == Ok(100) {
        let _ = sys_pct_send(s_slot, [RELEASE, 2, 300, 0, 0]);
    }
    // H ends by itself; a bounded wait so a broken kernel fails the checks instead of hanging.
    for _ in 0..100_000 {
        if exos::sys::vm::env_info(abi::env_index(h)).id != h as u32 {
            break;
        }
        let _ = sys_env_yield(ANY_ENV);
    }
    let _ = sys_env_destroy(h_slot);
    let _ = sys_cap_delete(h_slot);
    (mine, word(H_RESULT))
}

static SHARED_SLOT: AtomicU64 = AtomicU64::new(0);

fn shared_slot() -> u64 {
    SHARED_SLOT.load(Ordering::Relaxed)
}

/// A fresh S (with its T and T2) for one scenario, so each scenario fails or passes on its own.
fn server() -> (u64, u64) {
    spawn(s_main, &[(SHARED, shared_slot())]).expect("spawning S")
}

/// Ends a scenario's S (and with it T and T2) if it is still there.
fn end(s_slot: u64) {
    let _ = sys_env_destroy(s_slot);
    let _ = sys_cap_delete(s_slot);
}

fn main() -> i64 {
    let mut c = Checks::new("bad_pct_nested");
    let (pa, shared) = sys_page_alloc(ANY_PAGE).expect("shared page");
    let me = u64::from(exos::sys::vm::owner(pa >> 12).unwrap_or(0));
    SHARED_SLOT.store(shared, Ordering::Relaxed);
    let rw = Rights::READ.0 | Rights::WRITE.0;
    c.equal("map shared", sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: SHARED, slot: shared, rights: rw }]), (1, None));

    // C -> S -> T, T replies to S, S -> T again (T may not answer C), S replies to C.
    let (s, s_slot) = server();
    c.equal("C -> S -> T -> S -> C: (4 + 1) * 10 + T refused to answer C", call_when_ready(s_slot, s, [NEST, 4, 0, 0, 0]), Ok(51));
    c.equal("again", sys_pct_call(s_slot, [NEST, 9, 0, 0, 0]), Ok(101));
    // Replies C may not give.
    c.equal("C replies to S, which is not calling C", sys_pct_reply(s, 0), Error::BadArgument);
    c.equal("C replies to itself", sys_pct_reply(me, 0), Error::BadArgument);
    end(s_slot);

    // S serves two callers and answers the newest first, then (a fresh S) the oldest first.
    let (s, s_slot) = server();
    c.equal("two callers, newest answered first: C and H", two_callers(s, s_slot, LIFO), (Ok(100), 200));
    end(s_slot);
    let (s, s_slot) = server();
    c.equal("two callers, oldest answered first: C and H", two_callers(s, s_slot, FIFO), (Ok(100), 300));
    end(s_slot);

    // T2 dies while S calls it: S's call fails and S still answers C (after consulting T).
    let (s, s_slot) = server();
    c.equal("S's callee dies: S gets NoSuchEnv and still answers C", call_when_ready(s_slot, s, [CALL_DYING, 0, 0, 0, 0]), Ok(102));
    c.equal("S still serves after that", sys_pct_call(s_slot, [NEST, 0, 0, 0, 0]), Ok(11));
    end(s_slot);

    // S dies while it holds C: C's call fails, no hang.
    let (s, s_slot) = server();
    c.equal("S dies while serving C: NoSuchEnv", two_callers(s, s_slot, DIE_HOLDING).0, Err(Error::NoSuchEnv));
    c.equal("call the dead S", sys_pct_call(s_slot, [NEST, 0, 0, 0, 0]), Err(Error::NoSuchEnv));
    c.equal("reply to the dead S", sys_pct_reply(s, 0), Error::NoSuchEnv);
    end(s_slot);
    c.finish()
}

exos::main!(main);
