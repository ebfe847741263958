//! Processor control: CPUID feature discovery, control registers, MSRs, port I/O and FPU setup.
//!
//! `init` turns on every protection the CPU offers that Exo relies on (NX, write-protect in ring 0,
//! SMEP, SMAP, UMIP, global pages) and sizes the per-environment FPU area (XSAVE where present,
//! else FXSAVE). The results are kept in [`Features`] and in two statics the entry assembly reads.
use core::arch::asm;
use core::sync::atomic::{AtomicBool, AtomicU8, Ordering};

/// What the CPU supports, as far as the kernel cares.
#[derive(Clone, Copy, Debug, Default)]
pub struct Features {
    pub nx: bool,
    /// Process-context identifiers: TLB entries tagged per address space (CR4.PCIDE).
    pub pcid: bool,
    pub smep: bool,
    pub smap: bool,
    pub umip: bool,
    pub xsave: bool,
    /// Bytes of the XSAVE (or FXSAVE) area for the enabled state components.
    pub fpu_area_size: usize,
    /// The state components enabled in XCR0 (x87 | SSE | AVX ... ).
    pub xcr0: u64,
}

/// Read by the entry assembly: 1 when XSAVE/XRSTOR are used, 0 for FXSAVE/FXRSTOR.
#[unsafe(no_mangle)]
pub(super) static USE_XSAVE: AtomicU8 = AtomicU8::new(0);

/// Read by the entry assembly: 1 when SMAP is on, so `clac` exists and must be executed on entry.
#[unsafe(no_mangle)]
static HAS_SMAP: AtomicU8 = AtomicU8::new(0);

static FEATURES: spin::Once<Features> = spin::Once::new();
/// Whether CR4.PCIDE is on (read on every address-space switch, so kept apart from `FEATURES`).
static PCID: AtomicBool = AtomicBool::new(false);

/// Whether address spaces carry process-context ids.
pub fn has_pcid() -> bool {
    PCID.load(Ordering::Relaxed)
}

/// The largest FPU area an environment can need; each environment reserves this much.
pub const FPU_AREA_MAX: usize = 4096;

/// `cpuid(leaf, subleaf)` → (eax, ebx, ecx, edx).
pub fn cpuid(leaf: u32, subleaf: u32) -> (u32, u32, u32, u32) {
    let r = core::arch::x86_64::__cpuid_count(leaf, subleaf);
    (r.eax, r.ebx, r.ecx, r.edx)
}

/// Discovers features and enables the protections and FPU state Exo uses. Call once, early.
pub fn init() -> Features {
    let (max_leaf, ..) = cpuid(0, 0);
    let (_, _, ecx1, _) = cpuid(1, 0);
    let (_, ebx7, ecx7, _) = if max_leaf >= 7 { cpuid(7, 0) } else { (0, 0, 0, 0) };
    let (_, _, _, edx_ext) = cpuid(0x8000_0001, 0);
    let mut f = Features {
        nx: edx_ext & (1 << 20) != 0,
        pcid: ecx1 & (1 << 17) != 0,
        smep: ebx7 & (1 << 7) != 0,
        smap: ebx7 & (1 << 20) != 0,
        umip: ecx7 & (1 << 2) != 0,
        xsave: ecx1 & (1 << 26) != 0,
        fpu_area_size: 512,
        xcr0: 0,
    };
    if f.nx {
        // SAFETY: EFER.NXE (bit 11) is supported (CPUID 0x80000001 EDX.20) and only enables the NX bit.
        unsafe { wrmsr(MSR_EFER, rdmsr(MSR_EFER) | (1 << 11)) };
    }
    let mut cr4 = read_cr4() | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT;
    // PCIDE may only be set while CR3[11:0] is 0, which holds for the boot tables.
    if f.pcid { cr4 |= CR4_PCIDE; }
    if f.smep { cr4 |= CR4_SMEP; }
    if f.smap { cr4 |= CR4_SMAP; }
    if f.umip { cr4 |= CR4_UMIP; }
    if f.xsave { cr4 |= CR4_OSXSAVE; }
    // SAFETY: every bit set was checked in CPUID above; PGE/OSFXSR/OSXMMEXCPT exist on all x86_64.
    unsafe { write_cr4(cr4) };
    // SAFETY: CR0.WP makes ring 0 honour read-only pages; NE selects native FPU error reporting.
    unsafe { write_cr0(read_cr0() | CR0_WP | CR0_NE) };
    if f.xsave {
        let (supported, ..) = cpuid(0xd, 0);
        // x87, SSE, AVX, and the three AVX-512 components if present.
        f.xcr0 = u64::from(supported) & 0xe7;
        // SAFETY: CR4.OSXSAVE is set and every bit of xcr0 is reported supported by CPUID 0xD.
        unsafe { xsetbv(0, f.xcr0) };
        let (_, size_for_enabled, ..) = cpuid(0xd, 0);
        f.fpu_area_size = size_for_enabled as usize;
        USE_XSAVE.store(1, Ordering::Relaxed);
    }
    assert!(f.fpu_area_size <= FPU_AREA_MAX, "FPU area of {} bytes is too large", f.fpu_area_size);
    if f.smap {
        HAS_SMAP.store(1, Ordering::Relaxed);
    }
    PCID.store(f.pcid, Ordering::Relaxed);
    *FEATURES.call_once(|| f)
}

