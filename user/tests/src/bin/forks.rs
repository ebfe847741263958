//! ExOS processes: copy-on-write `fork`, `wait` with exit status, signals, and the issue's
//! scenario: 50 children each write shared and private pages, the parent waits for all and checks
//! every value. Then a fork bomb must be contained: fork fails with a clear error, the parent and
//! the kernel survive, and forking works again once the bomb is gone.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use abi::{Error, MapUpdate, Rights, ANY_PAGE};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use exos::mem::cow::MAP_SHARED;
use exos::proc::fork::fork;
use exos::proc::process::{self, Action, Status, SIGCHLD, SIGINT, SIGKILL, SIGTERM};
use exos::sys::syscall::*;
use exos::sys::vm;
use user::{mapped_page, mapped_page_mut, Checks};

const SHARED: u64 = 0x3000_0000;
const CHILDREN: u64 = 50;

/// Private data: a static every process writes its own values into.
static PRIVATE: [AtomicU64; 1024] = [const { AtomicU64::new(0) }; 1024];

fn shared(i: usize) -> u64 {
    u64::from_le_bytes(mapped_page(SHARED)[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]))
}

fn set_shared(i: usize, value: u64) {
    mapped_page_mut(SHARED)[i * 8..i * 8 + 8].copy_from_slice(&value.to_le_bytes());
}

static CHLD: AtomicU64 = AtomicU64::new(0);
fn on_chld(_: u32) {
    CHLD.fetch_add(1, Ordering::Relaxed);
}

fn on_term(_: u32) {
    process::exit(42);
}

fn basics(c: &mut Checks) {
    PRIVATE[0].store(1111, Ordering::Relaxed);
    let heap: Vec<u64> = (0..1000).collect();
    let me = process::id();
    match fork() {
        Ok(0) => {
            // The child sees the parent's memory as it was, and its writes stay its own.
            let ok = PRIVATE[0].load(Ordering::Relaxed) == 1111 && heap.iter().sum::<u64>() == 499_500 && process::parent() == me;
            PRIVATE[0].store(2222, Ordering::Relaxed);
            set_shared(0, 0xc0ffee);
            process::exit(if ok && process::id() != me { 7 } else { 99 });
        }
        Ok(child) => {
            PRIVATE[0].store(3333, Ordering::Relaxed);
            c.equal("wait: the child's exit code", process::wait(child), Ok(Status::Exited(7)));
            c.equal("my private write stayed mine", PRIVATE[0].load(Ordering::Relaxed), 3333);
            c.equal("the child's shared write reached me", shared(0), 0xc0ffee);
            c.equal("my heap is intact", heap.iter().sum::<u64>(), 499_500);
            c.equal("a reaped child cannot be waited for again", process::wait(child), Err(Error::NoSuchEnv));
            c.equal("waiting for a stranger", process::wait(me), Err(Error::NoSuchEnv));
        }
        Err(e) => c.check(&alloc::format!("fork: {e:?}"), false),
    }
}

fn fifty(c: &mut Checks) {
    let mut pids = Vec::new();
    for i in 0..CHILDREN {
        match fork() {
            Ok(0) => {
                // Private: a page of the static and the heap, with values only this child writes.
                for (w, word) in PRIVATE.iter().take(512).enumerate() {
                    word.store(i * 1000 + w as u64, Ordering::Relaxed);
                }
                let mine: Vec<u64> = (0..256).map(|w| i << 32 | w).collect();
                set_shared(8 + i as usize, i * 7 + 1);
                let ok = (0..512).all(|w| PRIVATE[w].load(Ordering::Relaxed) == i * 1000 + w as u64)
                    && mine.iter().enumerate().all(|(w, v)| *v == i << 32 | w as u64);
                process::exit(if ok { i as i64 } else { 200 });
            }
            Ok(pid) => pids.push(pid),
            Err(e) => {
                c.check(&alloc::format!("fork child {i}: {e:?}"), false);
                break;
            }
        }
    }
    c.equal("50 children forked", pids.len() as u64, CHILDREN);
    for (i, pid) in pids.iter().enumerate() {
        c.equal("child's exit status", process::wait(*pid), Ok(Status::Exited(i as i64)));
    }
    c.check("every shared write arrived", (0..CHILDREN).all(|i| shared(8 + i as usize) == i * 7 + 1));
    c.check("the children's private writes did not", (0..512).all(|w| PRIVATE[w].load(Ordering::Relaxed) != 1000 + w as u64));
}

