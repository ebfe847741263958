//! The boot archive: a cpio "newc" archive holding a directory tree (`bin/`, `test/`, `etc/`, ...),
//! passed as the initrd, and the read-only file system view over it.
//!
//! Format: each entry is a 110-byte ASCII header (`070701` and thirteen 8-digit hex fields), the
//! NUL-terminated name padded so header+name is a multiple of 4, and the data padded to 4. The
//! entry named `TRAILER!!!` ends the archive; anything after it is ignored.
//!
//! Invariant: [`Archive::new`] validates every entry up front (magic, hex fields, UTF-8
//! NUL-terminated name, name and data inside the archive, trailer present) and every path (no
//! empty, `.` or `..` component, no path stored twice, nothing stored under a regular file), so
//! iterating afterwards cannot fail. Stored names lose a leading `./`; an entry named `.` (the
//! root, as `find . | cpio` writes it) is accepted and not listed.
//!
//! The tree: a **directory** is an entry whose mode has type `0o040000`, a **file** one with
//! `0o100000`; other types (links, devices) are validated but invisible. A directory the archive
//! does not store but that some stored path runs through (`usr` for `usr/share/words`) exists
//! **implicitly**, with mode [`IMPLICIT_DIR_MODE`]; the root always exists. Lookups normalize the
//! query: leading `/`, `./`, repeated `/` and `.` components are ignored and `..` goes up (never
//! above the root), so `/bin/echo`, `bin/echo` and `./bin//echo` name the same node.
//! [`write_newc`] / [`write_newc_tree`] build archives for tests and the host tool.
use alloc::vec::Vec;
use core::fmt;

const MAGIC: &[u8; 6] = b"070701";
const HEADER_SIZE: usize = 110;
const TRAILER: &str = "TRAILER!!!";
/// The type bits of a mode.
pub const MODE_TYPE: u32 = 0o170000;
/// Type bits of a regular file.
pub const MODE_FILE: u32 = 0o100000;
/// Type bits of a directory.
pub const MODE_DIR: u32 = 0o040000;
/// The mode of the root and of directories the archive does not store (`drwxr-xr-x`).
pub const IMPLICIT_DIR_MODE: u32 = MODE_DIR | 0o755;
/// The folders a bare program name is looked up in, in order: the tools, the test programs, the
/// benchmark programs ([`Archive::program`]).
pub const PROGRAM_DIRS: [&str; 3] = ["bin", "test", "bench"];
/// The most components a looked-up path may have (after `..` is resolved).
pub const MAX_DEPTH: usize = 32;
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
    /// The entry's path has a component that is empty, `.` or `..` (`problem` says which).
    BadPath { entry: usize, problem: &'static str },
    /// The entry's path was already stored by the entry at `first`.
    Duplicate { entry: usize, first: usize },
    /// The entry's path runs through the regular file stored at `file`.
    UnderFile { entry: usize, file: usize },
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
            ArchiveError::BadPath { entry, problem } => {
                write!(f, "cpio entry at {entry:#x}: its path has {problem} component")
            }
            ArchiveError::Duplicate { entry, first } => {
                write!(f, "cpio entry at {entry:#x}: its path is already stored by the entry at {first:#x}")
            }
            ArchiveError::UnderFile { entry, file } => {
                write!(f, "cpio entry at {entry:#x}: its path runs through the regular file at {file:#x}")
            }
        }
    }
}

/// One regular file of the archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Its path, without a leading `./`.
    pub name: &'a str,
    /// Its contents.
    pub data: &'a [u8],
}

/// What a node of the tree is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
}

/// A file or directory of the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Node<'a> {
    /// Its normalized path: components joined by `/`, no leading `/`; `""` is the root.
    pub path: &'a str,
    pub kind: Kind,
    /// The whole mode, type bits included (`0o100644`, `0o040755`, ...).
    pub mode: u32,
    /// A file's contents (empty for a directory).
    pub data: &'a [u8],
}

impl<'a> Node<'a> {
    /// The last component of the path (`""` for the root).
    pub fn name(&self) -> &'a str {
        self.path.rsplit('/').next().unwrap_or("")
    }

    /// The size in bytes (0 for a directory).
    pub fn size(&self) -> usize {
        self.data.len()
    }

    /// The permission bits (`0o755`, `0o644`, ...).
    pub fn permissions(&self) -> u32 {
        self.mode & 0o7777
    }

    fn implicit_dir(path: &'a str) -> Node<'a> {
        Node { path, kind: Kind::Dir, mode: IMPLICIT_DIR_MODE, data: &[] }
    }
}

/// A validated archive.
#[derive(Clone, Copy, Debug)]
pub struct Archive<'a> {
    bytes: &'a [u8],
}

