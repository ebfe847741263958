//! The file system's on-disk records: the superblock, inodes, directory blocks, journal headers.
//! Every integer is little-endian. docs/FS.md draws the layout and states the invariants.

use crate::crc::crc32c;
use crate::dev::{BLOCK_SIZE, Block};
use crate::FsError;
use alloc::string::String;
use alloc::vec::Vec;

/// "EXOFS\0\0\x01": the file system superblock's magic.
pub const MAGIC: u64 = 0x0100_0053_464F_5845;
/// The journal descriptor block's magic ("EXJD").
pub const JDESC_MAGIC: u32 = 0x444A_5845;
/// The journal commit block's magic ("EXJC").
pub const JCOMMIT_MAGIC: u32 = 0x434A_5845;
/// The two superblock slots (blocks 0 and 1); the valid one with the larger `jseq` wins.
pub const SUPER_SLOTS: u32 = 2;
/// Bytes per inode.
pub const INODE_SIZE: usize = 128;
/// Inodes per inode-table block.
pub const INODES_PER_BLOCK: u32 = (BLOCK_SIZE / INODE_SIZE) as u32;
/// Block pointers held in the inode (the roots of the block tree).
pub const ROOTS: usize = 16;
/// Block pointers per indirect block.
pub const FANOUT: u64 = (BLOCK_SIZE / 4) as u64;
/// The root directory's inode number (0 is never an inode).
pub const ROOT_INO: u32 = 1;
/// The longest name in a directory, in bytes.
pub const NAME_MAX: usize = 255;
/// Bits per bitmap block.
pub const BITS_PER_BLOCK: u32 = (BLOCK_SIZE * 8) as u32;
/// Home block numbers one journal descriptor lists (the most blocks one transaction holds).
pub const JDESC_ENTRIES: usize = (BLOCK_SIZE - 32) / 4;

fn get_u16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn get_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}
fn get_u64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}
fn put_u16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}
fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}
fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// Block pointer `index` of an indirect block.
pub fn ptr_at(block: &Block, index: usize) -> u32 {
    get_u32(block, index * 4)
}

/// Sets block pointer `index` of an indirect block.
pub fn set_ptr(block: &mut Block, index: usize, value: u32) {
    put_u32(block, index * 4, value)
}

/// The superblock: the geometry (fixed at mkfs) and the journal's starting sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Super {
    /// Blocks in the file system.
    pub blocks: u32,
    /// Inodes (numbers 1 ..= inodes; 0 is never used).
    pub inodes: u32,
    pub journal_start: u32,
    pub journal_len: u32,
    pub bitmap_start: u32,
    pub bitmap_len: u32,
    pub itable_start: u32,
    pub itable_len: u32,
    /// The first block that may hold file data, directories or indirect blocks.
    pub data_start: u32,
    /// The sequence number of the first transaction the journal may hold (replay starts at the
    /// journal's first block expecting it); raised by every checkpoint.
    pub jseq: u64,
    /// Format time (ns).
    pub created: u64,
}

impl Super {
    /// The geometry of a file system of `blocks` blocks with one inode per `bytes_per_inode`.
    pub fn geometry(blocks: u64, bytes_per_inode: u64, now: u64) -> Result<Super, FsError> {
        if blocks > u32::MAX as u64 {
            return Err(FsError::Invalid);
        }
        let blocks = blocks as u32;
        let journal_len = (blocks / 64).clamp(1024, 8192);
        let inodes = ((blocks as u64 * BLOCK_SIZE as u64 / bytes_per_inode.max(4096)) as u32).max(64);
        let itable_len = (inodes + 1).div_ceil(INODES_PER_BLOCK);
        let inodes = itable_len * INODES_PER_BLOCK - 1;
        let bitmap_len = blocks.div_ceil(BITS_PER_BLOCK);
        let journal_start = SUPER_SLOTS;
        let bitmap_start = journal_start + journal_len;
        let itable_start = bitmap_start + bitmap_len;
        let data_start = itable_start + itable_len;
        // Room for the root directory and a little data.
        if data_start as u64 + 64 > blocks as u64 {
            return Err(FsError::NoSpace);
        }
        Ok(Super {
            blocks,
            inodes,
            journal_start,
            journal_len,
            bitmap_start,
            bitmap_len,
            itable_start,
            itable_len,
            data_start,
            jseq: 1,
            created: now,
        })
    }

