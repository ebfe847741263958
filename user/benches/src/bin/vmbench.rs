//! Exo's side of the Appel-Li lines of `cargo xtask bench`: the virtual-memory primitives of
//! `exos::mem::appel` (Appel and Li, ASPLOS 1991; the exokernel paper's Table 10) and the first touch of
//! a demand-zero page, measured exactly as the Linux program `bench/linux` (`linuxbench`) measures its counterparts (same
//! names, iteration counts, random sequences and untimed parts; first_touch uses 256 pages per
//! repeat instead of 1024: a capability table has 1,024 slots, and the program holds its image too).
//!
//! Each line is `BENCH name=<id> median=<ticks per op> min=<ticks per op> iters=<n>` over
//! `user::bench::REPEATS` repeats, as in `bench.rs`; a tick is a TSC cycle, or one guest instruction under
//! QEMU `-icount shift=0,sleep=off`. It ends with `BENCH vmbench done`. Boot with
//! `mode=test run=vmbench` (the harness runs `bench,vmbench`).
#![no_std]
#![no_main]
#![allow(unsafe_code)]

extern crate alloc;

use abi::Rights;
use exos::mem::appel::{self, PROTECTED, UNPROTECTED};
use exos::mem::mmap::{self, PAGE};
use exos::println;
use user::bench::{self, rdtsc, repeats, report, Random, REPEATS};

/// Pages of the Appel-Li region.
const NPAGES: u64 = 100;

/// Runs `repeat` [`repeats`] times; each returns its total ticks, divided by `ops`.
fn measure(name: &str, iters: u64, ops: u64, mut repeat: impl FnMut() -> u64) {
    let mut per_op = [0f64; REPEATS];
    let per_op = &mut per_op[..repeats()];
    for slot in per_op.iter_mut() {
        *slot = repeat() as f64 / ops as f64;
    }
    report(name, per_op, iters);
}

/// A byte store that may fault into the region's handler, which makes it succeed.
#[inline(always)]
fn store(addr: u64, value: u8) {
    // SAFETY: `addr` is in this program's region; a protected page faults, the region's handler
    // unprotects it, and the store is retried.
    unsafe { core::ptr::write_volatile(addr as *mut u8, value) }
}

fn ok<T>(what: &str, result: Result<T, abi::Error>) -> T {
    result.unwrap_or_else(|e| {
        println!("vmbench: {what}: {e}");
        exos::sys::syscall::sys_env_exit(1)
    })
}

/// Runs every benchmark; `quick`: one repeat each, only to check that each runs.
pub fn run(quick: bool) -> i64 {
    bench::set_quick(quick);
    let pages = ok("mmap", mmap::mmap(NPAGES * PAGE, UNPROTECTED));
    for i in 0..NPAGES {
        store(pages + i * PAGE, 1);
    }
    let mut random = Random(Random::SEED);

    // dirty: read one page's dirty bit through the self-map.
    let mut dirty = 0;
    measure("dirty", 10_000, 10_000, || {
        let t0 = rdtsc();
        for _ in 0..10_000 {
            dirty += u64::from(appel::dirty(core::hint::black_box(pages)));
        }
        rdtsc() - t0
    });
    if dirty != repeats() as u64 * 10_000 {
        println!("vmbench: the written page did not read dirty ({dirty})");
        return 1;
    }

    // prot1: read-protect one page (unprotecting it again is not timed).
    measure("prot1", 1000, 1000, || {
        (0..1000).map(|_| {
            let t0 = rdtsc();
            ok("prot1", appel::prot1(pages));
            let t = rdtsc() - t0;
            ok("unprot1", appel::unprot1(pages));
            t
        }).sum()
    });

    // prot100 and unprot100: 100 pages in one call.
    measure("prot100", 500, 500, || {
        (0..500).map(|_| {
            let t0 = rdtsc();
            ok("prot100", appel::protn(pages, NPAGES));
            let t = rdtsc() - t0;
            ok("unprot100", appel::unprotn(pages, NPAGES));
            t
        }).sum()
    });
    measure("unprot100", 500, 500, || {
        (0..500).map(|_| {
            ok("prot100", appel::protn(pages, NPAGES));
            let t0 = rdtsc();
            ok("unprot100", appel::unprotn(pages, NPAGES));
            rdtsc() - t0
        }).sum()
    });

    // trap: a store to a read-protected page; the handler unprotects it; the store completes.
    ok("handler", mmap::set_fault_handler(pages, Some(appel::unprotect_on_fault)));
    let traps = appel::traps();
    measure("trap", 1000, 1000, || {
        (0..1000).map(|_| {
            ok("prot1", appel::prot1(pages));
            let t0 = rdtsc();
            store(pages, 2);
            rdtsc() - t0
        }).sum()
    });

    // appel1: store to a random protected page; the handler protects the open page and unprotects
    // the faulting one, in one page_map call.
    ok("handler", mmap::set_fault_handler(pages, Some(appel::protect_open_and_unprotect)));
    ok("protN", appel::protn(pages, NPAGES));
    ok("unprot1", appel::unprot1(pages));
    appel::set_open_page(pages);
    measure("appel1", 1000, 1000, || {
        let t0 = rdtsc();
        for _ in 0..1000 {
            let page = loop {
                let page = pages + (random.next_u64() % NPAGES) * PAGE;
                if page != appel::open_page() {
                    break page;
                }
            };
            store(page, 3);
        }
        rdtsc() - t0
    });

    // appel2: protect 100 pages, store to each in a random order; the handler unprotects.
    ok("handler", mmap::set_fault_handler(pages, Some(appel::unprotect_on_fault)));
    let rounds = 20;
    let mut order: [u64; NPAGES as usize] = core::array::from_fn(|i| i as u64);
    measure("appel2", rounds * NPAGES, rounds * NPAGES, || {
        let mut total = 0;
        for _ in 0..rounds {
            for i in (1..NPAGES as usize).rev() {
                order.swap(i, (random.next_u64() % (i as u64 + 1)) as usize); // Fisher-Yates, untimed
            }
            let t0 = rdtsc();
            ok("protN", appel::protn(pages, NPAGES));
            for &page in &order {
                store(pages + page * PAGE, 4);
            }
            total += rdtsc() - t0;
        }
        total
    });
    let expected = repeats() as u64 * (1000 + 1000 + rounds * NPAGES);
    if appel::traps() - traps != expected {
        println!("vmbench: {} faults handled, expected {expected}", appel::traps() - traps);
        return 1;
    }
    ok("munmap", mmap::munmap(pages, NPAGES * PAGE));

    // first_touch: one store to each page of a fresh demand-zero region.
    let n = 256;
    measure("first_touch", n, n, || {
        let region = ok("mmap", mmap::mmap(n * PAGE, Rights(Rights::READ.0 | Rights::WRITE.0)));
        let t0 = rdtsc();
        for i in 0..n {
            store(region + i * PAGE, 1);
        }
        let t = rdtsc() - t0;
        ok("munmap", mmap::munmap(region, n * PAGE));
        t
    });
    let _ = PROTECTED;
    large();
    println!("BENCH vmbench done");
    0
}

