//! What the boot loader tells the kernel: memory map, command line, initrd, loader name.
//!
//! `pvh.rs` and `multiboot2.rs` read their loader's structures (through the boot direct map of the
//! first GiB) into one [`BootInfo`]. Every structure the loader left in memory is recorded in
//! `reserved` so that its frames are never handed out.
pub mod multiboot2;
pub mod pvh;

use crate::arch::x86_64::boot::{PROTOCOL_MULTIBOOT2, PROTOCOL_PVH};

/// The most ranges of each kind the kernel keeps.
pub const MAX_RANGES: usize = 64;

/// A fixed-capacity list of physical ranges `[start, end)`.
#[derive(Clone, Copy)]
pub struct Ranges {
    items: [(u64, u64); MAX_RANGES],
    len: usize,
}

impl Ranges {
    pub const fn new() -> Ranges {
        Ranges { items: [(0, 0); MAX_RANGES], len: 0 }
    }

    /// Adds a range; empty ranges are ignored. Panics when full (a firmware map this large is not
    /// something the kernel can boot on without knowing).
    pub fn push(&mut self, start: u64, end: u64) {
        if end <= start {
            return;
        }
        assert!(self.len < MAX_RANGES, "boot information has more than {MAX_RANGES} ranges");
        self.items[self.len] = (start, end);
        self.len += 1;
    }

    pub fn iter(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.items[..self.len].iter().copied()
    }
}

/// Everything the kernel learns from its loader.
pub struct BootInfo {
    /// "PVH" or "multiboot2".
    pub protocol: &'static str,
    /// The loader's name, when it gives one.
    pub loader: Option<&'static str>,
    pub cmdline: &'static str,
    /// Usable RAM (E820 type 1).
    pub usable: Ranges,
    /// RAM-like ranges to put in the direct map (usable, ACPI reclaimable, ACPI NVS).
    pub ram: Ranges,
    /// Loader structures that must not be allocated: the information block, maps, strings, modules.
    pub reserved: Ranges,
    /// The initrd (first boot module): physical address and length.
    pub initrd: Option<(u64, u64)>,
}

impl BootInfo {
    fn empty(protocol: &'static str) -> BootInfo {
        BootInfo {
            protocol, loader: None, cmdline: "", usable: Ranges::new(), ram: Ranges::new(),
            reserved: Ranges::new(), initrd: None,
        }
    }

    /// Records one firmware memory-map entry (E820 types: 1 usable, 3 ACPI reclaim, 4 ACPI NVS).
    fn add_memory(&mut self, start: u64, len: u64, kind: u32) {
        let end = start.saturating_add(len);
        if kind == 1 {
            self.usable.push(start, end);
        }
        if matches!(kind, 1 | 3 | 4) {
            self.ram.push(start, end);
        }
    }
}

/// Reads the boot information handed over by the 32-bit stub.
pub fn parse(protocol: u32, info: u64) -> BootInfo {
    match protocol {
        PROTOCOL_PVH => pvh::parse(info),
        PROTOCOL_MULTIBOOT2 => multiboot2::parse(info),
        other => panic!("unknown boot protocol {other}"),
    }
}

/// Little-endian field readers over a byte slice; a short slice is a malformed structure.
pub(crate) fn read_u32(bytes: &[u8], offset: usize) -> u32 {
    let b = bytes.get(offset..offset + 4).expect("boot structure truncated");
    u32::from_le_bytes(b.try_into().expect("4 bytes"))
}

pub(crate) fn read_u64(bytes: &[u8], offset: usize) -> u64 {
    let b = bytes.get(offset..offset + 8).expect("boot structure truncated");
    u64::from_le_bytes(b.try_into().expect("8 bytes"))
}

/// A NUL-terminated string at physical `pa` (at most `max` bytes), recorded as reserved.
pub(crate) fn c_string(pa: u64, max: u64, reserved: &mut Ranges) -> &'static str {
    if pa == 0 {
        return "";
    }
    let bytes = crate::mem::phys::bytes(pa, max);
    let len = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    reserved.push(pa, pa + len as u64 + 1);
    core::str::from_utf8(&bytes[..len]).unwrap_or("")
}