fn signals(c: &mut Checks) {
    process::signal(SIGCHLD, Action::Handle(on_chld)).expect("SIGCHLD handler");
    let spin = || loop {
        process::check_signals();
        let _ = sys_env_yield(abi::ANY_ENV);
    };
    let a = fork().expect("fork");
    if a == 0 {
        spin();
    }
    c.equal("kill TERM", process::kill(a, SIGTERM), Ok(()));
    c.equal("TERM's default action ends it", process::wait(a), Ok(Status::Signaled(SIGTERM)));
    let b = fork().expect("fork");
    if b == 0 {
        process::signal(SIGTERM, Action::Handle(on_term)).expect("handler");
        spin();
    }
    // Let it install its handler first (it runs until it yields).
    let _ = sys_env_yield(b);
    c.equal("kill TERM with a handler", process::kill(b, SIGTERM), Ok(()));
    c.equal("its handler chose the exit", process::wait(b), Ok(Status::Exited(42)));
    let d = fork().expect("fork");
    if d == 0 {
        process::signal(SIGINT, Action::Ignore).expect("ignore");
        spin();
    }
    let _ = sys_env_yield(d);
    c.equal("kill INT (ignored)", process::kill(d, SIGINT), Ok(()));
    c.equal("SIGKILL cannot be caught", process::signal(SIGKILL, Action::Ignore), Err(Error::BadArgument));
    c.equal("kill KILL", process::kill(d, SIGKILL), Ok(()));
    c.equal("KILL ends it", process::wait(d), Ok(Status::Signaled(SIGKILL)));
    let e = fork().expect("fork");
    if e == 0 {
        user::install_probes(); // a handler that resumes only probes: a real fault is unhandled
        core::hint::black_box(mapped_page(0x10_0000)[0]);
        process::exit(0);
    }
    c.equal("a crashed child is reported killed", process::wait(e), Ok(Status::Killed));
    c.equal("signals only to children", process::kill(0x1234_0000, SIGTERM), Err(Error::NoSuchEnv));
    c.equal("unknown signal", process::kill(e, 5), Err(Error::BadArgument));
    process::check_signals();
    c.check("SIGCHLD for each ended child", CHLD.load(Ordering::Relaxed) >= 4);
}

fn bomb(c: &mut Checks) {
    let root = process::id();
    let refused = loop {
        match fork() {
            Ok(_) => continue, // parent and child both fork again
            Err(e) => break Some(e),
        }
    };
    if process::id() != root {
        // A bomb process: wait to be killed with its ancestors.
        loop {
            let _ = sys_env_yield(abi::ANY_ENV);
        }
    }
    exos::println!("forks: fork bomb refused: {:?}", refused);
    c.check("the bomb ran out of environments", matches!(refused, Some(Error::NoMemory | Error::OutOfMemory | Error::TableFull | Error::QuotaExceeded)));
    for pid in process::children().collect::<Vec<_>>() {
        let _ = process::kill(pid, SIGKILL);
        let _ = process::wait(pid);
    }
    c.equal("no children left", process::children().count(), 0);
    let again = fork().expect("fork after the bomb");
    if again == 0 {
        process::exit(3);
    }
    c.equal("fork works again after the bomb", process::wait(again), Ok(Status::Exited(3)));
}

fn main() -> i64 {
    let mut c = Checks::new("forks");
    let (_, page) = sys_page_alloc(ANY_PAGE).expect("a page");
    let rw = Rights::READ.0 | Rights::WRITE.0;
    c.equal("map the shared page", sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: SHARED, slot: page, rights: rw | MAP_SHARED }]), (1, None));
    basics(&mut c);
    fifty(&mut c);
    signals(&mut c);
    bomb(&mut c);
    exos::println!("forks: {} pages retired, waiting for children to let go", exos::mem::cow::retired());
    let free_pages = vm::sysinfo().free_pages;
    c.check("free pages reported", free_pages > 0);
    c.finish()
}

exos::main!(main);
