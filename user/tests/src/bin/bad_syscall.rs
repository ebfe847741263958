//! Hostile test: system calls with garbage numbers and arguments. Each must come back with the
//! documented error code, and the kernel must keep running. Exits 0 only if every answer is right.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use abi::layout::{KERNEL_BASE, USER_END, USER_STACK_TOP};
use abi::{Error, Sysnum, MAX_CONSOLE_WRITE};
use exos::println;

const WRITE: u64 = Sysnum::ConsoleWrite as u64;
const HANDLER: u64 = Sysnum::EnvSetExceptionHandler as u64;

/// What a case is called, the call number, its arguments, and the answer it must get.
type Case = (&'static str, u64, [u64; 6], Result<u64, Error>);

fn main() -> i64 {
    let text = b"ok";
    let here = text.as_ptr() as u64;
    let cases: &[Case] = &[
        ("first unused number", Sysnum::ALL.len() as u64, [0; 6], Err(Error::BadSysnum)),
        ("number 0x100", 0x100, [1; 6], Err(Error::BadSysnum)),
        ("number u64::MAX", u64::MAX, [u64::MAX; 6], Err(Error::BadSysnum)),
        ("number 1<<63", 1 << 63, [0; 6], Err(Error::BadSysnum)),
        ("write from null", WRITE, [0, 10, 0, 0, 0, 0], Err(Error::BadAddress)),
        ("write from kernel text", WRITE, [KERNEL_BASE + 0x10_0000, 16, 0, 0, 0, 0], Err(Error::BadAddress)),
        ("write from non-canonical", WRITE, [0x0000_8000_0000_0000, 16, 0, 0, 0, 0], Err(Error::BadAddress)),
        ("write across the user end", WRITE, [USER_END - 1, 2, 0, 0, 0, 0], Err(Error::BadAddress)),
        ("write wrapping around", WRITE, [u64::MAX - 5, 10, 0, 0, 0, 0], Err(Error::BadAddress)),
        ("write from unmapped", WRITE, [0x1000_0000, 8, 0, 0, 0, 0], Err(Error::BadAddress)),
        ("write past the stack top", WRITE, [USER_STACK_TOP - 4, 8, 0, 0, 0, 0], Err(Error::BadAddress)),
        ("write 1 TiB", WRITE, [here, 1 << 40, 0, 0, 0, 0], Err(Error::TooLong)),
        ("write u64::MAX bytes", WRITE, [here, u64::MAX, 0, 0, 0, 0], Err(Error::TooLong)),
        ("write one past the limit", WRITE, [here, MAX_CONSOLE_WRITE + 1, 0, 0, 0, 0], Err(Error::TooLong)),
        ("write 0 bytes from null", WRITE, [0, 0, 0, 0, 0, 0], Err(Error::BadAddress)),
        ("handler entry in the kernel", HANDLER, [KERNEL_BASE + 0x10_0000, 0x20_0000, 8192, 0, 0, 0], Err(Error::BadAddress)),
        ("handler entry non-canonical", HANDLER, [0x0000_8000_0000_0000, 0x20_0000, 8192, 0, 0, 0], Err(Error::BadAddress)),
        ("handler stack in the kernel", HANDLER, [here, KERNEL_BASE, 8192, 0, 0, 0], Err(Error::BadAddress)),
        ("handler stack wrapping around", HANDLER, [here, u64::MAX - 4095, 8192, 0, 0, 0], Err(Error::BadAddress)),
        ("handler stack crossing the user end", HANDLER, [here, USER_END - 4096, 8192, 0, 0, 0], Err(Error::BadAddress)),
        ("handler stack too small", HANDLER, [here, 0x20_0000, 4095, 0, 0, 0], Err(Error::BadArgument)),
        ("handler stack misaligned", HANDLER, [here, 0x20_0008, 8192, 0, 0, 0], Err(Error::BadArgument)),
        ("write 0 bytes", WRITE, [here, 0, 0, 0, 0, 0], Ok(0)),
        ("write 2 bytes, garbage in unused registers", WRITE, [here, 2, u64::MAX, 7, 8, 9], Ok(2)),
    ];
    let mut failures = 0;
    for (what, number, args, expected) in cases {
        // SAFETY: none of these calls can change this program's memory: unknown numbers do nothing
        // and console_write only reads.
        let (rax, rdx) = unsafe { exos::sys::syscall::syscall6(*number, *args) };
        let got = abi::decode_result(rax, rdx);
        if got != expected.map_err(Some) {
            println!("bad_syscall: FAIL: {what}: got {got:?}, expected {expected:?}");
            failures += 1;
        }
    }
    println!();
    println!("bad_syscall: {} garbage calls checked, {} wrong answers", cases.len(), failures);
    failures
}

exos::main!(main);
