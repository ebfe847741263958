//! Processes: `yield` (a `sched_yield` round trip to a peer process that yields straight back),
//! `spawn` (`posix_spawn` of this program with the argument `exit`, then `waitpid`) and `fork`
//! (fork a child that exits at once, then `waitpid`).

use crate::ipc::{close, fork, wait_for};
use crate::measure::{Runner, die, per_op, rdtsc};
use core::ffi::{CStr, c_char};
use core::ptr;

/// yield: the parent and a child on one CPU both loop on `sched_yield`; the parent times its
/// calls, each one a switch to the child and back.
pub fn bench_yield(runner: Runner) {
    const ITERS: u64 = 2000;
    let mut ready = [0; 2];
    // SAFETY: pipe writes two descriptors into the two-element array.
    if unsafe { libc::pipe(ready.as_mut_ptr()) } != 0 {
        die("pipe");
    }
    let child = fork();
    if child == 0 {
        // SAFETY: one byte from a static buffer; then the child only yields until it is killed.
        unsafe {
            libc::write(ready[1], b"r".as_ptr().cast(), 1);
            loop {
                libc::sched_yield();
            }
        }
    }
    let mut byte = 0u8;
    // SAFETY: reads one byte into a local: the child is running once it arrives.
    if unsafe { libc::read(ready[0], (&raw mut byte).cast(), 1) } != 1 {
        die("yield: the child did not start");
    }
    close(ready[0]);
    close(ready[1]);
    runner.run("yield", ITERS, || {
        let t0 = rdtsc();
        for _ in 0..ITERS {
            // SAFETY: sched_yield has no arguments and touches no memory.
            unsafe { libc::sched_yield() };
        }
        per_op(rdtsc() - t0, ITERS)
    });
    // SAFETY: `child` is our own child process.
    unsafe { libc::kill(child, libc::SIGKILL) };
    wait_for(child);
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
