//! Checking an ELF executable before the kernel loads it.
//!
//! [`check`] parses with the `object` crate's ELF reader and enforces Exo's rules: a static
//! little-endian x86_64 `ET_EXEC`, every `PT_LOAD` segment inside user space and clear of the stack
//! region, no two segments sharing a page, no writable-and-executable segment, a sane total size,
//! and an entry point inside an executable segment. Every violation is an [`ElfError`] whose message
//! names the values involved; malformed input never panics.
use abi::layout::{overlaps_windows, PAGE_SIZE, USER_END, USER_STACK_SIZE, USER_STACK_TOP, USER_START, WINDOWS_END, WINDOWS_START};
use alloc::vec::Vec;
use core::fmt;
use object::elf::{FileHeader64, ProgramHeader64, EM_X86_64, ET_DYN, ET_EXEC, PF_W, PF_X, PT_DYNAMIC, PT_INTERP, PT_LOAD};
use object::read::elf::{FileHeader, ProgramHeader};
use object::LittleEndian as LE;

/// The largest image (sum of page-rounded segment sizes) the kernel loads.
pub const MAX_IMAGE_BYTES: u64 = 64 << 20;
const MAX_PROGRAM_HEADERS: usize = 64;
const MAX_LOAD_SEGMENTS: usize = 16;
/// The first non-canonical address: anything reaching it runs into the hole and the kernel half.
const CANONICAL_HOLE: u64 = 0x0000_8000_0000_0000;
const STACK_REGION: (u64, u64) = (USER_STACK_TOP - USER_STACK_SIZE - PAGE_SIZE, USER_STACK_TOP);

/// A loadable segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub vaddr: u64,
    pub mem_size: u64,
    pub file_offset: u64,
    pub file_size: u64,
    pub writable: bool,
    pub executable: bool,
}

impl Segment {
    /// The bytes the file provides for this segment (valid once `check` accepted the image).
    pub fn file_bytes<'a>(&self, elf: &'a [u8]) -> &'a [u8] {
        let start = self.file_offset as usize;
        elf.get(start..start + self.file_size as usize).unwrap_or(&[])
    }

    /// `[first page, end page)` covered by the segment in memory.
    pub fn page_range(&self) -> (u64, u64) {
        (self.vaddr & !(PAGE_SIZE - 1), (self.vaddr + self.mem_size).next_multiple_of(PAGE_SIZE))
    }
}

/// An accepted executable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    pub entry: u64,
    pub segments: Vec<Segment>,
}

