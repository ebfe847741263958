//! The multiboot2 boot protocol (GRUB): the information block is a list of 8-byte-aligned tags.
//!
//! Header: total_size u32 @0, reserved u32 @4. Each tag: type u32, size u32, payload. Tags used:
//! 1 command line (string), 2 boot-loader name (string), 3 module (mod_start u32, mod_end u32, string),
//! 6 memory map (entry_size u32, entry_version u32, entries of base u64, length u64, type u32, pad),
//! 0 end.
use super::{read_u32, read_u64, BootInfo};
use crate::mem::phys;

pub fn parse(info: u64) -> BootInfo {
    let mut boot = BootInfo::empty("multiboot2");
    let total = u64::from(read_u32(phys::bytes(info, 8), 0));
    assert!((16..1 << 20).contains(&total), "multiboot2 information block of {total} bytes");
    let block = phys::bytes(info, total);
    boot.reserved.push(info, info + total);
    let mut offset = 8usize;
    while offset + 8 <= block.len() {
        let (kind, size) = (read_u32(block, offset), read_u32(block, offset + 4) as usize);
        assert!(size >= 8 && offset + size <= block.len(), "malformed multiboot2 tag at offset {offset}");
        let tag = &block[offset..offset + size];
        match kind {
            0 => break,
            1 => boot.cmdline = string(&tag[8..]),
            2 => boot.loader = Some(string(&tag[8..])),
            3 if boot.initrd.is_none() => {
                let (start, end) = (u64::from(read_u32(tag, 8)), u64::from(read_u32(tag, 12)));
                boot.initrd = Some((start, end.saturating_sub(start)));
                boot.reserved.push(start, end);
            }
            6 => memory_map(&mut boot, tag),
            _ => {}
        }
        offset += size.next_multiple_of(8);
    }
    boot
}

fn memory_map(boot: &mut BootInfo, tag: &[u8]) {
    let entry_size = read_u32(tag, 8) as usize;
    assert!(entry_size >= 24, "multiboot2 memory-map entries of {entry_size} bytes");
    for entry in tag[16..].chunks_exact(entry_size) {
        boot.add_memory(read_u64(entry, 0), read_u64(entry, 8), read_u32(entry, 16));
    }
}

/// A NUL-terminated string inside the information block (already reserved with it).
fn string(bytes: &'static [u8]) -> &'static str {
    let len = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    core::str::from_utf8(&bytes[..len]).unwrap_or("")
}
