//! Exo's process and scheduling lines of `cargo xtask bench` (issue 7), measured with rdtsc and
//! printed in the format of `bench.rs` (`BENCH name=<id> median=<ticks per op> min=<ticks per op>
//! iters=<n>`):
//! - `yield`: `env_yield` to a peer environment that yields straight back (one round trip);
//! - `pct_async`: `pct_send` to a server whose entry goes straight back to `pct_wait`, then
//!   `env_yield` to it so that it runs that entry; the CPU comes back when it waits;
//! - `getppid`: `exos::proc::process::parent()`, measured in a forked child (a boot program has no
//!   parent); the library answers from the child's status page, without the kernel;
//! - `fork`: `exos::proc::fork::fork()` of a child that exits at once, and `process::wait` for it;
//! - `spawn`: `exos::proc::spawn::spawn("true", ...)` and `process::wait` for it;
//! - `env_create`: the kernel's bare environment: `env_create` with the smallest budget (its own
//!   record, `abi::ENV_RECORD_PAGES`) and `env_destroy` of it (no program, nothing mapped):
//!   environments created per second is one over its time.
//!
//! The peers of `yield` and `pct_async` are copies of this program started by `user::spawn`
//! (statics pass them what they need) and destroyed once measured, before the first `fork`. After
//! the `fork` and `spawn` lines the program checks that more of each leak no page ([`no_leak`]).
//! Boot with `mode=test run=procbench` (the harness adds it to its Exo boot).
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use core::hint::black_box;
use core::sync::atomic::{AtomicU64, Ordering};
use exos::proc::process::{self, Status};
use exos::println;
use user::bench::{self, measure};
use exos::sys::syscall::{sys_cap_delete, sys_env_create, sys_env_destroy, sys_env_exit, sys_env_yield, sys_pct_send, sys_pct_set_entry, sys_pct_wait};

/// The environment a `yield` peer yields back to (set before `user::spawn` copies the statics).
static YIELD_BACK_TO: AtomicU64 = AtomicU64::new(0);

/// Operations per repeat for each line. fork and spawn cost about 1-2 M instructions each.
const ITERS_YIELD: u64 = 2_000;
const ITERS_PCT_ASYNC: u64 = 2_000;
const ITERS_GETPPID: u64 = 20_000;
const ITERS_FORK: u64 = 20;
const ITERS_SPAWN: u64 = 20;
const ITERS_ENV_CREATE: u64 = 200;
/// Extra fork+wait and spawn+wait operations between the two page counts of the leak check.
const LEAK_CHECK_OPS: u64 = 32;

/// The `yield` peer: gives the CPU straight back, forever (destroyed by the parent).
extern "C" fn yield_peer() -> ! {
    let back = YIELD_BACK_TO.load(Ordering::Relaxed);
    while sys_env_yield(back).is_ok() {}
    sys_env_exit(1)
}

/// The `pct_async` server: registers [`async_entry`] and waits for transfers.
extern "C" fn async_server() -> ! {
    let stack_top = user::CHILD_STACK_TOP - 0x2000;
    let e = sys_pct_set_entry(async_entry, stack_top).err().unwrap_or_else(sys_pct_wait);
    println!("procbench: PCT server: {e:?}");
    sys_env_exit(1)
}

/// Where each asynchronous transfer lands: straight back to waiting.
extern "C" fn async_entry(_caller: u64, _: u64, _: u64, _: u64, _: u64, _: u64) -> ! {
    let e = sys_pct_wait();
    println!("procbench: PCT entry: {e:?}");
    sys_env_exit(1)
}

/// Ends a peer started with `user::spawn` and frees the capability slot over it.
fn end_peer(slot: u64) {
    let _ = sys_env_destroy(slot);
    let _ = sys_cap_delete(slot); // destroy may already have emptied the slot: nothing to do then
}

fn bench_yield() -> bool {
    YIELD_BACK_TO.store(process::id(), Ordering::Relaxed);
    let Ok((peer, slot)) = user::spawn(yield_peer, &[]) else { return false };
    // A yield fails (NoSuchEnv) if the peer ended, so every round trip counted reached it.
    let ok = measure("yield", ITERS_YIELD, || sys_env_yield(peer).is_ok());
    end_peer(slot);
    ok
}

fn bench_pct_async() -> bool {
    let Ok((server, slot)) = user::spawn(async_server, &[]) else { return false };
    // Let the server register its entry and wait; the first send that succeeds is a warm-up.
    let mut tries = 0;
    while let Err(e) = sys_pct_send(slot, [0; 5]) {
        tries += 1;
        if !matches!(e, abi::Error::Busy | abi::Error::NoEntry) || tries > 1000 {
            println!("procbench: pct_async: the server never waited: {e:?}");
            end_peer(slot);
            return false;
        }
        let _ = sys_env_yield(server);
    }
    let _ = sys_env_yield(server);
    // A send succeeds only if the server is waiting again, so each one counted means the previous
    // transfer ran the entry through to its pct_wait. A timer tick between the send and the yield
    // may run the server first: the yield then finds it waiting (NoSuchEnv: not runnable), which
    // is as good. Busy (a tick stopped the server inside its entry) gives it the CPU and retries.
    let ok = measure("pct_async", ITERS_PCT_ASYNC, || loop {
        match sys_pct_send(slot, [1, 2, 3, 4, 5]) {
            Ok(()) => {
                let _ = sys_env_yield(server);
                return true;
            }
            Err(abi::Error::Busy) => {
                let _ = sys_env_yield(server);
            }
            Err(_) => return false,
        }
    });
    end_peer(slot);
    ok
}

