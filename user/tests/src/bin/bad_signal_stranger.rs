//! Hostile test: signals follow capabilities. A target process `A` (which ignores `SIGINT`) and
//! its child `A'` run; a stranger `B` (a sibling of `A`: no capability over it) tries every way
//! to signal them: `kill` and `kill_group` with `SIGTERM`, `SIGINT` and `SIGKILL` (`NoRights`:
//! it holds no capability), then through a capability over `A` without `EXECUTE` (a read-only one
//! its parent granted): raw `env_notify` with and without `NOTIFY_TREE` and the library's `kill`
//! once the capability is registered with `process::hold` (the kernel refuses: `NoRights`), then
//! `env_notify` through every slot of its table. `A` and `A'` must keep running. Then a friend `C`
//! given an `EXECUTE`-only capability over `A` may signal it though it is not its parent:
//! `kill_group(A, SIGINT)` ends `A'` (its parent ignores `SIGINT`: the group signal reaches it
//! directly), `SIGKILL` is refused (no `WRITE`), and `SIGTERM` ends `A`.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::{Error, MapUpdate, Rights, ANY_PAGE};
use exos::ipc::region;
use exos::mem::cow::MAP_SHARED;
use exos::proc::fork::fork;
use exos::proc::process::{self, Action, Status, SIGINT, SIGKILL, SIGTERM};
use exos::sys::syscall::*;
use user::{page_word, set_page_word, Checks};

const SHARED: u64 = 0x3000_0000;
/// Words of the shared page.
const READY: usize = 0;
const SLOT: usize = 1;
const A_COUNTER: usize = 2;
const A_CHILD: usize = 3;
const A_CHILD_STATUS: usize = 4;
const FRIEND_READY: usize = 5;
/// The stranger's results (error codes; 0: it worked), then its sweep's count.
const RESULTS: usize = 16;
const SWEEP: usize = 40;
/// The friend's results.
const FRIEND: usize = 48;

fn code(result: Result<(), Error>) -> u64 {
    result.err().map_or(0, Error::code)
}

fn encode(status: Result<Status, Error>) -> u64 {
    match status {
        Ok(Status::Signaled(sig)) => 1000 + u64::from(sig),
        Ok(Status::Exited(code)) => 2000 + code as u64,
        Ok(Status::Killed) => 3000,
        Err(e) => 4000 + e.code(),
    }
}

/// Waits (sleeping) until `word` is not 0, at most `ms` milliseconds; its value.
fn await_word(word: usize, ms: u64) -> u64 {
    for _ in 0..ms {
        match page_word(SHARED, word) {
            0 => process::sleep_ms(1),
            v => return v,
        }
    }
    page_word(SHARED, word)
}

/// `A`: starts `A'` (default actions), then ignores `SIGINT`, counts, and records how `A'` ended.
fn target() -> ! {
    let child = match fork() {
        Ok(0) => loop {
            process::sleep_ms(5);
        },
        Ok(child) => child,
        Err(_) => process::exit(90),
    };
    let _ = process::signal(SIGINT, Action::Ignore);
    set_page_word(SHARED, A_CHILD, child);
    loop {
        set_page_word(SHARED, A_COUNTER, page_word(SHARED, A_COUNTER) + 1);
        if page_word(SHARED, A_CHILD_STATUS) == 0 && !region::listed(child) {
            set_page_word(SHARED, A_CHILD_STATUS, encode(process::wait(child)));
        }
        process::sleep_ms(2);
    }
}

/// `B`: no capability over `a`, then a read-only one (slot published by the parent).
fn stranger(a: u64) -> ! {
    let view = await_word(READY, 5000).min(1) * page_word(SHARED, SLOT);
    let tries = [
        process::kill(a, SIGTERM),
        process::kill_group(a, SIGINT),
        process::kill_group(a, SIGTERM),
        process::kill(a, SIGKILL),
        sys_env_notify(view, 1 << SIGTERM),
        sys_env_notify_tree(view, 1 << SIGINT),
        process::hold(a, view).and_then(|()| process::kill(a, SIGTERM)),
        process::kill_group(a, SIGINT),
        process::kill(a, SIGKILL),
    ];
    for (k, result) in tries.into_iter().enumerate() {
        set_page_word(SHARED, RESULTS + k, code(result));
    }
    // Every slot a table can have (1,024).
    let reached = (0..1024u64).filter(|&slot| sys_env_notify(slot, 1 << SIGTERM).is_ok()).count();
    set_page_word(SHARED, SWEEP, reached as u64);
    process::exit(0)
}