/// The features found by [`init`].
pub fn features() -> Features {
    *FEATURES.get().expect("cpu::features before cpu::init")
}

pub const CR0_NE: u64 = 1 << 5;
pub const CR0_WP: u64 = 1 << 16;
pub const CR4_PGE: u64 = 1 << 7;
pub const CR4_OSFXSR: u64 = 1 << 9;
pub const CR4_OSXMMEXCPT: u64 = 1 << 10;
pub const CR4_UMIP: u64 = 1 << 11;
pub const CR4_PCIDE: u64 = 1 << 17;
pub const CR4_OSXSAVE: u64 = 1 << 18;
pub const CR4_SMEP: u64 = 1 << 20;
pub const CR4_SMAP: u64 = 1 << 21;

pub const MSR_APIC_BASE: u32 = 0x1b;
pub const MSR_EFER: u32 = 0xc000_0080;
pub const MSR_STAR: u32 = 0xc000_0081;
pub const MSR_LSTAR: u32 = 0xc000_0082;
pub const MSR_SFMASK: u32 = 0xc000_0084;
pub const MSR_FS_BASE: u32 = 0xc000_0100;

/// Reads a model-specific register.
///
/// # Safety
/// `msr` must exist on this CPU (reading a missing MSR raises #GP in ring 0).
pub unsafe fn rdmsr(msr: u32) -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: the caller guarantees the MSR exists.
    unsafe { asm!("rdmsr", in("ecx") msr, out("eax") lo, out("edx") hi, options(nomem, nostack)) };
    (u64::from(hi) << 32) | u64::from(lo)
}

/// Writes a model-specific register.
///
/// # Safety
/// `msr` must exist and `value` must be valid for it; many MSRs change how the CPU protects memory.
pub unsafe fn wrmsr(msr: u32, value: u64) {
    // SAFETY: the caller guarantees the MSR and value are valid.
    unsafe {
        asm!("wrmsr", in("ecx") msr, in("eax") value as u32, in("edx") (value >> 32) as u32,
             options(nostack))
    };
}

/// # Safety
/// `value` must enable only features the CPU supports (see [`init`]).
unsafe fn xsetbv(register: u32, value: u64) {
    // SAFETY: the caller guarantees CR4.OSXSAVE is set and the components are supported.
    unsafe {
        asm!("xsetbv", in("ecx") register, in("eax") value as u32, in("edx") (value >> 32) as u32,
             options(nomem, nostack))
    };
}

pub fn read_cr0() -> u64 {
    let v;
    // SAFETY: reading CR0 has no side effects.
    unsafe { asm!("mov {}, cr0", out(reg) v, options(nomem, nostack)) };
    v
}

/// # Safety
/// The new CR0 must keep paging and protected mode on and be consistent with the rest of the state.
pub unsafe fn write_cr0(v: u64) {
    // SAFETY: the caller guarantees the value is valid.
    unsafe { asm!("mov cr0, {}", in(reg) v, options(nostack)) };
}

/// The faulting linear address of the last page fault.
pub fn read_cr2() -> u64 {
    let v;
    // SAFETY: reading CR2 has no side effects.
    unsafe { asm!("mov {}, cr2", out(reg) v, options(nomem, nostack)) };
    v
}

pub fn read_cr3() -> u64 {
    let v;
    // SAFETY: reading CR3 has no side effects.
    unsafe { asm!("mov {}, cr3", out(reg) v, options(nomem, nostack)) };
    v
}

/// Switches to the address space rooted at physical address `root`.
///
/// # Safety
/// `root` must be a valid PML4 that maps the kernel half exactly like the current one.
pub unsafe fn write_cr3(root: u64) {
    // SAFETY: the caller guarantees the new tables map the running kernel.
    unsafe { asm!("mov cr3, {}", in(reg) root, options(nostack)) };
}

pub fn read_cr4() -> u64 {
    let v;
    // SAFETY: reading CR4 has no side effects.
    unsafe { asm!("mov {}, cr4", out(reg) v, options(nomem, nostack)) };
    v
}

