//! `exec` in ExOS: a forked child becomes another program in place (same id, parent, status
//! page), failures leave the caller running, the old image, heap, regions and stacks are gone and
//! their pages freed, fork+exec+wait leaks nothing, and a region page fork made copy-on-write is
//! the new program's own; exec works when its hooks write copy-on-write pages, and a grandchild
//! keeps (and can exec after) a page its forked parent copied on write. At the end `execer` itself (a boot program)
//! becomes `exectarget`.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use exos::proc::exec::{exec, on_exec};
use exos::proc::process::{self, Status};
use exos::proc::spawn::SpawnError;
use exos::{proc::fork, mem::mmap, println, thread::stack, sys::vm};
use exos::proc::spawn::ElfError;
use core::sync::atomic::Ordering::Relaxed;
use user::Checks;

static HOOK_RAN: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

fn hook() {
    HOOK_RAN.store(true, core::sync::atomic::Ordering::Relaxed);
    println!("execer: on_exec hook ran");
}

/// A page of its own (page-aligned, one page long) that only [`touch_untouched`] writes, so it is
/// still copy-on-write in a forked child when that child's exec runs its hooks.
#[repr(C, align(4096))]
struct OwnPage([core::sync::atomic::AtomicU64; 512]);
static UNTOUCHED: OwnPage = OwnPage([const { core::sync::atomic::AtomicU64::new(0) }; 512]);

/// A page of its own that a forked child writes after forking a grandchild (test 3c).
static GRANDCHILD_PAGE: OwnPage = OwnPage([const { core::sync::atomic::AtomicU64::new(0) }; 512]);

fn touch_untouched() {
    UNTOUCHED.0[0].store(1, Relaxed);
}

fn untouched_mapped() -> bool {
    vm::translate(&raw const UNTOUCHED as u64).is_some()
}

fn ids() -> (String, String) {
    (format!("{:x}", process::id()), format!("{:x}", process::parent()))
}

fn own_pages() -> u32 {
    vm::env_info(abi::env_index(process::id())).pages
}

/// Runs `child` in a forked child (which must exec) and returns how it ended.
fn fork_exec(child: impl FnOnce() -> SpawnError) -> Status {
    match fork::fork() {
        Ok(0) => {
            let e = child();
            println!("execer: FAIL: exec returned {e}");
            process::exit(2)
        }
        Ok(pid) => process::wait(pid).unwrap_or(Status::Killed),
        Err(e) => {
            println!("execer: FAIL: fork: {e:?}");
            Status::Killed
        }
    }
}

