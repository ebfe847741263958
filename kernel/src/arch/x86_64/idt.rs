//! The interrupt descriptor table: one 16-byte stub per vector, all 256 of them.
//!
//! Every gate is an interrupt gate (IF cleared on entry) with DPL 0, so `int n` from ring 3 raises
//! #GP, except #BP (vector 3) whose DPL is 3 so that `int3` reaches the environment's handler.
//! Double fault, NMI and machine check run on their own IST stacks, so a kernel stack overflow is
//! reported instead of triple-faulting.
use super::entry;
use core::arch::asm;

#[repr(C)]
#[derive(Clone, Copy)]
struct Gate {
    offset_low: u16,
    selector: u16,
    ist: u8,
    type_attr: u8,
    offset_mid: u16,
    offset_high: u32,
    reserved: u32,
}

#[repr(C, align(16))]
struct Idt([Gate; 256]);

static mut IDT: Idt = Idt([Gate {
    offset_low: 0, selector: 0, ist: 0, type_attr: 0, offset_mid: 0, offset_high: 0, reserved: 0,
}; 256]);

/// Exception vector numbers.
pub const DOUBLE_FAULT: u8 = 8;
pub const NMI: u8 = 2;
pub const MACHINE_CHECK: u8 = 18;
pub const BREAKPOINT: u8 = 3;

fn gate(vector: u8) -> Gate {
    // abi::LIMIT_VECTOR: the empty handler of the bare exception crossing, open to ring 3.
    let limit = vector == abi::LIMIT_VECTOR;
    let addr = if limit { entry::limit_exception_address() } else { entry::stub_address(vector) };
    let ist = match vector {
        DOUBLE_FAULT => 1,
        NMI => 2,
        MACHINE_CHECK => 3,
        _ => 0,
    };
    let dpl: u8 = if vector == BREAKPOINT || limit { 3 } else { 0 };
    Gate {
        offset_low: addr as u16,
        selector: super::gdt::KERNEL_CODE,
        ist,
        type_attr: 0x8e | (dpl << 5),
        offset_mid: (addr >> 16) as u16,
        offset_high: (addr >> 32) as u32,
        reserved: 0,
    }
}

/// Fills and loads the IDT.
pub fn init() {
    // SAFETY: single-threaded boot; the IDT is not loaded until the `lidt` below.
    unsafe {
        let idt = &raw mut IDT;
        for v in 0..=255u8 {
            (*idt).0[usize::from(v)] = gate(v);
        }
    }
    #[repr(C, packed)]
    struct Pointer {
        limit: u16,
        base: u64,
    }
    let pointer = Pointer { limit: (core::mem::size_of::<Idt>() - 1) as u16, base: &raw const IDT as u64 };
    // SAFETY: the IDT is static, fully initialized, and every gate points at a valid stub.
    unsafe { asm!("lidt [{}]", in(reg) &pointer, options(readonly, nostack)) };
}
