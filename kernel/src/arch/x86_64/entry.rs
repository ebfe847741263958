//! Every way into the kernel from ring 3, and the one way back: trap stubs, `syscall`, and return.
//!
//! All entries build the same [`TrapFrame`] at the top of the trap stack (TSS `rsp0`), keep the
//! environment's FPU/SSE state safe from ring 0 code (which uses SSE too: the precompiled `core`
//! does), and call a safe Rust dispatcher with `&mut TrapFrame`. The dispatcher may rewrite the
//! frame (a system call's result, or another environment's registers) and return; the shared exit
//! restores the FPU/SSE state and leaves with `sysretq` when the frame came from `syscall` and its
//! `rip` is a canonical user address, else with `iretq`.
//!
//! FPU/SSE state is saved lazily. Every entry from ring 3 sets `CR0.TS` and saves nothing: the
//! running environment's registers stay live (`FPU_LIVE` = 1) while the kernel runs. Kernel code
//! that uses SSE (the precompiled `core` does, and so may any copy the compiler vectorises) then
//! takes `#NM` in ring 0, whose handler (`nm_entry`) clears TS, saves the whole state
//! (`xsave`/`fxsave`) into the area `CURRENT_FPU_AREA` points at, loads the kernel's MXCSR (so a
//! program's unmasked SIMD exceptions cannot fault the kernel) and marks it saved (`FPU_LIVE` = 0).
//! The exit clears TS and, if the state was saved, restores it from the area (`xrstor`). A switch
//! to another environment first saves the leaving one's live state ([`park_fpu`]); making another
//! environment current ([`set_fpu_area`]) selects the restore, and an ending one's state is
//! dropped first ([`drop_fpu`]). So a system call or exception that stays in its environment and
//! whose kernel path uses no SSE costs two control-register writes (TS on, `clts`), not a save and
//! a restore. Registers never leak between environments: an environment's state reaches the
//! registers only from its own area (the exit's restore) or by never having left them.
//!
//! Invariants: the kernel runs with interrupts disabled (SFMASK and interrupt gates clear IF), so the
//! frame of the running environment is always at [`frame_slot`]; entries from ring 0 are only
//! exceptions (kernel bugs, which panic), NMIs, which the entry code only counts, and interrupts
//! taken in the idle loop ([`halt_until_interrupts`]), whose frame is also at [`frame_slot`]. DF and (with SMAP) AC are cleared on
//! entry, because a hostile program may set them before it traps.
use super::gdt;

/// Marker in [`TrapFrame::vector`] for entries through `syscall`.
pub const SYSCALL_VECTOR: u64 = 0x100;

/// The registers of an interrupted context, in the order the entry code pushes them.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TrapFrame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    /// Interrupt vector, or [`SYSCALL_VECTOR`].
    pub vector: u64,
    /// The CPU's error code for exceptions that push one, else 0.
    pub error_code: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

const _: () = assert!(core::mem::size_of::<TrapFrame>() == 176);

impl TrapFrame {
    /// A frame that starts ring-3 code at `rip` with stack `rsp` and interrupts enabled.
    pub fn new_user(rip: u64, rsp: u64) -> TrapFrame {
        TrapFrame {
            rip,
            rsp,
            cs: u64::from(gdt::USER_CODE),
            ss: u64::from(gdt::USER_DATA),
            rflags: RFLAGS_IF | RFLAGS_RESERVED,
            ..TrapFrame::default()
        }
    }

    /// Whether the interrupted code ran in ring 3.
    pub fn is_from_user(&self) -> bool {
        self.cs & 3 == 3
    }
}

pub const RFLAGS_IF: u64 = 1 << 9;
pub const RFLAGS_RESERVED: u64 = 1 << 1;

/// Where the running environment's frame lives while the kernel handles its entry.
pub fn frame_slot() -> *mut TrapFrame {
    (gdt::trap_stack_top_addr() - core::mem::size_of::<TrapFrame>() as u64) as *mut TrapFrame
}

/// The address of the stub for `vector` (stubs are 16 bytes apart).
pub fn stub_address(vector: u8) -> u64 {
    &raw const trap_stubs as u64 + 16 * u64::from(vector)
}

