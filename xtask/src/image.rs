//! The boot archive: a cpio "newc" writer and deliberately malformed ELFs.
//!
//! `target/exo/initrd.cpio` holds every user program as `FOLDER/NAME` (`bin/`, `test/` or
//! `bench/`, from where its source lives: `build::user_programs`), plus `test/bad_*` files made
//! from the `hello` program's bytes, which the kernel's ELF checks must refuse, in the directory
//! tree `bootfs.rs` lays out. The output is
//! deterministic: names sorted, mtime 0, inode numbers by position, fixed pseudo-random seed.
//! Every patch checks its bounds and fails with a message rather than panicking.

use crate::bootfs;
use crate::bootfs::Program;
use std::path::Path;

/// Reads the programs, adds the malformed ELF files and writes the archive to `out` as the tree
/// `bootfs.rs` describes, plus the deliberately broken copies next to it. Returns the paths in the
/// archive, in order.
pub fn write_initrd(programs: &[Program], out: &Path) -> Result<Vec<String>, String> {
    let mut files = Vec::new();
    for program in programs {
        let bytes = std::fs::read(&program.path)
            .map_err(|e| format!("cannot read {}: {e}", program.path.display()))?;
        files.push((program.folder, program.name.clone(), bytes));
    }
    let hello = files
        .iter()
        .find(|(_, name, _)| name == "hello")
        .map(|(_, _, bytes)| bytes.clone());
    let hello = hello.ok_or("there is no user program `hello` (user/tests/src/bin/hello.rs); the malformed ELF files are made from it")?;
    if let Some((_, name, _)) = files.iter().find(|(_, name, _)| MALFORMED.contains(&name.as_str())) {
        return Err(format!("user program `{name}` has the name of a generated malformed ELF file"));
    }
    for (name, bytes) in bad_elves(&hello)
        .map_err(|e| format!("cannot make the malformed ELF files from hello: {e}"))?
    {
        files.push((bootfs::MALFORMED_FOLDER, name.to_string(), bytes));
    }
    let entries = bootfs::tree(files);
    let parent = out.parent().expect("the archive path has a parent");
    std::fs::create_dir_all(parent)
        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    std::fs::write(out, cpio_newc(&entries))
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    for (name, broken) in bootfs::broken_copies(&entries) {
        let path = parent.join(name);
        std::fs::write(&path, cpio_newc(&broken))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(entries.into_iter().map(|(name, _, _)| name).collect())
}

// ---------------------------------------------------------------------------------------------
// cpio "newc"

/// Builds a cpio "newc" archive of `entries` (path, whole mode, contents), in the given order,
/// ending with the `TRAILER!!!` entry. Each entry is a 110-byte header ("070701" and 13
/// eight-digit hex fields), the name with its NUL padded so header + name is a multiple of 4, then
/// the data padded to a multiple of 4.
pub fn cpio_newc(entries: &[(String, u32, Vec<u8>)]) -> Vec<u8> {
    let mut archive = Vec::new();
    for (index, (name, mode, data)) in entries.iter().enumerate() {
        let inode = u32::try_from(index + 1).expect("fewer than 2^32 files");
        push_cpio_entry(&mut archive, inode, *mode, name, data);
    }
    push_cpio_entry(&mut archive, 0, 0, "TRAILER!!!", &[]);
    archive
}

fn push_cpio_entry(archive: &mut Vec<u8>, inode: u32, mode: u32, name: &str, data: &[u8]) {
    let size = u32::try_from(data.len()).expect("cpio newc files are smaller than 4 GiB");
    let name_size = u32::try_from(name.len() + 1).expect("short file name");
    // ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor,
    // namesize (including the NUL), check.
    let fields = [inode, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, name_size, 0];
    archive.extend_from_slice(b"070701");
    for field in fields {
        archive.extend_from_slice(format!("{field:08X}").as_bytes());
    }
    archive.extend_from_slice(name.as_bytes());
    archive.push(0);
    pad_to_4(archive);
    archive.extend_from_slice(data);
    pad_to_4(archive);
}

fn pad_to_4(bytes: &mut Vec<u8>) {
    while !bytes.len().is_multiple_of(4) {
        bytes.push(0);
    }
}

// ---------------------------------------------------------------------------------------------
// Malformed ELF files

/// Offsets in the ELF64 file header.
const E_MACHINE: usize = 18;
const E_ENTRY: usize = 24;
const E_PHOFF: usize = 32;
const E_PHNUM: usize = 56;
const ELF_HEADER_SIZE: usize = 64;
/// Offsets in a 56-byte ELF64 program header.
const PROGRAM_HEADER_SIZE: usize = 56;
const P_VADDR: usize = 16;
const P_MEMSZ: usize = 40;
const PT_LOAD: u32 = 1;

/// The names of the malformed files [`bad_elves`] makes, in its order.
pub const MALFORMED: [&str; 7] =
    ["bad_truncated", "bad_machine", "bad_kernel_overlap", "bad_segment_overlap", "bad_huge", "bad_entry", "bad_garbage"];

/// The malformed files, each made from a valid ELF64 (`hello`) and named as in the boot archive.
/// Each one breaks exactly one rule the kernel's loader must check.
pub fn bad_elves(hello: &[u8]) -> Result<Vec<(&'static str, Vec<u8>)>, String> {
    let loads = load_headers(hello)?;
    let first = loads[0];
    let second = *loads
        .get(1)
        .ok_or("hello has only one PT_LOAD segment; bad_segment_overlap needs two")?;
    let first_vaddr = read_u64(hello, first + P_VADDR)?;
    let truncated = hello
        .get(..200)
        .ok_or("hello is shorter than 200 bytes")?
        .to_vec();
    Ok(vec![
        ("bad_truncated", truncated),
        (
            "bad_machine",
            patched(hello, E_MACHINE, &3u16.to_le_bytes())?,
        ),
        (
            "bad_kernel_overlap",
            patched(
                hello,
                first + P_VADDR,
                &0xffff_ffff_8000_0000u64.to_le_bytes(),
            )?,
        ),
        (
            "bad_segment_overlap",
            patched(hello, second + P_VADDR, &first_vaddr.to_le_bytes())?,
        ),
        (
            "bad_huge",
            patched(hello, first + P_MEMSZ, &(1u64 << 40).to_le_bytes())?,
        ),
        (
            "bad_entry",
            patched(hello, E_ENTRY, &0x1000u64.to_le_bytes())?,
        ),
        ("bad_garbage", pseudo_random_bytes(4096)),
    ])
}

/// The file offsets of the PT_LOAD program headers of a little-endian ELF64 file, in table order.
/// Fails unless there is at least one and the whole table lies inside the file.
pub fn load_headers(elf: &[u8]) -> Result<Vec<usize>, String> {
    if elf.len() < ELF_HEADER_SIZE || elf[..4] != *b"\x7fELF" {
        return Err("not an ELF file".into());
    }
    if elf[4] != 2 || elf[5] != 1 {
        return Err("not a little-endian ELF64 file".into());
    }
    let table =
        usize::try_from(read_u64(elf, E_PHOFF)?).map_err(|_| "e_phoff does not fit in usize")?;
    let count = usize::from(read_u16(elf, E_PHNUM)?);
    let end = count
        .checked_mul(PROGRAM_HEADER_SIZE)
        .and_then(|size| size.checked_add(table));
    if end.is_none_or(|end| end > elf.len()) {
        return Err(format!(
            "the program header table ({count} entries at {table:#x}) runs past the end of the file"
        ));
    }
    let mut loads = Vec::new();
    for offset in (0..count).map(|index| table + index * PROGRAM_HEADER_SIZE) {
        if read_u32(elf, offset)? == PT_LOAD {
            loads.push(offset);
        }
    }
    if loads.is_empty() {
        return Err("no PT_LOAD program header".into());
    }
    Ok(loads)
}

/// A copy of `bytes` with `patch` written at `offset`; fails if it would not fit.
pub fn patched(bytes: &[u8], offset: usize, patch: &[u8]) -> Result<Vec<u8>, String> {
    let end = offset
        .checked_add(patch.len())
        .filter(|&end| end <= bytes.len());
    let end = end.ok_or(format!(
        "patch at {offset:#x} runs past the end ({} bytes)",
        bytes.len()
    ))?;
    let mut copy = bytes.to_vec();
    copy[offset..end].copy_from_slice(patch);
    Ok(copy)
}

/// `count` bytes from a fixed-seed xorshift64 generator: the same garbage every build.
pub fn pseudo_random_bytes(count: usize) -> Vec<u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut bytes = Vec::with_capacity(count);
    while bytes.len() < count {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(count);
    bytes
}

fn read_array<const N: usize>(bytes: &[u8], offset: usize) -> Result<[u8; N], String> {
    let slice = offset.checked_add(N).and_then(|end| bytes.get(offset..end));
    let slice = slice.ok_or(format!(
        "reading {N} bytes at {offset:#x} runs past the end ({} bytes)",
        bytes.len()
    ))?;
    Ok(slice.try_into().expect("slice has length N"))
}

fn read_u16(bytes: &[u8], offset: usize) -> Result<u16, String> {
    read_array(bytes, offset).map(u16::from_le_bytes)
}

fn read_u32(bytes: &[u8], offset: usize) -> Result<u32, String> {
    read_array(bytes, offset).map(u32::from_le_bytes)
}

fn read_u64(bytes: &[u8], offset: usize) -> Result<u64, String> {
    read_array(bytes, offset).map(u64::from_le_bytes)
}

#[cfg(test)]
mod unit_tests {
    use super::*;
    const FILE_MODE: u32 = bootfs::DATA_MODE;

    /// A minimal ELF64 with two PT_LOAD headers and one PT_NOTE between them, 512 bytes long.
    fn fake_elf() -> Vec<u8> {
        let mut elf = vec![0u8; 512];
        elf[..6].copy_from_slice(b"\x7fELF\x02\x01");
        elf[E_MACHINE..E_MACHINE + 2].copy_from_slice(&62u16.to_le_bytes());
        elf[E_ENTRY..E_ENTRY + 8].copy_from_slice(&0x40_1000u64.to_le_bytes());
        elf[E_PHOFF..E_PHOFF + 8].copy_from_slice(&64u64.to_le_bytes());
        elf[E_PHNUM..E_PHNUM + 2].copy_from_slice(&3u16.to_le_bytes());
        for (index, (kind, vaddr)) in [(PT_LOAD, 0x40_0000u64), (4, 0), (PT_LOAD, 0x40_1000)]
            .iter()
            .enumerate()
        {
            let header = 64 + index * PROGRAM_HEADER_SIZE;
            elf[header..header + 4].copy_from_slice(&kind.to_le_bytes());
            elf[header + P_VADDR..header + P_VADDR + 8].copy_from_slice(&vaddr.to_le_bytes());
            elf[header + P_MEMSZ..header + P_MEMSZ + 8].copy_from_slice(&0x1000u64.to_le_bytes());
        }
        elf
    }

    fn bad(name: &str) -> Vec<u8> {
        let elves = bad_elves(&fake_elf()).unwrap();
        elves.into_iter().find(|(n, _)| *n == name).unwrap().1
    }

    #[test]
    fn the_malformed_names_are_those_made() {
        let made: Vec<&str> = bad_elves(&fake_elf()).unwrap().into_iter().map(|(name, _)| name).collect();
        assert_eq!(made, MALFORMED);
    }

    #[test]
    fn each_bad_elf_differs_from_hello_only_where_intended() {
        let hello = fake_elf();
        assert_eq!(bad("bad_truncated"), hello[..200]);
        assert_eq!(read_u16(&bad("bad_machine"), E_MACHINE), Ok(3));
        assert_eq!(read_u64(&bad("bad_entry"), E_ENTRY), Ok(0x1000));
        assert_eq!(
            read_u64(&bad("bad_kernel_overlap"), 64 + P_VADDR),
            Ok(0xffff_ffff_8000_0000)
        );
        let second_load = 64 + 2 * PROGRAM_HEADER_SIZE;
        assert_eq!(
            read_u64(&bad("bad_segment_overlap"), second_load + P_VADDR),
            Ok(0x40_0000)
        );
        assert_eq!(read_u64(&bad("bad_huge"), 64 + P_MEMSZ), Ok(1 << 40));
        for name in [
            "bad_machine",
            "bad_entry",
            "bad_kernel_overlap",
            "bad_segment_overlap",
            "bad_huge",
        ] {
            let changed = bad(name).iter().zip(&hello).filter(|(a, b)| a != b).count();
            assert!((1..=8).contains(&changed), "{name} changed {changed} bytes");
            assert_eq!(bad(name).len(), hello.len(), "{name}");
        }
    }

    #[test]
    fn garbage_is_deterministic_and_not_an_elf() {
        let garbage = bad("bad_garbage");
        assert_eq!(garbage.len(), 4096);
        assert_eq!(garbage, pseudo_random_bytes(4096));
        assert_ne!(garbage[..4], *b"\x7fELF");
        assert!(
            garbage.iter().filter(|&&b| b == 0).count() < 64,
            "looks random"
        );
    }

    #[test]
    fn malformed_inputs_fail_cleanly() {
        let elf = fake_elf();
        assert!(load_headers(&elf[..63]).is_err());
        assert!(
            load_headers(&elf[..100])
                .unwrap_err()
                .contains("runs past the end")
        );
        let mut one_load = elf.clone();
        one_load[E_PHNUM] = 1;
        assert!(
            bad_elves(&one_load)
                .unwrap_err()
                .contains("only one PT_LOAD")
        );
        let mut huge_phoff = elf.clone();
        huge_phoff[E_PHOFF..E_PHOFF + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(load_headers(&huge_phoff).is_err());
        assert!(patched(&elf, 510, &[0; 4]).is_err());
        assert!(patched(&elf, usize::MAX, &[0; 4]).is_err());
        assert!(read_u64(&elf, usize::MAX - 2).is_err());
    }

    #[test]
    fn cpio_layout_matches_newc() {
        let archive = cpio_newc(&[("ab".into(), FILE_MODE, vec![7, 8, 9, 10, 11])]);
        // Entry: 110-byte header + "ab\0" = 113, padded to 116; data 5 bytes padded to 8.
        assert_eq!(&archive[..6], b"070701");
        let field = |entry: usize, index: usize| {
            let start = entry + 6 + 8 * index;
            u32::from_str_radix(std::str::from_utf8(&archive[start..start + 8]).unwrap(), 16)
                .unwrap()
        };
        assert_eq!(field(0, 0), 1, "ino");
        assert_eq!(field(0, 1), FILE_MODE);
        assert_eq!(field(0, 4), 1, "nlink");
        assert_eq!(field(0, 5), 0, "mtime");
        assert_eq!(field(0, 6), 5, "filesize");
        assert_eq!(field(0, 11), 3, "namesize");
        assert_eq!(&archive[110..113], b"ab\0");
        assert_eq!(&archive[116..124], &[7, 8, 9, 10, 11, 0, 0, 0]);
        let trailer = 124;
        assert_eq!(&archive[trailer..trailer + 6], b"070701");
        assert_eq!(field(trailer, 11), 11, "namesize of TRAILER!!!");
        assert_eq!(&archive[trailer + 110..trailer + 121], b"TRAILER!!!\0");
        assert_eq!(archive.len(), trailer + 124, "121 padded to 124");
        assert_eq!(archive.len() % 4, 0);
    }

    #[test]
    fn cpio_name_padding_covers_every_remainder() {
        for name_len in 1..=8 {
            let name = "x".repeat(name_len);
            let archive = cpio_newc(&[(name.clone(), FILE_MODE, vec![1])]);
            let data_start = (110 + name_len + 1).next_multiple_of(4);
            assert_eq!(archive[data_start], 1, "name length {name_len}");
            assert_eq!(&archive[data_start + 4..data_start + 10], b"070701");
        }
    }
}
