//! Round trips between two processes on one CPU: `pipe` and `pipe_4k` (a message to a child
//! that echoes it back through a second pipe) and `shm` (8 bytes through a shared page, each
//! side waiting with `futex`).

use crate::measure::{PAGE, Runner, die, per_op, rdtsc};
use core::ffi::c_void;
use core::ptr;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// A new pipe: (read end, write end).
pub fn new_pipe() -> (i32, i32) {
    let mut fds = [0; 2];
    // SAFETY: pipe writes two descriptors into the two-element array.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        die("pipe");
    }
    (fds[0], fds[1])
}

/// `fork()`, dying on failure: 0 in the child, its pid in the parent.
pub fn fork() -> libc::pid_t {
    // SAFETY: the program is single-threaded; children only make system calls and `_exit`.
    let child = unsafe { libc::fork() };
    if child < 0 {
        die("fork");
    }
    child
}

/// Closes `fd` (a descriptor of ours).
pub fn close(fd: i32) {
    // SAFETY: closing a descriptor this program opened and no longer uses.
    unsafe { libc::close(fd) };
}

/// Waits for `child` to end, dying if the wait fails; returns its wait status.
pub fn wait_for(child: libc::pid_t) -> i32 {
    let mut status = 0;
    // SAFETY: waitpid writes the status into a local.
    if unsafe { libc::waitpid(child, &mut status, 0) } != child {
        die("waitpid");
    }
    status
}

/// The child's side: echo everything read from `input` to `output` until end of file.
fn echo(input: i32, output: i32, buf: &mut [u8]) -> ! {
    loop {
        // SAFETY: read and write stay within `buf`, which holds `buf.len()` bytes.
        let n = unsafe { libc::read(input, buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            break;
        }
        // SAFETY: as above; `n` bytes of `buf` were just read.
        if unsafe { libc::write(output, buf.as_ptr().cast(), n as usize) } != n {
            // SAFETY: leaving the forked child at once.
            unsafe { libc::_exit(1) }
        }
    }
    // SAFETY: leaving the forked child at once, as C's `_exit` (no atexit handlers).
    unsafe { libc::_exit(0) }
}

/// A round trip of `size` bytes: written to a child that echoes them back through a second pipe.
pub fn bench_pipe(runner: Runner, name: &str, size: usize, iters: u64) {
    let mut buf = vec![0u8; PAGE];
    let (ping_read, ping_write) = new_pipe();
    let (pong_read, pong_write) = new_pipe();
    let child = fork();
    if child == 0 {
        close(ping_write);
        close(pong_read);
        echo(ping_read, pong_write, &mut buf);
    }
    close(ping_read);
    close(pong_write);
    runner.run(name, iters, || {
        let t0 = rdtsc();
        for _ in 0..iters {
            // SAFETY: `size` <= PAGE bytes of `buf` are written.
            if unsafe { libc::write(ping_write, buf.as_ptr().cast(), size) } != size as isize {
                die("pipe round trip");
            }
            let mut got = 0;
            while got < size {
                // SAFETY: reads into the `size - got` bytes of `buf` after `got`.
                let n = unsafe { libc::read(pong_read, buf.as_mut_ptr().add(got).cast(), size - got) };
                if n <= 0 {
                    die("pipe round trip");
                }
                got += n as usize;
            }
        }
        per_op(rdtsc() - t0, iters)
    });
    close(ping_write); // The child sees end of file and exits.
    wait_for(child);
    close(pong_read);
}

/// Waits while the futex word `word` is `value`.
fn futex_wait(word: &AtomicU32, value: u32) {
    // SAFETY: FUTEX_WAIT only reads the word, which lives in a shared mapping for the whole wait.
    unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAIT, value, ptr::null::<c_void>(), ptr::null::<c_void>(), 0);
    }
}

/// Wakes one waiter on `word`.
fn futex_wake(word: &AtomicU32) {
    // SAFETY: FUTEX_WAKE only uses the word's address as a key.
    unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE, 1, ptr::null::<c_void>(), ptr::null::<c_void>(), 0);
    }
}

/// One direction of the shm round trip: a sequence word the sender bumps (and wakes) and the
/// receiver waits on, and the message.
#[repr(C)]
struct Channel {
    seq: AtomicU32,
    pad: u32,
    message: AtomicU64,
}

/// An 8-byte message through a shared page to a child that echoes it back.
pub fn bench_shm(runner: Runner) {
    const ITERS: u64 = 2000;
    use Ordering::{Acquire, Relaxed, Release};
    // SAFETY: a new shared anonymous page chosen by the kernel (zeroed: valid Channels).
    let shared = unsafe {
        libc::mmap(ptr::null_mut(), PAGE, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED | libc::MAP_ANONYMOUS, -1, 0)
    };
    if shared == libc::MAP_FAILED {
        die("mmap");
    }
    let channels = shared.cast::<Channel>();
    // SAFETY: the page holds two zeroed Channels (all atomics) and stays mapped until the end.
    let (ping, pong) = unsafe { (&*channels, &*channels.add(1)) };
    let child = fork();
    if child == 0 {
        let mut seen = 0;
        loop {
            while ping.seq.load(Acquire) == seen {
                futex_wait(&ping.seq, seen);
            }
            seen = ping.seq.load(Acquire);
            let message = ping.message.load(Relaxed);
            if message == u64::MAX {
                // SAFETY: leaving the forked child at once.
                unsafe { libc::_exit(0) }
            }
            pong.message.store(message, Relaxed);
            pong.seq.store(seen, Release);
            futex_wake(&pong.seq);
        }
    }
    let mut seq = 0u32;
    runner.run("shm", ITERS, || {
        let t0 = rdtsc();
        for i in 0..ITERS {
            ping.message.store(i, Relaxed);
            seq += 1;
            ping.seq.store(seq, Release);
            futex_wake(&ping.seq);
            while pong.seq.load(Acquire) != seq {
                futex_wait(&pong.seq, seq - 1);
            }
            if pong.message.load(Relaxed) != i {
                die("shm round trip");
            }
        }
        per_op(rdtsc() - t0, ITERS)
    });
    ping.message.store(u64::MAX, Relaxed);
    ping.seq.store(seq + 1, Release);
    futex_wake(&ping.seq);
    wait_for(child);
    // SAFETY: the child is gone and `ping`/`pong` are not used after this.
    unsafe { libc::munmap(shared, PAGE) };
}
