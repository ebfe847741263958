//! The CPU as a vector of `abi::SLICES` time slices that environments allocate by position
//! (`slice_alloc`): the owner's id at each position (0: free), and the position the timer is at.
//! Every change is published in the read-only slice window. The run queue (`sched.rs`) advances
//! it at each tick; this file calls only `windows`.
use abi::SLICES;

struct Slices {
    owners: [u64; SLICES],
    position: usize,
}

static SLICES_: spin::Mutex<Slices> = spin::Mutex::new(Slices { owners: [0; SLICES], position: 0 });

/// Runs `f` on the owners' ids (0 = free) and publishes the result.
pub fn with<R>(f: impl FnOnce(&mut [u64; SLICES]) -> R) -> R {
    let mut s = SLICES_.lock();
    let result = f(&mut s.owners);
    crate::windows::publish_slices(&s.owners, s.position);
    result
}

/// Timer tick: moves to the next position and returns its owner (0: free).
pub fn advance() -> u64 {
    let mut s = SLICES_.lock();
    s.position = (s.position + 1) % SLICES;
    let owner = s.owners[s.position];
    crate::windows::publish_slices(&s.owners, s.position);
    owner
}

/// Frees every position environment `id` owns (it is ending).
pub fn release(id: u64) {
    with(|owners| owners.iter_mut().filter(|o| **o == id).for_each(|o| *o = 0));
}