    /// Encodes into a block (checksum in the last 4 bytes).
    pub fn encode(&self) -> Block {
        let mut b = [0u8; BLOCK_SIZE];
        put_u64(&mut b, 0, MAGIC);
        let fields = [
            self.blocks,
            self.inodes,
            self.journal_start,
            self.journal_len,
            self.bitmap_start,
            self.bitmap_len,
            self.itable_start,
            self.itable_len,
            self.data_start,
        ];
        for (i, v) in fields.iter().enumerate() {
            put_u32(&mut b, 8 + i * 4, *v);
        }
        put_u64(&mut b, 48, self.jseq);
        put_u64(&mut b, 56, self.created);
        let crc = crc32c(&b[..BLOCK_SIZE - 4]);
        put_u32(&mut b, BLOCK_SIZE - 4, crc);
        b
    }

    /// Decodes and validates (magic, checksum, geometry consistent with `device_blocks`).
    pub fn decode(b: &Block, device_blocks: u64) -> Result<Super, FsError> {
        if get_u64(b, 0) != MAGIC {
            return Err(FsError::Corrupt("superblock magic"));
        }
        if crc32c(&b[..BLOCK_SIZE - 4]) != get_u32(b, BLOCK_SIZE - 4) {
            return Err(FsError::Corrupt("superblock checksum"));
        }
        let f = |i: usize| get_u32(b, 8 + i * 4);
        let s = Super {
            blocks: f(0),
            inodes: f(1),
            journal_start: f(2),
            journal_len: f(3),
            bitmap_start: f(4),
            bitmap_len: f(5),
            itable_start: f(6),
            itable_len: f(7),
            data_start: f(8),
            jseq: get_u64(b, 48),
            created: get_u64(b, 56),
        };
        let consistent = s.blocks as u64 <= device_blocks
            && s.journal_start == SUPER_SLOTS
            && s.journal_len >= 16
            && s.bitmap_start == s.journal_start + s.journal_len
            && s.bitmap_len == s.blocks.div_ceil(BITS_PER_BLOCK)
            && s.itable_start == s.bitmap_start + s.bitmap_len
            && s.itable_len == (s.inodes + 1).div_ceil(INODES_PER_BLOCK)
            && s.data_start == s.itable_start + s.itable_len
            && s.data_start < s.blocks;
        if consistent { Ok(s) } else { Err(FsError::Corrupt("superblock geometry")) }
    }
}

/// What an inode is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
}

impl Kind {
    fn code(kind: Option<Kind>) -> u8 {
        match kind {
            None => 0,
            Some(Kind::File) => 1,
            Some(Kind::Dir) => 2,
        }
    }
    fn from_code(code: u8) -> Result<Option<Kind>, FsError> {
        match code {
            0 => Ok(None),
            1 => Ok(Some(Kind::File)),
            2 => Ok(Some(Kind::Dir)),
            _ => Err(FsError::Corrupt("inode kind")),
        }
    }
}

/// One inode. A file's blocks form a radix tree: `roots[i]` covers blocks
/// `i * FANOUT^height .. (i + 1) * FANOUT^height` (height 0: the roots are data blocks). Pointer 0
/// is a hole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inode {
    /// `None`: the inode is free.
    pub kind: Option<Kind>,
    pub height: u8,
    pub perm: u16,
    /// Directory entries naming this inode (a directory has exactly one; the root one too).
    pub nlink: u32,
    pub size: u64,
    pub atime: u64,
    pub mtime: u64,
    pub ctime: u64,
    /// A directory's parent directory (the root's is itself); 0 for files.
    pub parent: u32,
    /// Raised each time the inode number is reused.
    pub generation: u32,
    pub roots: [u32; ROOTS],
}

impl Inode {
    /// A free inode.
    pub const FREE: Inode = Inode {
        kind: None,
        height: 0,
        perm: 0,
        nlink: 0,
        size: 0,
        atime: 0,
        mtime: 0,
        ctime: 0,
        parent: 0,
        generation: 0,
        roots: [0; ROOTS],
    };

