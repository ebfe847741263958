//! Hostile test of `env_set_fs_base`: kernel and non-canonical bases are refused (a non-canonical
//! one would fault the kernel's `wrmsr`); a good base works for `%fs:` loads; an unmapped one ends
//! only this program (the next program runs).
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use abi::Error;
use exos::println;
use exos::sys::syscall::{sys_env_set_fs_base, sys_env_yield};

static WORD: u64 = 0x5eed_f00d;

fn fs_load() -> u64 {
    let value: u64;
    // SAFETY: reads through the caller's own FS base; a bad one faults in this program only.
    unsafe { core::arch::asm!("mov {}, qword ptr fs:[0]", out(reg) value, options(nostack, readonly)) };
    value
}

fn main() {
    for base in [0x0000_8000_0000_0000, 0xffff_8000_0000_0000, 0x8000_0000_0000_1234, u64::MAX] {
        let answer = sys_env_set_fs_base(base);
        if answer != Err(Error::BadAddress) {
            println!("bad_fsbase: FAIL: base {base:#x} answered {answer:?}");
        }
    }
    println!("bad_fsbase: bad bases refused");
    sys_env_set_fs_base(&raw const WORD as u64).expect("a good base");
    let _ = sys_env_yield(abi::ANY_ENV);
    let value = fs_load();
    if value != WORD {
        println!("bad_fsbase: FAIL: %fs:0 = {value:#x}");
    }
    println!("bad_fsbase: %fs:0 = {value:#x}");
    sys_env_set_fs_base(0x7000_0000_0000).expect("an unmapped user base is the caller's business");
    println!("bad_fsbase: loading through an unmapped base");
    let value = fs_load();
    println!("bad_fsbase: FAIL: still running ({value:#x})");
}

exos::main!(main);
