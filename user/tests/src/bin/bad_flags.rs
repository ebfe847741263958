//! Hostile test: sets the direction flag (DF) and alignment-check flag (AC), then takes timer
//! interrupts and makes system calls in that state. The kernel must clear both on entry (its
//! memcpy runs forwards; SMAP stays effective) and hand them back unchanged.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use exos::println;

fn main() -> i64 {
    let message = b"bad_flags: system call made with DF=1 AC=1\n";
    let flags: u64;
    // SAFETY: sets DF and AC, spins (the kernel takes timer interrupts in this state), makes a
    // console_write system call (reads `message` only), reads the flags back, then clears DF and AC
    // before any compiled code runs again (the ABI requires DF=0).
    unsafe {
        core::arch::asm!(
            "pushfq",
            "or qword ptr [rsp], 0x40400",
            "popfq",
            "mov rcx, 100000000",
            "2: dec rcx",
            "jnz 2b",
            "mov eax, 0",
            "syscall",
            "pushfq",
            "pop {flags}",
            "pushfq",
            "and qword ptr [rsp], ~0x40400",
            "popfq",
            flags = out(reg) flags,
            in("rdi") message.as_ptr(),
            in("rsi") message.len(),
            out("rax") _, out("rcx") _, out("rdx") _, out("r11") _,
        );
    }
    if flags & 0x40400 != 0x40400 {
        println!("bad_flags: FAIL: flags after the call are {flags:#x}");
        return 1;
    }
    println!("bad_flags: kernel survived DF and AC, and gave them back");
    0
}

exos::main!(main);
