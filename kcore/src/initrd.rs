//! The boot archive: a cpio "newc" archive of programs, passed as the initrd.
//!
//! Format: each entry is a 110-byte ASCII header (`070701` and thirteen 8-digit hex fields), the
//! NUL-terminated name padded so header+name is a multiple of 4, and the data padded to 4. The
//! entry named `TRAILER!!!` ends the archive; anything after it is ignored.
//!
//! Invariant: [`Archive::new`] validates every entry up front (magic, hex fields, UTF-8
//! NUL-terminated name, name and data inside the archive, trailer present), so iterating
//! afterwards cannot fail. Only regular files are listed, with a leading `./` stripped from their
//! names. [`write_newc`] builds archives for tests and the host tool.
use alloc::vec::Vec;
use core::fmt;

const MAGIC: &[u8; 6] = b"070701";
const HEADER_SIZE: usize = 110;
const TRAILER: &str = "TRAILER!!!";
const MODE_TYPE: u32 = 0o170000;
const MODE_FILE: u32 = 0o100000;
/// The names of the thirteen header fields, in order.
const FIELDS: [&str; 13] = [
    "ino",
    "mode",
    "uid",
    "gid",
    "nlink",
    "mtime",
    "filesize",
    "devmajor",
    "devminor",
    "rdevmajor",
    "rdevminor",
    "namesize",
    "check",
];
const FIELD_MODE: usize = 1;
const FIELD_FILE_SIZE: usize = 6;
const FIELD_NAME_SIZE: usize = 11;

/// Why the archive was refused. Offsets are from the start of the archive; `entry` is the offset
/// of the entry's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArchiveError {
    /// The entry's `part` ("header", "name" or "data"), `[start, end)`, runs past the archive's end.
    Truncated { entry: usize, part: &'static str, start: usize, end: usize, len: usize },
    /// The entry does not start with `070701`.
    BadMagic { entry: usize, found: [u8; 6] },
    /// A header field is not eight hexadecimal digits.
    BadHex { entry: usize, field: &'static str, found: [u8; 8] },
    /// The name is empty or its last byte is not NUL.
    NameNotTerminated { entry: usize },
    /// The name is not UTF-8.
    NameNotUtf8 { entry: usize },
    /// The archive (of `len` bytes) ends without a `TRAILER!!!` entry.
    NoTrailer { len: usize },
}

impl fmt::Display for ArchiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ArchiveError::Truncated { entry, part, start, end, len } => write!(
                f,
                "cpio entry at {entry:#x}: its {part} [{start:#x}, {end:#x}) runs past the end of the \
                 {len:#x}-byte archive"
            ),
            ArchiveError::BadMagic { entry, found } => {
                write!(f, "cpio entry at {entry:#x}: magic \"{}\" is not \"070701\" (newc)", found.escape_ascii())
            }
            ArchiveError::BadHex { entry, field, found } => write!(
                f,
                "cpio entry at {entry:#x}: field c_{field} \"{}\" is not 8 hexadecimal digits",
                found.escape_ascii()
            ),
            ArchiveError::NameNotTerminated { entry } => {
                write!(f, "cpio entry at {entry:#x}: name is empty or not NUL-terminated")
            }
            ArchiveError::NameNotUtf8 { entry } => write!(f, "cpio entry at {entry:#x}: name is not UTF-8"),
            ArchiveError::NoTrailer { len } => write!(f, "the {len:#x}-byte archive ends without a TRAILER!!! entry"),
        }
    }
}

/// One regular file of the archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Its name, without a leading `./`.
    pub name: &'a str,
    /// Its contents.
    pub data: &'a [u8],
}

/// A validated archive.
#[derive(Clone, Copy, Debug)]
pub struct Archive<'a> {
    bytes: &'a [u8],
}

impl<'a> Archive<'a> {
    /// Validates the whole archive, up to and including its trailer.
    pub fn new(bytes: &'a [u8]) -> Result<Archive<'a>, ArchiveError> {
        let mut offset = 0;
        while offset < bytes.len() {
            let raw = read_entry(bytes, offset)?;
            if raw.name == TRAILER {
                return Ok(Archive { bytes });
            }
            offset = raw.next;
        }
        Err(ArchiveError::NoTrailer { len: bytes.len() })
    }

    /// The regular files, in archive order (directories, links and devices are skipped).
    pub fn entries(&self) -> impl Iterator<Item = Entry<'a>> + use<'a> {
        let bytes = self.bytes;
        let mut offset = 0;
        // `new` validated every entry up to the trailer, so `read_entry` cannot fail here.
        let raw_entries = core::iter::from_fn(move || {
            let raw = read_entry(bytes, offset).ok().filter(|raw| raw.name != TRAILER)?;
            offset = raw.next;
            Some(raw)
        });
        raw_entries
            .filter(|raw| raw.mode & MODE_TYPE == MODE_FILE)
            .map(|raw| Entry { name: raw.name.strip_prefix("./").unwrap_or(raw.name), data: raw.data })
    }

    /// The contents of the regular file called `name`, if there is one (the first, if several).
    pub fn find(&self, name: &str) -> Option<&'a [u8]> {
        self.entries().find(|entry| entry.name == name).map(|entry| entry.data)
    }
}

