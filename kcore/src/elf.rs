//! Checking an ELF executable before the kernel loads it.
//!
//! [`check`] reads the file with the `object` crate's low-level ELF types and enforces Exo's rules:
//! a static little-endian x86_64 `ET_EXEC`; at most 64 program headers and 16 non-empty `PT_LOAD`
//! segments; every segment's file bytes inside the file, its memory inside user space and clear of
//! the stack region and the kernel's read-only windows; no two segments sharing a page; no segment
//! both writable and executable; at most [`MAX_IMAGE_BYTES`] of pages in all; and an entry point
//! inside an executable segment. Segments are copied, so `p_align` is not checked.
//!
//! Invariants: malformed input never panics, and every refusal is an [`ElfError`] whose message
//! names the offending values (addresses, sizes and offsets in hex). Segment indices in messages
//! are program-header indices, as `readelf -l` shows them.
use abi::layout::{
    PAGE_SIZE, USER_END, USER_STACK_SIZE, USER_STACK_TOP, USER_START, WINDOWS_END, WINDOWS_START, overlaps_windows,
};
use alloc::vec::Vec;
use core::fmt;
use object::LittleEndian as LE;
use object::elf::{
    ELFCLASS64, ELFDATA2LSB, ELFMAG, EM_X86_64, ET_DYN, ET_EXEC, EV_CURRENT, FileHeader64, PF_W, PF_X, PT_DYNAMIC,
    PT_INTERP, PT_LOAD, ProgramHeader64,
};
use object::read::elf::{FileHeader, ProgramHeader};

/// The largest image (sum of page-rounded segment sizes) the kernel loads: 64 MiB.
pub const MAX_IMAGE_BYTES: u64 = 64 << 20;
/// The most program headers a file may have.
pub const MAX_PROGRAM_HEADERS: usize = 64;
/// The most non-empty `PT_LOAD` segments a file may have.
pub const MAX_LOAD_SEGMENTS: usize = 16;
/// The size of an ELF64 file header.
const HEADER_SIZE: usize = 64;
/// The size of an ELF64 program header.
const PROGRAM_HEADER_SIZE: u16 = 56;
/// The first non-canonical address: a segment reaching it runs into the hole and the kernel half.
const CANONICAL_HOLE: u64 = 0x0000_8000_0000_0000;
/// The initial stack and its guard page, `[start, end)`: no segment may touch it.
const STACK_REGION: (u64, u64) = (USER_STACK_TOP - USER_STACK_SIZE - PAGE_SIZE, USER_STACK_TOP);

/// An accepted executable: where to start and what to load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// The entry point, inside an executable segment.
    pub entry: u64,
    /// The non-empty `PT_LOAD` segments, in program-header order.
    pub segments: Vec<Segment>,
}

/// A loadable segment, checked against the file and the user address space.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// The virtual address of its first byte (`p_vaddr`).
    pub vaddr: u64,
    /// Its size in memory (`p_memsz`); the bytes past `file_size` are zero.
    pub mem_size: u64,
    /// Where its bytes start in the file (`p_offset`).
    pub file_offset: u64,
    /// How many bytes the file provides (`p_filesz`, at most `mem_size`).
    pub file_size: u64,
    /// Whether it is mapped writable (`PF_W`).
    pub writable: bool,
    /// Whether it is mapped executable (`PF_X`); never together with `writable`.
    pub executable: bool,
}

impl Segment {
    /// The bytes the file provides for this segment. Always `file_size` bytes once [`check`]
    /// accepted `elf`; empty if the range is not inside `elf`.
    pub fn file_bytes<'a>(&self, elf: &'a [u8]) -> &'a [u8] {
        let range = usize::try_from(self.file_offset)
            .ok()
            .zip(usize::try_from(self.file_size).ok())
            .and_then(|(start, size)| Some(start..start.checked_add(size)?));
        range.and_then(|range| elf.get(range)).unwrap_or(&[])
    }

    /// `(first page address, end page address)`: the page-aligned range the segment occupies in
    /// memory (the end rounded up). Meaningful once [`check`] accepted the segment.
    pub fn page_range(&self) -> (u64, u64) {
        let end = self.vaddr.saturating_add(self.mem_size);
        (page_down(self.vaddr), page_down(end.saturating_add(PAGE_SIZE - 1)))
    }
}

