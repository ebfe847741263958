//! Hostile FPU state across system calls (an entry saves no FPU state but sets CR0.TS; kernel
//! SSE takes `#NM`, which saves it; a switch saves the leaving environment's live state: kernel
//! `arch/x86_64/entry.rs`).
//!
//! The program unmasks every SIMD exception and sets round-toward-zero in MXCSR (a kernel that ran
//! its own SSE code under that MXCSR could fault), changes the x87 control word, fills xmm0-15
//! with patterns (and the upper half of ymm15), and then, inside one asm block, makes system calls that stay (console_write,
//! an unknown number) and one that switches to a child (env_yield), which scribbles over its own
//! XMM registers and MXCSR and yields back. The child counts its turns in a shared page and prints
//! when it has had 40; the parent's loop runs until it sees that count (a timer tick that takes the
//! CPU from the child in mid-turn costs a turn, so a fixed number of yields would not do), and the
//! test expects the line before the checks. Afterwards every XMM register, MXCSR and the x87
//! control word must be as it set them. A timer interrupt may also land anywhere in between.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use abi::{MapUpdate, Rights, ANY_PAGE};
use exos::println;
use exos::sys::syscall::{sys_page_alloc, sys_page_map};
use user::{mapped_page, mapped_page_mut, Checks};

/// The hostile MXCSR: every exception unmasked (bits 7-12 clear), round toward zero (13-14).
const HOSTILE_MXCSR: u32 = 0x6000;
/// The x87 control word it sets (round toward zero, precision 64 bits, exceptions masked).
const X87_CW: u16 = 0x0f7f;
/// The turns the child must have had inside the asm block.
const YIELDS: u64 = 40;
/// The most yields the asm block makes while it waits for them.
const MAX_YIELDS: u64 = 4000;
/// Where parent and child map the page whose first word is the child's turn count.
const SHARED: u64 = 0x6100_0000;

fn turns() -> u64 {
    u64::from_le_bytes(mapped_page(SHARED)[..8].try_into().unwrap_or([0; 8]))
}

