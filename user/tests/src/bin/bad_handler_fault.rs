//! Hostile test: an exception handler that itself faults. The kernel must end the program
//! ("inside its own exception handler"), not deliver again or loop.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use abi::ExceptionFrame;
use exos::{rt::exception, println};

fn handler(_frame: &mut ExceptionFrame) -> bool {
    // SAFETY: deliberately invalid: the handler faults on a null pointer.
    let value = unsafe { core::ptr::read_volatile(core::hint::black_box(0usize) as *const u64) };
    value == 7
}

fn main() {
    exception::set_handler(handler).expect("registering the handler");
    println!("bad_handler_fault: trying it");
    // SAFETY: deliberately raises #UD to enter the faulting handler.
    unsafe { core::arch::asm!("ud2") };
    println!("bad_handler_fault: FAIL: still running");
}

exos::main!(main);
