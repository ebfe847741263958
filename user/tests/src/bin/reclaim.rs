//! Memory pressure answered by ExOS (`exos::mem::reclaim`; boot with `user_pages=800`, the pages all
//! environments may hold together). A parent and its forked child each sweep a demand-zero region
//! of 600 pages, three quarters of that budget, three times, at the same time: every fourth page
//! is written with a pattern of its own (dirty), the others are only read (clean: zero). Together
//! they touch far more than the budget, so the kernel keeps asking one of them for pages back: the
//! library gives back clean pages (answering the upcall, or inline when the request reaches it
//! inside its page-fault handler) and frees its own clean pages to make room. Both survive, every
//! pattern is intact in every sweep (no dirty page was ever taken), every clean page reads zero
//! (what a clean demand-zero page given back holds when touched again), and nothing was
//! repossessed by force.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::{env_index, MapUpdate, Rights, ANY_ENV, ANY_PAGE, MAX_ENVS};
use exos::sys::syscall::*;
use exos::{mem::mmap, proc::process, mem::reclaim, sys::vm};
use user::{Checks, mapped_page, mapped_page_mut, page_word, set_page_word};

/// The budget the test boots with (`user_pages=`).
const BUDGET: u64 = 800;
/// Pages each process sweeps: well beyond half of the budget.
const TOUCH: u64 = 600;
/// Sweeps over the region.
const SWEEPS: u64 = 3;
/// A page parent and child share across `fork` (mapped with the shared tag): two halves of 32
/// words, the parent's report at 0, the child's at [`CHILD`].
const CTRL: u64 = 0x6100_0000;
const CHILD: usize = 32;
/// Report words (each half).
const READY: usize = 0;
const GO: usize = 1;
const DONE: usize = 2;
const MISMATCHES: usize = 3;
const PEAK: usize = 4;
const CYCLES: usize = 5;
const UPCALLS: usize = 6;
const REPOSSESSED: usize = 7;
/// Requests answered so far (the revocation handler counts them).
const ANSWERS: usize = 21;
/// The first phase (the parent fills the budget while the child idles): pages the child reads
/// first, and the ticks the parent waits at most for the child's answer.
const PHASE1_PAGES: u64 = 400;
const PHASE1_TICKS: u64 = 200;
/// `reclaim::Stats`, from here on.
const STATS: usize = 8;
/// The parent's id (in the parent's half).
const PARENT_ID: usize = 20;
/// Whether phase 1 ended with the child's answer (parent's half).
const PHASE1: usize = 22;

/// This process's half of the control page.
fn half() -> usize {
    if process::id() == page_word(CTRL, PARENT_ID) { 0 } else { CHILD }
}

/// Pages held by every environment.
fn used() -> u64 {
    (0..MAX_ENVS).map(|i| u64::from(vm::env_info(i).pages)).sum()
}

fn held() -> u64 {
    u64::from(vm::env_info(env_index(process::id())).pages)
}

fn is_dirty_page(i: u64) -> bool {
    i.is_multiple_of(4)
}

fn value(tag: u64, i: u64, at: usize) -> u64 {
    tag << 48 | (at as u64) << 20 | i
}

const OFFSETS: [usize; 3] = [0, 2048, 4088];

/// One sweep over the region at `base`: the first writes the pattern of every dirty page, later
/// ones check it; every clean page must read zero. Returns the mismatches.
fn sweep(base: u64, tag: u64, first: bool) -> u64 {
    let mut bad = 0;
    for i in 0..TOUCH {
        let va = base + i * 4096;
        if is_dirty_page(i) && first {
            let page = mapped_page_mut(va);
            for at in OFFSETS {
                page[at..at + 8].copy_from_slice(&value(tag, i, at).to_le_bytes());
            }
        } else {
            let page = mapped_page(va);
            for at in OFFSETS {
                let read = u64::from_le_bytes(page[at..at + 8].try_into().unwrap_or([0xff; 8]));
                let expected = if is_dirty_page(i) { value(tag, i, at) } else { 0 };
                bad += u64::from(core::hint::black_box(read) != expected);
            }
        }
        if i.is_multiple_of(16) {
            let h = half();
            set_page_word(CTRL, h + PEAK, page_word(CTRL, h + PEAK).max(held()));
        }
    }
    bad
}