/// The addresses of the two instructions that return to ring 3. A fault on one of them is caused by
/// the user state being restored (e.g. a non-canonical `rip`), not by a kernel bug.
pub fn return_instructions() -> [u64; 2] {
    [&raw const user_iretq as u64, &raw const user_sysretq as u64]
}

/// The empty handler of the bare exception crossing (`abi::LIMIT_VECTOR`'s gate).
pub fn limit_exception_address() -> u64 {
    &raw const limit_exception_entry as u64
}

/// The address `LSTAR` must hold.
pub fn syscall_entry_address() -> u64 {
    &raw const syscall_entry as u64
}

/// Leaves the kernel for good on this stack: copies `frame` into the frame slot, resets the stack to
/// it and runs the common exit. Used for the first entry into ring 3 and after an environment ends.
pub fn enter_user(frame: &TrapFrame) -> ! {
    let slot = frame_slot();
    // SAFETY: the slot is the top of the trap stack, reserved for the frame. The caller holds no
    // borrow into that region (it is either running on the boot stack or about to abandon its own
    // frames, which lie below the slot). `exit_to_user` never returns.
    unsafe {
        slot.write(*frame);
        core::arch::asm!("mov rsp, {0}", "jmp exit_to_user", in(reg) slot, options(noreturn));
    }
}

/// Halts the CPU until interrupts arrive, for good on this stack: resets the stack to the top of
/// the trap stack and runs `sti; hlt` in a loop in ring 0. An interrupt then builds its
/// [`TrapFrame`] exactly at [`frame_slot`] (the top is 16-byte aligned and a ring-0 interrupt
/// pushes on the current stack), so the dispatcher sees it where it sees any frame: it either
/// returns into the loop (a kernel frame) or loads an environment's registers into the slot and
/// leaves for ring 3 through the common exit. The idle CPU's entry (`idle.rs`).
pub fn halt_until_interrupts() -> ! {
    // The entry that led here ends with interrupts on: its stretch counts up to now.
    super::irqoff::fold();
    let top = gdt::trap_stack_top_addr();
    // SAFETY: nothing on the trap stack is live: the caller abandons its own frames (they lie
    // below the top), holds no lock and no borrow into the stack. The loop touches no memory; the
    // interrupts it lets in return to it with `iretq` or leave for ring 3.
    unsafe {
        core::arch::asm!("mov rsp, {0}", "2:", "sti", "hlt", "cli", "jmp 2b", in(reg) top, options(noreturn));
    }
}

unsafe extern "C" {
    static trap_stubs: u8;
    static syscall_entry: u8;
    static user_iretq: u8;
    static user_sysretq: u8;
    static limit_exception_entry: u8;
}

