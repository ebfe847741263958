//! Virtual memory: the Appel-Li primitives (Appel and Li, ASPLOS 1991; the exokernel paper's
//! table 10) `prot1`, `prot100`, `unprot100`, `trap`, `appel1`, `appel2`, with `mprotect` and a
//! SIGSEGV handler (calls.rs), `first_touch` (demand-zero faults of a fresh anonymous region), and
//! large memory (`bench_large`: 2 MiB allocated and mapped in one call with 4 KiB or 2 MiB pages,
//! 1 GiB mapped and touched).

use crate::calls::{OPEN_PAGE, UNPROTECT, UNPROTECT_AND_PROTECT_OPEN, on_segv, set_handler_mode, set_signal};
use crate::measure::{PAGE, Rng, Runner, die, per_op, rdtsc};
use core::ffi::c_void;
use core::ptr;
use core::sync::atomic::Ordering::Relaxed;

/// Pages of the Appel-Li region.
const NPAGES: usize = 100;

/// A fresh private anonymous read-write mapping of `pages` pages.
fn map_anonymous(pages: usize) -> *mut u8 {
    // SAFETY: a new mapping chosen by the kernel; nothing of ours is touched.
    let region = unsafe {
        libc::mmap(
            ptr::null_mut(),
            pages * PAGE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if region == libc::MAP_FAILED {
        die("mmap");
    }
    region.cast()
}

/// Unmaps what [`map_anonymous`] returned.
fn unmap(region: *mut u8, pages: usize) {
    // SAFETY: `region` is a mapping of `pages` pages made by map_anonymous and no longer used.
    unsafe { libc::munmap(region.cast(), pages * PAGE) };
}

/// `mprotect` of `npages` pages from `base`, which must lie in the Appel-Li region.
fn protect(base: *mut u8, npages: usize, prot: i32) {
    // SAFETY: the pages belong to the benchmark's own mapping; no Rust reference points into it.
    if unsafe { libc::mprotect(base.cast::<c_void>(), npages * PAGE, prot) } != 0 {
        die("mprotect");
    }
}

/// A one-byte write to `address`, which may fault into the SIGSEGV handler and be restarted.
#[inline(always)]
fn touch(address: *mut u8, value: u8) {
    // SAFETY: `address` lies in one of the benchmark's own mappings; a protection fault is
    // answered by the handler making the page writable, and the write is then restarted.
    unsafe { ptr::write_volatile(address, value) }
}

pub fn bench_appel_li(runner: Runner) {
    const RW: i32 = libc::PROT_READ | libc::PROT_WRITE;
    const RO: i32 = libc::PROT_READ;
    let pages = map_anonymous(NPAGES);
    let page = |i: usize| pages.wrapping_add(i * PAGE);
    for i in 0..NPAGES {
        touch(page(i), 1);
    }
    set_signal(libc::SIGSEGV, on_segv);

    // prot1: read-protect one page (unprotecting it again is not timed).
    let iters = 1000;
    runner.run("prot1", iters, || {
        let mut total = 0;
        for _ in 0..iters {
            let t0 = rdtsc();
            protect(pages, 1, RO);
            total += rdtsc() - t0;
            protect(pages, 1, RW);
        }
        per_op(total, iters)
    });

    // prot100 and unprot100: read-protect / unprotect 100 pages in one call.
    let iters = 500;
    runner.run("prot100", iters, || {
        let mut total = 0;
        for _ in 0..iters {
            let t0 = rdtsc();
            protect(pages, NPAGES, RO);
            total += rdtsc() - t0;
            protect(pages, NPAGES, RW);
        }
        per_op(total, iters)
    });
    runner.run("unprot100", iters, || {
        let mut total = 0;
        for _ in 0..iters {
            protect(pages, NPAGES, RO);
            let t0 = rdtsc();
            protect(pages, NPAGES, RW);
            total += rdtsc() - t0;
        }
        per_op(total, iters)
    });

    // trap: write to a read-protected page; the handler unprotects it; the write completes.
    let iters = 1000;
    set_handler_mode(UNPROTECT);
    runner.run("trap", iters, || {
        let mut total = 0;
        for _ in 0..iters {
            protect(pages, 1, RO);
            let t0 = rdtsc();
            touch(pages, 2);
            total += rdtsc() - t0;
        }
        per_op(total, iters)
    });

    // appel1: write to a random protected page; the handler protects the previously open page
    // and unprotects the faulting one (prot1 + trap + unprot), per access.
    let mut rng = Rng::new();
    set_handler_mode(UNPROTECT_AND_PROTECT_OPEN);
    protect(pages, NPAGES, RO);
    protect(pages, 1, RW);
    OPEN_PAGE.store(pages as usize, Relaxed);
    runner.run("appel1", iters, || {
        let t0 = rdtsc();
        for _ in 0..iters {
            let target = loop {
                let target = page((rng.next() % NPAGES as u64) as usize);
                if target as usize != OPEN_PAGE.load(Relaxed) {
                    break target;
                }
            };
            touch(target, 3);
        }
        per_op(rdtsc() - t0, iters)
    });

    // appel2: protect 100 pages, write to each in a random order; the handler unprotects the
    // faulting page (protN + trap + unprot), per page.
    let rounds = 20;
    set_handler_mode(UNPROTECT);
    let mut order: [usize; NPAGES] = core::array::from_fn(|i| i);
    runner.run("appel2", rounds * NPAGES as u64, || {
        let mut total = 0;
        for _ in 0..rounds {
            for i in (1..NPAGES).rev() {
                // Fisher-Yates, untimed.
                let j = (rng.next() % (i as u64 + 1)) as usize;
                order.swap(i, j);
            }
            let t0 = rdtsc();
            protect(pages, NPAGES, RO);
            for &i in &order {
                touch(page(i), 4);
            }
            total += rdtsc() - t0;
        }
        per_op(total, rounds * NPAGES as u64)
    });
    unmap(pages, NPAGES);
}

/// first_touch: one write to each page of a fresh anonymous region, per page.
pub fn bench_first_touch(runner: Runner) {
    const ITERS: u64 = 1024; // pages per repeat
    runner.run("first_touch", ITERS, || {
        let region = map_anonymous(ITERS as usize);
        let t0 = rdtsc();
        for i in 0..ITERS as usize {
            touch(region.wrapping_add(i * PAGE), 1);
        }
        let ticks = rdtsc() - t0;
        unmap(region, ITERS as usize);
        per_op(ticks, ITERS)
    });
}

/// `madvise` of `[region, region + len)`; `false` when the kernel refuses (an old kernel without
/// `MADV_POPULATE_WRITE`, or no transparent huge pages).
fn advise(region: *mut u8, len: usize, advice: i32) -> bool {
    // SAFETY: the range lies in one of the benchmark's own mappings, which no Rust reference
    // points into.
    unsafe { libc::madvise(region.cast(), len, advice) == 0 }
}

/// Large memory, the counterparts of Exo's extents (issue 15): allocating and mapping 2 MiB in one
/// call (`madvise(MADV_POPULATE_WRITE)` after `mmap`), with 4 KiB pages (`MADV_NOHUGEPAGE`) and as
/// one transparent huge page (`MADV_HUGEPAGE` on a 2 MiB-aligned range); and mapping and touching
/// 1 GiB (`mmap`, then one write to each page, each a demand-zero fault). Unmapping is not timed.
pub fn bench_large(runner: Runner) {
    const MB2: usize = 2 << 20;
    for (name, advice) in [("map_2m_pages", libc::MADV_NOHUGEPAGE), ("map_2m_huge", libc::MADV_HUGEPAGE)] {
        let mut refused = false;
        runner.run(name, 1, || {
            let t0 = rdtsc();
            // Twice the size, so that a 2 MiB-aligned 2 MiB lies inside.
            let region = map_anonymous(2 * MB2 / PAGE);
            let aligned = region.wrapping_add(region.align_offset(MB2));
            refused |= !advise(aligned, MB2, advice) || !advise(aligned, MB2, libc::MADV_POPULATE_WRITE);
            let ticks = rdtsc() - t0;
            unmap(region, 2 * MB2 / PAGE);
            per_op(ticks, 1)
        });
        if refused {
            println!("BENCHINFO {name}: madvise refused (no MADV_POPULATE_WRITE or transparent huge pages)");
        }
    }
    const GIB_PAGES: usize = (1 << 30) / PAGE;
    runner.run("touch_1g", 1, || {
        let t0 = rdtsc();
        let region = map_anonymous(GIB_PAGES);
        for i in 0..GIB_PAGES {
            touch(region.wrapping_add(i * PAGE), 1);
        }
        let ticks = rdtsc() - t0;
        unmap(region, GIB_PAGES);
        per_op(ticks, 1)
    });
}
