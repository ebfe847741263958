//! The IOAPIC (at its standard address 0xFEC00000 on the PC machines QEMU models): routes a device's
//! interrupt pin to a vector on this CPU. On the PC, ISA IRQ `n` < 16 arrives at pin `n` (PCI INTx
//! lines are routed by the firmware to ISA IRQs 5, 9, 10 or 11 and are level-triggered, active high
//! as QEMU's ACPI tables describe them). The 8259 line of the same IRQ stays masked
//! (`legacy::disable_pics`), so each interrupt arrives once.
use crate::mem::paging;
use core::sync::atomic::{AtomicU64, Ordering};

/// Physical address of the IOAPIC's registers.
pub const IOAPIC_PA: u64 = 0xfec0_0000;

static BASE: AtomicU64 = AtomicU64::new(0);

fn base() -> u64 {
    let b = BASE.load(Ordering::Relaxed);
    if b != 0 {
        return b;
    }
    let b = paging::map_device(IOAPIC_PA, 0x20);
    BASE.store(b, Ordering::Relaxed);
    b
}

fn write(reg: u32, value: u32) {
    let base = base();
    // SAFETY: the IOAPIC's index (offset 0) and data (offset 0x10) registers, mapped uncached by
    // `base`; one CPU with interrupts off, so the index/data pair is never interleaved.
    unsafe {
        (base as *mut u32).write_volatile(reg);
        ((base + 0x10) as *mut u32).write_volatile(value);
    }
}

fn read(reg: u32) -> u32 {
    let base = base();
    // SAFETY: as for `write`.
    unsafe {
        (base as *mut u32).write_volatile(reg);
        ((base + 0x10) as *const u32).read_volatile()
    }
}

/// How many pins the IOAPIC has.
pub fn pins() -> u32 {
    ((read(1) >> 16) & 0xff) + 1
}

/// Routes `pin` to `vector` on the CPU with local APIC id `apic`, unmasked: `level`-triggered
/// (PCI INTx) or edge-triggered (ISA), active high. Returns false if the pin does not exist.
pub fn route(pin: u8, vector: u8, level: bool, apic: u8) -> bool {
    if u32::from(pin) >= pins() {
        return false;
    }
    let low = u32::from(vector) | if level { 1 << 15 } else { 0 };
    let reg = 0x10 + 2 * u32::from(pin);
    write(reg, 1 << 16); // masked while it changes
    write(reg + 1, u32::from(apic) << 24);
    write(reg, low);
    true
}
