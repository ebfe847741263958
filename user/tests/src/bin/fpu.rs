//! Checks that SSE and x87 state survive kernel entries: system calls and timer interrupts.
//!
//! It fills xmm0-xmm15 with known patterns, spins long enough to take several timer interrupts
//! and makes system calls, all inside one asm block so the compiler cannot touch the registers,
//! then compares. It also checks the initial MXCSR (0x1f80: all exceptions masked).
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use exos::println;

fn main() -> i64 {
    let mut mxcsr = 0u32;
    // SAFETY: stmxcsr stores 4 bytes into a local.
    unsafe { core::arch::asm!("stmxcsr [{0}]", in(reg) &mut mxcsr) };
    if mxcsr != 0x1f80 {
        println!("fpu: FAIL: initial MXCSR is {mxcsr:#x}, expected 0x1f80");
        return 1;
    }
    let mut out = [0u64; 32];
    let message = b"fpu: syscall inside the asm block\n";
    // SAFETY: loads xmm registers from constants, spins, issues console_write system calls (which
    // only read `message`) and stores the xmm registers into `out`. All clobbers are declared.
    unsafe {
        core::arch::asm!(
            ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15",
            "mov rax, 0x1111111111111111 * (\\n + 1)",
            "movq xmm\\n, rax",
            "pinsrq xmm\\n, rax, 1",
            ".endr",
            "mov r12, 3",
            "2:",
            "mov rcx, 30000000",
            "3: dec rcx",
            "jnz 3b",
            "mov eax, 0",
            "mov rdi, {msg}",
            "mov rsi, {len}",
            "syscall",
            "dec r12",
            "jnz 2b",
            ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15",
            "movdqu [{out} + \\n * 16], xmm\\n",
            ".endr",
            msg = in(reg) message.as_ptr(),
            len = in(reg) message.len(),
            out = in(reg) out.as_mut_ptr(),
            out("rax") _, out("rcx") _, out("rdx") _, out("rdi") _, out("rsi") _, out("r11") _, out("r12") _,
            out("xmm0") _, out("xmm1") _, out("xmm2") _, out("xmm3") _, out("xmm4") _, out("xmm5") _,
            out("xmm6") _, out("xmm7") _, out("xmm8") _, out("xmm9") _, out("xmm10") _, out("xmm11") _,
            out("xmm12") _, out("xmm13") _, out("xmm14") _, out("xmm15") _,
        );
    }
    for (i, pair) in out.chunks(2).enumerate() {
        let expected = 0x1111_1111_1111_1111u64.wrapping_mul(i as u64 + 1);
        if pair != [expected, expected] {
            println!("fpu: FAIL: xmm{i} = {:#x}:{:#x}, expected {expected:#x}", pair[1], pair[0]);
            return 1;
        }
    }
    let x = core::hint::black_box(2.0f64);
    println!("fpu: xmm0-15 intact across timer interrupts and system calls; sqrt-free check {}", x * 0.5);
    0
}

exos::main!(main);
