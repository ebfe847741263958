//! The initial stack of a Linux x86-64 process, as the kernel leaves it at the first instruction:
//! `rsp` 16-byte aligned pointing at argc, then argv[] and NULL, envp[] and NULL, the auxiliary
//! vector (type, value pairs ending with `AT_NULL`), and above them the strings, the 16 random
//! bytes of `AT_RANDOM` and the platform name. Built as bytes for a stack whose top is a given
//! address, so ExOS copies it into the mapped stack and starts the program with that `rsp`.
use alloc::vec;
use alloc::vec::Vec;

pub const AT_NULL: u64 = 0;
pub const AT_PHDR: u64 = 3;
pub const AT_PHENT: u64 = 4;
pub const AT_PHNUM: u64 = 5;
pub const AT_PAGESZ: u64 = 6;
pub const AT_BASE: u64 = 7;
pub const AT_FLAGS: u64 = 8;
pub const AT_ENTRY: u64 = 9;
pub const AT_UID: u64 = 11;
pub const AT_EUID: u64 = 12;
pub const AT_GID: u64 = 13;
pub const AT_EGID: u64 = 14;
pub const AT_PLATFORM: u64 = 15;
pub const AT_HWCAP: u64 = 16;
pub const AT_CLKTCK: u64 = 17;
pub const AT_SECURE: u64 = 23;
pub const AT_RANDOM: u64 = 25;
pub const AT_EXECFN: u64 = 31;

/// What the auxiliary vector tells the program about itself (from `elf::Plan`) and the machine.
#[derive(Debug, Clone, Copy)]
pub struct Aux {
    pub phdr: u64,
    pub phent: u64,
    pub phnum: u64,
    pub entry: u64,
    /// `CPUID.1:EDX`, what Linux passes as `AT_HWCAP` on x86.
    pub hwcap: u64,
    /// The 16 bytes behind `AT_RANDOM` (glibc's stack canary and pointer guard).
    pub random: [u8; 16],
}

/// The stack image: `bytes` go at `[rsp, top)`, where `rsp` = `top - bytes.len()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub rsp: u64,
    pub bytes: Vec<u8>,
}