fn main() -> i64 {
    let mut c = Checks::new("execer");
    c.check("hook registered", on_exec(hook).is_ok());
    c.check("the same hook twice is one", on_exec(hook).is_ok());

    // (1) A forked child becomes exectarget with arguments and environment.
    let status = fork_exec(|| {
        let (id, parent) = ids();
        exec("/test/exectarget", &["exectarget", "greet", &id, &parent], &["EXEC_VAR=from execer"])
    });
    c.equal("the parent's wait sees the new program's exit", status, Status::Exited(77));

    // (2) Failures: the process goes on, unchanged.
    let mut heap: Vec<u64> = Vec::with_capacity(2000);
    heap.extend(0..100u64);
    let long = String::from_utf8(alloc::vec![b'x'; 5000]).unwrap_or_default();
    let pages = own_pages();
    c.equal("missing program", exec("nosuchprogram", &["x"], &[]), SpawnError::NotFound);
    c.equal("bad ELF", exec("bad_machine", &["bad_machine"], &[]), SpawnError::BadElf(ElfError::WrongMachine { machine: 3 }));
    c.equal("arguments too long", exec("exectarget", &[&long], &[]), SpawnError::TooLong);
    c.check("no hook ran for a failed exec", !HOOK_RAN.load(core::sync::atomic::Ordering::Relaxed));
    heap.extend(100..2000u64);
    c.equal("the heap still works", heap.iter().sum::<u64>(), 1999 * 2000 / 2);
    c.equal("failed execs hold no pages", own_pages(), pages);

    // (3) From a thread of a child with a heap, mmap regions and thread stacks: all of it goes.
    let status = fork_exec(|| {
        let big: Vec<u8> = alloc::vec![1; 200 * 1024];
        let rw = abi::Rights(abi::Rights::READ.0 | abi::Rights::WRITE.0);
        let region = mmap::map(mmap::Spec::shared(256 * 4096, rw)).unwrap_or(0);
        let stack = stack::Stack::new(64 * 1024).ok();
        let stack_page = stack.as_ref().map_or(0, |s| s.top() - 4096);
        core::mem::forget(stack);
        let thread = exos::thread::spawn(move || {
            let local = 0u8;
            let thread_stack = &raw const local as u64 & !0xfff;
            let (id, parent) = ids();
            let addresses = [big.as_ptr() as u64, region, region + 255 * 4096, stack_page, thread_stack];
            let addresses: Vec<String> = addresses.iter().map(|a| format!("{a:x}")).collect();
            let pages = format!("PAGES={:x}", own_pages());
            let mut argv = alloc::vec!["exectarget", "gone", &id, &parent];
            argv.extend(addresses.iter().map(String::as_str));
            exec("exectarget", &argv, &[&pages])
        });
        thread.join().unwrap_or(SpawnError::NotFound)
    });
    c.equal("exec from a thread: the old mappings and pages are gone", status, Status::Exited(78));

    // (3b) A hook that writes a page no one wrote since the fork: the write comes after exec has
    // looked at what to tear down, and copies the page (copy-on-write), which deletes the
    // capability the child had for it. Before exec planned after its hooks, the table then
    // deleted that slot a second time (`EmptySlot`: the process ended with LATE_FAILURE) and the
    // copy's page stayed held.
    c.check("the hook's page is mapped", untouched_mapped());
    let status = fork_exec(|| {
        if on_exec(touch_untouched).is_err() {
            return SpawnError::NotFound;
        }
        let (id, parent) = ids();
        exec("exectarget", &["exectarget", "quick", &id, &parent], &[])
    });
    c.equal("exec after a hook wrote a copy-on-write page", status, Status::Exited(79));

    // (3c) A grandchild keeps its pages when its parent (itself a forked child) copies one on
    // write: the parent's copy-on-write used to delete its grant for the page at once, and with it
    // the capability `fork` had derived from it for the grandchild, and the grandchild's mapping
    // (it then faulted on the page; an exec of its could find the grant it planned to delete gone).
    // Written here, so the child holds the page through a grant derived from this process's root
    // and writes it first after it forked the grandchild.
    GRANDCHILD_PAGE.0[0].store(5, Relaxed);
    let status = fork_exec(|| {
        let status = match fork::fork() {
            Ok(0) => {
                // The parent writes as soon as `fork` returns there; give it the CPU.
                for _ in 0..20 {
                    let _ = exos::sys::syscall::sys_env_yield(process::parent());
                }
                if vm::translate(&raw const GRANDCHILD_PAGE as u64).is_none() || GRANDCHILD_PAGE.0[0].load(Relaxed) != 5 {
                    println!("execer: FAIL: the grandchild lost its copy-on-write page");
                    process::exit(4);
                }
                let (id, parent) = ids();
                let e = exec("exectarget", &["exectarget", "quick", &id, &parent], &[]);
                println!("execer: FAIL: exec returned {e}");
                process::exit(2)
            }
            Ok(grandchild) => {
                // The first write since the fork: a copy-on-write copy of a page this process
                // holds through a grant, from which the grandchild's capability was derived.
                GRANDCHILD_PAGE.0[0].store(6, Relaxed);
                process::wait(grandchild).unwrap_or(Status::Killed)
            }
            Err(_) => Status::Killed,
        };
        process::exit(if status == Status::Exited(79) { 79 } else { 5 })
    });
    c.equal("a grandchild keeps its pages after its parent's copy-on-write, and execs", status, Status::Exited(79));

    // (4) No leak in place: a process that execs itself twenty times holds the same pages each time.
    let status = fork_exec(|| {
        let (id, parent) = ids();
        exec("exectarget", &["exectarget", "chain", &id, &parent], &["LEFT=20", "PAGES=0"])
    });
    c.equal("twenty execs in a row in one process", status, Status::Exited(81));

    // (5) Nor across processes: twenty fork+exec+wait, the parent's pages and the free pages
    // come back (the kernel's own free count moves by a few pages of its bookkeeping).
    let mine = own_pages();
    let quick = || fork_exec(|| {
        let (id, parent) = ids();
        exec("exectarget", &["exectarget", "quick", &id, &parent], &[])
    });
    c.equal("warm-up", quick(), Status::Exited(79));
    let free = fresh_free_pages();
    let start = tsc();
    let mut ok = 0;
    for _ in 0..20 {
        ok += usize::from(quick() == Status::Exited(79));
    }
    let each = (tsc() - start) / 20;
    c.equal("twenty fork+exec+wait", ok, 20);
    let after = fresh_free_pages();
    c.check("free pages after them (within 64)", after + 64 >= free);
    c.equal("the parent holds the same pages", own_pages(), mine);
    println!("execer: fork+exec+wait {each} cycles each");

    // (6) A region page that `fork` made copy-on-write survives `exec` (IPC regions are kept) and
    // must be the new program's own and writable: the new program registers no copy-on-write
    // handler until it forks itself.
    match exos::ipc::region::Region::create(1) {
        Ok(region) => {
            user::mapped_page_mut(region.base())[0] = 0x11;
            let status = fork_exec(|| {
                let (id, parent) = ids();
                exec("exectarget", &["exectarget", "cow", &id, &parent], &[&format!("REGION={:x}", region.base())])
            });
            c.equal("exec keeps a copy-on-write region page, private and writable", status, Status::Exited(82));
            c.equal("the parent's copy is unchanged", user::mapped_page(region.base())[0], 0x11);
            region.release();
        }
        Err(e) => c.check(&format!("a region for the copy-on-write case: {e:?}"), false),
    }
    c.finish();

    // (6) The boot program itself becomes exectarget (kernel-loaded pages, no parent).
    let (id, _) = ids();
    let e = exec("exectarget", &["exectarget", "last", &id, "0"], &[]);
    println!("execer: FAIL: exec of itself returned {e}");
    3
}

#[allow(unsafe_code)]
fn tsc() -> u64 {
    // SAFETY: rdtsc only reads the time-stamp counter.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// The kernel's free-page count, read after the next timer tick (it is published at each tick,
/// so a read just after children ended could see a count from before they freed their pages).
fn fresh_free_pages() -> u64 {
    let tick = vm::sysinfo().ticks;
    while vm::sysinfo().ticks < tick + 2 {
        core::hint::spin_loop();
    }
    vm::sysinfo().free_pages
}

exos::main!(main);