/// Why an executable was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    TooShort { len: usize },
    BadMagic,
    NotElf64,
    NotLittleEndian,
    BadVersion,
    PositionIndependent,
    NotExecutable { e_type: u16 },
    WrongMachine { machine: u16 },
    BadHeaderSize { size: u16 },
    TooManyHeaders { count: usize },
    HeadersTruncated { offset: u64, count: usize, len: usize },
    Dynamic,
    NoLoadSegment,
    TooManyLoadSegments { count: usize },
    FileSizeAboveMemSize { index: usize, file_size: u64, mem_size: u64 },
    SegmentTruncated { index: usize, offset: u64, size: u64, len: usize },
    AddressOverflow { index: usize },
    OverlapsKernel { index: usize, start: u64, end: u64 },
    OutsideUserSpace { index: usize, start: u64, end: u64 },
    OverlapsStack { index: usize, start: u64, end: u64 },
    OverlapsWindows { index: usize, start: u64, end: u64 },
    TooLarge { bytes: u64 },
    SegmentsOverlap { first: usize, second: usize, page: u64 },
    WritableAndExecutable { index: usize },
    EntryOutsideSegments { entry: u64 },
    EntryNotExecutable { entry: u64, index: usize },
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ElfError::*;
        match *self {
            TooShort { len } => write!(f, "file of {len} bytes is too short for an ELF header (64 bytes)"),
            BadMagic => write!(f, "not an ELF file (bad magic)"),
            NotElf64 => write!(f, "not a 64-bit ELF file"),
            NotLittleEndian => write!(f, "not a little-endian ELF file"),
            BadVersion => write!(f, "unknown ELF version"),
            PositionIndependent => write!(f, "position-independent (ET_DYN) executables are not supported"),
            NotExecutable { e_type } => write!(f, "ELF type {e_type} is not an executable (ET_EXEC)"),
            WrongMachine { machine } => write!(f, "built for machine {machine}, not x86_64 (62)"),
            BadHeaderSize { size } => write!(f, "program header entries of {size} bytes (expected 56)"),
            TooManyHeaders { count } => write!(f, "{count} program headers (at most {MAX_PROGRAM_HEADERS})"),
            HeadersTruncated { offset, count, len } => {
                write!(f, "{count} program headers at {offset:#x} run past the end of the {len}-byte file (truncated?)")
            }
            Dynamic => write!(f, "dynamically linked executables (PT_INTERP/PT_DYNAMIC) are not supported"),
            NoLoadSegment => write!(f, "no loadable (PT_LOAD) segment"),
            TooManyLoadSegments { count } => write!(f, "{count} loadable segments (at most {MAX_LOAD_SEGMENTS})"),
            FileSizeAboveMemSize { index, file_size, mem_size } => {
                write!(f, "segment {index}: file size {file_size:#x} exceeds memory size {mem_size:#x}")
            }
            SegmentTruncated { index, offset, size, len } => write!(
                f, "segment {index}: file bytes [{offset:#x}, +{size:#x}) run past the end of the {len}-byte file (truncated?)"
            ),
            AddressOverflow { index } => write!(f, "segment {index}: address + size overflows"),
            OverlapsKernel { index, start, end } => write!(
                f, "segment {index} at [{start:#x}, {end:#x}) overlaps the kernel (user space is [{USER_START:#x}, {USER_END:#x}))"
            ),
            OutsideUserSpace { index, start, end } => write!(
                f, "segment {index} at [{start:#x}, {end:#x}) lies outside user space [{USER_START:#x}, {USER_END:#x})"
            ),
            OverlapsStack { index, start, end } => write!(
                f, "segment {index} at [{start:#x}, {end:#x}) overlaps the stack region [{:#x}, {:#x})",
                STACK_REGION.0, STACK_REGION.1
            ),
            OverlapsWindows { index, start, end } => write!(
                f, "segment {index} at [{start:#x}, {end:#x}) overlaps the kernel's read-only windows [{WINDOWS_START:#x}, {WINDOWS_END:#x})"
            ),
            TooLarge { bytes } => write!(f, "image of {bytes:#x} bytes exceeds the {MAX_IMAGE_BYTES:#x}-byte limit"),
            SegmentsOverlap { first, second, page } => write!(f, "segments {first} and {second} overlap (both use page {page:#x})"),
            WritableAndExecutable { index } => write!(f, "segment {index} is both writable and executable (W^X)"),
            EntryOutsideSegments { entry } => write!(f, "entry point {entry:#x} is outside every loadable segment"),
            EntryNotExecutable { entry, index } => write!(f, "entry point {entry:#x} is in non-executable segment {index}"),
        }
    }
}

/// Checks `bytes` as an Exo executable and returns what to load.
pub fn check(bytes: &[u8]) -> Result<Image, ElfError> {
    let header = check_header(bytes)?;
    let headers = program_headers(header, bytes)?;
    if headers.iter().any(|ph| matches!(ph.p_type(LE), PT_INTERP | PT_DYNAMIC)) {
        return Err(ElfError::Dynamic);
    }
    // Segment indices in messages are program-header indices, as `readelf -l` shows them.
    let mut segments: Vec<(usize, Segment)> = Vec::new();
    for (index, ph) in headers.iter().enumerate().filter(|(_, ph)| ph.p_type(LE) == PT_LOAD) {
        if ph.p_memsz(LE) != 0 {
            segments.push((index, check_segment(index, ph, bytes.len())?));
        }
    }
    match segments.len() {
        0 => return Err(ElfError::NoLoadSegment),
        n if n > MAX_LOAD_SEGMENTS => return Err(ElfError::TooManyLoadSegments { count: n }),
        _ => {}
    }
    check_layout(&segments)?;
    let entry = header.e_entry(LE);
    check_entry(entry, &segments)?;
    Ok(Image { entry, segments: segments.into_iter().map(|(_, s)| s).collect() })
}

