//! Hostile and functional test of `env_set_name` and the statistics window: names read back
//! through the window (cut to fit, at character boundaries), every bad argument refused with its
//! error (bad and kernel pointers, empty, not UTF-8, a page capability, an empty slot), a child
//! named through its capability, and counters that move when the mechanism runs.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::stats::Counter;
use abi::{env_index, Error, Sysnum, ANY_PAGE, SELF_ENV};
use exos::sys::stats;
use exos::sys::syscall::*;
use user::{raw_syscall, Checks};

fn set_name_raw(env: u64, ptr: u64, len: u64) -> Option<Error> {
    raw_syscall(Sysnum::EnvSetName as u64, [env, ptr, len, 0, 0, 0]).1
}

fn main() -> i64 {
    let mut c = Checks::new("bad_names");
    let me = exos::proc::process::id();
    let index = env_index(me);
    c.equal("boot name", stats::name(index).as_str(), "bad_names");
    c.equal("rename", sys_env_set_name(SELF_ENV, "renamed"), Ok(()));
    c.equal("renamed in the window", stats::name(index).as_str(), "renamed");
    let long = "abcdefghijklmnopqrstuvwxyz0123456789";
    c.equal("long name accepted", sys_env_set_name(SELF_ENV, long), Ok(()));
    c.equal("long name cut to 31 bytes", stats::name(index).as_str(), &long[..31]);
    let accents = "é".repeat(20);
    c.equal("multi-byte name accepted", sys_env_set_name(SELF_ENV, &accents), Ok(()));
    c.equal("cut at a character boundary", stats::name(index).as_str(), &accents[..30]);
    c.equal("empty name", sys_env_set_name(SELF_ENV, ""), Err(Error::BadArgument));
    let bad_utf8 = [b'a', 0xff, b'b'];
    c.equal("not UTF-8", set_name_raw(SELF_ENV, bad_utf8.as_ptr() as u64, 3), Some(Error::BadArgument));
    c.equal("null pointer", set_name_raw(SELF_ENV, 0, 4), Some(Error::BadAddress));
    c.equal("kernel pointer", set_name_raw(SELF_ENV, abi::layout::KERNEL_BASE, 4), Some(Error::BadAddress));
    c.equal("unmapped pointer", set_name_raw(SELF_ENV, 0x6000_0000_0000, 4), Some(Error::BadAddress));
    c.equal("non-canonical pointer", set_name_raw(SELF_ENV, 0x8000_0000_0000_0000, 4), Some(Error::BadAddress));
    let name = b"huge";
    // A huge length reads at most NAME_LEN bytes: here past the 4 bytes into read-only data,
    // which is mapped; whatever is there must be valid UTF-8 or the call is refused.
    let r = set_name_raw(SELF_ENV, name.as_ptr() as u64, u64::MAX);
    c.check("huge length: no crash, a clear answer", r.is_none() || r == Some(Error::BadArgument));
    c.equal("refused calls left the name alone or set a valid one", stats::name(index).as_str().is_empty(), false);
    let (page, slot) = match sys_page_alloc(ANY_PAGE) {
        Ok(p) => p,
        Err(e) => {
            c.check("page_alloc", false);
            exos::println!("bad_names: page_alloc: {e:?}");
            return c.finish();
        }
    };
    let _ = page;
    c.equal("a page capability", set_name_raw(slot, b"x".as_ptr() as u64, 1), Some(Error::WrongType));
    c.equal("an empty slot", set_name_raw(200, b"x".as_ptr() as u64, 1), Some(Error::EmptySlot));
    c.equal("a slot beyond the table", set_name_raw(1 << 40, b"x".as_ptr() as u64, 1), Some(Error::BadSlot));
    c.equal("back to a known name", sys_env_set_name(SELF_ENV, &accents), Ok(()));
    match sys_env_create(user::child_pages()) {
        Ok((child, child_slot)) => {
            let ci = env_index(child);
            let inherited = alloc::format!("{}.", &accents[..30]);
            c.equal("a new child's name: its creator's, cut", stats::name(ci).as_str(), inherited.as_str());
            c.equal("name a child", sys_env_set_name(child_slot, "kid"), Ok(()));
            c.equal("child renamed", stats::name(ci).as_str(), "kid");
            c.check("child in the process table", stats::processes().any(|p| u64::from(p.id) == child && p.name.as_str() == "kid"));
            c.equal("destroy the child", sys_env_destroy(child_slot), Ok(()));
            c.equal("a destroyed child's slot", set_name_raw(child_slot, b"x".as_ptr() as u64, 1).is_some(), true);
        }
        Err(e) => c.check(&alloc::format!("env_create: {e:?}"), false),
    }
    let yields = stats::syscalls(Sysnum::EnvYield as usize);
    for _ in 0..3 {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
    // Counters are published at each tick: spin until the next ones show.
    let ticks = stats::counter(Counter::TimerTicks);
    while stats::counter(Counter::TimerTicks) < ticks + 2 {
        core::hint::spin_loop();
    }
    c.check("env_yield counted", stats::syscalls(Sysnum::EnvYield as usize) >= yields + 3);
    c.check("pages allocated counted", stats::counter(Counter::PagesAllocated) >= 1);
    c.check("this program's run ticks", stats::run_ticks(index) >= 2);
    c.check("in the process table", stats::processes().any(|p| u64::from(p.id) == me));
    c.finish()
}

extern crate alloc;
exos::main!(main);
