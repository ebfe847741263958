//! The PVH boot protocol (Xen `hvm_start_info`, used by QEMU's `-kernel`).
//!
//! Layout (version 1): magic u32 @0 (0x336ec578), version u32 @4, flags u32 @8, nr_modules u32 @12,
//! modlist_paddr u64 @16, cmdline_paddr u64 @24, rsdp_paddr u64 @32, memmap_paddr u64 @40,
//! memmap_entries u32 @48. Memory-map entries are 24 bytes (addr u64, size u64, type u32, pad);
//! module entries are 32 bytes (paddr u64, size u64, cmdline u64, reserved u64).
use super::{c_string, read_u32, read_u64, BootInfo};
use crate::mem::phys;

const MAGIC: u32 = 0x336e_c578;

pub fn parse(info: u64) -> BootInfo {
    let mut boot = BootInfo::empty("PVH");
    let start = phys::bytes(info, 56);
    assert_eq!(read_u32(start, 0), MAGIC, "bad PVH start_info magic");
    boot.reserved.push(info, info + 56);
    let version = read_u32(start, 4);
    boot.cmdline = c_string(read_u64(start, 24), 4096, &mut boot.reserved);

    let modules = u64::from(read_u32(start, 12));
    let modlist = read_u64(start, 16);
    if modules > 0 && modlist != 0 {
        let list = phys::bytes(modlist, modules * 32);
        boot.reserved.push(modlist, modlist + modules * 32);
        let (pa, len) = (read_u64(list, 0), read_u64(list, 8));
        boot.initrd = Some((pa, len));
        boot.reserved.push(pa, pa + len);
    }

    let entries = if version >= 1 { u64::from(read_u32(start, 48)) } else { 0 };
    let memmap = read_u64(start, 40);
    assert!(entries > 0 && memmap != 0, "PVH start_info has no memory map");
    let map = phys::bytes(memmap, entries * 24);
    boot.reserved.push(memmap, memmap + entries * 24);
    for i in 0..entries as usize {
        let e = &map[i * 24..];
        // Type 0 entries appear as padding (seen on `-machine microvm`): skipped by add_memory.
        boot.add_memory(read_u64(e, 0), read_u64(e, 8), read_u32(e, 16));
    }
    boot
}