/// Why an executable was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    /// The file is shorter than an ELF64 header.
    TooShort { len: usize },
    /// The file does not start with `\x7fELF`.
    BadMagic { found: [u8; 4] },
    /// `EI_CLASS` is not `ELFCLASS64`.
    NotElf64 { class: u8 },
    /// `EI_DATA` is not `ELFDATA2LSB`.
    NotLittleEndian { data: u8 },
    /// `EI_VERSION` or `e_version` is not `EV_CURRENT` (1).
    BadVersion { version: u32 },
    /// `e_type` is `ET_DYN`: a position-independent executable or shared object.
    PositionIndependent,
    /// `e_type` is neither `ET_EXEC` nor `ET_DYN`.
    NotExecutable { e_type: u16 },
    /// `e_machine` is not `EM_X86_64`.
    WrongMachine { machine: u16 },
    /// `e_phentsize` is not the size of an ELF64 program header.
    BadHeaderSize { size: u16 },
    /// More than [`MAX_PROGRAM_HEADERS`] program headers.
    TooManyHeaders { count: usize },
    /// The program-header table does not fit in the file.
    HeadersTruncated { offset: u64, count: usize, len: usize },
    /// Program header `index` is `PT_INTERP` or `PT_DYNAMIC` (`kind`).
    Dynamic { index: usize, kind: u32 },
    /// No non-empty `PT_LOAD` segment.
    NoLoadSegment,
    /// More than [`MAX_LOAD_SEGMENTS`] non-empty `PT_LOAD` segments.
    TooManyLoadSegments { count: usize },
    /// A segment's `p_filesz` exceeds its `p_memsz`.
    FileSizeAboveMemSize { index: usize, file_size: u64, mem_size: u64 },
    /// A segment's file bytes run past the end of the file (or `p_offset + p_filesz` overflows).
    SegmentTruncated { index: usize, offset: u64, size: u64, len: usize },
    /// A segment's `p_vaddr + p_memsz` overflows.
    AddressOverflow { index: usize, vaddr: u64, mem_size: u64 },
    /// A segment reaches the non-canonical hole or the kernel half.
    OverlapsKernel { index: usize, start: u64, end: u64 },
    /// A segment lies (partly) below `USER_START` or at or above `USER_END`.
    OutsideUserSpace { index: usize, start: u64, end: u64 },
    /// A segment touches the initial stack or its guard page.
    OverlapsStack { index: usize, start: u64, end: u64 },
    /// A segment touches the kernel's read-only windows into user space.
    OverlapsWindows { index: usize, start: u64, end: u64 },
    /// The segments need more than [`MAX_IMAGE_BYTES`] of pages.
    TooLarge { bytes: u64 },
    /// Two segments share page `page`.
    SegmentsOverlap { first: usize, second: usize, page: u64 },
    /// A segment is both writable and executable (W^X).
    WritableAndExecutable { index: usize, start: u64, end: u64 },
    /// The entry point is outside every loadable segment.
    EntryOutsideSegments { entry: u64 },
    /// The entry point is inside segment `index`, which is not executable.
    EntryNotExecutable { entry: u64, index: usize },
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ElfError::*;
        match *self {
            TooShort { len } => {
                write!(f, "file of {len:#x} bytes is too short for an ELF64 header ({HEADER_SIZE:#x} bytes)")
            }
            BadMagic { found } => write!(f, "not an ELF file: magic {found:02x?}, expected {ELFMAG:02x?}"),
            NotElf64 { class } => write!(f, "not a 64-bit ELF file: class {class:#x}, expected {ELFCLASS64:#x}"),
            NotLittleEndian { data } => {
                write!(f, "not a little-endian ELF file: data encoding {data:#x}, expected {ELFDATA2LSB:#x}")
            }
            BadVersion { version } => write!(f, "unknown ELF version {version:#x}, expected {EV_CURRENT:#x}"),
            PositionIndependent => write!(f, "position-independent (ET_DYN) executables are not supported"),
            NotExecutable { e_type } => write!(f, "ELF type {e_type:#x} is not an executable (ET_EXEC = {ET_EXEC:#x})"),
            WrongMachine { machine } => {
                write!(f, "built for machine {machine:#x} ({machine}), not x86_64 ({EM_X86_64:#x})")
            }
            BadHeaderSize { size } => {
                write!(f, "program header entries of {size:#x} bytes, expected {PROGRAM_HEADER_SIZE:#x}")
            }
            TooManyHeaders { count } => write!(f, "{count} program headers, at most {MAX_PROGRAM_HEADERS}"),
            HeadersTruncated { offset, count, len } => write!(
                f,
                "{count} program headers at offset {offset:#x} run past the end of the {len:#x}-byte file (truncated?)"
            ),
            Dynamic { index, kind } => write!(
                f,
                "program header {index} is {} ({kind:#x}): dynamically linked executables are not supported",
                if kind == PT_INTERP { "PT_INTERP" } else { "PT_DYNAMIC" }
            ),
            NoLoadSegment => write!(f, "no non-empty loadable (PT_LOAD) segment"),
            TooManyLoadSegments { count } => write!(f, "{count} loadable segments, at most {MAX_LOAD_SEGMENTS}"),
            FileSizeAboveMemSize { index, file_size, mem_size } => {
                write!(f, "segment {index}: file size {file_size:#x} exceeds memory size {mem_size:#x}")
            }
            SegmentTruncated { index, offset, size, len } => write!(
                f,
                "segment {index}: file bytes at offset {offset:#x}, size {size:#x} run past the end of the \
                 {len:#x}-byte file (truncated?)"
            ),
            AddressOverflow { index, vaddr, mem_size } => {
                write!(f, "segment {index}: address {vaddr:#x} + memory size {mem_size:#x} overflows")
            }
            OverlapsKernel { index, start, end } => write!(
                f,
                "segment {index} at [{start:#x}, {end:#x}) overlaps the kernel (user space is \
                 [{USER_START:#x}, {USER_END:#x}))"
            ),
            OutsideUserSpace { index, start, end } => write!(
                f,
                "segment {index} at [{start:#x}, {end:#x}) lies outside user space [{USER_START:#x}, {USER_END:#x})"
            ),
            OverlapsStack { index, start, end } => write!(
                f,
                "segment {index} at [{start:#x}, {end:#x}) overlaps the stack region [{:#x}, {:#x})",
                STACK_REGION.0, STACK_REGION.1
            ),
            OverlapsWindows { index, start, end } => write!(
                f,
                "segment {index} at [{start:#x}, {end:#x}) overlaps the kernel's read-only windows \
                 [{WINDOWS_START:#x}, {WINDOWS_END:#x})"
            ),
            TooLarge { bytes } => {
                write!(f, "image of {bytes:#x} bytes of pages exceeds the {MAX_IMAGE_BYTES:#x}-byte limit")
            }
            SegmentsOverlap { first, second, page } => {
                write!(f, "segments {first} and {second} overlap: both use the page at {page:#x}")
            }
            WritableAndExecutable { index, start, end } => {
                write!(f, "segment {index} at [{start:#x}, {end:#x}) is both writable and executable (W^X)")
            }
            EntryOutsideSegments { entry } => write!(f, "entry point {entry:#x} is outside every loadable segment"),
            EntryNotExecutable { entry, index } => {
                write!(f, "entry point {entry:#x} is in segment {index}, which is not executable")
            }
        }
    }
}

