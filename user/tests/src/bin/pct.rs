//! Protected control transfer: a server environment (a copy of this program, started by `spawn`)
//! registers an entry point and waits; the client calls it synchronously with arguments in
//! registers and gets the reply, sends to it asynchronously, and sees every documented failure:
//! no right, wrong object, no entry, a callee that dies during the call, a dead callee. It also
//! prints the cycle counts of a null system call, an exception round trip and a PCT round trip.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use abi::{Error, MapUpdate, Rights, ANY_PAGE};
use exos::sys::syscall::*;
use user::{mapped_page, mapped_page_mut, spawn, Checks};

const SHARED: u64 = 0x6100_0000;
const SERVER_STACK_TOP: u64 = user::CHILD_STACK_TOP - 0x2000;

/// The server's main: register the entry (on the lower half of the child stack) and wait.
extern "C" fn server_main() -> ! {
    let e = sys_pct_set_entry(serve, SERVER_STACK_TOP).err().unwrap_or_else(sys_pct_wait);
    exos::println!("pct server: FAIL: {e:?}");
    sys_env_exit(1)
}

/// The entry: a0 + a1 * a2, replied synchronously; `a3` = 1: asynchronous, result into the shared
/// page; `a3` = 0xdead: die during the call.
extern "C" fn serve(caller: u64, a0: u64, a1: u64, a2: u64, a3: u64, _a4: u64) -> ! {
    let value = a0 + a1 * a2;
    match a3 {
        1 => {
            mapped_page_mut(SHARED)[..8].copy_from_slice(&value.to_le_bytes());
            let e = sys_pct_wait();
            exos::println!("pct server: FAIL: wait: {e:?}");
        }
        0xdead => {
            // SAFETY: deliberately raises #UD so the server dies in the middle of a call.
            unsafe { core::arch::asm!("ud2") };
        }
        _ => {
            let e = sys_pct_reply(caller, value);
            exos::println!("pct server: FAIL: reply: {e:?}");
        }
    }
    sys_env_exit(1)
}

/// Calls until the server is waiting (it must first run to `pct_set_entry` and `pct_wait`).
fn call_when_ready(slot: u64, server: u64, args: [u64; 5]) -> Result<u64, Error> {
    loop {
        match sys_pct_call(slot, args) {
            Err(Error::Busy | Error::NoEntry) => {
                let _ = sys_env_yield(server);
            }
            other => return other,
        }
    }
}

fn main() -> i64 {
    let mut c = Checks::new("pct");
    let (_, shared) = sys_page_alloc(ANY_PAGE).expect("shared page");
    let rw = Rights::READ.0 | Rights::WRITE.0;
    c.equal("map shared", sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: SHARED, slot: shared, rights: rw }]), (1, None));
    let (server, slot) = spawn(server_main, &[(SHARED, shared)]).expect("spawning the server");

    c.equal("synchronous call: 2 + 3 * 4", call_when_ready(slot, server, [2, 3, 4, 0, 0]), Ok(14));
    c.equal("the environment table shows the server waiting", exos::sys::vm::env_info(abi::env_index(server)).state, abi::ENV_WAITING);
    c.equal("again", sys_pct_call(slot, [10, 10, 10, 0, 0]), Ok(110));
    c.equal("asynchronous send", sys_pct_send(slot, [1, 2, 3, 1, 0]), Ok(()));
    while mapped_page(SHARED)[0] == 0 {
        let _ = sys_env_yield(server);
    }
    c.equal("the send ran", mapped_page(SHARED)[0], 7);
    let cycles = measure_pct(slot, server);

    // Failures.
    c.equal("call through a page capability", sys_pct_call(shared, [0; 5]), Err(Error::WrongType));
    let (empty, empty_slot) = sys_env_create(user::child_pages()).expect("a child with no entry");
    c.equal("call a child with no entry", sys_pct_call(empty_slot, [0; 5]), Err(Error::NoEntry));
    let (pa, _) = sys_page_alloc(ANY_PAGE).expect("a page");
    let my_id = u64::from(exos::sys::vm::owner(pa >> 12).unwrap_or(0));
    let no_execute = sys_cap_grant(slot, my_id, Rights(Rights::READ.0 | Rights::WRITE.0)).expect("a capability without EXECUTE");
    c.equal("call without the EXECUTE right", sys_pct_call(no_execute, [0; 5]), Err(Error::NoRights));
    c.equal("reply while not serving a call", sys_pct_reply(empty, 0), Error::BadArgument);
    c.equal("wait without an entry", sys_pct_wait(), Error::NoEntry);
    c.equal("the callee dies during the call", sys_pct_call(slot, [0, 0, 0, 0xdead, 0]), Err(Error::NoSuchEnv));
    c.equal("call the dead callee", sys_pct_call(slot, [0; 5]), Err(Error::NoSuchEnv));
    exos::println!("bench: null system call {} cycles, exception round trip {} cycles, pct round trip {} cycles (medians)",
                   measure_null_syscall(), measure_exception(), cycles);
    c.finish()
}

fn rdtsc() -> u64 {
    // SAFETY: rdtsc only reads the time-stamp counter.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Median of 101 timings of `f`.
fn median(mut f: impl FnMut()) -> u64 {
    let mut samples = [0u64; 101];
    for s in samples.iter_mut() {
        let start = rdtsc();
        f();
        *s = rdtsc() - start;
    }
    samples.sort_unstable();
    samples[50]
}

fn measure_pct(slot: u64, server: u64) -> u64 {
    let _ = call_when_ready(slot, server, [0; 5]);
    median(|| {
        let _ = sys_pct_call(slot, [1, 1, 1, 0, 0]);
    })
}

fn measure_null_syscall() -> u64 {
    median(|| {
        // SAFETY: an unknown call number does nothing but return BadSysnum.
        let _ = unsafe { syscall6(u64::MAX, [0; 6]) };
    })
}

fn skip_ud2(frame: &mut abi::ExceptionFrame) -> bool {
    frame.rip += 2;
    true
}

fn measure_exception() -> u64 {
    exos::rt::exception::set_handler(skip_ud2).expect("handler");
    median(|| {
        // SAFETY: #UD goes to `skip_ud2`, which resumes after the instruction.
        unsafe { core::arch::asm!("ud2") };
    })
}

exos::main!(main);
