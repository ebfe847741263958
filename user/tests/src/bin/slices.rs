//! The time-slice vector: allocate positions, see them in the read-only slice table, get more of
//! the CPU than a child that owns none while both spin, get a slice-end upcall after each
//! preemption, and be refused every misuse (taken, out of range, not mine).
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::{Error, ExceptionFrame, MapUpdate, Rights, ANY_PAGE, ANY_SLICE, SLICES};
use core::sync::atomic::{AtomicU64, Ordering};
use exos::sys::syscall::*;
use exos::sys::vm;
use user::{mapped_page, mapped_page_mut, spawn, Checks};

const SHARED: u64 = 0x6100_0000;
static SLICE_ENDS: AtomicU64 = AtomicU64::new(0);

fn on_slice_end(frame: &mut ExceptionFrame) {
    // The registers of the interrupted code are all here; a thread library would switch them.
    if frame.rip != 0 {
        SLICE_ENDS.fetch_add(1, Ordering::Relaxed);
    }
}

fn no_faults(_: &mut ExceptionFrame) -> bool {
    false
}

fn counter(i: usize) -> u64 {
    u64::from_le_bytes(mapped_page(SHARED)[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]))
}

fn bump(i: usize) {
    let next = counter(i) + 1;
    mapped_page_mut(SHARED)[i * 8..i * 8 + 8].copy_from_slice(&next.to_le_bytes());
}

/// Counts in word `i` and watches the timer's position: the same work for parent and child, so
/// the counts compare CPU time. Stops when word 2 is set, or after `turns` position changes.
fn spin(i: usize, turns: u64) {
    let (mut seen, mut last) = (0, vm::slices().1);
    while counter(2) == 0 && seen < turns {
        bump(i);
        let now = vm::slices().1;
        if now != last {
            seen += 1;
            last = now;
        }
    }
}

extern "C" fn spinner() -> ! {
    spin(1, u64::MAX);
    sys_env_exit(0)
}

fn main() -> i64 {
    let mut c = Checks::new("slices");
    let (pa, shared) = sys_page_alloc(ANY_PAGE).expect("shared page");
    let me = vm::owner(pa >> 12).unwrap_or(0);
    let rw = Rights::READ.0 | Rights::WRITE.0;
    c.equal("map shared", sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: SHARED, slot: shared, rights: rw }]), (1, None));

    for position in 0..12 {
        c.equal("take a slice", sys_slice_alloc(position), Ok(position));
    }
    c.equal("take a taken slice", sys_slice_alloc(3), Err(Error::Busy));
    c.equal("take slice 16", sys_slice_alloc(SLICES as u64), Err(Error::BadArgument));
    c.equal("take slice u64::MAX - 1", sys_slice_alloc(u64::MAX - 1), Err(Error::BadArgument));
    c.equal("any free slice", sys_slice_alloc(ANY_SLICE), Ok(12));
    c.equal("free it", sys_slice_free(12), Ok(()));
    c.equal("free one I do not own", sys_slice_free(13), Err(Error::NoRights));
    c.equal("free slice 99", sys_slice_free(99), Err(Error::BadArgument));
    let (owners, _) = vm::slices();
    c.check("the slice table shows mine", owners[..12].iter().all(|&o| o == me) && owners[12..].iter().all(|&o| o == 0));
    c.equal("slice upcall: bad flag", user::raw_syscall(abi::Sysnum::EnvSetSliceUpcall as u64, [7, 0, 0, 0, 0, 0]).1, Some(Error::BadArgument));

    exos::rt::exception::set_handler(no_faults).expect("handler");
    exos::rt::exception::set_slice_handler(on_slice_end).expect("slice upcalls");
    let (_, child) = spawn(spinner, &[(SHARED, shared)]).expect("spawning the spinner");
    // Both spin; the timer decides. Stop after enough ticks for the vector to turn a few times.
    spin(0, 64);
    mapped_page_mut(SHARED)[16] = 1;
    let (mine, theirs) = (counter(0), counter(1));
    exos::println!("slices: with 12 of 16 slices I counted {mine}, the child with none counted {theirs}; {} slice-end upcalls",
                   SLICE_ENDS.load(Ordering::Relaxed));
    c.check("owning slices gets more CPU", mine > theirs && theirs > 0);
    c.check("slice-end upcalls arrived", SLICE_ENDS.load(Ordering::Relaxed) > 0);
    let _ = sys_env_destroy(child);
    c.finish()
}

exos::main!(main);