    /// Decodes inode `slot` of an inode-table block.
    pub fn decode(block: &Block, slot: usize) -> Result<Inode, FsError> {
        let b = &block[slot * INODE_SIZE..(slot + 1) * INODE_SIZE];
        let mut roots = [0u32; ROOTS];
        for (i, root) in roots.iter_mut().enumerate() {
            *root = get_u32(b, 48 + i * 4);
        }
        let height = b[1];
        if height > 3 {
            return Err(FsError::Corrupt("inode tree height"));
        }
        Ok(Inode {
            kind: Kind::from_code(b[0])?,
            height,
            perm: get_u16(b, 2),
            nlink: get_u32(b, 4),
            size: get_u64(b, 8),
            atime: get_u64(b, 16),
            mtime: get_u64(b, 24),
            ctime: get_u64(b, 32),
            parent: get_u32(b, 40),
            generation: get_u32(b, 44),
            roots,
        })
    }

    /// Encodes into inode `slot` of an inode-table block.
    pub fn encode(&self, block: &mut Block, slot: usize) {
        let b = &mut block[slot * INODE_SIZE..(slot + 1) * INODE_SIZE];
        b.fill(0);
        b[0] = Kind::code(self.kind);
        b[1] = self.height;
        put_u16(b, 2, self.perm);
        put_u32(b, 4, self.nlink);
        put_u64(b, 8, self.size);
        put_u64(b, 16, self.atime);
        put_u64(b, 24, self.mtime);
        put_u64(b, 32, self.ctime);
        put_u32(b, 40, self.parent);
        put_u32(b, 44, self.generation);
        for (i, root) in self.roots.iter().enumerate() {
            put_u32(b, 48 + i * 4, *root);
        }
    }
}

/// One directory entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub ino: u32,
    pub kind: Kind,
    pub name: String,
}

impl DirEntry {
    /// Bytes the entry takes in a directory block: inode (4), kind (1), name length (1), name.
    pub fn encoded_len(&self) -> usize {
        6 + self.name.len()
    }
}

/// Checks a name: 1..=255 bytes, no '/' or NUL, not "." or "..".
pub fn check_name(name: &str) -> Result<(), FsError> {
    if name.len() > NAME_MAX {
        return Err(FsError::NameTooLong);
    }
    if name.is_empty() || name == "." || name == ".." || name.bytes().any(|c| c == b'/' || c == 0) {
        return Err(FsError::BadName);
    }
    Ok(())
}

/// Parses a directory block: entries packed from offset 0, ended by inode 0 or the block's end.
pub fn parse_dir_block(b: &Block) -> Result<Vec<DirEntry>, FsError> {
    let mut entries = Vec::new();
    let mut at = 0;
    while at + 6 <= BLOCK_SIZE {
        let ino = get_u32(b, at);
        if ino == 0 {
            break;
        }
        let kind = match Kind::from_code(b[at + 4])? {
            Some(kind) => kind,
            None => return Err(FsError::Corrupt("directory entry kind")),
        };
        let len = b[at + 5] as usize;
        let end = at + 6 + len;
        if end > BLOCK_SIZE {
            return Err(FsError::Corrupt("directory entry length"));
        }
        let name = core::str::from_utf8(&b[at + 6..end]).map_err(|_| FsError::Corrupt("directory entry name"))?;
        check_name(name).map_err(|_| FsError::Corrupt("directory entry name"))?;
        entries.push(DirEntry { ino, kind, name: String::from(name) });
        at = end;
    }
    Ok(entries)
}

/// Encodes entries into a directory block; `None` if they do not fit.
pub fn encode_dir_block(entries: &[DirEntry]) -> Option<Block> {
    let total: usize = entries.iter().map(DirEntry::encoded_len).sum();
    if total > BLOCK_SIZE {
        return None;
    }
    let mut b = [0u8; BLOCK_SIZE];
    let mut at = 0;
    for e in entries {
        put_u32(&mut b, at, e.ino);
        b[at + 4] = Kind::code(Some(e.kind));
        b[at + 5] = e.name.len() as u8;
        b[at + 6..at + 6 + e.name.len()].copy_from_slice(e.name.as_bytes());
        at += e.encoded_len();
    }
    Some(b)
}

/// A journal descriptor: the transaction's sequence number and its blocks' home addresses.
pub struct JournalDesc {
    pub seq: u64,
    pub homes: Vec<u32>,
}