/// `C`: an `EXECUTE`-only capability over `a` (slot published by the parent).
fn friend(a: u64) -> ! {
    let slot = await_word(FRIEND_READY, 5000).min(1) * page_word(SHARED, SLOT);
    let held = process::hold(a, slot);
    let group = process::kill_group(a, SIGINT);
    let child_status = await_word(A_CHILD_STATUS, 5000);
    let tries = [held, group, process::kill(a, SIGKILL), process::kill(a, SIGTERM)];
    for (k, result) in tries.into_iter().enumerate() {
        set_page_word(SHARED, FRIEND + k, code(result));
    }
    set_page_word(SHARED, FRIEND + 4, child_status);
    process::exit(0)
}

fn main() -> i64 {
    let mut c = Checks::new("bad_signal_stranger");
    let (_, page) = sys_page_alloc(ANY_PAGE).expect("a page");
    let rw = Rights::READ.0 | Rights::WRITE.0;
    c.equal("map the shared page", sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: SHARED, slot: page, rights: rw | MAP_SHARED }]), (1, None));
    let a = fork().expect("fork A");
    if a == 0 {
        target();
    }
    let a_child = await_word(A_CHILD, 5000);
    c.check("A started its child", a_child != 0);
    let b = fork().expect("fork B");
    if b == 0 {
        stranger(a);
    }
    let a_slot = process::capability(a).expect("my capability over A");
    match sys_cap_grant(a_slot, b, Rights::READ) {
        Ok(view) => set_page_word(SHARED, SLOT, view),
        Err(e) => c.equal("grant B a read-only capability over A", Err(e), Ok(0)),
    }
    set_page_word(SHARED, READY, 1);
    c.equal("B ends", process::wait(b), Ok(Status::Exited(0)));
    let what = [
        "kill TERM without a capability",
        "kill_group INT without a capability",
        "kill_group TERM without a capability",
        "kill KILL without a capability",
        "env_notify through a capability without EXECUTE",
        "env_notify NOTIFY_TREE through a capability without EXECUTE",
        "kill TERM through a registered capability without EXECUTE",
        "kill_group INT through it",
        "kill KILL through it (no WRITE)",
    ];
    for (k, what) in what.iter().enumerate() {
        c.equal(what, Error::from_code(page_word(SHARED, RESULTS + k)), Some(Error::NoRights));
    }
    c.equal("env_notify through every slot of B's table reached nothing", page_word(SHARED, SWEEP), 0);
    // A and A' keep running: A counts on, neither ended.
    let before = page_word(SHARED, A_COUNTER);
    process::sleep_ms(50);
    c.check("A keeps running (it counts on)", page_word(SHARED, A_COUNTER) > before && region::listed(a));
    c.check("A' keeps running", region::listed(a_child) && page_word(SHARED, A_CHILD_STATUS) == 0);
    // A friend with an EXECUTE-only capability may signal A and its group, not its parent.
    let f = fork().expect("fork C");
    if f == 0 {
        friend(a);
    }
    match sys_cap_grant(a_slot, f, Rights::EXECUTE) {
        Ok(slot) => set_page_word(SHARED, SLOT, slot),
        Err(e) => c.equal("grant C an EXECUTE capability over A", Err(e), Ok(0)),
    }
    set_page_word(SHARED, FRIEND_READY, 1);
    c.equal("C ends", process::wait(f), Ok(Status::Exited(0)));
    c.equal("C registers its capability", page_word(SHARED, FRIEND), 0);
    c.equal("C: kill_group(A, INT) is permitted", page_word(SHARED, FRIEND + 1), 0);
    c.equal("C: kill KILL needs WRITE", Error::from_code(page_word(SHARED, FRIEND + 2)), Some(Error::NoRights));
    c.equal("C: kill TERM is permitted", page_word(SHARED, FRIEND + 3), 0);
    c.equal("the group's INT reached A' (its parent ignores INT)", page_word(SHARED, FRIEND + 4), 1000 + u64::from(SIGINT));
    c.equal("C's TERM ended A", process::wait(a), Ok(Status::Signaled(SIGTERM)));
    c.finish()
}

exos::main!(main);
