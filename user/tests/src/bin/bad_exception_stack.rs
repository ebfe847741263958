//! Hostile test: registers an exception stack over the program's own code, which is mapped
//! read-only. Registration succeeds (mappings are checked at delivery), and the exception must then
//! end the program instead of the kernel writing a frame over the code.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use abi::ExceptionFrame;
use exos::{rt::exception, println};

fn handler(_frame: &mut ExceptionFrame) -> bool {
    true
}

fn main() {
    let code_page = (main as fn() as usize as u64) & !0xfff;
    exception::set_handler_with_stack(handler, code_page, 4096).expect("registering the handler");
    println!("bad_exception_stack: trying it");
    // SAFETY: deliberately raises #UD with an exception stack over read-only code.
    unsafe { core::arch::asm!("ud2") };
    println!("bad_exception_stack: FAIL: still running");
}

exos::main!(main);