impl<'a> Archive<'a> {
    /// Validates the whole archive, up to and including its trailer, and every stored path.
    pub fn new(bytes: &'a [u8]) -> Result<Archive<'a>, ArchiveError> {
        let mut offset = 0;
        loop {
            if offset >= bytes.len() {
                return Err(ArchiveError::NoTrailer { len: bytes.len() });
            }
            let raw = read_entry(bytes, offset)?;
            if raw.name == TRAILER {
                break;
            }
            if let Some(problem) = path_problem(raw.path()) {
                return Err(ArchiveError::BadPath { entry: offset, problem });
            }
            offset = raw.next;
        }
        let archive = Archive { bytes };
        for (i, later) in archive.raw_entries().enumerate() {
            for earlier in archive.raw_entries().take(i) {
                check_pair(&earlier, &later)?;
                check_pair(&later, &earlier)?;
                if earlier.path() == later.path() && !earlier.is_root() {
                    return Err(ArchiveError::Duplicate { entry: later.offset, first: earlier.offset });
                }
            }
        }
        Ok(archive)
    }

    /// The view of bytes that [`Archive::new`] has already accepted (callers cache the check,
    /// which costs a pass over every pair of entries). On bytes it would refuse, the iterators
    /// stop at the first bad entry and lookups see only what comes before: wrong answers,
    /// never a panic.
    pub fn validated(bytes: &'a [u8]) -> Archive<'a> {
        Archive { bytes }
    }

    /// The archive's bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Every entry up to the trailer, as stored.
    fn raw_entries(&self) -> impl Iterator<Item = RawEntry<'a>> + use<'a> {
        self.raw_entries_from(0)
    }

    fn raw_entries_from(&self, mut offset: usize) -> impl Iterator<Item = RawEntry<'a>> + use<'a> {
        let bytes = self.bytes;
        // `new` validated every entry up to the trailer, so `read_entry` cannot fail here.
        core::iter::from_fn(move || {
            let raw = read_entry(bytes, offset).ok().filter(|raw| raw.name != TRAILER)?;
            offset = raw.next;
            Some(raw)
        })
    }

    /// The regular files, in archive order, with their full paths.
    pub fn entries(&self) -> impl Iterator<Item = Entry<'a>> + use<'a> {
        self.nodes().filter(|node| node.kind == Kind::File).map(|node| Entry { name: node.path, data: node.data })
    }

    /// Every stored file and directory (not the root, not implicit directories), in archive order.
    pub fn nodes(&self) -> impl Iterator<Item = Node<'a>> + use<'a> {
        self.raw_entries().filter_map(|raw| raw.node())
    }

    /// The file or directory at `path` (normalized as the module says), explicit or implicit.
    pub fn lookup(&self, path: &str) -> Option<Node<'a>> {
        let mut parts = [""; MAX_DEPTH];
        let depth = normalize(path, &mut parts)?;
        self.lookup_parts(&parts[..depth])
    }

    fn lookup_parts(&self, parts: &[&str]) -> Option<Node<'a>> {
        if parts.is_empty() {
            return Some(Node::implicit_dir(""));
        }
        let mut implicit = None;
        for raw in self.raw_entries() {
            let Some(node) = raw.node() else { continue };
            match prefix_len(node.path, parts) {
                Some(len) if len == node.path.len() => return Some(node),
                Some(len) => implicit = implicit.or(Some(Node::implicit_dir(&node.path[..len]))),
                None => {}
            }
        }
        implicit
    }

    /// The contents of the regular file at `path`, if there is one.
    pub fn find(&self, path: &str) -> Option<&'a [u8]> {
        self.lookup(path).filter(|node| node.kind == Kind::File).map(|node| node.data)
    }

    /// The program a boot run list or `spawn` names: a bare name is the first regular file
    /// `DIR/NAME` for DIR in [`PROGRAM_DIRS`] (`/bin`, then `/test`, then `/bench`); a name with a
    /// `/` is a path. (The shell searches its `PATH`, `/bin` alone by default, before this.)
    pub fn program(&self, name: &str) -> Option<&'a [u8]> {
        if name.contains('/') {
            return self.find(name);
        }
        let mut parts = ["", name];
        for dir in PROGRAM_DIRS {
            parts[0] = dir;
            if let Some(node) = self.lookup_parts(&parts).filter(|node| node.kind == Kind::File) {
                return Some(node.data);
            }
        }
        None
    }

    /// Reads directory `dir` (a normalized path, as in [`Node::path`]) from `cursor` (0 to
    /// start): the next child and the cursor after it, or `None` at the end. Each child (explicit
    /// or implicit) comes once, in the order of the first entry that shows it.
    pub fn readdir(&self, dir: &str, cursor: usize) -> Option<(Node<'a>, usize)> {
        for raw in self.raw_entries_from(cursor) {
            let Some(node) = raw.node() else { continue };
            let Some(child) = child_path(dir, node.path) else { continue };
            let seen = self.raw_entries().take_while(|earlier| earlier.offset < raw.offset).any(|earlier| {
                earlier.node().is_some_and(|e| child_path(dir, e.path) == Some(child))
            });
            if seen {
                continue;
            }
            let node = if child.len() == node.path.len() {
                node
            } else {
                self.lookup_parts_exact(child).unwrap_or(Node::implicit_dir(child))
            };
            return Some((node, raw.next));
        }
        None
    }

    /// The stored node whose path is exactly `path` (already normalized).
    fn lookup_parts_exact(&self, path: &str) -> Option<Node<'a>> {
        self.nodes().find(|node| node.path == path)
    }
}

