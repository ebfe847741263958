//! Unit tests for `elf::check`, on images built in memory.
use super::*;
extern crate std;
use std::vec;

const PF_R: u32 = 4;

/// (p_type, flags, vaddr, file_size, mem_size); data for each segment is placed after the headers.
type Spec = (u32, u32, u64, u64, u64);

fn build(entry: u64, specs: &[Spec]) -> Vec<u8> {
    let phoff = 64u64;
    let mut data_offset = (phoff + 56 * specs.len() as u64).next_multiple_of(16);
    let mut out = vec![0u8; data_offset as usize];
    out[..4].copy_from_slice(b"\x7fELF");
    out[4] = 2;
    out[5] = 1;
    out[6] = 1;
    out[16..18].copy_from_slice(&ET_EXEC.to_le_bytes());
    out[18..20].copy_from_slice(&EM_X86_64.to_le_bytes());
    out[20..24].copy_from_slice(&1u32.to_le_bytes());
    out[24..32].copy_from_slice(&entry.to_le_bytes());
    out[32..40].copy_from_slice(&phoff.to_le_bytes());
    out[52..54].copy_from_slice(&64u16.to_le_bytes());
    out[54..56].copy_from_slice(&56u16.to_le_bytes());
    out[56..58].copy_from_slice(&(specs.len() as u16).to_le_bytes());
    for (i, &(p_type, flags, vaddr, file_size, mem_size)) in specs.iter().enumerate() {
        let ph = 64 + 56 * i;
        let fields: [(usize, u64); 6] =
            [(8, data_offset), (16, vaddr), (24, vaddr), (32, file_size), (40, mem_size), (48, 0x1000)];
        out[ph..ph + 4].copy_from_slice(&p_type.to_le_bytes());
        out[ph + 4..ph + 8].copy_from_slice(&flags.to_le_bytes());
        for (off, v) in fields {
            out[ph + off..ph + off + 8].copy_from_slice(&v.to_le_bytes());
        }
        out.extend((0..file_size).map(|b| b as u8));
        data_offset += file_size;
    }
    out
}

fn good() -> Vec<u8> {
    build(0x40_0010, &[(PT_LOAD, PF_R | PF_X, 0x40_0000, 0x100, 0x100), (PT_LOAD, PF_R | PF_W, 0x40_1000, 0x20, 0x3000)])
}

#[test]
fn accepts_a_good_image() {
    let bytes = good();
    let image = check(&bytes).unwrap();
    assert_eq!(image.entry, 0x40_0010);
    assert_eq!(image.segments.len(), 2);
    let data = &image.segments[1];
    assert!(data.writable && !data.executable);
    assert_eq!((data.mem_size, data.file_size), (0x3000, 0x20));
    assert_eq!(data.page_range(), (0x40_1000, 0x40_4000));
    assert_eq!(data.file_bytes(&bytes).len(), 0x20);
}

#[test]
fn header_refusals() {
    assert_eq!(check(&[0; 10]), Err(ElfError::TooShort { len: 10 }));
    let mut b = good();
    b[0] = 0;
    assert_eq!(check(&b), Err(ElfError::BadMagic));
    let mut b = good();
    b[4] = 1;
    assert_eq!(check(&b), Err(ElfError::NotElf64));
    let mut b = good();
    b[5] = 2;
    assert_eq!(check(&b), Err(ElfError::NotLittleEndian));
    let mut b = good();
    b[6] = 9;
    assert_eq!(check(&b), Err(ElfError::BadVersion));
    let mut b = good();
    b[16] = ET_DYN as u8;
    assert_eq!(check(&b), Err(ElfError::PositionIndependent));
    let mut b = good();
    b[16] = 1;
    assert_eq!(check(&b), Err(ElfError::NotExecutable { e_type: 1 }));
    let mut b = good();
    b[18] = 3;
    assert_eq!(check(&b), Err(ElfError::WrongMachine { machine: 3 }));
    let mut b = good();
    b[54] = 32;
    assert_eq!(check(&b), Err(ElfError::BadHeaderSize { size: 32 }));
    let mut b = good();
    b[56] = 200;
    assert_eq!(check(&b), Err(ElfError::TooManyHeaders { count: 200 }));
    let mut b = good();
    b[32] = 0xf0;
    b[33] = 0xff;
    assert!(matches!(check(&b), Err(ElfError::HeadersTruncated { .. })));
}