/// `getppid`, measured in a forked child: the child's `process::parent()` (its status page)
/// must name this process.
fn bench_getppid() -> bool {
    let me = process::id();
    match exos::proc::fork::fork() {
        Ok(0) => {
            if process::parent() != me {
                println!("procbench: getppid: parent() = {}, not {me}", process::parent());
                process::exit(1);
            }
            let ok = measure("getppid", ITERS_GETPPID, || black_box(process::parent()) != 0);
            process::exit(i64::from(!ok))
        }
        Ok(child) => process::wait(child) == Ok(Status::Exited(0)),
        Err(e) => {
            println!("procbench: getppid: fork: {e:?}");
            false
        }
    }
}

/// One fork of a child that exits at once, and the wait for it.
fn fork_exit_wait() -> bool {
    match exos::proc::fork::fork() {
        Ok(0) => process::exit(0),
        Ok(child) => process::wait(child) == Ok(Status::Exited(0)),
        Err(e) => {
            println!("procbench: fork: {e:?}");
            false
        }
    }
}

/// One bare environment created and destroyed, and its capability slot emptied.
fn env_create_destroy() -> bool {
    match sys_env_create(abi::ENV_RECORD_PAGES) {
        Ok((_, slot)) => {
            let destroyed = sys_env_destroy(slot).is_ok();
            let _ = sys_cap_delete(slot); // destroy may have emptied the slot already
            destroyed
        }
        Err(e) => {
            println!("procbench: env_create: {e:?}");
            false
        }
    }
}

/// One spawn of `true`, and the wait for it.
fn spawn_exit_wait() -> bool {
    match exos::proc::spawn::spawn("true", &["true"], &[]) {
        Ok(child) => process::wait(child) == Ok(Status::Exited(0)),
        Err(e) => {
            println!("procbench: spawn: {e:?}");
            false
        }
    }
}

/// The pages this process holds (`page_alloc`), from the kernel's process table.
fn own_pages() -> u64 {
    let me = process::id();
    exos::sys::stats::processes().filter(|p| u64::from(p.id) == me).map(|p| u64::from(p.pages)).sum()
}

/// Runs `op` [`LEAK_CHECK_OPS`] more times and checks that nothing leaked: this process holds
/// exactly the pages it held before, and the free page count did not drop by [`FREE_DRIFT`]
/// pages per operation (a child's image, stack and status page are over a dozen, so a leaked
/// process shows). The free count drifts between operations that leak nothing: by a few pages
/// either way under `-icount`, and by up to about one page per spawn in a plain boot, where timer
/// ticks land elsewhere (kernel heap growth, not yet explained); so it is not compared exactly.
/// The kernel's own check at the end of a test run is exact.
/// Free pages an operation may seem to take without a leak (see [`no_leak`]).
const FREE_DRIFT: u64 = 4;

fn no_leak(name: &str, op: fn() -> bool) -> bool {
    let (own, free) = (own_pages(), exos::sys::vm::sysinfo().free_pages);
    if !(0..LEAK_CHECK_OPS).all(|_| op()) {
        return false;
    }
    let (own_after, free_after) = (own_pages(), exos::sys::vm::sysinfo().free_pages);
    let ok = own_after == own && free_after + FREE_DRIFT * LEAK_CHECK_OPS > free;
    if !ok {
        println!("procbench: {name}: {LEAK_CHECK_OPS} more operations took this process's pages from {own} to {own_after}, the free pages from {free} to {free_after}");
    }
    ok
}

/// Runs every benchmark; `quick`: one repeat each, only to check that each runs.
/// One untimed fork and one untimed spawn come first: the first spawn after the forks also pays
/// for this process's copy-on-write pages (a third more in the one-repeat quick run otherwise).
pub fn run(quick: bool) -> i64 {
    bench::set_quick(quick);
    let ok = bench_yield()
        && bench_pct_async()
        && bench_getppid()
        && fork_exit_wait()
        && measure("fork", ITERS_FORK, fork_exit_wait)
        && no_leak("fork", fork_exit_wait)
        && spawn_exit_wait()
        && measure("spawn", ITERS_SPAWN, spawn_exit_wait)
        && no_leak("spawn", spawn_exit_wait)
        && measure("env_create", ITERS_ENV_CREATE, env_create_destroy)
        && no_leak("env_create", env_create_destroy);
    if ok {
        println!("BENCH procbench done");
    }
    i64::from(!ok)
}

/// `procbench [--quick]`: every line, with one repeat each under `--quick`.
fn main() -> i64 {
    match user::bench::quick_argument("procbench") {
        Ok(quick) => run(quick),
        Err(status) => status,
    }
}

exos::main!(main);
