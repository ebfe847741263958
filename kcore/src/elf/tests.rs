//! Unit tests for `elf::check`, on images built in memory: one accepted image, one test per
//! refusal, every truncation, and deterministic byte-flipping "fuzzing" (no panic on any input).
use super::*;
extern crate std;
use std::format;
use std::vec;

const PF_R: u32 = 4;
const EXEC: u32 = PF_R | PF_X;
const DATA: u32 = PF_R | PF_W;

/// One program header: (p_type, flags, vaddr, file_size, mem_size). Each segment's file bytes are
/// placed after the headers, in order.
type Spec = (u32, u32, u64, u64, u64);

/// Writes an ELF64 header, the program headers of `specs` and their payloads.
fn build(entry: u64, specs: &[Spec]) -> Vec<u8> {
    let phoff = 64u64;
    let mut data_offset = (phoff + 56 * specs.len() as u64).next_multiple_of(16);
    let mut out = vec![0u8; data_offset as usize];
    out[..4].copy_from_slice(b"\x7fELF");
    out[4..7].copy_from_slice(&[2, 1, 1]);
    put(&mut out, 16, &ET_EXEC.to_le_bytes());
    put(&mut out, 18, &EM_X86_64.to_le_bytes());
    put(&mut out, 20, &1u32.to_le_bytes());
    put(&mut out, 24, &entry.to_le_bytes());
    put(&mut out, 32, &phoff.to_le_bytes());
    put(&mut out, 52, &64u16.to_le_bytes());
    put(&mut out, 54, &56u16.to_le_bytes());
    put(&mut out, 56, &(specs.len() as u16).to_le_bytes());
    for (i, &(p_type, flags, vaddr, file_size, mem_size)) in specs.iter().enumerate() {
        let ph = 64 + 56 * i;
        put(&mut out, ph, &p_type.to_le_bytes());
        put(&mut out, ph + 4, &flags.to_le_bytes());
        for (field, value) in
            [(8, data_offset), (16, vaddr), (24, vaddr), (32, file_size), (40, mem_size), (48, 0x1000)]
        {
            put(&mut out, ph + field, &value.to_le_bytes());
        }
        out.extend((0..file_size).map(|b| b as u8));
        data_offset += file_size;
    }
    out
}

fn put(out: &mut [u8], at: usize, bytes: &[u8]) {
    out[at..at + bytes.len()].copy_from_slice(bytes);
}

/// Text at 0x40_0000 (entry 0x40_0010), data plus bss at 0x40_1000.
fn good() -> Vec<u8> {
    build(0x40_0010, &[(PT_LOAD, EXEC, 0x40_0000, 0x100, 0x100), (PT_LOAD, DATA, 0x40_1000, 0x20, 0x3000)])
}

/// The result of checking a one-header image with the entry at its segment's start.
fn check_one(spec: Spec) -> Result<Image, ElfError> {
    check(&build(spec.2, &[spec]))
}

/// `good()` with `bytes` written at `at`.
fn patched(at: usize, bytes: &[u8]) -> Vec<u8> {
    let mut b = good();
    put(&mut b, at, bytes);
    b
}

#[test]
fn accepts_a_good_image() {
    let bytes = good();
    let image = check(&bytes).unwrap();
    assert_eq!(image.entry, 0x40_0010);
    let text = Segment {
        vaddr: 0x40_0000,
        mem_size: 0x100,
        file_offset: 0xb0,
        file_size: 0x100,
        writable: false,
        executable: true,
    };
    let data = Segment {
        vaddr: 0x40_1000,
        mem_size: 0x3000,
        file_offset: 0x1b0,
        file_size: 0x20,
        writable: true,
        executable: false,
    };
    assert_eq!(image.segments, [text, data.clone()]);
    assert_eq!(image.segments[0].page_range(), (0x40_0000, 0x40_1000));
    assert_eq!(data.page_range(), (0x40_1000, 0x40_4000));
    assert_eq!(data.file_bytes(&bytes), &bytes[0x1b0..0x1d0]);
}