#[test]
fn segment_refusals() {
    let exec = PF_R | PF_X;
    let cases: &[(&[Spec], ElfError)] = &[
        (&[(PT_INTERP, PF_R, 0x40_0000, 4, 4), (PT_LOAD, exec, 0x40_0000, 16, 16)], ElfError::Dynamic),
        (&[(6, PF_R, 0x40_0000, 0, 0)], ElfError::NoLoadSegment),
        (&[(PT_LOAD, exec, 0x40_0000, 0x20, 0x10)], ElfError::FileSizeAboveMemSize { index: 0, file_size: 0x20, mem_size: 0x10 }),
        (&[(PT_LOAD, exec, u64::MAX - 4, 0, 0x10)], ElfError::AddressOverflow { index: 0 }),
        (&[(PT_LOAD, exec, 0xffff_ffff_8000_0000, 16, 16)], ElfError::OverlapsKernel { index: 0, start: 0xffff_ffff_8000_0000, end: 0xffff_ffff_8000_0010 }),
        (&[(PT_LOAD, exec, 0x7fff_ffff_0000, 16, 0x1_0000_0000)], ElfError::OverlapsKernel { index: 0, start: 0x7fff_ffff_0000, end: 0x8000_ffff_0000 }),
        (&[(PT_LOAD, exec, 0x1000, 16, 16)], ElfError::OutsideUserSpace { index: 0, start: 0x1000, end: 0x1010 }),
        (&[(PT_LOAD, exec, 0x7fff_ffff_f000, 16, 16)], ElfError::OutsideUserSpace { index: 0, start: 0x7fff_ffff_f000, end: 0x7fff_ffff_f010 }),
        (&[(PT_LOAD, exec, USER_STACK_TOP - 0x2000, 16, 16)], ElfError::OverlapsStack { index: 0, start: USER_STACK_TOP - 0x2000, end: USER_STACK_TOP - 0x1ff0 }),
        (&[(PT_LOAD, exec, 0x40_0000, 16, MAX_IMAGE_BYTES + 1)], ElfError::TooLarge { bytes: MAX_IMAGE_BYTES + 0x1000 }),
        (&[(PT_LOAD, exec, 0x40_0000, 16, 16), (PT_LOAD, PF_R, 0x40_0800, 16, 16)], ElfError::SegmentsOverlap { first: 0, second: 1, page: 0x40_0000 }),
        (&[(PT_LOAD, PF_R | PF_W | PF_X, 0x40_0000, 16, 16)], ElfError::WritableAndExecutable { index: 0 }),
        (&[(PT_LOAD, exec, 0x7f00_0000_0000, 16, 16)], ElfError::OverlapsWindows { index: 0, start: 0x7f00_0000_0000, end: 0x7f00_0000_0010 }),
    ];
    for (specs, expected) in cases {
        assert_eq!(check(&build(0x40_0000, specs)), Err(*expected), "{specs:x?}");
    }
    let many: std::vec::Vec<Spec> = (0..17).map(|i| (PT_LOAD, exec, 0x40_0000 + i * 0x1000, 1, 1)).collect();
    assert_eq!(check(&build(0x40_0000, &many)), Err(ElfError::TooManyLoadSegments { count: 17 }));
}

#[test]
fn entry_refusals() {
    let specs: &[Spec] = &[(PT_LOAD, PF_R | PF_X, 0x40_0000, 16, 16), (PT_LOAD, PF_R, 0x40_1000, 16, 16)];
    assert_eq!(check(&build(0x1000, specs)), Err(ElfError::EntryOutsideSegments { entry: 0x1000 }));
    assert_eq!(check(&build(0x40_0010, specs)), Err(ElfError::EntryOutsideSegments { entry: 0x40_0010 }));
    assert_eq!(check(&build(0x40_1004, specs)), Err(ElfError::EntryNotExecutable { entry: 0x40_1004, index: 1 }));
}

#[test]
fn every_truncation_is_refused_without_panic() {
    let bytes = good();
    for len in 0..bytes.len() {
        assert!(check(&bytes[..len]).is_err(), "length {len} accepted");
    }
    let mut b = good();
    let last = b.len() - 1;
    b.truncate(last);
    assert!(matches!(check(&b), Err(ElfError::SegmentTruncated { index: 1, .. })));
}

#[test]
fn mutations_never_panic() {
    let good = good();
    for i in 0..good.len() {
        let mut b = good.clone();
        b[i] ^= 0xff;
        let _ = check(&b);
    }
    let mut seed = 42u64;
    for _ in 0..20_000 {
        let mut b = good.clone();
        for _ in 0..3 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let i = (seed >> 33) as usize % b.len();
            b[i] = (seed >> 17) as u8;
        }
        if let Ok(image) = check(&b) {
            for s in &image.segments {
                let _ = s.file_bytes(&b);
            }
        }
    }
}

#[test]
fn messages_name_the_values() {
    let e = ElfError::OverlapsKernel { index: 2, start: 0xffff_ffff_8000_0000, end: 0xffff_ffff_8000_1000 };
    let text = std::format!("{e}");
    assert!(text.contains("segment 2") && text.contains("0xffffffff80000000") && text.contains("kernel"), "{text}");
}

#[test]
fn accepts_an_image_at_any_alignment() {
    // Files in the cpio boot archive are only 4-byte aligned.
    let image = good();
    let mut buffer = vec![0u8; image.len() + 8];
    for shift in 0..8 {
        buffer[shift..shift + image.len()].copy_from_slice(&image);
        assert!(check(&buffer[shift..shift + image.len()]).is_ok(), "shift {shift}");
    }
}
