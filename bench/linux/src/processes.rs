//! Processes: `yield` (a `sched_yield` round trip to a peer process that yields straight back,
//! both `SCHED_FIFO`),
//! `spawn` (`posix_spawn` of this program with the argument `exit`, then `waitpid`) and `fork`
//! (fork a child that exits at once, then `waitpid`).

use crate::ipc::{close, fork, new_pipe, wait_for};
use crate::measure::{PAGE, Runner, die, per_op, rdtsc};
use core::ffi::{CStr, c_char};
use core::ptr;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// yield: the parent and a child on one CPU both loop on `sched_yield`; the parent times its
/// calls, each one a switch to the child and back. Both run under `SCHED_FIFO` (same priority)
/// when allowed, where `sched_yield` always moves the caller behind its peer; under the default
/// policy it is only a hint the scheduler may ignore. The child counts its turns in a shared
/// page, and a run with fewer turns than yields says so on stderr.
pub fn bench_yield(runner: Runner) {
    const ITERS: u64 = 2000;
    let fifo = set_policy(libc::SCHED_FIFO, 1);
    if !fifo {
        eprintln!("yield: no SCHED_FIFO ({}): sched_yield may not switch", std::io::Error::last_os_error());
    }
    // SAFETY: a new shared anonymous page chosen by the kernel (zeroed: a valid AtomicU64).
    let shared = unsafe {
        libc::mmap(ptr::null_mut(), PAGE, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED | libc::MAP_ANONYMOUS, -1, 0)
    };
    if shared == libc::MAP_FAILED {
        die("mmap");
    }
    // SAFETY: the page stays mapped in both processes until the end of this function.
    let turns = unsafe { &*shared.cast::<AtomicU64>() };
    let (ready_read, ready_write) = new_pipe();
    let child = fork();
    if child == 0 {
        // SAFETY: prctl takes no pointer here (the child dies with its parent, so it never spins
        // on alone); one byte from a static buffer; then the child counts and yields until killed.
        unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            libc::write(ready_write, b"r".as_ptr().cast(), 1);
            loop {
                turns.fetch_add(1, Relaxed);
                libc::sched_yield();
            }
        }
    }
    let mut byte = 0u8;
    // SAFETY: reads one byte into a local: the child is running once it arrives.
    if unsafe { libc::read(ready_read, (&raw mut byte).cast(), 1) } != 1 {
        die("yield: the child did not start");
    }
    close(ready_read);
    close(ready_write);
    let mut child_turns = 0;
    runner.run("yield", ITERS, || {
        let before = turns.load(Relaxed);
        let t0 = rdtsc();
        for _ in 0..ITERS {
            // SAFETY: sched_yield has no arguments and touches no memory.
            unsafe { libc::sched_yield() };
        }
        let ticks = rdtsc() - t0;
        child_turns += turns.load(Relaxed) - before;
        per_op(ticks, ITERS)
    });
    // SAFETY: `child` is our own child process.
    unsafe { libc::kill(child, libc::SIGKILL) };
    wait_for(child);
    // SAFETY: the child is gone and `turns` is not used after this.
    unsafe { libc::munmap(shared, PAGE) };
    if fifo && !set_policy(libc::SCHED_OTHER, 0) {
        die("sched_setscheduler(SCHED_OTHER)");
    }
    let yields = ITERS * runner.repeats as u64;
    if child_turns + (runner.repeats as u64) < yields {
        eprintln!("yield: the child ran {child_turns} times during {yields} timed yields");
    }
}

/// Sets this process's scheduling policy; false if refused (errno says why).
fn set_policy(policy: i32, priority: i32) -> bool {
    let param = libc::sched_param { sched_priority: priority };
    // SAFETY: sched_setscheduler reads the local `param`.
    unsafe { libc::sched_setscheduler(0, policy, &param) == 0 }
}

/// spawn: `posix_spawn` of `program` (this program: `/init` in the guest, `/proc/self/exe`
/// natively) with the argument `exit`, which makes it exit 0 at once; then `waitpid`.
pub fn bench_spawn(runner: Runner, program: &CStr) {
    const ITERS: u64 = 100;
    let argv: [*mut c_char; 3] = [program.as_ptr().cast_mut(), c"exit".as_ptr().cast_mut(), ptr::null_mut()];
    let envp: [*mut c_char; 1] = [ptr::null_mut()];
    runner.run("spawn", ITERS, || {
        let t0 = rdtsc();
        for _ in 0..ITERS {
            let mut child = 0;
            // SAFETY: `program`, `argv` and `envp` are NUL-terminated strings and null-terminated
            // arrays that outlive the call; no file actions or attributes.
            let error = unsafe {
                libc::posix_spawn(&mut child, program.as_ptr(), ptr::null(), ptr::null(), argv.as_ptr(), envp.as_ptr())
            };
            if error != 0 {
                eprintln!("posix_spawn {}: {}", program.to_string_lossy(), std::io::Error::from_raw_os_error(error));
                std::process::exit(1);
            }
            let status = wait_for(child);
            if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
                eprintln!("spawn: {} exit did not exit with 0 (wait status {status:#x})", program.to_string_lossy());
                std::process::exit(1);
            }
        }
        per_op(rdtsc() - t0, ITERS)
    });
}

/// fork: fork a child that exits at once; wait for it.
pub fn bench_fork(runner: Runner) {
    const ITERS: u64 = 100;
    runner.run("fork", ITERS, || {
        let t0 = rdtsc();
        for _ in 0..ITERS {
            let child = fork();
            if child == 0 {
                // SAFETY: leaving the forked child at once, as C's `_exit`.
                unsafe { libc::_exit(0) }
            }
            wait_for(child);
        }
        per_op(rdtsc() - t0, ITERS)
    });
}