#[test]
fn skips_empty_load_segments_and_other_types() {
    let specs = [(PT_LOAD, DATA, 0x40_0000, 0, 0), (4, PF_R, 0, 0, 0), (PT_LOAD, EXEC, 0x50_0000, 16, 16)];
    let image = check(&build(0x50_0000, &specs)).unwrap();
    assert_eq!(image.segments.len(), 1);
    assert_eq!(image.segments[0].vaddr, 0x50_0000);
}

#[test]
fn refuses_short_files() {
    assert_eq!(check(&[]), Err(ElfError::TooShort { len: 0 }));
    assert_eq!(check(&good()[..63]), Err(ElfError::TooShort { len: 63 }));
}

#[test]
fn refuses_bad_magic() {
    assert_eq!(check(&patched(0, b"MZ")), Err(ElfError::BadMagic { found: *b"MZLF" }));
}

#[test]
fn refuses_32_bit_files() {
    assert_eq!(check(&patched(4, &[1])), Err(ElfError::NotElf64 { class: 1 }));
}

#[test]
fn refuses_big_endian_files() {
    assert_eq!(check(&patched(5, &[2])), Err(ElfError::NotLittleEndian { data: 2 }));
}

#[test]
fn refuses_unknown_versions() {
    assert_eq!(check(&patched(6, &[9])), Err(ElfError::BadVersion { version: 9 }));
    assert_eq!(check(&patched(20, &[0])), Err(ElfError::BadVersion { version: 0 }));
}

#[test]
fn refuses_position_independent_executables() {
    let error = check(&patched(16, &ET_DYN.to_le_bytes())).unwrap_err();
    assert_eq!(error, ElfError::PositionIndependent);
    assert_eq!(format!("{error}"), "position-independent (ET_DYN) executables are not supported");
}

#[test]
fn refuses_other_file_types() {
    assert_eq!(check(&patched(16, &[1])), Err(ElfError::NotExecutable { e_type: 1 }));
}

#[test]
fn refuses_other_machines() {
    let error = check(&patched(18, &183u16.to_le_bytes())).unwrap_err();
    assert_eq!(error, ElfError::WrongMachine { machine: 183 });
    assert!(format!("{error}").contains("machine 0xb7 (183)"), "{error}");
}

#[test]
fn refuses_a_wrong_program_header_size() {
    assert_eq!(check(&patched(54, &[32])), Err(ElfError::BadHeaderSize { size: 32 }));
}

#[test]
fn refuses_a_truncated_program_header_table() {
    let len = good().len();
    let error = ElfError::HeadersTruncated { offset: 0xfff0, count: 2, len };
    assert_eq!(check(&patched(32, &0xfff0u64.to_le_bytes())), Err(error));
    let overflowing = ElfError::HeadersTruncated { offset: u64::MAX - 8, count: 2, len };
    assert_eq!(check(&patched(32, &(u64::MAX - 8).to_le_bytes())), Err(overflowing));
}

#[test]
fn refuses_too_many_program_headers() {
    assert_eq!(check(&patched(56, &[65])), Err(ElfError::TooManyHeaders { count: 65 }));
    assert_eq!(check(&patched(56, &[0xff, 0xff])), Err(ElfError::TooManyHeaders { count: 0xffff }));
}

#[test]
fn refuses_dynamic_linking() {
    let load = (PT_LOAD, EXEC, 0x40_0000, 16, 16);
    let interp = (PT_INTERP, PF_R, 0x40_0000, 4, 4);
    assert_eq!(check(&build(0x40_0000, &[interp, load])), Err(ElfError::Dynamic { index: 0, kind: PT_INTERP }));
    let dynamic = (PT_DYNAMIC, PF_R, 0x40_0000, 4, 4);
    assert_eq!(check(&build(0x40_0000, &[load, dynamic])), Err(ElfError::Dynamic { index: 1, kind: PT_DYNAMIC }));
}

#[test]
fn refuses_an_image_without_load_segments() {
    assert_eq!(check(&build(0x40_0000, &[(6, PF_R, 0x40_0000, 0, 0)])), Err(ElfError::NoLoadSegment));
    assert_eq!(check(&build(0x40_0000, &[])), Err(ElfError::NoLoadSegment));
}

