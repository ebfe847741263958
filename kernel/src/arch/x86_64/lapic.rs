//! The local APIC: the periodic timer that ends time slices, and end-of-interrupt.
//!
//! The xAPIC registers are mapped uncached into the device window. At boot the PIT measures both
//! the TSC and the APIC timer over 10 ms; the TSC rate converts cycles to time in the logs and the
//! boot-time line, and the APIC rate sets the timer period.
use super::{cpu, legacy};
use core::sync::atomic::{AtomicU64, Ordering};

/// Vector of the LAPIC timer interrupt.
pub const TIMER_VECTOR: u8 = 0x20;
/// Vector of LAPIC spurious interrupts (no EOI needed).
pub const SPURIOUS_VECTOR: u8 = 0xff;

const REG_EOI: u64 = 0xb0;
const REG_SPURIOUS: u64 = 0xf0;
const REG_LVT_TIMER: u64 = 0x320;
const REG_TIMER_INITIAL: u64 = 0x380;
const REG_TIMER_CURRENT: u64 = 0x390;
const REG_TIMER_DIVIDE: u64 = 0x3e0;
const LVT_MASKED: u32 = 1 << 16;
const LVT_PERIODIC: u32 = 1 << 17;

static BASE: AtomicU64 = AtomicU64::new(0);
static TSC_PER_MS: AtomicU64 = AtomicU64::new(0);
static TICKS: AtomicU64 = AtomicU64::new(0);

fn write(reg: u64, value: u32) {
    let base = BASE.load(Ordering::Relaxed);
    debug_assert!(base != 0);
    // SAFETY: `base` is the LAPIC page mapped uncached by `init`; `reg` is a register offset in it.
    unsafe { ((base + reg) as *mut u32).write_volatile(value) };
}

fn read(reg: u64) -> u32 {
    let base = BASE.load(Ordering::Relaxed);
    // SAFETY: as for `write`.
    unsafe { ((base + reg) as *const u32).read_volatile() }
}

/// Enables the LAPIC, calibrates it and the TSC, and starts the periodic timer with `period_ms`.
pub fn init(period_ms: u32) {
    // SAFETY: IA32_APIC_BASE exists on every x86_64 CPU; setting bit 11 enables the xAPIC at the
    // base it already holds.
    let msr = unsafe { cpu::rdmsr(cpu::MSR_APIC_BASE) };
    // SAFETY: as above.
    unsafe { cpu::wrmsr(cpu::MSR_APIC_BASE, msr | (1 << 11)) };
    let base = crate::mem::paging::map_device(msr & 0x000f_ffff_ffff_f000, 0x1000);
    BASE.store(base, Ordering::Relaxed);
    write(REG_SPURIOUS, 0x100 | u32::from(SPURIOUS_VECTOR));
    write(REG_TIMER_DIVIDE, 0b0011); // divide by 16
    write(REG_LVT_TIMER, LVT_MASKED);

    let (mut tsc0, mut apic0) = (0, 0);
    write(REG_TIMER_INITIAL, u32::MAX);
    legacy::pit_wait(10, || {
        tsc0 = cpu::rdtsc();
        apic0 = read(REG_TIMER_CURRENT);
    });
    let (tsc1, apic1) = (cpu::rdtsc(), read(REG_TIMER_CURRENT));
    TSC_PER_MS.store(((tsc1 - tsc0) / 10).max(1), Ordering::Relaxed);
    let apic_per_ms = (u64::from(apic0 - apic1) / 10).max(1);

    write(REG_LVT_TIMER, LVT_PERIODIC | u32::from(TIMER_VECTOR));
    write(REG_TIMER_INITIAL, (apic_per_ms * u64::from(period_ms)).min(u64::from(u32::MAX)) as u32);
    log::info!("timer every {period_ms} ms ({apic_per_ms} APIC ticks/ms), TSC {} MHz",
               TSC_PER_MS.load(Ordering::Relaxed) / 1000);
}

/// Signals end of interrupt for the interrupt being handled.
pub fn eoi() {
    write(REG_EOI, 0);
}

/// Counts one timer interrupt; returns the new total.
pub fn tick() -> u64 {
    TICKS.fetch_add(1, Ordering::Relaxed) + 1
}

/// Timer interrupts taken since boot.
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// Whether the TSC rate is known yet (it is measured by `init`).
pub fn tsc_calibrated() -> bool {
    TSC_PER_MS.load(Ordering::Relaxed) != 0
}

/// TSC cycles per millisecond (0 before calibration).
pub fn tsc_per_ms() -> u64 {
    TSC_PER_MS.load(Ordering::Relaxed)
}

/// Converts TSC cycles to microseconds (0 before calibration).
pub fn cycles_to_us(cycles: u64) -> u64 {
    match TSC_PER_MS.load(Ordering::Relaxed) {
        0 => 0,
        per_ms => cycles * 1000 / per_ms,
    }
}
