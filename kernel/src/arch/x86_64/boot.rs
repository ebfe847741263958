//! The first instructions: boot headers, 32-bit entry, boot page tables, and the jump to `kmain`.
//!
//! Two loaders can start Exo, and both enter in 32-bit protected mode with paging off:
//! - QEMU's `-kernel` through the **PVH** note (`.note.Xen`, type 18): `ebx` = `hvm_start_info`.
//! - **GRUB multiboot2** through the entry-address tag of the `.multiboot2` header:
//!   `eax` = 0x36d76289, `ebx` = the multiboot2 information block.
//!
//! The stub reads the TSC (the kernel-entry timestamp), enables SSE (the precompiled `core` uses it),
//! builds boot page tables that map the first GiB three times (identity, at `PHYS_MAP_BASE` and at
//! `KERNEL_BASE`, with 2 MiB pages), enters long mode and calls
//! `kmain(protocol, info_paddr, entry_tsc)` on the boot stack. Rust replaces these tables in
//! `mem::paging::init`. Everything here lives in the identity-mapped `.boot` section at 1 MiB.

/// Boot protocol number passed to `kmain` for PVH.
pub const PROTOCOL_PVH: u32 = 1;
/// Boot protocol number passed to `kmain` for multiboot2.
pub const PROTOCOL_MULTIBOOT2: u32 = 2;

core::arch::global_asm!(
    r#"
    .section .multiboot2, "a"
    .balign 8
mb2_header_start:
    .long 0xe85250d6
    .long 0
    .long mb2_header_end - mb2_header_start
    .long 0x100000000 - (0xe85250d6 + (mb2_header_end - mb2_header_start))
    .balign 8
    .short 3, 0
    .long 12
    .long mb2_start32
    .balign 8
    .short 0, 0
    .long 8
mb2_header_end:

    .section .note.Xen, "a", @note
    .balign 4
    .long 4
    .long 8
    .long 18
    .asciz "Xen"
    .balign 4
    .quad pvh_start32
    .balign 4

    .section .boot.text, "ax"
    .code32
    .global pvh_start32
pvh_start32:
    cli
    cld
    mov $1, %ebp
    mov %ebx, %esi
    jmp boot_common32

mb2_start32:
    cli
    cld
    cmp $0x36d76289, %eax
    jne boot_bad_magic
    mov $2, %ebp
    mov %ebx, %esi

boot_common32:
    rdtsc
    mov %eax, boot_tsc
    mov %edx, boot_tsc + 4

    mov $boot_tables, %edi
    xor %eax, %eax
    mov $(4 * 4096 / 4), %ecx
    rep stosl

    mov $boot_pd, %edi
    mov $0x83, %eax
    mov $512, %ecx
2:
    mov %eax, (%edi)
    add $0x200000, %eax
    add $8, %edi
    loop 2b

    mov $(boot_pd + 3), %eax
    mov %eax, boot_pdpt_low
    mov %eax, boot_pdpt_high + 510 * 8
    mov $(boot_pdpt_low + 3), %eax
    mov %eax, boot_pml4
    mov %eax, boot_pml4 + 256 * 8
    mov $(boot_pdpt_high + 3), %eax
    mov %eax, boot_pml4 + 511 * 8

    mov %cr4, %eax
    or $0x620, %eax
    mov %eax, %cr4
    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx
    rdmsr
    or $0x100, %eax
    wrmsr
    mov %cr0, %eax
    and $0xfffffffb, %eax
    or $0x80000023, %eax
    mov %eax, %cr0

    lgdt boot_gdt_pointer
    ljmp $0x08, $boot_long64

boot_bad_magic:
    mov $0x3f8, %dx
    mov $'?', %al
    out %al, %dx
3:
    hlt
    jmp 3b

    .code64
boot_long64:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %ax, %ax
    mov %ax, %fs
    mov %ax, %gs
    movabs $boot_stack_top, %rsp
    mov %ebp, %edi
    mov %esi, %esi
    mov boot_tsc, %rdx
    movabs $kmain, %rax
    call *%rax
4:
    hlt
    jmp 4b

    .section .boot.data, "aw"
    .balign 8
boot_tsc:
    .quad 0
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff
    .quad 0x00cf92000000ffff
boot_gdt_end:
boot_gdt_pointer:
    .short boot_gdt_end - boot_gdt - 1
    .long boot_gdt

    .section .boot.bss, "aw", @nobits
    .balign 4096
boot_tables:
boot_pml4:
    .skip 4096
boot_pdpt_low:
    .skip 4096
boot_pdpt_high:
    .skip 4096
boot_pd:
    .skip 4096

    .section .bss.stacks, "aw", @nobits
    .balign 4096
    .global boot_stack_guard, boot_stack_top
    .global trap_stack_guard, trap_stack_top
    .global ist_stacks_start, ist_stacks_end
boot_stack_guard:
    .skip 4096
    .skip 65536
boot_stack_top:
trap_stack_guard:
    .skip 4096
    .skip 65536
trap_stack_top:
ist_stacks_start:
    .skip 4096
    .skip 16384
    .global ist1_top
ist1_top:
    .skip 4096
    .skip 16384
    .global ist2_top
ist2_top:
    .skip 4096
    .skip 16384
    .global ist3_top
ist3_top:
ist_stacks_end:
"#,
    options(att_syntax)
);
