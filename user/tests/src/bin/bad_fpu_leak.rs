//! Hostile test of lazy FPU state (kernel `arch/x86_64/entry.rs`: an entry from ring 3 saves no
//! FPU state, it sets CR0.TS; kernel SSE takes `#NM`, which saves it; a switch saves the leaving
//! environment's live state and the exit restores the arriving one's): two environments that both
//! use SSE must never see each other's registers.
//!
//! The parent fills xmm0-15 (and the upper half of ymm15) with its pattern and sets its own MXCSR,
//! then, inside one asm block, maps its shared page again (a call whose kernel path uses SSE),
//! yields to the child and spins (so timer interrupts land while its
//! state is live) until the child has had its turns. The child, first thing when it starts,
//! records its registers (a new environment must not start with the parent's), and at every turn
//! loads its own pattern and MXCSR, yields back to the parent, spins, and records its registers
//! again: they must be its own pattern, never the parent's. It counts its turns and its
//! failures in a shared page; the parent checks those and its own registers at the end.
#![no_std]
#![no_main]
#![allow(unsafe_code)]

use abi::{MapUpdate, Rights, ANY_PAGE};
use exos::println;
use exos::sys::syscall::{sys_page_alloc, sys_page_map};
use user::{mapped_page, mapped_page_mut, Checks};

/// The parent's MXCSR (exceptions masked, denormals-are-zero) and the child's (flush-to-zero).
const PARENT_MXCSR: u32 = 0x1fc0;
const CHILD_MXCSR: u32 = 0x9f80;
/// The parent's pattern for xmm n is PARENT + n * 0x1111 (low half), its complement (high half);
/// the child's the same from CHILD.
const PARENT: u64 = 0x5a5a_0000_1234_0000;
const CHILD: u64 = 0xc3c3_0000_8765_0000;
/// The turns the child must have had.
const TURNS: u64 = 40;
/// The most yields the parent makes while it waits for them.
const MAX_YIELDS: u64 = 4000;
/// Iterations of the spin after each yield (a timer interrupt lands in some of them).
const SPIN: u64 = 20_000;
/// Where parent and child map the shared page: word 0 the child's turns, word 1 the turns whose
/// registers were not its own pattern, word 2 the registers in which it saw the parent's pattern,
/// word 3 1 when its first registers held none of the parent's.
const SHARED: u64 = 0x6200_0000;

fn word(i: usize) -> u64 {
    u64::from_le_bytes(mapped_page(SHARED)[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]))
}

fn set_word(i: usize, value: u64) {
    mapped_page_mut(SHARED)[i * 8..i * 8 + 8].copy_from_slice(&value.to_le_bytes());
}

/// How many of the 16 registers in `regs` (low, high pairs) hold `base`'s pattern.
fn matching(regs: &[u64; 32], base: u64) -> usize {
    regs.chunks(2)
        .enumerate()
        .filter(|(i, pair)| {
            let low = base + *i as u64 * 0x1111;
            *pair == [low, !low]
        })
        .count()
}

fn main() -> i64 {
    let mut c = Checks::new("bad_fpu_leak");
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
    // Mapped again at every round: a call whose kernel path uses SSE (the kernel's copies do).
    let remap = [MapUpdate { op: MapUpdate::MAP, va: SHARED, slot: shared.unwrap_or(0), rights: rw }];
    let mut out = [0u64; 32];
    // The upper half of ymm15 (two words), then MXCSR.
    let mut rest = [0u64; 3];
    // SAFETY: sets MXCSR and the vector registers (all declared clobbered; MXCSR restored), maps
    // the shared page again where it is (same page, same rights), yields to the child and spins until the child's count in the shared page reaches TURNS (or
    // MAX_YIELDS rounds), and stores the registers into `out` and `rest`.
    unsafe {
        core::arch::asm!(
            "sub rsp, 8",
            "mov dword ptr [rsp], {mxcsr:e}",
            "ldmxcsr [rsp]",
            ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15",
            "mov rax, {base} + \\n * 0x1111",
            "movq xmm\\n, rax",
            "not rax",
            "pinsrq xmm\\n, rax, 1",
            ".endr",
            "vinsertf128 ymm15, ymm15, xmm14, 1",
            "mov r12, {max_yields}",
            "2:",
            "mov eax, {map_sysnum}",
            "mov rdi, {self_env}",
            "mov rsi, {remap}",
            "mov edx, 1",
            "syscall",
            "mov eax, {yield_sysnum}",
            "mov rdi, {child}",
            "syscall",
            "mov rcx, {spin}",
            "4: dec rcx",
            "jnz 4b",
            "cmp qword ptr [{shared}], {turns}",
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
            "mov dword ptr [rsp], 0x1f80",
            "ldmxcsr [rsp]",
            "add rsp, 8",
            mxcsr = in(reg) PARENT_MXCSR,
            base = const PARENT,
            child = in(reg) child,
            yield_sysnum = const abi::Sysnum::EnvYield as u64,
            map_sysnum = const abi::Sysnum::PageMap as u64,
            self_env = const abi::SELF_ENV,
            remap = in(reg) &remap,
            spin = const SPIN,
            turns = const TURNS,
            max_yields = const MAX_YIELDS,
            shared = in(reg) SHARED,
            out = in(reg) out.as_mut_ptr(),
            rest = in(reg) rest.as_mut_ptr(),
            out("rax") _, out("rcx") _, out("rdx") _, out("rdi") _, out("rsi") _, out("r11") _, out("r12") _,
            out("xmm0") _, out("xmm1") _, out("xmm2") _, out("xmm3") _, out("xmm4") _, out("xmm5") _,
            out("xmm6") _, out("xmm7") _, out("xmm8") _, out("xmm9") _, out("xmm10") _, out("xmm11") _,
            out("xmm12") _, out("xmm13") _, out("xmm14") _, out("xmm15") _,
        );
    }
    c.check("the child had its turns", word(0) >= TURNS);
    c.equal("the child's registers were its own at every turn (turns that were not)", word(1), 0);
    c.equal("the child never saw the parent's pattern (registers that held it)", word(2), 0);
    c.equal("the child started with none of the parent's registers", word(3), 1);
    c.equal("the parent's xmm0-15 are its own pattern", matching(&out, PARENT), 16);
    let low14 = PARENT + 14 * 0x1111;
    c.equal("the parent's upper half of ymm15", [rest[0], rest[1]], [low14, !low14]);
    c.equal("the parent's MXCSR", rest[2] as u32, PARENT_MXCSR);
    c.finish()
}