#[test]
fn refuses_too_many_load_segments() {
    let many: Vec<Spec> = (0..17).map(|i| (PT_LOAD, EXEC, 0x40_0000 + i * 0x1000, 1, 1)).collect();
    assert_eq!(check(&build(0x40_0000, &many)), Err(ElfError::TooManyLoadSegments { count: 17 }));
    assert!(check(&build(0x40_0000, &many[..16])).is_ok());
}

#[test]
fn refuses_file_size_above_memory_size() {
    let error = ElfError::FileSizeAboveMemSize { index: 0, file_size: 0x20, mem_size: 0x10 };
    assert_eq!(check_one((PT_LOAD, EXEC, 0x40_0000, 0x20, 0x10)), Err(error));
}

#[test]
fn refuses_segments_past_the_end_of_the_file() {
    let mut b = good();
    b.pop();
    let error = ElfError::SegmentTruncated { index: 1, offset: 0x1b0, size: 0x20, len: 0x1cf };
    assert_eq!(check(&b), Err(error));
    let b = patched(64 + 56 + 8, &(u64::MAX - 4).to_le_bytes());
    let overflowing = ElfError::SegmentTruncated { index: 1, offset: u64::MAX - 4, size: 0x20, len: 0x1d0 };
    assert_eq!(check(&b), Err(overflowing));
}

#[test]
fn refuses_address_overflow() {
    let error = ElfError::AddressOverflow { index: 0, vaddr: u64::MAX - 4, mem_size: 0x10 };
    assert_eq!(check_one((PT_LOAD, EXEC, u64::MAX - 4, 0, 0x10)), Err(error));
}

#[test]
fn refuses_segments_in_the_kernel_half() {
    let start = 0xffff_ffff_8000_0000;
    let error = check_one((PT_LOAD, EXEC, start, 16, 0x1000)).unwrap_err();
    assert_eq!(error, ElfError::OverlapsKernel { index: 0, start, end: 0xffff_ffff_8000_1000 });
    let text = format!("{error}");
    assert!(text.starts_with("segment 0 at [0xffffffff80000000, 0xffffffff80001000) overlaps the kernel"), "{text}");
    let start = 0xffff_8000_0000_0000;
    assert_eq!(
        check_one((PT_LOAD, EXEC, start, 16, 16)),
        Err(ElfError::OverlapsKernel { index: 0, start, end: start + 16 })
    );
}

#[test]
fn refuses_segments_crossing_the_canonical_hole() {
    let (start, end) = (0x7fff_ffff_0000, 0x8000_ffff_0000);
    assert_eq!(
        check_one((PT_LOAD, EXEC, start, 16, end - start)),
        Err(ElfError::OverlapsKernel { index: 0, start, end })
    );
}

#[test]
fn refuses_segments_outside_user_space() {
    let low = ElfError::OutsideUserSpace { index: 0, start: 0x1000, end: 0x1010 };
    assert_eq!(check_one((PT_LOAD, EXEC, 0x1000, 16, 16)), Err(low));
    let (start, end) = (USER_END, USER_END + 16);
    assert_eq!(check_one((PT_LOAD, EXEC, start, 16, 16)), Err(ElfError::OutsideUserSpace { index: 0, start, end }));
}

#[test]
fn refuses_segments_over_the_stack() {
    let start = USER_STACK_TOP - 0x2000;
    let error = ElfError::OverlapsStack { index: 0, start, end: start + 16 };
    assert_eq!(check_one((PT_LOAD, EXEC, start, 16, 16)), Err(error));
    let guard = USER_STACK_TOP - USER_STACK_SIZE - PAGE_SIZE;
    assert!(matches!(check_one((PT_LOAD, EXEC, guard, 16, 16)), Err(ElfError::OverlapsStack { .. })));
    assert!(check_one((PT_LOAD, EXEC, guard - PAGE_SIZE, 16, PAGE_SIZE)).is_ok(), "just below the guard page");
}

#[test]
fn refuses_segments_over_the_windows() {
    let start = 0x7f00_0000_0000;
    let error = ElfError::OverlapsWindows { index: 0, start, end: start + 16 };
    assert_eq!(check_one((PT_LOAD, EXEC, start, 16, 16)), Err(error));
}