/// Checks `bytes` as an Exo executable and returns what to load.
pub fn check(bytes: &[u8]) -> Result<Image, ElfError> {
    let header = check_header(bytes)?;
    let headers = program_headers(header, bytes)?;
    if let Some((index, ph)) =
        headers.iter().enumerate().find(|(_, ph)| matches!(ph.p_type(LE), PT_INTERP | PT_DYNAMIC))
    {
        return Err(ElfError::Dynamic { index, kind: ph.p_type(LE) });
    }
    let mut segments: Vec<(usize, Segment)> = Vec::new();
    for (index, ph) in headers.iter().enumerate() {
        if ph.p_type(LE) == PT_LOAD && ph.p_memsz(LE) != 0 {
            segments.push((index, check_segment(index, ph, bytes.len())?));
        }
    }
    match segments.len() {
        0 => return Err(ElfError::NoLoadSegment),
        count if count > MAX_LOAD_SEGMENTS => return Err(ElfError::TooManyLoadSegments { count }),
        _ => {}
    }
    check_total_size(&segments)?;
    check_overlaps(&segments)?;
    let entry = header.e_entry(LE);
    check_entry(entry, &segments)?;
    Ok(Image { entry, segments: segments.into_iter().map(|(_, segment)| segment).collect() })
}

/// Checks the file header: identification, type, machine.
fn check_header(bytes: &[u8]) -> Result<&FileHeader64<LE>, ElfError> {
    let (header, _) =
        object::pod::from_bytes::<FileHeader64<LE>>(bytes).map_err(|_| ElfError::TooShort { len: bytes.len() })?;
    let ident = &header.e_ident;
    if ident.magic != ELFMAG {
        return Err(ElfError::BadMagic { found: ident.magic });
    }
    if ident.class != ELFCLASS64 {
        return Err(ElfError::NotElf64 { class: ident.class });
    }
    if ident.data != ELFDATA2LSB {
        return Err(ElfError::NotLittleEndian { data: ident.data });
    }
    for version in [u32::from(ident.version), header.e_version(LE)] {
        if version != u32::from(EV_CURRENT) {
            return Err(ElfError::BadVersion { version });
        }
    }
    match header.e_type(LE) {
        ET_EXEC => {}
        ET_DYN => return Err(ElfError::PositionIndependent),
        e_type => return Err(ElfError::NotExecutable { e_type }),
    }
    match header.e_machine(LE) {
        EM_X86_64 => Ok(header),
        machine => Err(ElfError::WrongMachine { machine }),
    }
}