/// Large memory (issue 15): allocating and mapping 2 MiB with 4 KiB pages (`page_alloc` per page,
/// one `page_map` of 512 updates), from an extent with 4 KiB pages (two calls) and from a 2 MiB-
/// aligned extent as one 2 MiB page (two calls); unmapping and freeing are not timed. Then
/// `touch_1g`: an extent region of 1 GiB (`mmap::Spec::extent`) allocated, mapped and written page
/// by page, when the page quota lets this program hold 1 GiB (memory budgets); otherwise a
/// `BENCHINFO` line says why it was skipped.
fn large() {
    use exos::sys::syscall::{sys_extent_alloc, sys_extent_free, sys_extent_map, sys_extent_unmap, sys_page_free, sys_page_map};
    use abi::{MapUpdate, ANY_PAGE, EXTENT_HUGE, HUGE_PAGES, SELF_ENV};
    const AT: u64 = 0x5000_0000;
    let rw = Rights::READ.0 | Rights::WRITE.0;
    let n = HUGE_PAGES;
    let mut slots = alloc::vec![0u64; n as usize];
    let mut updates = alloc::vec![MapUpdate::default(); n as usize];
    measure("map_2m_pages", 1, 1, || {
        let t0 = rdtsc();
        for (i, (slot, update)) in slots.iter_mut().zip(updates.iter_mut()).enumerate() {
            *slot = ok("page_alloc", exos::sys::syscall::sys_page_alloc(ANY_PAGE)).1;
            *update = MapUpdate { op: MapUpdate::MAP, va: AT + i as u64 * PAGE, slot: *slot, rights: rw };
        }
        let mapped = sys_page_map(&updates);
        let t = rdtsc() - t0;
        ok("page_map", if mapped.1.is_none() { Ok(()) } else { Err(mapped.1.unwrap_or(abi::Error::BadArgument)) });
        for &slot in slots.iter() {
            ok("page_free", sys_page_free(slot));
        }
        t
    });
    for (name, align, huge) in [("map_2m_extent_pages", 1, 0), ("map_2m_huge", HUGE_PAGES, EXTENT_HUGE)] {
        measure(name, 1, 1, || {
            let t0 = rdtsc();
            let (_, slot) = ok("extent_alloc", sys_extent_alloc(n, align));
            ok("extent_map", sys_extent_map(SELF_ENV, slot, AT, 0, n, rw | huge));
            let t = rdtsc() - t0;
            ok("extent_unmap", sys_extent_unmap(SELF_ENV, AT, n));
            ok("extent_free", sys_extent_free(slot));
            t
        });
    }
    drop((slots, updates));
    let len = 1 << 30;
    let spec = mmap::Spec::extent(len, Rights(rw));
    measure("touch_1g", 1, 1, || {
        let t0 = rdtsc();
        let region = ok("mmap", mmap::map(spec));
        for i in 0..len / PAGE {
            store(region + i * PAGE, 1);
        }
        let t = rdtsc() - t0;
        ok("munmap", mmap::munmap(region, len));
        t
    });
}

/// `vmbench [--quick]`: every line, with one repeat each under `--quick`.
fn main() -> i64 {
    match user::bench::quick_argument("vmbench") {
        Ok(quick) => run(quick),
        Err(status) => status,
    }
}

exos::main!(main);