/// Builds the initial stack for a stack ending at `top` (16-byte aligned). Leaves out
/// `AT_SYSINFO_EHDR` (no vDSO: the libcs then make real `clock_gettime` calls).
pub fn build(top: u64, argv: &[&[u8]], envp: &[&[u8]], aux: &Aux) -> Image {
    // Strings area (from the top down): platform, random bytes, then each string with its NUL.
    let mut strings: Vec<u8> = Vec::new();
    let mut place = |bytes: &[u8], nul: bool| -> u64 {
        strings.extend_from_slice(bytes);
        if nul {
            strings.push(0);
        }
        strings.len() as u64 // distance from the area's start to the end of this item
    };
    let mut ends = Vec::new();
    for s in argv.iter().chain(envp) {
        ends.push((place(s, true), s.len() as u64 + 1));
    }
    let random_end = place(&aux.random, false);
    let platform_end = place(b"x86_64", true);
    let area = strings.len() as u64;
    let area_start = (top - area) & !15;
    let at = |end: u64, len: u64| area_start + end - len;
    let pointers: Vec<u64> = ends.iter().map(|&(end, len)| at(end, len)).collect();
    let random = at(random_end, 16);
    let platform = at(platform_end, 7);
    let execfn = pointers.first().copied().unwrap_or(0);

    let auxv = [
        (AT_PHDR, aux.phdr), (AT_PHENT, aux.phent), (AT_PHNUM, aux.phnum), (AT_PAGESZ, 4096),
        (AT_BASE, 0), (AT_FLAGS, 0), (AT_ENTRY, aux.entry), (AT_UID, 0), (AT_EUID, 0), (AT_GID, 0),
        (AT_EGID, 0), (AT_SECURE, 0), (AT_CLKTCK, 100), (AT_HWCAP, aux.hwcap), (AT_RANDOM, random),
        (AT_PLATFORM, platform), (AT_EXECFN, execfn), (AT_NULL, 0),
    ];
    let mut words: Vec<u64> = vec![argv.len() as u64];
    words.extend_from_slice(&pointers[..argv.len()]);
    words.push(0);
    words.extend_from_slice(&pointers[argv.len()..]);
    words.push(0);
    for (kind, value) in auxv {
        words.extend([kind, value]);
    }
    let rsp = (area_start - 8 * words.len() as u64) & !15;
    let mut bytes = vec![0u8; (top - rsp) as usize];
    for (i, w) in words.iter().enumerate() {
        bytes[8 * i..8 * i + 8].copy_from_slice(&w.to_le_bytes());
    }
    let offset = (area_start - rsp) as usize;
    bytes[offset..offset + strings.len()].copy_from_slice(&strings);
    Image { rsp, bytes }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(image: &Image, address: u64) -> u64 {
        let i = (address - image.rsp) as usize;
        u64::from_le_bytes(image.bytes[i..i + 8].try_into().unwrap())
    }

    fn string(image: &Image, address: u64) -> &[u8] {
        let i = (address - image.rsp) as usize;
        let len = image.bytes[i..].iter().position(|&b| b == 0).unwrap();
        &image.bytes[i..i + len]
    }

    #[test]
    fn layout_as_linux_leaves_it() {
        let aux = Aux { phdr: 0x400040, phent: 56, phnum: 10, entry: 0x40ebf0, hwcap: 0x178bfbff, random: [7; 16] };
        let top = 0x7fff_0000_0000;
        let image = build(top, &[b"busybox", b"echo", b"hello"], &[b"PATH=/bin"], &aux);
        assert_eq!(image.rsp % 16, 0);
        assert_eq!(image.rsp + image.bytes.len() as u64, top);
        assert_eq!(word(&image, image.rsp), 3);
        let argv = image.rsp + 8;
        assert_eq!(string(&image, word(&image, argv)), b"busybox");
        assert_eq!(string(&image, word(&image, argv + 16)), b"hello");
        assert_eq!(word(&image, argv + 24), 0);
        assert_eq!(string(&image, word(&image, argv + 32)), b"PATH=/bin");
        assert_eq!(word(&image, argv + 40), 0);
        let mut at = argv + 48;
        let mut seen = alloc::collections::BTreeMap::new();
        loop {
            let (kind, value) = (word(&image, at), word(&image, at + 8));
            seen.insert(kind, value);
            at += 16;
            if kind == AT_NULL {
                break;
            }
        }
        assert_eq!((seen[&AT_PHDR], seen[&AT_PHNUM], seen[&AT_PHENT], seen[&AT_PAGESZ], seen[&AT_ENTRY]), (0x400040, 10, 56, 4096, 0x40ebf0));
        assert_eq!((seen[&AT_SECURE], seen[&AT_UID], seen[&AT_CLKTCK], seen[&AT_HWCAP]), (0, 0, 100, 0x178bfbff));
        let random = (seen[&AT_RANDOM] - image.rsp) as usize;
        assert_eq!(&image.bytes[random..random + 16], &[7; 16]);
        assert_eq!(string(&image, seen[&AT_PLATFORM]), b"x86_64");
        assert_eq!(string(&image, seen[&AT_EXECFN]), b"busybox");
        assert!(!seen.contains_key(&33), "no AT_SYSINFO_EHDR without a vDSO");
        assert!(at <= top - 7 - 16);
    }

    #[test]
    fn empty_argv_and_envp() {
        let aux = Aux { phdr: 0x1040, phent: 56, phnum: 1, entry: 0x1000, hwcap: 0, random: [0; 16] };
        let image = build(0x10_0000, &[], &[], &aux);
        assert_eq!(image.rsp % 16, 0);
        assert_eq!((word(&image, image.rsp), word(&image, image.rsp + 8), word(&image, image.rsp + 16)), (0, 0, 0));
    }
}
