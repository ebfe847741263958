//! ExOS IPC round trips, measured with rdtsc and printed in `cargo xtask bench`'s format
//! (`BENCH name=<id> median=<ticks per op> min=<ticks per op> iters=<n>`, as `bench.rs`):
//! `pipe` (1 byte to a child that echoes it through a second pipe), `pipe_4k` (the same with
//! 4096 bytes), `shm` (an 8-byte message over a shared-memory channel, echoed over another) and
//! `lrpc` (a null LRPC with three register arguments). Each peer is a copy of this program started
//! by `spawn`. `cargo xtask bench` boots `run=ipcbench,bench`; it also runs alone.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use core::sync::atomic::{AtomicU64, Ordering};
use exos::ipc::lrpc::{self, Client, Procedure, Procedures, Request};
use exos::ipc::pipe::{pipe, PipeReader, PipeWriter};
use exos::println;
use exos::ipc::shm::{Channel, Receiver, Sender};
use exos::sys::syscall::sys_env_exit;
use user::bench::{self, measure};

static ROLE: AtomicU64 = AtomicU64::new(0);
static BASE_A: AtomicU64 = AtomicU64::new(0);
static BASE_B: AtomicU64 = AtomicU64::new(0);
const PIPE_ECHO: u64 = 1;
const SHM_ECHO: u64 = 2;


extern "C" fn child_main() -> ! {
    let (a, b) = (BASE_A.load(Ordering::Relaxed), BASE_B.load(Ordering::Relaxed));
    match ROLE.load(Ordering::Relaxed) {
        PIPE_ECHO => {
            let (Ok(mut input), Ok(mut output)) = (PipeReader::attach(a), PipeWriter::attach(b)) else { sys_env_exit(1) };
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = input.read(&mut buf) {
                if output.write(&buf[..n]).is_err() {
                    break;
                }
            }
        }
        SHM_ECHO => {
            let (Ok(mut input), Ok(mut output)) = (Receiver::attach(a), Sender::attach(b)) else { sys_env_exit(1) };
            let mut buf = [0u8; 64];
            while let Ok(n) = input.recv(&mut buf) {
                if output.send(&buf[..n.min(64)]).is_err() {
                    break;
                }
            }
        }
        _ => {
            let e = lrpc::serve::<Null>();
            println!("ipcbench: LRPC server: {e:?}");
        }
    }
    sys_env_exit(0)
}

struct Null;

impl Procedures for Null {
    const TABLE: &'static [Procedure] = &[null];
}

fn null(r: &mut Request<'_>) -> Result<u64, u64> {
    Ok(r.args[0])
}

fn spawn_with(role: u64, a: u64, b: u64, shared: &[(u64, u64)]) -> Option<(u64, u64)> {
    ROLE.store(role, Ordering::Relaxed);
    BASE_A.store(a, Ordering::Relaxed);
    BASE_B.store(b, Ordering::Relaxed);
    user::spawn(child_main, shared).ok()
}

fn bench_pipes() -> bool {
    let (Ok((a_reader, mut a_writer)), Ok((mut b_reader, b_writer))) = (pipe(), pipe()) else { return false };
    let mut shared = [(0, 0); 10];
    for (slot, page) in shared.iter_mut().zip(a_writer.shared_pages().chain(b_writer.shared_pages())) {
        *slot = page;
    }
    let Some((child, _)) = spawn_with(PIPE_ECHO, a_writer.base(), b_reader.base(), &shared) else { return false };
    if a_reader.grant(child).is_err() || b_writer.grant(child).is_err() {
        return false;
    }
    a_reader.close();
    b_writer.close();
    let mut buf = [0u8; 4096];
    let ok = measure("pipe", 2000, || a_writer.write(&buf[..1]) == Ok(1) && b_reader.read_exact(&mut [0u8; 1]) == Ok(1))
        && measure("pipe_4k", 1000, || {
            a_writer.write(&[0x42; 4096]) == Ok(4096) && b_reader.read_exact(&mut buf) == Ok(4096)
        });
    a_writer.close();
    ok
}

fn bench_shm() -> bool {
    let (Ok(a), Ok(b)) = (Channel::create(1), Channel::create(1)) else { return false };
    let mut shared = [(0, 0); 4];
    for (slot, page) in shared.iter_mut().zip(a.shared_pages().chain(b.shared_pages())) {
        *slot = page;
    }
    let Some((child, _)) = spawn_with(SHM_ECHO, a.base(), b.base(), &shared) else { return false };
    let (mut tx, mut rx) = (a.sender(child), b.receiver(child));
    let mut buf = [0u8; 8];
    measure("shm", 2000, || tx.send(&[7; 8]).is_ok() && rx.recv(&mut buf) == Ok(8))
}

fn bench_lrpc() -> bool {
    let Some((server, slot)) = spawn_with(0, 0, 0, &[]) else { return false };
    let Ok(mut client) = Client::bind(server, slot, 1) else { return false };
    let mut i = 0u64;
    measure("lrpc", 2000, || {
        i += 1;
        client.call(0, [i, 2, 3]) == Ok(i)
    })
}

/// Runs every benchmark; `quick`: one repeat each, only to check that each runs.
pub fn run(quick: bool) -> i64 {
    bench::set_quick(quick);
    let ok = bench_pipes() && bench_shm() && bench_lrpc();
    i64::from(!ok)
}

/// `ipcbench [--quick]`: every line, with one repeat each under `--quick`.
fn main() -> i64 {
    match user::bench::quick_argument("ipcbench") {
        Ok(quick) => run(quick),
        Err(status) => status,
    }
}

exos::main!(main);