#[test]
fn refuses_absurd_sizes() {
    let error = ElfError::TooLarge { bytes: MAX_IMAGE_BYTES + 0x1000 };
    assert_eq!(check_one((PT_LOAD, EXEC, 0x40_0000, 16, MAX_IMAGE_BYTES + 1)), Err(error));
    assert!(check_one((PT_LOAD, EXEC, 0x40_0000, 16, MAX_IMAGE_BYTES)).is_ok());
    let halves = [(PT_LOAD, EXEC, 0x40_0000, 16, 32 << 20), (PT_LOAD, DATA, 0x1000_0000, 0, (32 << 20) + 1)];
    assert_eq!(check(&build(0x40_0000, &halves)), Err(error));
}

#[test]
fn refuses_segments_sharing_a_page() {
    let specs = [(PT_LOAD, EXEC, 0x40_0000, 16, 0x1010), (PT_LOAD, PF_R, 0x40_1800, 16, 16)];
    let error = check(&build(0x40_0000, &specs)).unwrap_err();
    assert_eq!(error, ElfError::SegmentsOverlap { first: 0, second: 1, page: 0x40_1000 });
    assert_eq!(format!("{error}"), "segments 0 and 1 overlap: both use the page at 0x401000");
    let reversed = [specs[1], specs[0]];
    let error = ElfError::SegmentsOverlap { first: 0, second: 1, page: 0x40_1000 };
    assert_eq!(check(&build(0x40_0000, &reversed)), Err(error));
}

#[test]
fn refuses_writable_and_executable_segments() {
    let error = ElfError::WritableAndExecutable { index: 0, start: 0x40_0000, end: 0x40_0010 };
    assert_eq!(check_one((PT_LOAD, PF_R | PF_W | PF_X, 0x40_0000, 16, 16)), Err(error));
}

#[test]
fn refuses_an_entry_outside_the_segments() {
    let specs = [(PT_LOAD, EXEC, 0x40_0000, 16, 16), (PT_LOAD, PF_R, 0x40_1000, 16, 16)];
    assert_eq!(check(&build(0x1000, &specs)), Err(ElfError::EntryOutsideSegments { entry: 0x1000 }));
    assert_eq!(check(&build(0x40_0010, &specs)), Err(ElfError::EntryOutsideSegments { entry: 0x40_0010 }));
}

#[test]
fn refuses_an_entry_in_a_non_executable_segment() {
    let specs = [(PT_LOAD, EXEC, 0x40_0000, 16, 16), (PT_LOAD, PF_R, 0x40_1000, 16, 16)];
    assert_eq!(check(&build(0x40_1004, &specs)), Err(ElfError::EntryNotExecutable { entry: 0x40_1004, index: 1 }));
}

#[test]
fn every_truncation_is_refused_without_panic() {
    let bytes = good();
    for len in 0..bytes.len() {
        assert!(check(&bytes[..len]).is_err(), "length {len} accepted");
    }
}

#[test]
fn mutations_never_panic() {
    let good = good();
    for i in 0..good.len() {
        let mut b = good.clone();
        b[i] ^= 0xff;
        exercise(&b);
    }
    let mut random = crate::test_random::Random(42);
    for _ in 0..20_000 {
        let mut b = good.clone();
        for _ in 0..3 {
            let seed = random.step();
            let i = (seed >> 33) as usize % b.len();
            b[i] = (seed >> 17) as u8;
        }
        exercise(&b);
    }
}

/// Checks `bytes` and, if accepted, uses the result as the loader would.
fn exercise(bytes: &[u8]) {
    match check(bytes) {
        Ok(image) => {
            for s in &image.segments {
                assert_eq!(s.file_bytes(bytes).len() as u64, s.file_size);
                let (first, end) = s.page_range();
                assert!(first <= s.vaddr && s.vaddr + s.mem_size <= end);
            }
        }
        Err(error) => drop(format!("{error}")),
    }
}

#[test]
fn helpers_never_panic_on_unchecked_segments() {
    let wild = Segment {
        vaddr: u64::MAX - 1,
        mem_size: u64::MAX,
        file_offset: u64::MAX,
        file_size: 2,
        writable: false,
        executable: false,
    };
    assert_eq!(wild.file_bytes(&[1, 2, 3]), &[] as &[u8]);
    let _ = wild.page_range();
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
