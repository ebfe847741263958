//! `linuxbench`: the Linux side of `cargo xtask bench` (issue 7).
//!
//! A static program (built by xtask with `-C target-feature=+crt-static -C relocation-model=static`,
//! a non-PIE executable as `gcc -static` makes) that measures, with
//! `lfence; rdtsc`, the same primitives as Exo's benchmark programs (`user/benches/`) plus the Linux
//! counterparts of the paper's primitives (getppid, SIGSEGV to a handler), and prints one line each:
//!
//! ```text
//! BENCH name=<id> median=<ticks per op> min=<ticks per op> iters=<ops per repeat>
//! ```
//!
//! median/min are over [`measure::REPEATS`] repeats of `iters` operations each (one repeat with
//! the argument `quick`). A tick is one TSC cycle, or one guest instruction under QEMU
//! `-icount shift=0,sleep=off`. It also prints `BENCHINFO kernel=<uname -r>`, `BENCHINFO
//! tsc_hz=<n>` (the TSC rate calibrated against CLOCK_MONOTONIC) and, at the end, `BENCH done`.
//! With the argument `exit` it exits 0 at once (what the `spawn` benchmark spawns).
//!
//! It runs twice: natively on the host, and as /init of an initramfs in a Linux guest. As PID 1
//! it writes to /dev/console, then syncs and powers the machine off. Everything runs on one CPU
//! (sched_setaffinity to CPU 0) and random sequences use a fixed seed, so a guest run under
//! -icount is deterministic.
//!
//! Parts: `measure.rs` (rdtsc, the report line, the random sequence), `calls.rs` (procedure
//! call, system calls, exceptions), `vm.rs` (Appel-Li, first touch), `ipc.rs` (pipe, shm),
//! `processes.rs` (yield, spawn, fork), `net.rs` (the network echo server of `bench net`, argument
//! `net`).

mod calls;
mod ipc;
mod measure;
mod net;
mod processes;
mod vm;

use measure::{REPEATS, Runner, rdtsc};
use std::ffi::CStr;
use std::time::{Duration, Instant};

fn main() {
    if std::env::args_os().skip(1).any(|arg| arg == "exit") {
        std::process::exit(0);
    }
    // SAFETY: getpid has no arguments and cannot fail.
    let init = unsafe { libc::getpid() } == 1;
    let quick = std::env::args_os().skip(1).any(|arg| arg == "quick");
    let runner = Runner { repeats: if quick { 1 } else { REPEATS } };
    if init {
        console_as_output();
    }
    pin_to_cpu0();
    if std::env::args_os().skip(1).any(|arg| arg == "net") {
        println!("NETBENCH failed: {}", net::serve());
        if init {
            power_off();
        }
        std::process::exit(1);
    }

    if let Some(release) = kernel_release() {
        println!("BENCHINFO kernel={release}");
    }
    println!("BENCHINFO tsc_hz={}", tsc_hz());

    calls::bench_null_call(runner);
    calls::bench_syscall(runner, "null_syscall", 100_000, true);
    calls::bench_syscall(runner, "getppid", libc::SYS_getppid, false);
    calls::bench_exceptions(runner);
    vm::bench_appel_li(runner);
    ipc::bench_pipe(runner, "pipe", 1, 2000);
    ipc::bench_pipe(runner, "pipe_4k", measure::PAGE, 1000);
    ipc::bench_shm(runner);
    processes::bench_yield(runner);
    processes::bench_spawn(runner, if init { c"/init" } else { c"/proc/self/exe" });
    processes::bench_fork(runner);
    vm::bench_first_touch(runner);
    vm::bench_large(runner);
    println!("BENCH done");

    if init {
        power_off();
    }
}

/// As PID 1: stdout and stderr to /dev/console.
fn console_as_output() {
    // SAFETY: open takes a NUL-terminated path; dup2 only replaces descriptors 1 and 2.
    unsafe {
        let fd = libc::open(c"/dev/console".as_ptr(), libc::O_WRONLY);
        if fd >= 0 {
            libc::dup2(fd, 1);
            libc::dup2(fd, 2);
        }
    }
}

/// Runs this process (and the children it forks) on CPU 0 only. Failure only means more CPUs,
/// which is not fatal.
fn pin_to_cpu0() {
    // SAFETY: a zeroed cpu_set_t is the empty set; CPU_SET and sched_setaffinity read and write
    // only that local set.
    unsafe {
        let mut one: libc::cpu_set_t = core::mem::zeroed();
        libc::CPU_SET(0, &mut one);
        libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &one);
    }
}

/// `uname -r`.
fn kernel_release() -> Option<String> {
    // SAFETY: a zeroed utsname is valid; uname fills it with NUL-terminated strings.
    unsafe {
        let mut name: libc::utsname = core::mem::zeroed();
        if libc::uname(&mut name) != 0 {
            return None;
        }
        Some(CStr::from_ptr(name.release.as_ptr()).to_string_lossy().into_owned())
    }
}

/// The TSC rate, against CLOCK_MONOTONIC (`Instant`) over about 100 ms.
fn tsc_hz() -> u64 {
    let start = Instant::now();
    let t0 = rdtsc();
    let elapsed = loop {
        let elapsed = start.elapsed();
        if elapsed >= Duration::from_millis(100) {
            break elapsed;
        }
    };
    let t1 = rdtsc();
    ((t1 - t0) as f64 * 1e9 / elapsed.as_nanos() as f64) as u64
}

/// As PID 1, at the end: sync and power the machine off (QEMU then exits).
fn power_off() -> ! {
    // SAFETY: sync and reboot take no pointers; as PID 1 the process may power off.
    unsafe {
        libc::sync();
        libc::reboot(libc::RB_POWER_OFF);
        loop {
            libc::pause();
        }
    }
}
