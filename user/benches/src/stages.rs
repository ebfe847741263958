//! Where the ticks go (issue 7 item 5): each hot path traced through the stage stamps of a kernel
//! and an ExOS built with the `stages` feature (`abi::stages`), one operation at a time.
//!
//! For each line it runs the operation [`ITERS`] times between two marks of its own
//! (`u:begin`, `u:end`), reads the stamps the kernel and the library wrote meanwhile, and keeps
//! the iterations that took the most common path (a timer tick adds stamps of its own). It prints
//! `STAGES line=<id> total=<ticks> runs=<n>` and, per interval between two consecutive stamps,
//! `STAGE line=<id> from=<point> to=<point> ticks=<median>`. The line `stamp` traces an empty
//! operation: its one interval is what a stamp itself costs, which every interval includes once. Ends with `BENCH stages done`. Built only with the feature
//! (`cargo xtask bench` builds it apart, with `--features stages`), so it is not in the boot image.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use abi::stages::{decode, ticks_between, Point};
use abi::ExceptionFrame;
use core::arch::asm;
use core::sync::atomic::{AtomicU64, Ordering};
use exos::mem::appel::{self, UNPROTECTED};
use exos::mem::mmap::{self, PAGE};
use exos::println;
use exos::rt::stages::{mark, since, stamp};

/// Operations traced per line; the figures are medians over those that took the common path.
const ITERS: usize = 15;
/// Stamps one operation may leave (both rings hold 64).
const MAX_STAMPS: usize = 64;

/// One traced operation: its point numbers and the tick of each stamp.
#[derive(Clone, Copy)]
struct Trace {
    len: usize,
    points: [u16; MAX_STAMPS],
    ticks: [u64; MAX_STAMPS],
}

impl Trace {
    const EMPTY: Trace = Trace { len: 0, points: [0; MAX_STAMPS], ticks: [0; MAX_STAMPS] };

    fn same_path(&self, other: &Trace) -> bool {
        self.points[..self.len] == other.points[..other.len]
    }
}

/// Traces `op` [`ITERS`] times (`before` runs first each time, untraced) and prints its stages.
fn trace(line: &str, mut before: impl FnMut(), mut op: impl FnMut()) -> bool {
    let mut traces = [Trace::EMPTY; ITERS];
    for t in traces.iter_mut() {
        before();
        let start = mark();
        stamp(Point::Begin);
        op();
        stamp(Point::End);
        let mut entries = [0u64; 2 * MAX_STAMPS];
        let Some(n) = since(start, &mut entries) else {
            println!("stages: {line}: a stage ring overflowed");
            return false;
        };
        let n = n.min(MAX_STAMPS);
        t.len = n;
        for (i, &e) in entries[..n].iter().enumerate() {
            (t.points[i], t.ticks[i]) = decode(e);
        }
    }
    // The common path: the trace most others agree with.
    let agreeing = |t: &Trace| traces.iter().filter(|o| o.same_path(t)).count();
    let Some(common) = traces.iter().max_by_key(|t| agreeing(t)).copied() else { return false };
    let runs: [Option<&Trace>; ITERS] = core::array::from_fn(|i| Some(&traces[i]).filter(|t| t.same_path(&common)));
    let median_of = |f: &dyn Fn(&Trace) -> u64| {
        let mut values = [0u64; ITERS];
        let mut n = 0;
        for t in runs.iter().flatten() {
            values[n] = f(t);
            n += 1;
        }
        values[..n].sort_unstable();
        values[n / 2]
    };
    if common.len < 2 || common.points[0] != Point::Begin as u16 || common.points[common.len - 1] != Point::End as u16 {
        println!("stages: {line}: the common path does not run from u:begin to u:end");
        return false;
    }
    let total = median_of(&|t| ticks_between(t.ticks[0], t.ticks[t.len - 1]));
    println!("STAGES line={line} total={total} runs={}", runs.iter().flatten().count());
    for i in 1..common.len {
        let ticks = median_of(&|t| ticks_between(t.ticks[i - 1], t.ticks[i]));
        println!("STAGE line={line} from={} to={} ticks={ticks}", name(common.points[i - 1]), name(common.points[i]));
    }
    true
}

fn name(point: u16) -> &'static str {
    Point::from_number(point).map_or("?", Point::name)
}

/// A system-call number the kernel does not know (as bench.rs).
const UNKNOWN_SYSNUM: u64 = 0xffff;