fn main() -> i64 {
    let mut c = Checks::new("bad_fpu");
    let rw = Rights::READ.0 | Rights::WRITE.0;
    let shared = sys_page_alloc(ANY_PAGE).map(|(_, slot)| slot);
    let mapped = shared.map(|slot| sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: SHARED, slot, rights: rw }]));
    let Ok((1, None)) = mapped else {
        c.check("map the shared page", false);
        return c.finish();
    };
    let Ok((child, _)) = shared.and_then(|slot| user::spawn(child_main, &[(SHARED, slot)])) else {
        c.check("spawn the child", false);
        return c.finish();
    };
    let message = b"bad_fpu: console_write from inside the asm block\n";
    let mut out = [0u64; 32];
    // The upper half of ymm15 (two words), MXCSR, the x87 control word.
    let mut rest = [0u64; 4];
    // Sets MXCSR, the x87 control word and the vector registers; makes system calls that read only
    // `message`, do nothing or yield to the child, until the child's count in the shared page
    // reaches YIELDS (or MAX_YIELDS rounds); stores the registers into `out` and `rest`.
    // SAFETY: the initial MXCSR and control word are restored and every clobber is declared; the
    // shared page is mapped at `turns` for the whole block.
    unsafe {
        core::arch::asm!(
            "sub rsp, 8",
            "mov dword ptr [rsp], {hostile:e}",
            "ldmxcsr [rsp]",
            "mov word ptr [rsp], {cw:x}",
            "fldcw [rsp]",
            ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15",
            "mov rax, 0x0123456789abcdef + \\n * 0x1111",
            "movq xmm\\n, rax",
            "not rax",
            "pinsrq xmm\\n, rax, 1",
            ".endr",
            // The upper half of ymm15 gets xmm14's pattern (kernel code never touches upper halves).
            "vinsertf128 ymm15, ymm15, xmm14, 1",
            "mov r12, {max_yields}",
            "2:",
            "mov eax, 0",
            "mov rdi, {msg}",
            "mov rsi, {len}",
            "syscall",
            "mov eax, 0xffff",
            "syscall",
            "mov eax, {yield_sysnum}",
            "mov rdi, {child}",
            "syscall",
            "cmp qword ptr [{turns}], {yields}",
            "jae 3f",
            "dec r12",
            "jnz 2b",
            "3:",
            ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15",
            "movdqu [{out} + \\n * 16], xmm\\n",
            ".endr",
            "vextractf128 [{rest}], ymm15, 1",
            "vzeroupper",
            "stmxcsr [{rest} + 16]",
            "fnstcw [{rest} + 24]",
            "mov dword ptr [rsp], 0x1f80",
            "ldmxcsr [rsp]",
            "mov word ptr [rsp], 0x037f",
            "fldcw [rsp]",
            "add rsp, 8",
            hostile = in(reg) HOSTILE_MXCSR,
            cw = in(reg) X87_CW,
            msg = in(reg) message.as_ptr(),
            len = in(reg) message.len(),
            child = in(reg) child,
            yield_sysnum = const abi::Sysnum::EnvYield as u64,
            yields = const YIELDS,
            max_yields = const MAX_YIELDS,
            turns = in(reg) SHARED,
            out = in(reg) out.as_mut_ptr(),
            rest = in(reg) rest.as_mut_ptr(),
            out("rax") _, out("rcx") _, out("rdx") _, out("rdi") _, out("rsi") _, out("r11") _, out("r12") _,
            out("xmm0") _, out("xmm1") _, out("xmm2") _, out("xmm3") _, out("xmm4") _, out("xmm5") _,
            out("xmm6") _, out("xmm7") _, out("xmm8") _, out("xmm9") _, out("xmm10") _, out("xmm11") _,
            out("xmm12") _, out("xmm13") _, out("xmm14") _, out("xmm15") _,
        );
    }
    let intact = out.chunks(2).enumerate().all(|(i, pair)| {
        let low = 0x0123_4567_89ab_cdefu64 + i as u64 * 0x1111;
        pair == [low, !low]
    });
    c.check("the child had its turns inside the asm block", turns() >= YIELDS);
    c.check("xmm0-15 intact across system calls that stay and one that switches", intact);
    let low14 = 0x0123_4567_89ab_cdefu64 + 14 * 0x1111;
    c.equal("the upper half of ymm15 (AVX state) intact", [rest[0], rest[1]], [low14, !low14]);
    c.equal("MXCSR as the program set it (exceptions unmasked)", rest[2] as u32, HOSTILE_MXCSR);
    c.equal("x87 control word as the program set it", rest[3] as u16, X87_CW);
    c.finish()
}

/// Scribbles over its own XMM registers and MXCSR at every turn, counts the turn in the shared page
/// (after saying so when it has had [`YIELDS`], so that the line comes before the parent's checks)
/// and yields.
extern "C" fn child_main() -> ! {
    for turn in 1u64.. {
        if turn == YIELDS {
            println!("bad_fpu: the child had {YIELDS} turns");
        }
        // SAFETY: sets this child's own MXCSR and xmm registers (all declared clobbered) and
        // yields to any environment.
        unsafe {
            core::arch::asm!(
                "sub rsp, 8",
                "mov dword ptr [rsp], 0x7f80",
                "ldmxcsr [rsp]",
                "add rsp, 8",
                ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15",
                "pcmpeqd xmm\\n, xmm\\n",
                ".endr",
                out("xmm0") _, out("xmm1") _, out("xmm2") _, out("xmm3") _, out("xmm4") _, out("xmm5") _,
                out("xmm6") _, out("xmm7") _, out("xmm8") _, out("xmm9") _, out("xmm10") _, out("xmm11") _,
                out("xmm12") _, out("xmm13") _, out("xmm14") _, out("xmm15") _,
            );
        }
        mapped_page_mut(SHARED)[..8].copy_from_slice(&turn.to_le_bytes());
        let _ = exos::sys::syscall::sys_env_yield(abi::ANY_ENV);
    }
    exos::sys::syscall::sys_env_exit(0)
}

exos::main!(main);