/// # Safety
/// Only bits the CPU supports may be set.
pub unsafe fn write_cr4(v: u64) {
    // SAFETY: the caller guarantees the bits are supported.
    unsafe { asm!("mov cr4, {}", in(reg) v, options(nostack)) };
}

/// The data-segment selectors (DS, ES, FS, GS) in use: ring 3 may load its own (null or user
/// descriptors), and the kernel never changes them, so on a switch they are the environment's.
pub fn read_data_selectors() -> [u16; 4] {
    let (ds, es, fs, gs): (u16, u16, u16, u16);
    // SAFETY: reading segment registers has no side effects.
    unsafe {
        asm!("mov {0:x}, ds", "mov {1:x}, es", "mov {2:x}, fs", "mov {3:x}, gs",
             out(reg) ds, out(reg) es, out(reg) fs, out(reg) gs, options(nomem, nostack, preserves_flags))
    };
    [ds, es, fs, gs]
}

/// Loads data-segment selectors saved by [`read_data_selectors`] (the bases stay 0: user code cannot
/// set FS/GS bases, FSGSBASE being off and MSR writes privileged).
///
/// # Safety
/// Every selector must be null or one ring 3 could load itself (a user data or code descriptor).
pub unsafe fn load_data_selectors(selectors: [u16; 4]) {
    let [ds, es, fs, gs] = selectors;
    // SAFETY: the caller guarantees each selector is loadable (null, or a DPL-3 descriptor).
    unsafe {
        asm!("mov ds, {0:x}", "mov es, {1:x}", "mov fs, {2:x}", "mov gs, {3:x}",
             in(reg) ds, in(reg) es, in(reg) fs, in(reg) gs, options(nostack, preserves_flags))
    };
}

/// The FS base in the CPU, as last written by [`load_fs_base`] (a data-selector load may have
/// cleared it since: the caller reloads after the selectors).
static FS_BASE_LOADED: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Puts `base` (a user address, checked by `env_set_fs_base`: below `USER_END`) in the FS base
/// MSR, after `load_data_selectors`. Environments that never set one (base 0) cost no `wrmsr` as
/// long as the last one written was 0 too.
pub fn load_fs_base(base: u64) {
    use core::sync::atomic::Ordering::Relaxed;
    if base == 0 && FS_BASE_LOADED.load(Relaxed) == 0 {
        return;
    }
    assert!(base < abi::layout::USER_END, "FS base {base:#x} outside user space");
    // SAFETY: IA32_FS_BASE exists on every x86_64 CPU; a canonical user address (asserted above)
    // is a valid value, and only ring-3 `%fs:` accesses of the running environment use it.
    unsafe { wrmsr(MSR_FS_BASE, base) };
    FS_BASE_LOADED.store(base, Relaxed);
}

/// Invalidates the TLB entry for one page in the current address space.
pub fn invlpg(addr: u64) {
    // SAFETY: invlpg only drops a cached translation; it cannot break memory safety.
    unsafe { asm!("invlpg [{}]", in(reg) addr, options(nostack)) };
}

/// The time-stamp counter.
pub fn rdtsc() -> u64 {
    // SAFETY: RDTSC is available on every x86_64 CPU and has no side effects.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Writes a byte to an I/O port.
///
/// # Safety
/// The port and value must not break a device the kernel relies on.
pub unsafe fn outb(port: u16, value: u8) {
    // SAFETY: the caller guarantees the write is harmless.
    unsafe { asm!("out dx, al", in("dx") port, in("al") value, options(nomem, nostack)) };
}

/// Reads a byte from an I/O port.
///
/// # Safety
/// Reading some ports has side effects; the caller must know the device.
pub unsafe fn inb(port: u16) -> u8 {
    let v;
    // SAFETY: the caller guarantees the read is harmless.
    unsafe { asm!("in al, dx", in("dx") port, out("al") v, options(nomem, nostack)) };
    v
}

/// Writes a 32-bit value to an I/O port.
///
/// # Safety
/// As for [`outb`].
pub unsafe fn outl(port: u16, value: u32) {
    // SAFETY: the caller guarantees the write is harmless.
    unsafe { asm!("out dx, eax", in("dx") port, in("eax") value, options(nomem, nostack)) };
}

/// Reads a 32-bit value from an I/O port.
///
/// # Safety
/// As for [`inb`].
pub unsafe fn inl(port: u16) -> u32 {
    let v;
    // SAFETY: the caller guarantees the read is harmless.
    unsafe { asm!("in eax, dx", in("dx") port, out("eax") v, options(nomem, nostack)) };
    v
}

/// Stops the CPU for good: interrupts stay off, so `hlt` never returns except for NMI.
pub fn halt_forever() -> ! {
    loop {
        // SAFETY: cli/hlt only stop this CPU.
        unsafe { asm!("cli; hlt", options(nomem, nostack)) };
    }
}
