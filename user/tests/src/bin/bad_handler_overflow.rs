//! Hostile test: an exception handler that recurses until it runs off its exception stack
//! (the bottom 16 KiB of the main stack region, whose guard page lies below). The kernel must end the
//! program ("after overflowing its exception stack").
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use abi::ExceptionFrame;
use exos::{rt::exception, println};

fn handler(frame: &mut ExceptionFrame) -> bool {
    recurse(frame.vector) == 0
}

#[allow(unconditional_recursion)]
fn recurse(n: u64) -> u64 {
    let mut frame = [n; 64];
    core::hint::black_box(&mut frame);
    recurse(n + 1) + frame[2]
}

fn main() {
    let base = abi::layout::USER_STACK_TOP - abi::layout::USER_STACK_SIZE;
    exception::set_handler_with_stack(handler, base, 16 * 1024).expect("registering the handler");
    println!("bad_handler_overflow: trying it");
    // SAFETY: deliberately raises #UD to enter the recursing handler.
    unsafe { core::arch::asm!("ud2") };
    println!("bad_handler_overflow: FAIL: still running");
}

exos::main!(main);