/// The time-stamp counter.
#[allow(unsafe_code)]
fn rdtsc() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: rdtsc only reads the time-stamp counter (CR4.TSD is clear for ring 3).
    unsafe { core::arch::asm!("rdtsc", out("eax") lo, out("edx") hi, options(nomem, nostack)) };
    u64::from(hi) << 32 | u64::from(lo)
}

/// The revocation handler: the library's, timed. It writes only the shared control page (the
/// handler must not touch a page `fork` left copy-on-write).
fn timed_give_back(pages: u64, deadline: u64) {
    let t0 = rdtsc();
    reclaim::give_back(pages, deadline);
    let h = half();
    set_page_word(CTRL, h + CYCLES, page_word(CTRL, h + CYCLES) + (rdtsc() - t0));
    set_page_word(CTRL, h + ANSWERS, page_word(CTRL, h + ANSWERS) + 1);
}

/// Writes the next 32 KiB of stack, so its pages are this process's own before memory runs out.
#[inline(never)]
fn own_stack() {
    let mut buf = [0u8; 32 * 1024];
    for i in (0..buf.len()).step_by(4096) {
        buf[i] = 1;
    }
    core::hint::black_box(&mut buf);
}

fn read_page(va: u64) -> u64 {
    core::hint::black_box(u64::from_le_bytes(mapped_page(va)[..8].try_into().unwrap_or([0xff; 8])))
}

/// Phase 1, the parent: reads clean pages until one finds no page (the kernel asks the child,
/// idle outside its handler: the upcall reaches it; the library makes room from the parent's own
/// clean pages), then waits for the child's answer. Returns whether the child answered.
fn fill_budget(base: u64) -> bool {
    for i in (1..TOUCH).filter(|&i| !is_dirty_page(i)) {
        read_page(base + i * 4096);
        if reclaim::stats().evicted > 0 {
            break;
        }
    }
    let until = vm::sysinfo().ticks + PHASE1_TICKS;
    while page_word(CTRL, CHILD + ANSWERS) == 0 && vm::sysinfo().ticks < until {
        let _ = sys_env_yield(ANY_ENV);
    }
    page_word(CTRL, CHILD + ANSWERS) > 0
}

/// Both processes: (phase 1) the child reads its first clean pages and idles while the parent
/// fills the budget; (phase 2) both sweep their regions at once; then report and let go.
fn run(tag: u64) -> u64 {
    own_stack();
    let h = half();
    let base = mmap::mmap(TOUCH * 4096, Rights(Rights::READ.0 | Rights::WRITE.0)).expect("region");
    if h == CHILD {
        for i in (0..PHASE1_PAGES).filter(|&i| !is_dirty_page(i)) {
            read_page(base + i * 4096);
        }
        set_page_word(CTRL, CHILD + READY, 1);
        while page_word(CTRL, GO) == 0 {
            let _ = sys_env_yield(ANY_ENV);
        }
    } else {
        while page_word(CTRL, CHILD + READY) == 0 {
            let _ = sys_env_yield(ANY_ENV);
        }
        set_page_word(CTRL, PHASE1, u64::from(fill_budget(base)));
        set_page_word(CTRL, GO, 1);
    }
    let mut bad = 0;
    for n in 0..SWEEPS {
        bad += sweep(base, tag, n == 0);
    }
    let s = reclaim::stats();
    for (i, v) in [s.requests, s.inline, s.asked, s.cow, s.clean, s.evicted, s.busy, s.waits, s.slowest].into_iter().enumerate() {
        set_page_word(CTRL, h + STATS + i, v);
    }
    set_page_word(CTRL, h + MISMATCHES, bad);
    set_page_word(CTRL, h + REPOSSESSED, vm::repossessed().0);
    let _ = mmap::munmap(base, TOUCH * 4096);
    set_page_word(CTRL, h + DONE, 1);
    bad
}