/// The program-header table, checked to lie inside the file.
fn program_headers<'a>(header: &FileHeader64<LE>, bytes: &'a [u8]) -> Result<&'a [ProgramHeader64<LE>], ElfError> {
    // `e_phnum` itself, not `object`'s reading of it: 0xffff (PN_XNUM) is refused as too many.
    let count = usize::from(header.e_phnum.get(LE));
    if count > 0 && header.e_phentsize(LE) != PROGRAM_HEADER_SIZE {
        return Err(ElfError::BadHeaderSize { size: header.e_phentsize(LE) });
    }
    if count > MAX_PROGRAM_HEADERS {
        return Err(ElfError::TooManyHeaders { count });
    }
    let offset = header.e_phoff(LE);
    let table_size = u64::from(PROGRAM_HEADER_SIZE) * count as u64;
    let truncated = ElfError::HeadersTruncated { offset, count, len: bytes.len() };
    if offset.checked_add(table_size).is_none_or(|end| end > bytes.len() as u64) {
        return Err(truncated);
    }
    header.program_headers(LE, bytes).map_err(|_| truncated)
}

/// Checks one non-empty `PT_LOAD` header against the file and the address space.
fn check_segment(index: usize, ph: &ProgramHeader64<LE>, len: usize) -> Result<Segment, ElfError> {
    let segment = Segment {
        vaddr: ph.p_vaddr(LE),
        mem_size: ph.p_memsz(LE),
        file_offset: ph.p_offset(LE),
        file_size: ph.p_filesz(LE),
        writable: ph.p_flags(LE) & PF_W != 0,
        executable: ph.p_flags(LE) & PF_X != 0,
    };
    let Segment { vaddr: start, mem_size, file_offset, file_size, .. } = segment;
    if file_size > mem_size {
        return Err(ElfError::FileSizeAboveMemSize { index, file_size, mem_size });
    }
    if file_offset.checked_add(file_size).is_none_or(|end| end > len as u64) {
        return Err(ElfError::SegmentTruncated { index, offset: file_offset, size: file_size, len });
    }
    let end = start.checked_add(mem_size).ok_or(ElfError::AddressOverflow { index, vaddr: start, mem_size })?;
    check_placement(index, start, end)?;
    if segment.writable && segment.executable {
        return Err(ElfError::WritableAndExecutable { index, start, end });
    }
    Ok(segment)
}

/// Checks that `[start, end)` is user memory a program image may occupy.
fn check_placement(index: usize, start: u64, end: u64) -> Result<(), ElfError> {
    if end > CANONICAL_HOLE {
        return Err(ElfError::OverlapsKernel { index, start, end });
    }
    if start < USER_START || end > USER_END {
        return Err(ElfError::OutsideUserSpace { index, start, end });
    }
    if start < STACK_REGION.1 && STACK_REGION.0 < end {
        return Err(ElfError::OverlapsStack { index, start, end });
    }
    if overlaps_windows(start, end - start) {
        return Err(ElfError::OverlapsWindows { index, start, end });
    }
    Ok(())
}

/// Checks the sum of the segments' page-rounded sizes. Each lies in user space, so none overflows.
fn check_total_size(segments: &[(usize, Segment)]) -> Result<(), ElfError> {
    let bytes = segments.iter().map(|(_, s)| s.page_range()).map(|(first, end)| end - first).sum();
    if bytes > MAX_IMAGE_BYTES {
        return Err(ElfError::TooLarge { bytes });
    }
    Ok(())
}

/// Checks that no two segments share a page (the loader maps each page once).
fn check_overlaps(segments: &[(usize, Segment)]) -> Result<(), ElfError> {
    for (i, (a_index, a)) in segments.iter().enumerate() {
        let (a_first, a_end) = a.page_range();
        for (b_index, b) in &segments[i + 1..] {
            let (b_first, b_end) = b.page_range();
            if a_first < b_end && b_first < a_end {
                let (first, second) = (*a_index.min(b_index), *a_index.max(b_index));
                return Err(ElfError::SegmentsOverlap { first, second, page: a_first.max(b_first) });
            }
        }
    }
    Ok(())
}

/// Checks that the entry point is inside an executable segment.
fn check_entry(entry: u64, segments: &[(usize, Segment)]) -> Result<(), ElfError> {
    let (index, segment) = segments
        .iter()
        .find(|(_, s)| s.vaddr <= entry && entry - s.vaddr < s.mem_size)
        .ok_or(ElfError::EntryOutsideSegments { entry })?;
    if !segment.executable {
        return Err(ElfError::EntryNotExecutable { entry, index: *index });
    }
    Ok(())
}

/// `address` rounded down to a page boundary.
fn page_down(address: u64) -> u64 {
    address & !(PAGE_SIZE - 1)
}

#[cfg(test)]
mod tests;
