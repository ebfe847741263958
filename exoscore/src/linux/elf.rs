//! Static x86-64 Linux ELF files (non-PIE `ET_EXEC`, static-PIE `ET_DYN` without `PT_INTERP`) read
//! into a [`Plan`]: the segments to map (at `base + p_vaddr`), the entry point, where the program
//! headers are (for `AT_PHDR`), the TLS template and the initial break.

/// Why a file cannot be loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElfError {
    /// Not an ELF file, or truncated headers.
    NotElf,
    /// Not 64-bit little-endian x86-64, or not an executable (`ET_EXEC`/`ET_DYN`).
    WrongKind,
    /// It asks for a dynamic linker (`PT_INTERP`): only static binaries run.
    Dynamic,
    /// A segment lies outside the file, has `p_filesz > p_memsz`, an offset not congruent to its
    /// address modulo the page size, wraps around, or there is no loadable segment.
    BadSegment,
    /// More than [`MAX_SEGMENTS`] loadable segments.
    TooManySegments,
}

/// Loadable segments kept in a plan (busybox has 4).
pub const MAX_SEGMENTS: usize = 8;
/// Where a static-PIE's image goes (its addresses start at 0).
pub const PIE_BASE: u64 = 0x5555_5555_4000;
const PAGE: u64 = 4096;

/// One `PT_LOAD`, already moved by the load base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Segment {
    pub vaddr: u64,
    pub offset: u64,
    pub filesz: u64,
    pub memsz: u64,
    /// `PF_R` (4), `PF_W` (2), `PF_X` (1).
    pub flags: u32,
}

impl Segment {
    /// The page-aligned range it occupies.
    pub fn pages(&self) -> (u64, u64) {
        (self.vaddr & !(PAGE - 1), (self.vaddr + self.memsz).div_ceil(PAGE) * PAGE)
    }
}

/// The TLS template (`PT_TLS`), moved by the load base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tls {
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
    pub align: u64,
}

/// What the loader does with a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// 0 for `ET_EXEC`, [`PIE_BASE`] for a static-PIE.
    pub base: u64,
    pub entry: u64,
    /// `AT_PHDR`: `PT_PHDR`'s address if any, else the headers inside the first segment that
    /// maps file offset `e_phoff` (static-PIE files have no `PT_PHDR`).
    pub phdr: u64,
    pub phnum: u64,
    pub phent: u64,
    pub segments: [Segment; MAX_SEGMENTS],
    pub count: usize,
    pub tls: Option<Tls>,
    /// The initial program break: the page after the highest segment.
    pub brk: u64,
}

impl Plan {
    pub fn segments(&self) -> &[Segment] {
        &self.segments[..self.count]
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?)))
}
fn u32_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?)))
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

const PT_LOAD: u64 = 1;
const PT_INTERP: u64 = 3;
const PT_PHDR: u64 = 6;
const PT_TLS: u64 = 7;
const ET_EXEC: u64 = 2;
const ET_DYN: u64 = 3;
const EM_X86_64: u64 = 62;