/// The path of the child of directory `dir` that `path` is or lies under, if any.
fn child_path<'p>(dir: &str, path: &'p str) -> Option<&'p str> {
    let rest = if dir.is_empty() { path } else { path.strip_prefix(dir)?.strip_prefix('/')? };
    let child_len = rest.find('/').unwrap_or(rest.len());
    Some(&path[..path.len() - rest.len() + child_len])
}

/// If `path`'s first components are `parts`, the length of that prefix of `path`.
fn prefix_len(path: &str, parts: &[&str]) -> Option<usize> {
    let mut stored = path.split('/');
    let mut len = 0;
    for (i, part) in parts.iter().enumerate() {
        if stored.next()? != *part {
            return None;
        }
        len += part.len() + usize::from(i > 0);
    }
    Some(len)
}

/// Splits `path` into components, resolving `.`, `..` and empty ones; returns how many there are,
/// or `None` if there are more than `parts` holds.
pub fn normalize<'p>(path: &'p str, parts: &mut [&'p str]) -> Option<usize> {
    let mut depth: usize = 0;
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => depth = depth.saturating_sub(1),
            part => {
                *parts.get_mut(depth)? = part;
                depth += 1;
            }
        }
    }
    Some(depth)
}

/// What is wrong with a stored path, if anything.
fn path_problem(path: &str) -> Option<&'static str> {
    if path == "." {
        return None;
    }
    path.split('/').find_map(|part| match part {
        "" => Some("an empty"),
        "." => Some("a `.`"),
        ".." => Some("a `..`"),
        _ => None,
    })
}

/// Refuses `entry` if its path runs through the regular file `file`.
fn check_pair(file: &RawEntry<'_>, entry: &RawEntry<'_>) -> Result<(), ArchiveError> {
    let under = entry.path().strip_prefix(file.path()).is_some_and(|rest| rest.starts_with('/'));
    if file.mode & MODE_TYPE == MODE_FILE && under {
        return Err(ArchiveError::UnderFile { entry: entry.offset, file: file.offset });
    }
    Ok(())
}

/// Writes a cpio newc archive of regular files (mode 0644, mtime 0) followed by the trailer.
///
/// # Panics
/// If a name contains NUL or a file is 4 GiB or larger: the format cannot represent them.
pub fn write_newc(files: &[(&str, &[u8])]) -> Vec<u8> {
    let entries: Vec<(&str, u32, &[u8])> = files.iter().map(|&(name, data)| (name, MODE_FILE | 0o644, data)).collect();
    write_newc_tree(&entries)
}

/// Writes a cpio newc archive of `(name, whole mode, data)` entries (directories have
/// `MODE_DIR | perms` and no data), then the trailer. Panics as [`write_newc`].
pub fn write_newc_tree(entries: &[(&str, u32, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (index, &(name, mode, data)) in entries.iter().enumerate() {
        assert!(!name.contains('\0'), "cpio name {name:?} contains NUL");
        push_entry(&mut out, index as u32 + 1, mode, name, data);
    }
    push_entry(&mut out, 0, 0, TRAILER, &[]);
    out
}

/// One entry as stored: its offset, name (as stored), mode, data, and the offset of the next
/// entry.
struct RawEntry<'a> {
    offset: usize,
    name: &'a str,
    mode: u32,
    data: &'a [u8],
    next: usize,
}

impl<'a> RawEntry<'a> {
    /// The name without a leading `./`.
    fn path(&self) -> &'a str {
        self.name.strip_prefix("./").unwrap_or(self.name)
    }

    fn is_root(&self) -> bool {
        self.name == "."
    }

    /// The node it stores, if it is a file or a directory other than the root.
    fn node(&self) -> Option<Node<'a>> {
        let kind = match self.mode & MODE_TYPE {
            MODE_FILE => Kind::File,
            MODE_DIR if !self.is_root() => Kind::Dir,
            _ => return None,
        };
        Some(Node { path: self.path(), kind, mode: self.mode, data: self.data })
    }
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
    Ok(RawEntry { offset: entry, name, mode, data, next: (data_start + data.len()).next_multiple_of(4) })
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
