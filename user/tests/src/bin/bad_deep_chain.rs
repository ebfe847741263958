//! Hostile test (regression for a review finding): a chain of environments 1,000 deep (each the
//! child of the previous one; the table once held 64, and this chain was as deep as the table).
//! When the first ends, the kernel must end the whole chain without recursing once per level on
//! its small stack.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use core::sync::atomic::{AtomicU64, Ordering};
use exos::sys::syscall::*;
use user::spawn;

static DEPTH: AtomicU64 = AtomicU64::new(0);

/// Environments in the chain below this program.
const CHAIN: u64 = 1000;

extern "C" fn child_main() -> ! {
    let depth = DEPTH.load(Ordering::Relaxed) + 1;
    DEPTH.store(depth, Ordering::Relaxed);
    if depth < CHAIN {
        let _ = spawn(child_main, &[]);
    }
    // Nothing to do but be there: sleep (no CPU) until the chain is ended.
    loop {
        exos::sys::wait::sleep(abi::WAIT_NOTIFY, None);
    }
}

fn main() {
    // Each level passes on all the memory it can spare (a copy keeps this setting), so the chain
    // is as deep as the environment table, not as its budget.
    exos::proc::budget::set_default(u64::MAX);
    let _ = spawn(child_main, &[]).expect("spawn");
    let live = || (0..abi::MAX_ENVS).filter(|&i| exos::sys::vm::env_info(i).id != 0).count();
    // Until the chain is complete (it may stop earlier if memory runs out: then it says so).
    let mut turns = 0;
    while live() < CHAIN as usize + 1 && turns < 200_000 {
        let _ = sys_env_yield(abi::ANY_ENV);
        turns += 1;
    }
    let live = live();
    exos::println!("bad_deep_chain: {live} environments live; the first one exits");
}

exos::main!(main);