fn stat(h: usize, i: usize) -> u64 {
    page_word(CTRL, h + STATS + i)
}

fn main() -> i64 {
    let mut c = Checks::new("reclaim");
    let (_, ctrl) = sys_page_alloc(ANY_PAGE).expect("control page");
    let rw = Rights::READ.0 | Rights::WRITE.0 | exos::mem::cow::MAP_SHARED;
    c.equal("map the control page", sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: CTRL, slot: ctrl, rights: rw }]), (1, None));
    set_page_word(CTRL, PARENT_ID, process::id());
    exos::rt::exception::set_revoke_handler(timed_give_back);
    let before = used();
    let pid = exos::proc::fork::fork().expect("fork");
    if pid == 0 {
        let bad = run(0xc41d);
        process::exit(i64::from(bad != 0))
    }
    let bad = run(0xa);
    let status = process::wait(pid);
    exos::println!("reclaim: budget {BUDGET} pages, {before} held before the fork; each process swept {TOUCH} pages {SWEEPS} times ({} written)",
                   (0..TOUCH).filter(|&i| is_dirty_page(i)).count());
    for (who, h) in [("parent", 0), ("child", CHILD)] {
        let (requests, inline) = (stat(h, 0), stat(h, 1));
        let upcalls = requests - inline;
        exos::println!("reclaim: {who}: held at most {} pages; {requests} requests answered ({upcalls} upcalls, {inline} inline), {} pages asked; gave back {} clean + {} copy-on-write, evicted {} own clean pages; busy {}, waited {}; slowest answer {} ticks after the request; {} cycles per answer",
                       page_word(CTRL, h + PEAK), stat(h, 2), stat(h, 4), stat(h, 3), stat(h, 5), stat(h, 6), stat(h, 7), stat(h, 8),
                       page_word(CTRL, h + CYCLES) / requests.max(1));
        set_page_word(CTRL, h + UPCALLS, upcalls);
    }
    c.equal("the child survived", status, Ok(process::Status::Exited(0)));
    c.check("both finished", page_word(CTRL, DONE) == 1 && page_word(CTRL, CHILD + DONE) == 1);
    c.equal("every pattern intact, every clean page zero (parent, child)", (bad, page_word(CTRL, MISMATCHES), page_word(CTRL, CHILD + MISMATCHES)), (0, 0, 0));
    c.check("each held well beyond a third of the budget at some point", page_word(CTRL, PEAK) > BUDGET / 3 && page_word(CTRL, CHILD + PEAK) > BUDGET / 3);
    let recycled: u64 = [0, CHILD].iter().map(|&h| stat(h, 4) + stat(h, 5)).sum();
    c.check("enough clean pages were given back or evicted for both to sweep", recycled >= 2 * TOUCH - (BUDGET - before));
    c.check("the parent answered requests", stat(0, 0) >= 1 && stat(0, 4) >= 16);
    c.check("the child answered requests", stat(CHILD, 0) >= 1 && stat(CHILD, 4) >= 16);
    c.check("phase 1: the idle child answered the upcall", page_word(CTRL, PHASE1) == 1 && page_word(CTRL, CHILD + UPCALLS) >= 1);
    c.check("every answer came before its deadline", stat(0, 8) < abi::REVOKE_DEADLINE_TICKS && stat(CHILD, 8) < abi::REVOKE_DEADLINE_TICKS);
    c.equal("nothing repossessed (parent, child)", (page_word(CTRL, REPOSSESSED), page_word(CTRL, CHILD + REPOSSESSED)), (0, 0));
    c.equal("no request found the region list busy", (stat(0, 6), stat(CHILD, 6)), (0, 0));
    c.finish()
}

exos::main!(main);
