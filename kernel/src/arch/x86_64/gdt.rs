//! The global descriptor table and the task-state segment.
//!
//! Selector layout (fixed by `syscall`/`sysret`, see `STAR` in `entry.rs`):
//! `0x08` kernel code, `0x10` kernel data, `0x18` user code 32 (unused; `sysret` base),
//! `0x20` user data, `0x28` user code 64, `0x30` TSS. The TSS gives the ring-0 stack used for
//! every entry from ring 3 (`rsp0` = top of the trap stack) and three IST stacks:
//! IST1 double fault, IST2 NMI, IST3 machine check. There is no I/O bitmap, so ring 3 port I/O faults.
use core::arch::asm;
use core::mem::size_of;

pub const KERNEL_CODE: u16 = 0x08;
pub const KERNEL_DATA: u16 = 0x10;
pub const USER_DATA: u16 = 0x20 | 3;
pub const USER_CODE: u16 = 0x28 | 3;
const TSS_SELECTOR: u16 = 0x30;

#[repr(C, packed)]
struct Tss {
    reserved0: u32,
    rsp: [u64; 3],
    reserved1: u64,
    ist: [u64; 7],
    reserved2: u64,
    reserved3: u16,
    iomap_base: u16,
}

#[repr(C, align(16))]
struct Gdt([u64; 8]);

static mut TSS: Tss = Tss {
    reserved0: 0, rsp: [0; 3], reserved1: 0, ist: [0; 7], reserved2: 0, reserved3: 0,
    iomap_base: size_of::<Tss>() as u16,
};
static mut GDT: Gdt = Gdt([
    0,
    0x00af_9a00_0000_ffff, // kernel code 64
    0x00cf_9200_0000_ffff, // kernel data
    0x00cf_fa00_0000_ffff, // user code 32 (placeholder for the sysret layout)
    0x00cf_f200_0000_ffff, // user data
    0x00af_fa00_0000_ffff, // user code 64
    0,                     // TSS low (filled in by init)
    0,                     // TSS high
]);

#[repr(C, packed)]
struct Pointer {
    limit: u16,
    base: u64,
}

unsafe extern "C" {
    static trap_stack_top: u8;
    static ist1_top: u8;
    static ist2_top: u8;
    static ist3_top: u8;
}

/// The top of the stack every entry from ring 3 starts on.
pub fn trap_stack_top_addr() -> u64 {
    &raw const trap_stack_top as u64
}

/// Loads the GDT and TSS and reloads every segment register. Call once, before `idt::init`.
pub fn init() {
    let tss_base = &raw const TSS as u64;
    let limit = (size_of::<Tss>() - 1) as u64;
    let low = (limit & 0xffff)
        | ((tss_base & 0xff_ffff) << 16)
        | (0x89 << 40) // present, 64-bit available TSS
        | (((limit >> 16) & 0xf) << 48)
        | (((tss_base >> 24) & 0xff) << 56);
    // SAFETY: boot is single-threaded and nothing else reads TSS or GDT until `ltr`/`lgdt` below.
    unsafe {
        let tss = &raw mut TSS;
        (*tss).rsp[0] = trap_stack_top_addr();
        (*tss).ist[0] = &raw const ist1_top as u64;
        (*tss).ist[1] = &raw const ist2_top as u64;
        (*tss).ist[2] = &raw const ist3_top as u64;
        let gdt = &raw mut GDT;
        (*gdt).0[6] = low;
        (*gdt).0[7] = tss_base >> 32;
    }
    let pointer = Pointer { limit: (size_of::<Gdt>() - 1) as u16, base: &raw const GDT as u64 };
    // SAFETY: the GDT is static and valid; the far return reloads CS with the kernel code selector,
    // the data selectors are valid, and the TSS descriptor was just written and is not yet busy.
    unsafe {
        asm!(
            "lgdt [{ptr}]",
            "push {code}",
            "lea {tmp}, [rip + 2f]",
            "push {tmp}",
            "retfq",
            "2:",
            "mov ds, {data:x}",
            "mov es, {data:x}",
            "mov ss, {data:x}",
            "xor {tmp:e}, {tmp:e}",
            "mov fs, {tmp:x}",
            "mov gs, {tmp:x}",
            "ltr {tss:x}",
            ptr = in(reg) &pointer,
            code = in(reg) u64::from(KERNEL_CODE),
            data = in(reg) u64::from(KERNEL_DATA),
            tss = in(reg) u64::from(TSS_SELECTOR),
            tmp = out(reg) _,
        );
    }
}
