//! Hostile test: torn reads of the environment table (issue 16, item 5).
//!
//! A record of the read-only environment table is four `u32` words; a program that reads them one
//! by one can lose the CPU between two loads while the kernel rewrites the record for another
//! environment, and then holds half of the old record and half of the new one. The kernel guards
//! each record with a sequence word (`abi::seqlock`, `abi::layout::ENV_SEQ_BASE`).
//!
//! A churner child creates an environment, destroys it, and rests, one step per turn, handing the
//! CPU back with a directed yield after each step. The reader makes the dangerous window wide and
//! deterministic: it loads the record's id, yields to the churner (which makes one step), then loads
//! the parent. A record is consistent when it is free (id 0, parent 0) or names the churner's child
//! (id at that index, parent the churner); the id of one version with the parent of another is not.
//! - raw loads across the yield (no protocol): torn on the create and destroy steps (counted, must be
//!   seen: the hazard is real and the test can see it);
//! - the same window under the protocol (`abi::seqlock::read`, the function `vm::env_info` uses):
//!   never a torn record accepted, and some records read (an attempt overlapping a step is retried);
//! - `vm::env_info` between the churner's steps: always consistent.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use core::sync::atomic::{AtomicU64, Ordering};
use exos::println;
use exos::sys::syscall::*;
use exos::sys::vm;
use user::Checks;

/// Reads per phase.
const ROUNDS: u64 = 60;
/// The reader's id, set before the churner is spawned (the churner gets a copy of this image).
static READER: AtomicU64 = AtomicU64::new(0);

/// Create, destroy, rest; one step per turn, then the CPU goes back to the reader.
extern "C" fn churner_main() -> ! {
    let reader = READER.load(Ordering::Relaxed);
    let mut child = None;
    for step in 0u64.. {
        match step % 3 {
            0 => child = sys_env_create(user::child_pages()).ok().map(|(_, slot)| slot),
            1 => {
                if let Some(slot) = child.take() {
                    let _ = sys_env_destroy(slot);
                }
            }
            _ => {}
        }
        if sys_env_yield(reader).is_err() {
            let _ = sys_env_yield(abi::ANY_ENV);
        }
    }
    unreachable!()
}

fn main() -> i64 {
    let mut c = Checks::new("bad_window_torn_read");
    READER.store(exos::proc::process::id(), Ordering::Relaxed);
    let Ok((churner, _)) = user::spawn(churner_main, &[]) else {
        c.check("spawn the churner", false);
        return c.finish();
    };
    let turn = || {
        if sys_env_yield(churner).is_err() {
            let _ = sys_env_yield(abi::ANY_ENV);
        }
    };
    // Find the index the churner's child lives at (the lowest free one; it keeps it).
    let mut index = None;
    for _ in 0..100 {
        turn();
        index = (0..abi::MAX_ENVS).find(|&i| {
            let info = vm::env_info(i);
            info.id != 0 && u64::from(info.parent) == churner
        });
        if index.is_some() {
            break;
        }
    }
    let Some(index) = index else {
        c.check("the churner's child appears in the environment table", false);
        return c.finish();
    };
    let consistent = |id: u32, parent: u32| {
        (id == 0 && parent == 0) || (id != 0 && abi::env_index(u64::from(id)) == index && u64::from(parent) == churner)
    };

    let mut raw_torn = 0;
    for _ in 0..ROUNDS {
        let id = vm::env_word(index, 0);
        turn();
        let parent = vm::env_word(index, 1);
        raw_torn += u64::from(!consistent(id, parent));
    }

    let (mut read, mut torn, mut gave_up, mut attempts) = (0u64, 0u64, 0u64, 0u64);
    for _ in 0..ROUNDS {
        let sequence = || vm::env_sequence(index);
        let record = || {
            attempts += 1;
            let id = vm::env_word(index, 0);
            turn();
            (id, vm::env_word(index, 1))
        };
        match abi::seqlock::read(sequence, record, abi::seqlock::TRIES) {
            Some((id, parent)) => {
                read += 1;
                torn += u64::from(!consistent(id, parent));
            }
            None => gave_up += 1,
        }
    }

    let mut env_info_torn = 0;
    for _ in 0..ROUNDS {
        turn();
        let info = vm::env_info(index);
        let free = info == abi::EnvInfo::default();
        env_info_torn += u64::from(!(free || (consistent(info.id, info.parent) && info.id != 0 && info.state == abi::ENV_NOT_STARTED)));
    }

    println!("bad_window_torn_read: raw loads {raw_torn}/{ROUNDS} torn; sequenced {read} read ({attempts} attempts), {torn} torn, {gave_up} gave up; env_info {env_info_torn} torn");
    c.check("raw loads across a change see torn records (the hazard is real)", raw_torn > 0);
    c.equal("records read under the sequence protocol are never torn", torn, 0);
    c.check("the protocol reads records (retrying across changes)", read > 0 && attempts > read);
    c.equal("vm::env_info is never torn", env_info_torn, 0);
    c.finish()
}

exos::main!(main);
