//! Hostile test of syscall redirection (`env_redirect_syscalls`): code outside the program's native
//! range (a page of "foreign" code, as a Linux binary would be) executes `syscall` with the number
//! of `env_exit`. The kernel must not run it: the handler must get it with the caller's registers
//! and return to the caller. Then the same with the exception stack over read-only code: the
//! kernel must end the program rather than write the frame there. Bad ranges are refused.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use abi::{Error, ExceptionFrame, Rights};
use core::sync::atomic::{AtomicU64, Ordering};
use exos::mem::{mmap, protect};
use exos::rt::{exception, redirect};
use exos::sys::syscall::sys_env_redirect_syscalls;
use exos::println;

static SEEN: [AtomicU64; 3] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];

fn on_syscall(frame: &mut ExceptionFrame) {
    SEEN[0].store(frame.rax, Ordering::Relaxed);
    SEEN[1].store(frame.rdi, Ordering::Relaxed);
    SEEN[2].fetch_add(1, Ordering::Relaxed);
    frame.rax = 0x1234;
}

fn handler(_frame: &mut ExceptionFrame) -> bool {
    false
}

/// Calls the foreign code at `code` (`syscall; ret`) with `rax` = `number`, `rdi` = `arg`.
fn foreign_call(code: u64, number: u64, arg: u64) -> u64 {
    let result: u64;
    // SAFETY: `code` holds `syscall; ret`; rcx and r11 are clobbered by `syscall`.
    unsafe {
        core::arch::asm!("call {code}", code = in(reg) code, inlateout("rax") number => result,
                         in("rdi") arg, out("rcx") _, out("r11") _, clobber_abi("C"));
    }
    result
}

fn main() {
    let user_end = abi::layout::USER_END;
    for (start, end) in [(0x1000, 0), (0x2000, 0x2000), (user_end - 0x1000, user_end + 0x1000), (0xffff_8000_0000_0000, 0xffff_8000_0001_0000), (0, 0x1000)] {
        let answer = sys_env_redirect_syscalls(start, end);
        if answer != Err(Error::BadAddress) {
            println!("bad_linux_redirect: FAIL: range [{start:#x}, {end:#x}) answered {answer:?}");
        }
    }
    println!("bad_linux_redirect: bad ranges refused");

    let spec = mmap::Spec { max: Rights(Rights::READ.0 | Rights::WRITE.0 | Rights::EXECUTE.0), ..mmap::Spec::anonymous(4096, Rights(Rights::READ.0 | Rights::WRITE.0)) };
    let code = mmap::map(spec).expect("mapping the foreign page");
    // SAFETY: a fresh read-write page of ours: `syscall; ret`.
    unsafe { core::ptr::copy_nonoverlapping([0x0f_u8, 0x05, 0xc3].as_ptr(), code as *mut u8, 3) };
    protect::mprotect(code, 4096, Rights(Rights::READ.0 | Rights::EXECUTE.0)).expect("making it executable");

    exception::set_handler(handler).expect("registering the handler");
    redirect::redirect_syscalls(on_syscall).expect("redirecting");
    let result = foreign_call(code, 1, 99); // env_exit(99), if the kernel ran it
    let (number, arg, count) = (SEEN[0].load(Ordering::Relaxed), SEEN[1].load(Ordering::Relaxed), SEEN[2].load(Ordering::Relaxed));
    if (result, number, arg, count) != (0x1234, 1, 99, 1) {
        println!("bad_linux_redirect: FAIL: result {result:#x}, seen number {number} arg {arg} count {count}");
    }
    // The program's own calls are still Exo calls.
    let own = exos::sys::syscall::sys_env_set_fs_base(0);
    if own.is_err() || SEEN[2].load(Ordering::Relaxed) != 1 {
        println!("bad_linux_redirect: FAIL: a native call was redirected ({own:?})");
    }
    println!("bad_linux_redirect: foreign env_exit went to the handler");

    let code_page = (main as fn() as usize as u64) & !0xfff;
    exception::set_handler_with_stack(handler, code_page, 4096).expect("registering the handler");
    println!("bad_linux_redirect: trying an unwritable exception stack");
    foreign_call(code, 1, 99);
    println!("bad_linux_redirect: FAIL: still running");
}

exos::main!(main);