/// Reads `file` (at least its headers; segments are checked against `file.len()`) into a plan.
pub fn plan(file: &[u8]) -> Result<Plan, ElfError> {
    if file.get(..4) != Some(b"\x7fELF") {
        return Err(ElfError::NotElf);
    }
    let h = |at, f: fn(&[u8], usize) -> Option<u64>| f(file, at).ok_or(ElfError::NotElf);
    if file.get(4) != Some(&2) || file.get(5) != Some(&1) || h(18, u16_at)? != EM_X86_64 {
        return Err(ElfError::WrongKind);
    }
    let base = match h(16, u16_at)? {
        ET_EXEC => 0,
        ET_DYN => PIE_BASE,
        _ => return Err(ElfError::WrongKind),
    };
    let (entry, phoff, phent, phnum) = (h(24, u64_at)?, h(32, u64_at)?, h(54, u16_at)?, h(56, u16_at)?);
    if phent < 56 || phnum == 0 {
        return Err(ElfError::NotElf);
    }
    let mut plan = Plan { base, entry: base.wrapping_add(entry), phdr: 0, phnum, phent, segments: [Segment::default(); MAX_SEGMENTS], count: 0, tls: None, brk: 0 };
    let mut phdr_explicit = None;
    for i in 0..phnum {
        let at = phoff.checked_add(i * phent).and_then(|a| usize::try_from(a).ok()).ok_or(ElfError::NotElf)?;
        let field = |off: usize, f: fn(&[u8], usize) -> Option<u64>| f(file, at + off).ok_or(ElfError::NotElf);
        let (kind, flags) = (field(0, u32_at)?, field(4, u32_at)? as u32);
        let (offset, vaddr, filesz, memsz, align) = (field(8, u64_at)?, field(16, u64_at)?, field(32, u64_at)?, field(40, u64_at)?, field(48, u64_at)?);
        match kind {
            PT_INTERP => return Err(ElfError::Dynamic),
            PT_PHDR => phdr_explicit = Some(base.wrapping_add(vaddr)),
            PT_TLS => plan.tls = Some(Tls { vaddr: base.wrapping_add(vaddr), filesz, memsz, align: align.max(1) }),
            PT_LOAD => {
                let end_file = offset.checked_add(filesz).ok_or(ElfError::BadSegment)?;
                let vaddr = base.checked_add(vaddr).ok_or(ElfError::BadSegment)?;
                let end = vaddr.checked_add(memsz).ok_or(ElfError::BadSegment)?;
                if filesz > memsz || end_file > file.len() as u64 || offset % PAGE != vaddr % PAGE || end > 1 << 47 {
                    return Err(ElfError::BadSegment);
                }
                if plan.count == MAX_SEGMENTS {
                    return Err(ElfError::TooManySegments);
                }
                plan.segments[plan.count] = Segment { vaddr, offset, filesz, memsz, flags };
                plan.count += 1;
                plan.brk = plan.brk.max(end.div_ceil(PAGE) * PAGE);
            }
            _ => {}
        }
    }
    if plan.count == 0 {
        return Err(ElfError::BadSegment);
    }
    plan.phdr = match phdr_explicit {
        Some(address) => address,
        None => plan
            .segments()
            .iter()
            .find(|s| (s.offset..s.offset + s.filesz).contains(&phoff))
            .map(|s| s.vaddr + (phoff - s.offset))
            .ok_or(ElfError::BadSegment)?,
    };
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    /// A small ELF: header, `phdrs` (type, flags, offset, vaddr, filesz, memsz, align), padded to `len`.
    fn elf(kind: u16, entry: u64, phdrs: &[(u32, u32, u64, u64, u64, u64, u64)], len: usize) -> Vec<u8> {
        let mut f = vec![0u8; len.max(64 + 56 * phdrs.len())];
        f[..4].copy_from_slice(b"\x7fELF");
        (f[4], f[5], f[6]) = (2, 1, 1);
        f[16..18].copy_from_slice(&kind.to_le_bytes());
        f[18..20].copy_from_slice(&62u16.to_le_bytes());
        f[24..32].copy_from_slice(&entry.to_le_bytes());
        f[32..40].copy_from_slice(&64u64.to_le_bytes());
        f[54..56].copy_from_slice(&56u16.to_le_bytes());
        f[56..58].copy_from_slice(&(phdrs.len() as u16).to_le_bytes());
        for (i, &(t, fl, off, va, fs, ms, al)) in phdrs.iter().enumerate() {
            let p = 64 + 56 * i;
            f[p..p + 4].copy_from_slice(&t.to_le_bytes());
            f[p + 4..p + 8].copy_from_slice(&fl.to_le_bytes());
            for (k, v) in [off, va, va, fs, ms, al].into_iter().enumerate() {
                f[p + 8 + 8 * k..p + 16 + 8 * k].copy_from_slice(&v.to_le_bytes());
            }
        }
        f
    }

    #[test]
    fn busybox_shape() {
        // busybox-static's layout (LINUX.md): four PT_LOADs, an unaligned RW segment, PT_TLS.
        let phdrs = [
            (1, 4, 0, 0x400000, 0x6e0, 0x6e0, 0x1000),
            (1, 5, 0x1000, 0x401000, 0x1839, 0x1839, 0x1000),
            (1, 4, 0x3000, 0x585000, 0x550, 0x550, 0x1000),
            (1, 6, 0x4708, 0x5db708, 0x90, 0x10450, 0x1000),
            (7, 4, 0x4708, 0x5db708, 0x28, 0x8a, 8),
        ];
        let p = plan(&elf(2, 0x40ebf0, &phdrs, 0x5000)).unwrap();
        assert_eq!((p.base, p.entry, p.count, p.phnum, p.phent), (0, 0x40ebf0, 4, 5, 56));
        assert_eq!(p.phdr, 0x400040);
        assert_eq!(p.brk, 0x5ec000);
        assert_eq!(p.tls, Some(Tls { vaddr: 0x5db708, filesz: 0x28, memsz: 0x8a, align: 8 }));
        assert_eq!(p.segments()[3].pages(), (0x5db000, 0x5ec000));
    }

    #[test]
    fn static_pie_is_moved() {
        let p = plan(&elf(3, 0x106b, &[(1, 5, 0, 0, 0x2000, 0x2000, 0x1000)], 0x2000)).unwrap();
        assert_eq!((p.base, p.entry, p.phdr), (PIE_BASE, PIE_BASE + 0x106b, PIE_BASE + 64));
    }

    #[test]
    fn refusals() {
        assert_eq!(plan(b"nope"), Err(ElfError::NotElf));
        assert_eq!(plan(&elf(1, 0, &[(1, 5, 0, 0x400000, 0x100, 0x100, 0x1000)], 0x200)), Err(ElfError::WrongKind));
        assert_eq!(plan(&elf(2, 0, &[(3, 4, 0, 0, 0, 0, 1), (1, 5, 0, 0x400000, 0x100, 0x100, 0x1000)], 0x200)), Err(ElfError::Dynamic));
        // Beyond the file, filesz > memsz, incongruent offset, no PT_LOAD.
        assert_eq!(plan(&elf(2, 0, &[(1, 5, 0, 0x400000, 0x9000, 0x9000, 0x1000)], 0x200)), Err(ElfError::BadSegment));
        assert_eq!(plan(&elf(2, 0, &[(1, 5, 0, 0x400000, 0x100, 0x10, 0x1000)], 0x200)), Err(ElfError::BadSegment));
        assert_eq!(plan(&elf(2, 0, &[(1, 5, 8, 0x400000, 0x100, 0x100, 0x1000)], 0x200)), Err(ElfError::BadSegment));
        assert_eq!(plan(&elf(2, 0, &[(7, 4, 0, 0, 0, 0, 8)], 0x200)), Err(ElfError::BadSegment));
        assert_eq!(plan(&elf(2, 0, &[(1, 5, 0, u64::MAX - 10, 0x100, 0x100, 0x1000)], 0x200)), Err(ElfError::BadSegment));
    }
}