core::arch::global_asm!(
    r#"
    .macro SAVE_GPRS
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    .endm

    // The interrupts-off stretch of this kernel entry (irqoff.rs): the entry stamps the time-stamp
    // counter, the exit keeps the longest stretch. Clobber rax, rcx and rdx (saved in the frame,
    // or about to be reloaded from it).
    // The entry stores the counter's two halves as they come; the exit subtracts the low halves
    // when the high halves agree (the stretch is then exact in 32 bits), else computes in 64 bits
    // (a stretch across a 2^32 boundary, or none recorded: all ones after `irqoff::fold` or at
    // boot, whose high half never matches the counter's).
    .macro IRQOFF_ENTER
    rdtsc
    mov %eax, IRQOFF_ENTERED(%rip)
    mov %edx, IRQOFF_ENTERED+4(%rip)
    .endm

    .macro IRQOFF_LEAVE
    rdtsc
    cmp IRQOFF_ENTERED+4(%rip), %edx
    jne .Lirqoff_wide\@
    sub IRQOFF_ENTERED(%rip), %eax
    cmp IRQOFF_LONGEST(%rip), %rax
    jbe .Lirqoff_done\@
    mov %rax, IRQOFF_LONGEST(%rip)
    jmp .Lirqoff_done\@
.Lirqoff_wide\@:
    mov IRQOFF_ENTERED(%rip), %rcx
    cmp $-1, %rcx
    je .Lirqoff_done\@
    shl $32, %rdx
    or %rax, %rdx
    sub %rcx, %rdx
    cmp IRQOFF_LONGEST(%rip), %rdx
    jbe .Lirqoff_done\@
    mov %rdx, IRQOFF_LONGEST(%rip)
.Lirqoff_done\@:
    .endm

    // Entry from ring 3 with the environment's FPU state live in the registers: sets CR0.TS, so
    // the kernel's first SSE instruction takes #NM (nm_entry) and saves the state first.
    // Clobbers rax (saved in the frame).
    .macro FPU_GUARD
    mov %cr0, %rax
    or $8, %rax
    mov %rax, %cr0
    .endm

    // Stage stamp (kernel/src/stages.rs; only with the `stages` feature, else no instruction):
    // appends (point << 48 | low 48 bits of rdtsc) to the ring at STAGE_LOG_KVA. Clobbers rax,
    // rcx, rdx and rdi, so it is used only where those are saved or about to be reloaded.
    .macro STAMP point
    .if {stages}
    rdtsc
    shl $32, %rdx
    or %rdx, %rax
    shl $16, %rax
    shr $16, %rax
    movabs $(\point << 48), %rdx
    or %rdx, %rax
    mov STAGE_LOG_KVA(%rip), %rdi
    test %rdi, %rdi
    jz .Lstamp_skip\@
    mov (%rdi), %rcx
    mov %rcx, %rdx
    and ${log_mask}, %edx
    mov %rax, 8(%rdi,%rdx,8)
    inc %rcx
    mov %rcx, (%rdi)
.Lstamp_skip\@:
    .endif
    .endm

    .text
    .balign 16
    .global trap_stubs
trap_stubs:
    .set vec, 0
    .rept 256
    .balign 16
    .if (vec == 8) || (vec == 10) || (vec == 11) || (vec == 12) || (vec == 13) || (vec == 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    .else
    push $0
    .endif
    push $vec
    .if vec == 7
    jmp nm_entry
    .else
    jmp trap_common
    .endif
    .set vec, vec + 1
    .endr

trap_common:
    cmpq $2, (%rsp)
    je nmi_entry
    SAVE_GPRS
    cld
    IRQOFF_ENTER
    testb $3, 144(%rsp)
    jz 2f
    cmpb $0, HAS_SMAP(%rip)
    je 3f
    clac
3:
    STAMP {trap_saved}
    FPU_GUARD
    STAMP {fpu_saved}
    mov %rsp, %rdi
    call trap_dispatch
    jmp exit_to_user
    // From ring 0 (the idle loop, a fault on the return instructions, a kernel bug): guard an
    // environment's state still live in the registers too.
2:  cmpb $0, FPU_LIVE(%rip)
    je 4f
    FPU_GUARD
4:  mov %rsp, %rdi
    call trap_dispatch
    jmp exit_to_user

    // #NM. From ring 3 (CR0.TS is never set there: the exit clears it) it is an ordinary
    // exception. From ring 0 it is kernel code's first SSE instruction since an entry set TS:
    // clear TS, save the running environment's live state into its area (if it is still live and
    // the environment has one), load the kernel's MXCSR, and return to the instruction.
nm_entry:
    testb $3, 24(%rsp)
    jnz trap_common
    push %rax
    push %rdx
    push %rdi
    clts
    cmpb $0, FPU_LIVE(%rip)
    je 1f
    movb $0, FPU_LIVE(%rip)
    mov CURRENT_FPU_AREA(%rip), %rdi
    test %rdi, %rdi
    jz 1f
    mov $-1, %eax
    mov $-1, %edx
    cmpb $0, USE_XSAVE(%rip)
    je 2f
    xsave64 (%rdi)
    jmp 1f
2:  fxsave64 (%rdi)
1:  ldmxcsr KERNEL_MXCSR(%rip)
    pop %rdi
    pop %rdx
    pop %rax
    add $16, %rsp
    iretq

    // NMI (on its own IST stack): count it and return, touching no register, no lock and no FPU
    // state, so it is safe wherever it lands, including between xrstor and sysretq/iretq.
nmi_entry:
    lock incq NMI_COUNT(%rip)
    add $16, %rsp
    iretq

    .balign 16
    .global syscall_entry
syscall_entry:
    cmp ${limit_sysnum}, %rax
    je limit_syscall
syscall_slow:
    mov %rsp, SYSCALL_USER_RSP(%rip)
    mov TRAP_STACK_TOP(%rip), %rsp
    push $0x23
    push SYSCALL_USER_RSP(%rip)
    push %r11
    push $0x2b
    push %rcx
    push $0
    push ${syscall_vector}
    SAVE_GPRS
    IRQOFF_ENTER
    STAMP {syscall_saved}
    FPU_GUARD
    STAMP {fpu_saved}
    mov %rsp, %rdi
    call syscall_dispatch

    .global exit_to_user
exit_to_user:
    IRQOFF_LEAVE
    testb $3, 144(%rsp)
    jz 5f
    STAMP {exit}
    // Back to ring 3: TS off; the environment's state from its area unless still live.
    clts
    cmpb $0, FPU_LIVE(%rip)
    jne 84f
    mov CURRENT_FPU_AREA(%rip), %rdi
    mov $-1, %eax
    mov $-1, %edx
    cmpb $0, USE_XSAVE(%rip)
    je 83f
    xrstor64 (%rdi)
    jmp 85f
83: fxrstor64 (%rdi)
85: movb $1, FPU_LIVE(%rip)
84:
    STAMP {leave}
    cmpq ${syscall_vector}, 120(%rsp)
    jne 5f
    mov 136(%rsp), %rcx
    mov %rcx, %r11
    shr $47, %r11
    jnz 5f
    mov 0(%rsp), %r15
    mov 8(%rsp), %r14
    mov 16(%rsp), %r13
    mov 24(%rsp), %r12
    mov 40(%rsp), %r10
    mov 48(%rsp), %r9
    mov 56(%rsp), %r8
    mov 64(%rsp), %rbp
    mov 72(%rsp), %rdi
    mov 80(%rsp), %rsi
    mov 88(%rsp), %rdx
    mov 104(%rsp), %rbx
    mov 112(%rsp), %rax
    mov 152(%rsp), %r11
    mov 160(%rsp), %rsp
    .global user_sysretq
user_sysretq:
    sysretq
5:
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp
    .global user_iretq
user_iretq:
    iretq

    // The bare crossings (abi::LIMIT_SYSNUM, abi::LIMIT_VECTOR), for measuring what the hardware
    // path costs: back at once, touching no memory and no register but rax (= 0), rcx and r11
    // (which `syscall` set). Interrupts stay off (SFMASK; an interrupt gate). The rip in rcx
    // is checked canonical as on the normal exit; if not, the normal path answers.
limit_syscall:
    mov %rcx, %rax
    shr $47, %rax
    jnz 6f
    sysretq
6:  mov ${limit_sysnum}, %rax
    jmp syscall_slow

    .balign 16
    .global limit_exception_entry
limit_exception_entry:
    iretq
"#,
    syscall_vector = const SYSCALL_VECTOR,
    limit_sysnum = const abi::LIMIT_SYSNUM,
    stages = const crate::stages::ENABLED as u8,
    log_mask = const abi::stages::LOG_LEN - 1,
    syscall_saved = const abi::stages::Point::SyscallSaved as u16,
    trap_saved = const abi::stages::Point::TrapSaved as u16,
    fpu_saved = const abi::stages::Point::FpuSaved as u16,
    exit = const abi::stages::Point::Exit as u16,
    leave = const abi::stages::Point::Leave as u16,
    options(att_syntax)
);

/// NMIs taken (counted by the entry code, which does nothing else with them).
#[unsafe(no_mangle)]
static NMI_COUNT: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// How many NMIs have arrived.
pub fn nmi_count() -> u64 {
    NMI_COUNT.load(core::sync::atomic::Ordering::Relaxed)
}

/// Scratch for the user `rsp` between `syscall` and the switch to the trap stack (one CPU, IF=0).
#[unsafe(no_mangle)]
static mut SYSCALL_USER_RSP: u64 = 0;
/// The top of the trap stack, read by `syscall_entry`.
#[unsafe(no_mangle)]
static mut TRAP_STACK_TOP: u64 = 0;
/// The FPU area of the running environment, read by the entry and exit code.
#[unsafe(no_mangle)]
static mut CURRENT_FPU_AREA: u64 = 0;

/// Sets where the entry code saves FPU state and the exit code restores it from, and makes the
/// exit restore the whole state from there (the environment it belongs to is about to run). The
/// state of the environment that ran before is dropped unless [`park_fpu`] saved it first.
///
/// # Safety
/// `area` must be the address of a 64-byte aligned, writable area of at least
/// `cpu::features().fpu_area_size` bytes that holds a valid XSAVE/FXSAVE image and stays alive
/// until the next call.
pub unsafe fn set_fpu_area(area: u64) {
    // SAFETY: one CPU with interrupts off: no entry code runs concurrently with these writes. The
    // state stops being live first, so a #NM between the two writes saves nothing into `area`.
    unsafe {
        (&raw mut FPU_LIVE).write_volatile(0);
        (&raw mut CURRENT_FPU_AREA).write_volatile(area);
    }
}

/// Saves the running environment's FPU state into its area before the CPU goes to another one,
/// if it is still live in the registers (no kernel SSE instruction since the entry made it save
/// it). One asm block reads the flag and saves, so no compiler-generated SSE instruction (and its
/// #NM) can come between the test and the save.
pub fn park_fpu() {
    // SAFETY: one CPU with interrupts off. The area is the running environment's live, aligned
    // FPU area (set_fpu_area's contract) or 0 (nothing saved). `clts` comes before the save
    // (which would take #NM with TS set); MXCSR is the kernel's afterwards.
    unsafe {
        core::arch::asm!(
            "cmp byte ptr [rip + {live}], 0",
            "je 2f",
            "mov byte ptr [rip + {live}], 0",
            "mov rdi, qword ptr [rip + {area}]",
            "test rdi, rdi",
            "jz 2f",
            "clts",
            "mov eax, -1",
            "mov edx, -1",
            "cmp byte ptr [rip + {use_xsave}], 0",
            "je 3f",
            "xsave64 [rdi]",
            "jmp 4f",
            "3:",
            "fxsave64 [rdi]",
            "4:",
            "ldmxcsr dword ptr [rip + {kernel_mxcsr}]",
            "2:",
            live = sym FPU_LIVE,
            area = sym CURRENT_FPU_AREA,
            use_xsave = sym super::cpu::USE_XSAVE,
            kernel_mxcsr = sym KERNEL_MXCSR,
            out("eax") _, out("edx") _, out("rdi") _,
            options(nostack),
        );
    }
}

/// Forgets the running environment's FPU state: it is ending and its area is about to be freed.
/// Until the next [`set_fpu_area`] there is no current area, so neither [`park_fpu`] nor `#NM`
/// can write into freed memory.
pub fn drop_fpu() {
    // SAFETY: one CPU with interrupts off: no entry code runs concurrently with these writes.
    unsafe {
        (&raw mut FPU_LIVE).write_volatile(0);
        (&raw mut CURRENT_FPU_AREA).write_volatile(0);
    }
}

/// 1 while the running environment's FPU state is live in the registers (set by the exit when it
/// restores it, or kept from the entry), 0 when it is in its area (saved by `#NM` or
/// [`park_fpu`]), or dropped, and the exit must restore it from the area.
#[unsafe(no_mangle)]
static mut FPU_LIVE: u8 = 0;
/// The MXCSR kernel code runs with: every SIMD exception masked, round to nearest.
#[unsafe(no_mangle)]
static KERNEL_MXCSR: u32 = 0x1f80;

/// Programs `syscall`: selectors, entry point and the flags cleared on entry (IF, TF, DF, AC, NT).
pub fn init_syscall() {
    // SAFETY: writes the kernel's own static before any entry can happen.
    unsafe { TRAP_STACK_TOP = gdt::trap_stack_top_addr() };
    let star = (0x18u64 << 48) | (u64::from(gdt::KERNEL_CODE) << 32);
    // SAFETY: these MSRs exist on every x86_64 CPU; the selectors match the GDT layout in gdt.rs,
    // LSTAR points at the entry stub above, and SFMASK clears the flags listed in the doc comment.
    unsafe {
        use super::cpu::*;
        wrmsr(MSR_EFER, rdmsr(MSR_EFER) | 1);
        wrmsr(MSR_STAR, star);
        wrmsr(MSR_LSTAR, syscall_entry_address());
        wrmsr(MSR_SFMASK, 0x4_7700);
    }
}