/// Where the handler resumes #PF (set just before each fault).
static RESUME: AtomicU64 = AtomicU64::new(0);

/// The unmapped address the `exc_pf` line reads.
const PROBE: u64 = 0x7000_dead_0000;

/// Accepts the `int3` of `exc_bp` and the read of [`PROBE`]; other page faults go to the region
/// layer (`prot1` and `trap` use an `exos::mem::mmap` region), anything else is a failure.
fn handler(frame: &mut ExceptionFrame) -> bool {
    match frame.vector {
        3 => true,
        14 if frame.fault_address == PROBE => {
            frame.rip = RESUME.load(Ordering::Relaxed);
            true
        }
        14 => mmap::handle_fault(frame),
        _ => false,
    }
}

fn main() -> i64 {
    if !exos::rt::stages::ENABLED {
        println!("stages: built without the `stages` feature: nothing to trace");
        return 1;
    }
    let mut ok = trace("stamp", || {}, || {});
    ok &= trace("null_syscall", || {}, || {
        // SAFETY: an unknown call number is answered BadSysnum; syscall clobbers rcx and r11, the
        // kernel returns in rax and rdx (all declared).
        unsafe {
            asm!("syscall", inlateout("rax") UNKNOWN_SYSNUM => _, lateout("rdx") _, lateout("rcx") _, lateout("r11") _,
                 options(nostack))
        }
    });
    if let Err(e) = exos::rt::exception::set_handler(handler) {
        println!("stages: cannot register the exception handler: {e:?}");
        return 1;
    }
    // SAFETY: int3 raises #BP, which the handler accepts; the code resumes after it.
    ok &= trace("exc_bp", || {}, || unsafe { asm!("int3", options(nostack)) });
    ok &= trace("exc_pf", || {}, || {
        // SAFETY: the read faults on purpose and the handler resumes at label 2 with every register
        // as it was; rax is declared clobbered because the block uses it.
        unsafe {
            asm!("lea rax, [rip + 2f]", "mov [{resume}], rax", "mov rax, [{probe}]", "2:",
                 resume = in(reg) RESUME.as_ptr(), probe = in(reg) PROBE, out("rax") _, options(nostack))
        }
    });

    let Ok((server, slot)) = user::spawn(server_main, &[]) else {
        println!("stages: cannot spawn the PCT server");
        return 1;
    };
    while matches!(exos::sys::syscall::sys_pct_call(slot, [0; 5]), Err(abi::Error::Busy | abi::Error::NoEntry)) {
        let _ = exos::sys::syscall::sys_env_yield(server);
    }
    ok &= trace("pct", || {}, || {
        let _ = exos::sys::syscall::sys_pct_call(slot, [1, 2, 3, 4, 5]);
    });

    let Ok(page) = mmap::mmap(PAGE, UNPROTECTED) else {
        println!("stages: mmap failed");
        return 1;
    };
    store(page, 1);
    ok &= trace("prot1", || {}, || {
        let _ = appel::prot1(page);
        let _ = appel::unprot1(page);
    });
    if mmap::set_fault_handler(page, Some(appel::unprotect_on_fault)).is_err() {
        println!("stages: cannot set the region's fault handler");
        return 1;
    }
    ok &= trace("trap", || { let _ = appel::prot1(page); }, || store(page, 2));
    if !ok {
        return 1;
    }
    println!("BENCH stages done");
    0
}

/// A byte store that may fault into the region's handler, which makes it succeed.
fn store(addr: u64, value: u8) {
    // SAFETY: `addr` is this program's region page; a protected page faults, the region's handler
    // unprotects it, and the store is retried.
    unsafe { core::ptr::write_volatile(addr as *mut u8, value) }
}

/// The PCT server: register an entry that replies at once, and wait (as bench.rs's).
extern "C" fn server_main() -> ! {
    let stack_top = user::CHILD_STACK_TOP - 0x2000;
    let e = exos::sys::syscall::sys_pct_set_entry(reply, stack_top).err().unwrap_or_else(exos::sys::syscall::sys_pct_wait);
    println!("stages: PCT server: {e:?}");
    exos::sys::syscall::sys_env_exit(1)
}

extern "C" fn reply(caller: u64, a0: u64, _: u64, _: u64, _: u64, _: u64) -> ! {
    let e = exos::sys::syscall::sys_pct_reply(caller, a0);
    println!("stages: PCT reply: {e:?}");
    exos::sys::syscall::sys_env_exit(1)
}

exos::main!(main);
