//! Hostile test (regression for a review finding): a chain of environments as deep as the table
//! (each the child of the previous one). When the first ends, the kernel must end the whole chain
//! without recursing once per level on its small stack.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use core::sync::atomic::{AtomicU64, Ordering};
use exos::sys::syscall::*;
use user::spawn;

static DEPTH: AtomicU64 = AtomicU64::new(0);

extern "C" fn child_main() -> ! {
    let depth = DEPTH.load(Ordering::Relaxed) + 1;
    DEPTH.store(depth, Ordering::Relaxed);
    let _ = spawn(child_main, &[]);
    loop {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
}

fn main() {
    // Each level passes on all the memory it can spare (a copy keeps this setting), so the chain
    // is as deep as the environment table, not as its budget.
    exos::proc::budget::set_default(u64::MAX);
    let _ = spawn(child_main, &[]).expect("spawn");
    for _ in 0..3000 {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
    let live = (0..abi::MAX_ENVS).filter(|&i| exos::sys::vm::env_info(i).id != 0).count();
    exos::println!("bad_deep_chain: {live} environments live; the first one exits");
}

exos::main!(main);
