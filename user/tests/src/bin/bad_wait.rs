//! Hostile test: `env_wait`, `env_notify` and `page_wake` with bad arguments, without the right,
//! at strangers and at the dead; each fails with its precise error and changes nothing (the child
//! that sleeps for notifications is not woken by a refused one). Last, it sleeps for a
//! notification nobody can send: the kernel must end it as stuck.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::layout::{ENV_TABLE_BASE, KERNEL_BASE};
use abi::{Error, MapUpdate, Rights, Sysnum, ANY_PAGE, NOTIFY_CHILD, WAIT_ALL, WAIT_CONSOLE, WAIT_DEADLINE, WAIT_IRQ, WAIT_NOTIFY, WAIT_PCT, WAIT_WORD};
use exos::sys::syscall::*;
use exos::sys::vm;
use user::{raw_syscall, spawn, Checks};

const SHARED: u64 = 0x6100_0000;

extern "C" fn sleeper() -> ! {
    let result = sys_env_wait(WAIT_NOTIFY, 0, 0, 0).unwrap_or(u64::MAX);
    user::set_page_word(SHARED, 0, result);
    sys_env_exit(0)
}

fn wait(events: u64, deadline: u64, word: u64, expected: u64) -> Option<Error> {
    raw_syscall(Sysnum::EnvWait as u64, [events, deadline, word, expected, 0, 0]).1
}

fn main() -> i64 {
    let mut c = Checks::new("bad_wait");
    let (pa, page) = sys_page_alloc(ANY_PAGE).expect("a page");
    let me = u64::from(vm::owner(pa >> 12).unwrap_or(0));
    let rw = Rights::READ.0 | Rights::WRITE.0;
    c.equal("map the shared page", sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: SHARED, slot: page, rights: rw }]), (1, None));

    // env_wait's arguments.
    c.equal("no event", wait(0, 0, 0, 0), Some(Error::BadArgument));
    c.equal("an undefined event bit", wait(WAIT_ALL + 1, 0, 0, 0), Some(Error::BadArgument));
    c.equal("every bit", wait(u64::MAX, 0, 0, 0), Some(Error::BadArgument));
    c.equal("a deadline without WAIT_DEADLINE", wait(WAIT_CONSOLE, 5, 0, 0), Some(Error::BadArgument));
    c.equal("a word without WAIT_WORD", wait(WAIT_DEADLINE, 1, SHARED, 0), Some(Error::BadArgument));
    c.equal("an expected value without WAIT_WORD", wait(WAIT_DEADLINE, 1, 0, 7), Some(Error::BadArgument));
    c.equal("a misaligned word", wait(WAIT_WORD, 0, SHARED + 4, 0), Some(Error::BadArgument));
    c.equal("an unmapped word", wait(WAIT_WORD, 0, 0x7000_0000, 0), Some(Error::BadAddress));
    c.equal("a word at 0", wait(WAIT_WORD, 0, 0, 1), Some(Error::BadAddress));
    c.equal("a kernel word", wait(WAIT_WORD, 0, KERNEL_BASE, 0), Some(Error::BadAddress));
    c.equal("a word in the kernel's windows", wait(WAIT_WORD, 0, ENV_TABLE_BASE, 0), Some(Error::BadAddress));
    c.equal("a non-canonical word", wait(WAIT_WORD, 0, 0x8000_0000_0000_0000, 0), Some(Error::BadAddress));
    c.equal("an interrupt it does not own", wait(WAIT_IRQ, 0, 0, 0), Some(Error::BadArgument));
    c.equal("a transfer without an entry", wait(WAIT_PCT, 0, 0, 0), Some(Error::NoEntry));

    // page_wake's arguments.
    let wake = |word, count, donate| raw_syscall(Sysnum::PageWake as u64, [word, count, donate, 0, 0, 0]);
    c.equal("wake a misaligned word", wake(SHARED + 1, 1, 0), (0, Some(Error::BadArgument)));
    c.equal("wake nobody (count 0)", wake(SHARED, 0, 0), (0, Some(Error::BadArgument)));
    c.equal("donate 2", wake(SHARED, 1, 2), (0, Some(Error::BadArgument)));
    c.equal("wake an unmapped word", wake(0x7000_0000, 1, 0), (0, Some(Error::BadAddress)));
    c.equal("wake a kernel word", wake(KERNEL_BASE, 1, 0), (0, Some(Error::BadAddress)));
    c.equal("wake with nobody asleep", wake(SHARED, 1, 1), (0, None));

    // env_notify: rights, strangers, bits.
    let (child, slot) = spawn(sleeper, &[(SHARED, page)]).expect("spawn");
    while vm::env_info(abi::env_index(child)).state != abi::ENV_SLEEPING {
        let _ = sys_env_yield(child);
    }
    let no_execute = sys_cap_grant(slot, me, Rights(rw)).expect("a capability without EXECUTE");
    c.equal("notify without EXECUTE", sys_env_notify(no_execute, 1), Err(Error::NoRights));
    c.equal("notify through a page capability", sys_env_notify(page, 1), Err(Error::WrongType));
    c.equal("notify a stranger (an empty slot)", sys_env_notify(900, 1), Err(Error::EmptySlot));
    c.equal("notify through a bad slot", sys_env_notify(1 << 40, 1), Err(Error::BadSlot));
    c.equal("notify no bits", sys_env_notify(slot, 0), Err(Error::BadArgument));
    c.equal("forge a child's end", sys_env_notify(slot, NOTIFY_CHILD), Err(Error::BadArgument));
    let raw = raw_syscall(Sysnum::EnvNotify as u64, [slot, 1 << 32, 0, 0, 0, 0]);
    c.equal("bits beyond 32", raw, (0, Some(Error::BadArgument)));
    for _ in 0..20 {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
    c.equal("the refused notifications did not wake it", vm::env_info(abi::env_index(child)).state, abi::ENV_SLEEPING);
    c.equal("a permitted one does", sys_env_notify(slot, 2), Ok(()));
    while vm::env_info(abi::env_index(child)).id as u64 == child {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
    c.equal("it got exactly that bit", user::page_word(SHARED, 0), WAIT_NOTIFY | 2 << abi::WAIT_NOTIFY_SHIFT);
    c.equal("notify the dead", sys_env_notify(slot, 1), Err(Error::NoSuchEnv));
    let code = c.finish();
    if code != 0 {
        return code;
    }
    // Its end notified this creator: take that bit first.
    let _ = sys_env_wait(WAIT_NOTIFY | WAIT_DEADLINE, 1, 0, 0);
    exos::println!("bad_wait: now sleeping for a notification nobody can send");
    let result = sys_env_wait(WAIT_NOTIFY, 0, 0, 0);
    exos::println!("bad_wait: FAIL: the stuck sleep returned {result:?}");
    1
}

exos::main!(main);