/// Writes a cpio newc archive of regular files (mode 0644, mtime 0) followed by the trailer.
///
/// # Panics
/// If a name contains NUL or a file is 4 GiB or larger: the format cannot represent them.
pub fn write_newc(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (index, (name, data)) in files.iter().enumerate() {
        assert!(!name.contains('\0'), "cpio name {name:?} contains NUL");
        push_entry(&mut out, index as u32 + 1, MODE_FILE | 0o644, name, data);
    }
    push_entry(&mut out, 0, 0, TRAILER, &[]);
    out
}

/// One entry as stored: name (as stored), mode, data, and the offset of the next entry.
struct RawEntry<'a> {
    name: &'a str,
    mode: u32,
    data: &'a [u8],
    next: usize,
}

/// Reads and validates the entry whose header starts at `entry`.
fn read_entry(bytes: &[u8], entry: usize) -> Result<RawEntry<'_>, ArchiveError> {
    let header = part(bytes, entry, "header", entry, HEADER_SIZE)?;
    let (magic, fields) = header.split_at(MAGIC.len());
    if magic != MAGIC {
        return Err(ArchiveError::BadMagic { entry, found: magic.try_into().unwrap_or_default() });
    }
    let field = |index: usize| parse_field(entry, fields, index);
    let (mode, file_size, name_size) = (field(FIELD_MODE)?, field(FIELD_FILE_SIZE)?, field(FIELD_NAME_SIZE)?);
    let name_start = entry + HEADER_SIZE;
    let name = parse_name(entry, part(bytes, entry, "name", name_start, name_size as usize)?)?;
    let data_start = (name_start + name_size as usize).next_multiple_of(4);
    let data = part(bytes, entry, "data", data_start, file_size as usize)?;
    Ok(RawEntry { name, mode, data, next: (data_start + data.len()).next_multiple_of(4) })
}

/// `bytes[start..start + size]`, the entry's `name` part, or why it does not fit.
fn part<'a>(
    bytes: &'a [u8],
    entry: usize,
    name: &'static str,
    start: usize,
    size: usize,
) -> Result<&'a [u8], ArchiveError> {
    let end = start.saturating_add(size);
    bytes.get(start..end).ok_or(ArchiveError::Truncated { entry, part: name, start, end, len: bytes.len() })
}

/// Header field `index` of the fields after the magic: eight hex digits.
fn parse_field(entry: usize, fields: &[u8], index: usize) -> Result<u32, ArchiveError> {
    let digits = fields.get(8 * index..8 * index + 8).unwrap_or_default();
    let value = digits.iter().try_fold(0u32, |value, &digit| Some(value << 4 | char::from(digit).to_digit(16)?));
    match value {
        Some(value) if digits.len() == 8 => Ok(value),
        _ => Err(ArchiveError::BadHex { entry, field: FIELDS[index], found: digits.try_into().unwrap_or_default() }),
    }
}

/// The name without its terminating NUL.
fn parse_name(entry: usize, stored: &[u8]) -> Result<&str, ArchiveError> {
    match stored.split_last() {
        Some((0, name)) => core::str::from_utf8(name).map_err(|_| ArchiveError::NameNotUtf8 { entry }),
        _ => Err(ArchiveError::NameNotTerminated { entry }),
    }
}

/// Appends one entry with its padding.
fn push_entry(out: &mut Vec<u8>, inode: u32, mode: u32, name: &str, data: &[u8]) {
    let file_size = u32::try_from(data.len()).expect("cpio newc files must be smaller than 4 GiB");
    let name_size = name.len() as u32 + 1;
    let fields = [inode, mode, 0, 0, 1, 0, file_size, 0, 0, 0, 0, name_size, 0];
    out.extend_from_slice(MAGIC);
    for field in fields {
        out.extend_from_slice(alloc::format!("{field:08X}").as_bytes());
    }
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    out.resize(out.len().next_multiple_of(4), 0);
    out.extend_from_slice(data);
    out.resize(out.len().next_multiple_of(4), 0);
}

#[cfg(test)]
mod tests;
