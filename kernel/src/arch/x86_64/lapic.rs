//! The local APIC and the kernel's clock: the periodic timer that ends time slices while
//! environments run, the one-shot timer that wakes an idle CPU at the next deadline, LINT0 (the
//! 8259's output, as ExtINT), end-of-interrupt, and time since boot.
//!
//! The xAPIC registers are mapped uncached into the device window. At boot the PIT measures both
//! the TSC and the APIC timer over 10 ms; the TSC rate converts cycles to time (the clock is the
//! TSC: nanoseconds since the kernel's first instruction, [`now_ns`]; ticks are derived from it, so
//! they stay right across idle periods without a periodic interrupt), and the APIC rate sets the
//! timer's counts.
use super::{cpu, legacy};
use core::sync::atomic::{AtomicU64, Ordering};

/// Vector of the LAPIC timer interrupt.
pub const TIMER_VECTOR: u8 = 0x20;
/// Vector of LAPIC spurious interrupts (no EOI needed).
pub const SPURIOUS_VECTOR: u8 = 0xff;

const REG_EOI: u64 = 0xb0;
const REG_SPURIOUS: u64 = 0xf0;
const REG_LVT_TIMER: u64 = 0x320;
const REG_LVT_LINT0: u64 = 0x350;
/// LVT delivery mode ExtINT: the interrupt and its vector come from the 8259.
const LVT_EXTINT: u32 = 0b111 << 8;
const REG_TIMER_INITIAL: u64 = 0x380;
const REG_TIMER_CURRENT: u64 = 0x390;
const REG_TIMER_DIVIDE: u64 = 0x3e0;
const LVT_MASKED: u32 = 1 << 16;
const LVT_PERIODIC: u32 = 1 << 17;

static BASE: AtomicU64 = AtomicU64::new(0);
static TSC_PER_MS: AtomicU64 = AtomicU64::new(0);
static TICKS: AtomicU64 = AtomicU64::new(0);
static BOOT_TSC: AtomicU64 = AtomicU64::new(0);
static APIC_PER_MS: AtomicU64 = AtomicU64::new(0);
static PERIOD_MS: AtomicU64 = AtomicU64::new(10);

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
/// `boot_tsc` (the TSC at the kernel's first instruction) is time zero of the clock.
pub fn init(period_ms: u32, boot_tsc: u64) {
    BOOT_TSC.store(boot_tsc, Ordering::Relaxed);
    PERIOD_MS.store(u64::from(period_ms), Ordering::Relaxed);
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
    APIC_PER_MS.store(apic_per_ms, Ordering::Relaxed);
    periodic();
    log::info!("timer every {period_ms} ms ({apic_per_ms} APIC ticks/ms), TSC {} MHz",
               TSC_PER_MS.load(Ordering::Relaxed) / 1000);
}

/// Signals end of interrupt for the interrupt being handled.
pub fn eoi() {
    write(REG_EOI, 0);
}

/// Runs the timer periodically, one interrupt per time slice (while environments run).
pub fn periodic() {
    let count = APIC_PER_MS.load(Ordering::Relaxed) * PERIOD_MS.load(Ordering::Relaxed);
    write(REG_LVT_TIMER, LVT_PERIODIC | u32::from(TIMER_VECTOR));
    write(REG_TIMER_INITIAL, count.clamp(1, u64::from(u32::MAX)) as u32);
}

/// One timer interrupt after `ns` nanoseconds and none after it (the idle CPU's next deadline).
/// Beyond the counter's range (about a minute) it fires early; the caller re-arms.
pub fn one_shot(ns: u64) {
    let count = (u128::from(ns) * u128::from(APIC_PER_MS.load(Ordering::Relaxed)) / 1_000_000).clamp(1, u128::from(u32::MAX));
    write(REG_LVT_TIMER, u32::from(TIMER_VECTOR));
    write(REG_TIMER_INITIAL, count as u32);
}

/// No timer interrupt at all (an idle CPU with no deadline: only a device wakes it).
pub fn stop() {
    write(REG_LVT_TIMER, LVT_MASKED);
    write(REG_TIMER_INITIAL, 0);
}

/// Lets the 8259's interrupts in through LINT0, delivered as ExtINT (the 8259 gives the vector and
/// takes the end-of-interrupt).
pub fn enable_extint() {
    write(REG_LVT_LINT0, LVT_EXTINT);
}

/// This CPU's local APIC id (where the IOAPIC sends device interrupts).
pub fn id() -> u8 {
    (read(0x20) >> 24) as u8
}

/// Counts one timer interrupt; returns the new total.
pub fn tick() -> u64 {
    TICKS.fetch_add(1, Ordering::Relaxed) + 1
}

/// Timer interrupts taken since boot (none while the CPU is idle without a deadline).
pub fn interrupts() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// Time slices (`abi::TICK_MS` each) since boot, from the clock: what revocation deadlines and
/// `SysInfo::ticks` count, right across idle periods.
pub fn ticks() -> u64 {
    now_ns() / (abi::TICK_MS * 1_000_000)
}

/// Nanoseconds since the kernel's first instruction (0 before calibration).
pub fn now_ns() -> u64 {
    abi::now_ns(cpu::rdtsc(), BOOT_TSC.load(Ordering::Relaxed), TSC_PER_MS.load(Ordering::Relaxed))
}

/// The clock's parameters: the TSC at time zero and TSC cycles per millisecond.
pub fn clock() -> (u64, u64) {
    (BOOT_TSC.load(Ordering::Relaxed), TSC_PER_MS.load(Ordering::Relaxed))
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