fn check_header(bytes: &[u8]) -> Result<&FileHeader64<LE>, ElfError> {
    if bytes.len() < 64 {
        return Err(ElfError::TooShort { len: bytes.len() });
    }
    if &bytes[..4] != b"\x7fELF" {
        return Err(ElfError::BadMagic);
    }
    match (bytes[4], bytes[5], bytes[6]) {
        (2, _, _) if bytes[5] != 1 => return Err(ElfError::NotLittleEndian),
        (2, 1, 1) => {}
        (2, 1, _) => return Err(ElfError::BadVersion),
        _ => return Err(ElfError::NotElf64),
    }
    let header = FileHeader64::<LE>::parse(bytes).map_err(|_| ElfError::BadMagic)?;
    match header.e_type(LE) {
        ET_EXEC => {}
        ET_DYN => return Err(ElfError::PositionIndependent),
        e_type => return Err(ElfError::NotExecutable { e_type }),
    }
    if header.e_machine(LE) != EM_X86_64 {
        return Err(ElfError::WrongMachine { machine: header.e_machine(LE) });
    }
    Ok(header)
}

fn program_headers<'a>(header: &FileHeader64<LE>, bytes: &'a [u8]) -> Result<&'a [ProgramHeader64<LE>], ElfError> {
    let count = usize::from(header.e_phnum.get(LE));
    if count > MAX_PROGRAM_HEADERS {
        return Err(ElfError::TooManyHeaders { count });
    }
    if count > 0 && header.e_phentsize(LE) != 56 {
        return Err(ElfError::BadHeaderSize { size: header.e_phentsize(LE) });
    }
    let offset = header.e_phoff(LE);
    let fits = offset.checked_add(56 * count as u64).is_some_and(|end| end <= bytes.len() as u64);
    let truncated = ElfError::HeadersTruncated { offset, count, len: bytes.len() };
    if !fits {
        return Err(truncated);
    }
    header.program_headers(LE, bytes).map_err(|_| truncated)
}

fn check_segment(index: usize, ph: &ProgramHeader64<LE>, len: usize) -> Result<Segment, ElfError> {
    let s = Segment {
        vaddr: ph.p_vaddr(LE),
        mem_size: ph.p_memsz(LE),
        file_offset: ph.p_offset(LE),
        file_size: ph.p_filesz(LE),
        writable: ph.p_flags(LE) & PF_W != 0,
        executable: ph.p_flags(LE) & PF_X != 0,
    };
    if s.file_size > s.mem_size {
        return Err(ElfError::FileSizeAboveMemSize { index, file_size: s.file_size, mem_size: s.mem_size });
    }
    if s.file_offset.checked_add(s.file_size).is_none_or(|end| end > len as u64) {
        return Err(ElfError::SegmentTruncated { index, offset: s.file_offset, size: s.file_size, len });
    }
    let end = s.vaddr.checked_add(s.mem_size).ok_or(ElfError::AddressOverflow { index })?;
    if end > CANONICAL_HOLE {
        return Err(ElfError::OverlapsKernel { index, start: s.vaddr, end });
    }
    if s.vaddr < USER_START || end > USER_END {
        return Err(ElfError::OutsideUserSpace { index, start: s.vaddr, end });
    }
    if s.vaddr < STACK_REGION.1 && STACK_REGION.0 < end {
        return Err(ElfError::OverlapsStack { index, start: s.vaddr, end });
    }
    if overlaps_windows(s.vaddr, s.mem_size) {
        return Err(ElfError::OverlapsWindows { index, start: s.vaddr, end });
    }
    if s.writable && s.executable {
        return Err(ElfError::WritableAndExecutable { index });
    }
    Ok(s)
}

fn check_layout(segments: &[(usize, Segment)]) -> Result<(), ElfError> {
    let mut total = 0u64;
    for (i, (a_index, a)) in segments.iter().enumerate() {
        let (a_first, a_end) = a.page_range();
        total += a_end - a_first;
        for (b_index, b) in &segments[i + 1..] {
            let (b_first, b_end) = b.page_range();
            if a_first < b_end && b_first < a_end {
                let (first, second) = (*a_index.min(b_index), *a_index.max(b_index));
                return Err(ElfError::SegmentsOverlap { first, second, page: a_first.max(b_first) });
            }
        }
    }
    if total > MAX_IMAGE_BYTES {
        return Err(ElfError::TooLarge { bytes: total });
    }
    Ok(())
}

fn check_entry(entry: u64, segments: &[(usize, Segment)]) -> Result<(), ElfError> {
    let (index, segment) = segments
        .iter()
        .find(|(_, s)| s.vaddr <= entry && entry < s.vaddr + s.mem_size)
        .ok_or(ElfError::EntryOutsideSegments { entry })?;
    if !segment.executable {
        return Err(ElfError::EntryNotExecutable { entry, index: *index });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
