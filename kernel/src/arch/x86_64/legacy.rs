//! Legacy PC devices: the two 8259 PICs (remapped; every line masked but COM1's IRQ 4, which
//! reaches the CPU through LAPIC LINT0 as ExtINT), the 8254 PIT (only to measure the TSC and LAPIC
//! timer rates at boot), and QEMU's `isa-debug-exit` port.
use super::cpu::{inb, outb, outl};

/// Vectors the 8259s are remapped to, so that a spurious IRQ can never look like an exception.
pub const PIC_VECTOR_BASE: u8 = 0x30;

/// Remaps both PICs to `PIC_VECTOR_BASE..+16` and masks every line.
pub fn disable_pics() {
    // SAFETY: the standard 8259 initialization sequence on ports 0x20/0x21/0xa0/0xa1; the PICs are
    // then fully masked, so they can deliver nothing but spurious interrupts (handled as such).
    unsafe {
        outb(0x20, 0x11);
        outb(0xa0, 0x11);
        outb(0x21, PIC_VECTOR_BASE);
        outb(0xa1, PIC_VECTOR_BASE + 8);
        outb(0x21, 4);
        outb(0xa1, 2);
        outb(0x21, 1);
        outb(0xa1, 1);
        outb(0x21, 0xff);
        outb(0xa1, 0xff);
    }
}

/// The ISA line of COM1.
pub const COM1_IRQ: u8 = 4;
/// The vector COM1's receive interrupt arrives on.
pub const COM1_VECTOR: u8 = PIC_VECTOR_BASE + COM1_IRQ;

/// Unmasks IRQ 4 (COM1) on the master 8259; every other line stays masked.
pub fn unmask_com1() {
    // SAFETY: writes the master PIC's interrupt mask (port 0x21), initialized by `disable_pics`.
    unsafe { outb(0x21, !(1u8 << COM1_IRQ)) };
}

/// Ends the master 8259's interrupt in service (non-specific EOI).
pub fn pic_eoi() {
    // SAFETY: the non-specific end-of-interrupt command to the master PIC's command port.
    unsafe { outb(0x20, 0x20) };
}

/// PIT input clock, Hz.
const PIT_HZ: u64 = 1_193_182;

/// Runs `during` while PIT channel 2 counts down `ms` milliseconds; returns when it reaches zero.
/// Used to calibrate other clocks; `ms` must be at most 54.
pub fn pit_wait(ms: u64, mut during: impl FnMut()) {
    let count = (PIT_HZ * ms / 1000) as u16;
    // SAFETY: port 0x61 bit 0 gates PIT channel 2 and bit 1 routes it to the speaker (kept off);
    // ports 0x42/0x43 program channel 2 only, which nothing else uses.
    unsafe {
        outb(0x61, (inb(0x61) & !0x02) | 0x01);
        outb(0x43, 0b1011_0000); // channel 2, lobyte/hibyte, mode 0, binary
        outb(0x42, count as u8);
        outb(0x42, (count >> 8) as u8);
        // Restart the count by toggling the gate.
        let gate = inb(0x61);
        outb(0x61, gate & !0x01);
        outb(0x61, gate | 0x01);
        during();
        while inb(0x61) & 0x20 == 0 {
            core::hint::spin_loop();
        }
    }
}

/// Ends the QEMU process with status `(code << 1) | 1` through the `isa-debug-exit` device
/// (`-device isa-debug-exit,iobase=0xf4`). On a machine without it, halts.
pub fn qemu_exit(code: u32) -> ! {
    // SAFETY: port 0xf4 is the debug-exit device under QEMU; elsewhere the write is ignored.
    unsafe { outl(0xf4, code) };
    super::cpu::halt_forever()
}