/// Stores xmm0-15 into `out`.
fn store_registers(out: &mut [u64; 32]) {
    // SAFETY: stores the 16 XMM registers into the 256 bytes of `out`.
    unsafe {
        core::arch::asm!(
            ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15",
            "movdqu [{out} + \\n * 16], xmm\\n",
            ".endr",
            out = in(reg) out.as_mut_ptr(),
            options(nostack),
        );
    }
}

/// Records its first registers, then at every turn loads its pattern, yields to the parent,
/// spins, and records what its registers hold.
extern "C" fn child_main() -> ! {
    let mut first = [0u64; 32];
    store_registers(&mut first);
    set_word(3, u64::from(matching(&first, PARENT) == 0));
    let (mut bad_turns, mut leaked) = (0u64, 0u64);
    for turn in 1u64.. {
        let mut out = [0u64; 32];
        let mut mxcsr = 0u32;
        // SAFETY: sets this child's own MXCSR and xmm registers (all declared clobbered; MXCSR
        // restored), yields to any environment, spins, and stores the registers into `out`.
        unsafe {
            core::arch::asm!(
                "sub rsp, 8",
                "mov dword ptr [rsp], {mxcsr_in:e}",
                "ldmxcsr [rsp]",
                ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15",
                "mov rax, {base} + \\n * 0x1111",
                "movq xmm\\n, rax",
                "not rax",
                "pinsrq xmm\\n, rax, 1",
                ".endr",
                "mov eax, {yield_sysnum}",
                "mov rdi, {any}",
                "syscall",
                "mov rcx, {spin}",
                "4: dec rcx",
                "jnz 4b",
                ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15",
                "movdqu [{out} + \\n * 16], xmm\\n",
                ".endr",
                "stmxcsr [{mxcsr_out}]",
                "mov dword ptr [rsp], 0x1f80",
                "ldmxcsr [rsp]",
                "add rsp, 8",
                mxcsr_in = in(reg) CHILD_MXCSR,
                base = const CHILD,
                yield_sysnum = const abi::Sysnum::EnvYield as u64,
                any = const abi::ANY_ENV,
                spin = const SPIN,
                out = in(reg) out.as_mut_ptr(),
                mxcsr_out = in(reg) &mut mxcsr,
                out("rax") _, out("rcx") _, out("rdx") _, out("rdi") _, out("rsi") _, out("r11") _,
                out("xmm0") _, out("xmm1") _, out("xmm2") _, out("xmm3") _, out("xmm4") _, out("xmm5") _,
                out("xmm6") _, out("xmm7") _, out("xmm8") _, out("xmm9") _, out("xmm10") _, out("xmm11") _,
                out("xmm12") _, out("xmm13") _, out("xmm14") _, out("xmm15") _,
            );
        }
        if matching(&out, CHILD) != 16 || mxcsr != CHILD_MXCSR {
            bad_turns += 1;
        }
        leaked += matching(&out, PARENT) as u64;
        set_word(1, bad_turns);
        set_word(2, leaked);
        if turn == TURNS {
            println!("bad_fpu_leak: the child had {TURNS} turns");
        }
        set_word(0, turn);
    }
    exos::sys::syscall::sys_env_exit(0)
}

exos::main!(main);
