//! The boot archive: a cpio "newc" archive of programs, passed as the initrd.
//!
//! Format: each entry is a 110-byte ASCII header (`070701` and thirteen 8-digit hex fields), the
//! NUL-terminated name padded so header+name is a multiple of 4, and the data padded to 4. The
//! entry named `TRAILER!!!` ends the archive. [`Archive::new`] validates everything up front, so
//! iterating afterwards cannot fail.
use alloc::vec::Vec;
use core::fmt;

const MAGIC: &[u8; 6] = b"070701";
const HEADER: usize = 110;
const TRAILER: &str = "TRAILER!!!";
const MODE_TYPE: u32 = 0o170000;
const MODE_FILE: u32 = 0o100000;

/// Why the archive was refused; offsets are from the start of the archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArchiveError {
    Truncated { offset: usize },
    BadMagic { offset: usize },
    BadHex { offset: usize },
    BadName { offset: usize },
    NoTrailer,
}

impl fmt::Display for ArchiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArchiveError::Truncated { offset } => write!(f, "entry at {offset:#x} runs past the end of the archive"),
            ArchiveError::BadMagic { offset } => write!(f, "no cpio newc magic \"070701\" at {offset:#x}"),
            ArchiveError::BadHex { offset } => write!(f, "header field at {offset:#x} is not hexadecimal"),
            ArchiveError::BadName { offset } => write!(f, "name of the entry at {offset:#x} is not NUL-terminated UTF-8"),
            ArchiveError::NoTrailer => write!(f, "archive ends without a TRAILER!!! entry"),
        }
    }
}

/// One regular file of the archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    pub name: &'a str,
    pub data: &'a [u8],
}

/// A validated archive.
#[derive(Clone, Copy)]
pub struct Archive<'a> {
    bytes: &'a [u8],
}

/// A raw entry: name, mode, data, and the offset of the next one.
struct Raw<'a> {
    name: &'a str,
    mode: u32,
    data: &'a [u8],
    next: usize,
}

impl<'a> Archive<'a> {
    /// Validates the whole archive.
    pub fn new(bytes: &'a [u8]) -> Result<Archive<'a>, ArchiveError> {
        let mut offset = 0;
        loop {
            if offset >= bytes.len() {
                return Err(ArchiveError::NoTrailer);
            }
            let raw = read(bytes, offset)?;
            if raw.name == TRAILER {
                return Ok(Archive { bytes });
            }
            offset = raw.next;
        }
    }

    /// The regular files, in archive order.
    pub fn entries(&self) -> impl Iterator<Item = Entry<'a>> + '_ {
        let mut offset = 0;
        core::iter::from_fn(move || loop {
            let raw = read(self.bytes, offset).ok()?;
            if raw.name == TRAILER {
                return None;
            }
            offset = raw.next;
            if raw.mode & MODE_TYPE == MODE_FILE {
                let name = raw.name.strip_prefix("./").unwrap_or(raw.name);
                return Some(Entry { name, data: raw.data });
            }
        })
    }

    /// The data of the file called `name`.
    pub fn find(&self, name: &str) -> Option<&'a [u8]> {
        self.entries().find(|e| e.name == name).map(|e| e.data)
    }
}

fn read(bytes: &[u8], offset: usize) -> Result<Raw<'_>, ArchiveError> {
    let header = bytes.get(offset..offset + HEADER).ok_or(ArchiveError::Truncated { offset })?;
    if &header[..6] != MAGIC {
        return Err(ArchiveError::BadMagic { offset });
    }
    let field = |i: usize| hex(&header[6 + 8 * i..14 + 8 * i]).ok_or(ArchiveError::BadHex { offset: offset + 6 + 8 * i });
    let (mode, size, name_size) = (field(1)?, field(6)? as usize, field(11)? as usize);
    let name_start = offset + HEADER;
    let name_bytes = bytes.get(name_start..name_start + name_size).ok_or(ArchiveError::Truncated { offset })?;
    let name = match name_bytes.split_last() {
        Some((0, name)) => core::str::from_utf8(name).map_err(|_| ArchiveError::BadName { offset })?,
        _ => return Err(ArchiveError::BadName { offset }),
    };
    let data_start = (name_start + name_size).next_multiple_of(4);
    let data = bytes.get(data_start..data_start + size).ok_or(ArchiveError::Truncated { offset })?;
    Ok(Raw { name, mode, data, next: (data_start + size).next_multiple_of(4) })
}

fn hex(digits: &[u8]) -> Option<u32> {
    core::str::from_utf8(digits).ok().and_then(|s| u32::from_str_radix(s, 16).ok())
}

/// Writes a cpio newc archive of regular files (mode 0644, mtime 0), for tests and host tools.
pub fn write_newc(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, (name, data)) in files.iter().enumerate() {
        push_entry(&mut out, i as u32 + 1, MODE_FILE | 0o644, name, data);
    }
    push_entry(&mut out, 0, 0, TRAILER, &[]);
    out
}

fn push_entry(out: &mut Vec<u8>, inode: u32, mode: u32, name: &str, data: &[u8]) {
    let fields = [inode, mode, 0, 0, 1, 0, data.len() as u32, 0, 0, 0, 0, name.len() as u32 + 1, 0];
    out.extend_from_slice(MAGIC);
    for f in fields {
        out.extend_from_slice(alloc::format!("{f:08X}").as_bytes());
    }
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    out.resize(out.len().next_multiple_of(4), 0);
    out.extend_from_slice(data);
    out.resize(out.len().next_multiple_of(4), 0);
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::vec::Vec;

    #[test]
    fn round_trip() {
        let bytes = write_newc(&[("hello", b"abc"), ("init", b"12345678")]);
        let archive = Archive::new(&bytes).unwrap();
        let names: Vec<_> = archive.entries().map(|e| e.name).collect();
        assert_eq!(names, ["hello", "init"]);
        assert_eq!(archive.find("init"), Some(&b"12345678"[..]));
        assert_eq!(archive.find("nope"), None);
    }

    #[test]
    fn empty_archive_is_valid() {
        let bytes = write_newc(&[]);
        assert_eq!(Archive::new(&bytes).unwrap().entries().count(), 0);
    }

    #[test]
    fn every_truncation_is_refused_without_panic() {
        let bytes = write_newc(&[("a", b"xyz"), ("bb", &[7; 100])]);
        for len in 0..bytes.len() {
            assert!(Archive::new(&bytes[..len]).is_err(), "length {len}");
        }
    }

    #[test]
    fn corruption_is_refused() {
        let good = write_newc(&[("a", b"xyz")]);
        let mut bad = good.clone();
        bad[0] = b'1';
        assert_eq!(Archive::new(&bad).err(), Some(ArchiveError::BadMagic { offset: 0 }));
        let mut bad = good.clone();
        bad[6 + 8 * 6] = b'G';
        assert_eq!(Archive::new(&bad).err(), Some(ArchiveError::BadHex { offset: 54 }));
        let mut bad = good.clone();
        bad[6 + 8 * 6..14 + 8 * 6].copy_from_slice(b"00100000");
        assert_eq!(Archive::new(&bad).err(), Some(ArchiveError::Truncated { offset: 0 }));
        let no_trailer = &good[..good.len() - 124];
        assert_eq!(Archive::new(no_trailer).err(), Some(ArchiveError::NoTrailer));
        let mut seed = 99u64;
        for _ in 0..3000 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let mut b = good.clone();
            let i = (seed >> 33) as usize % b.len();
            b[i] = (seed >> 13) as u8;
            if let Ok(a) = Archive::new(&b) {
                let _ = a.entries().count();
            }
        }
    }
}