impl JournalDesc {
    pub fn encode(&self) -> Block {
        let mut b = [0u8; BLOCK_SIZE];
        put_u32(&mut b, 0, JDESC_MAGIC);
        put_u32(&mut b, 4, self.homes.len() as u32);
        put_u64(&mut b, 8, self.seq);
        for (i, home) in self.homes.iter().enumerate() {
            put_u32(&mut b, 32 + i * 4, *home);
        }
        b
    }

    /// The descriptor of transaction `seq`, or `None` if the block is not one.
    pub fn decode(b: &Block, seq: u64) -> Option<JournalDesc> {
        let count = get_u32(b, 4) as usize;
        if get_u32(b, 0) != JDESC_MAGIC || get_u64(b, 8) != seq || count == 0 || count > JDESC_ENTRIES {
            return None;
        }
        Some(JournalDesc { seq, homes: (0..count).map(|i| get_u32(b, 32 + i * 4)).collect() })
    }
}

/// A journal commit block: the transaction is committed iff this block is valid and its checksum
/// covers the descriptor and every image.
pub fn encode_commit(seq: u64, count: u32, crc: u32, now: u64) -> Block {
    let mut b = [0u8; BLOCK_SIZE];
    put_u32(&mut b, 0, JCOMMIT_MAGIC);
    put_u32(&mut b, 4, count);
    put_u64(&mut b, 8, seq);
    put_u32(&mut b, 16, crc);
    put_u64(&mut b, 24, now);
    let own = crc32c(&b[..BLOCK_SIZE - 4]);
    put_u32(&mut b, BLOCK_SIZE - 4, own);
    b
}

/// Whether `b` is the commit block of transaction `seq` with `count` blocks and checksum `crc`.
pub fn commit_matches(b: &Block, seq: u64, count: u32, crc: u32) -> bool {
    get_u32(b, 0) == JCOMMIT_MAGIC
        && get_u32(b, 4) == count
        && get_u64(b, 8) == seq
        && get_u32(b, 16) == crc
        && crc32c(&b[..BLOCK_SIZE - 4]) == get_u32(b, BLOCK_SIZE - 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn superblock_round_trips_and_rejects_damage() {
        let s = Super::geometry(16384, 65536, 5).unwrap();
        assert_eq!(s.journal_len, 1024);
        let mut b = s.encode();
        assert_eq!(Super::decode(&b, 16384), Ok(s));
        assert_eq!(Super::decode(&b, 100), Err(FsError::Corrupt("superblock geometry")));
        b[20] ^= 1;
        assert_eq!(Super::decode(&b, 16384), Err(FsError::Corrupt("superblock checksum")));
        assert_eq!(Super::geometry(1050, 65536, 0), Err(FsError::NoSpace));
    }

    #[test]
    fn inodes_round_trip() {
        let mut block = [0u8; BLOCK_SIZE];
        let inode = Inode {
            kind: Some(Kind::Dir),
            height: 2,
            perm: 0o755,
            nlink: 3,
            size: 1 << 40,
            atime: 1,
            mtime: 2,
            ctime: 3,
            parent: 9,
            generation: 4,
            roots: [7; ROOTS],
        };
        inode.encode(&mut block, 31);
        assert_eq!(Inode::decode(&block, 31), Ok(inode));
        assert_eq!(Inode::decode(&block, 0), Ok(Inode::FREE));
        block[31 * INODE_SIZE] = 9;
        assert_eq!(Inode::decode(&block, 31), Err(FsError::Corrupt("inode kind")));
    }

    #[test]
    fn directory_blocks_round_trip_and_reject_bad_entries() {
        let entries: Vec<DirEntry> = (0..3)
            .map(|i| DirEntry { ino: i + 2, kind: Kind::File, name: alloc::format!("name{i}") })
            .collect();
        let b = encode_dir_block(&entries).unwrap();
        assert_eq!(parse_dir_block(&b).unwrap(), entries);
        let long = DirEntry { ino: 2, kind: Kind::File, name: "x".repeat(255) };
        assert!(encode_dir_block(&alloc::vec![long; 16]).is_none());
        let mut bad = b;
        bad[5] = 250; // the first name runs into the others: still parses, but "name0\0..." has NUL
        assert!(parse_dir_block(&bad).is_err());
        assert_eq!(check_name(".."), Err(FsError::BadName));
        assert_eq!(check_name("a/b"), Err(FsError::BadName));
        assert_eq!(check_name(&"y".repeat(256)), Err(FsError::NameTooLong));
    }
}
