//! The kernel's on-disk block-allocation map and named roots (issue 20 item 2), as pure logic:
//! the kernel's only on-disk structure, small enough to check at every boot.
//!
//! Every block of the disk has an owner: a root (a library file system's tree, named, found
//! again after a reboot), [`FREE`] (zeros, or its last owner's data never handed to anyone
//! else), [`DIRTY`] (freed by a root; zero-written by [`KMap::scrub`] before anyone gets it), or
//! [`KERNEL`] (this structure's own area). Layout, from block 0:
//!
//! | blocks | what |
//! |---|---|
//! | 0, 1 | superblock slots (magic, checkpoint sequence, geometry, which copy, log start sequence, crc32c); the valid one with the larger sequence wins |
//! | copy 0: M + R | the map (one `u32` owner per block, 1,024 per block) and the root table (R blocks of 32 roots) |
//! | copy 1: M + R | the same, written by alternate checkpoints |
//! | L | the intent log: 128-byte records (sequence, operation, crc32c), 32 per block |
//!
//! **Commit** ([`KMap::commit`]): the records of the operations since the last commit are written
//! after the log's durable records (the partial last block is rewritten whole) and one flush
//! makes them durable. Replay applies records in order while each has the next sequence number
//! and a valid checksum, so a crash inside a commit keeps a prefix of its operations, each whole.
//! **Checkpoint** (when the log is half full): the map blocks changed since the inactive copy
//! was last written, and its root table, go to the inactive copy; flush; the other superblock
//! slot gets the next sequence, that copy, and the log's new start sequence; flush. The log then
//! starts over (old records fail the sequence check).
//!
//! **Rules that keep roots apart across crashes:** blocks are handed out only from [`FREE`], never
//! from [`DIRTY`]; a freed block becomes [`DIRTY`] and is zero-written (and the zeroing flushed)
//! only after its free is committed, then marked free by a logged record; a root may write a
//! block only once its allocation is committed ([`KMap::check`] with `write`), so a crash that
//! loses an allocation never leaves that root's data in a free block. Temporary roots are
//! deleted at every [`KMap::open`].

use crate::crc::crc32c;
use crate::dev::{BLOCK_SIZE, Block, BlockDevice, IoError};
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// The owner of a block nobody holds.
pub const FREE: u32 = 0;
/// The owner of a block freed by a root and not yet zero-written.
pub const DIRTY: u32 = u32::MAX;
/// The owner of the map's own blocks.
pub const KERNEL: u32 = u32::MAX - 1;
/// The most roots.
pub const MAX_ROOTS: usize = 64;
/// The longest root name, in bytes.
pub const ROOT_NAME_MAX: usize = 48;

const MAGIC: u64 = 0x0150_414D_4B4F_5845; // "EXOKMAP\x01"
const RECORD: usize = 128;
const RECORDS_PER_BLOCK: u32 = (BLOCK_SIZE / RECORD) as u32;
const OWNERS_PER_BLOCK: u64 = (BLOCK_SIZE / 4) as u64;
const ROOTS_PER_BLOCK: usize = BLOCK_SIZE / RECORD;
const ROOT_BLOCKS: u32 = (MAX_ROOTS / ROOTS_PER_BLOCK) as u32;
/// The intent log's default length: 2,048 records, a checkpoint every 1,024.
pub const DEFAULT_LOG_BLOCKS: u32 = 64;

/// Why a map operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KmapError {
    Io(IoError),
    /// The disk holds no valid map, or a record names something impossible.
    Corrupt(&'static str),
    /// No free run of the length asked for.
    NoSpace,
    /// A block of the range is not owned by the root named.
    NotOwner,
    /// A block of an exact allocation is not free.
    Busy,
    /// The range runs past the disk, is empty, or starts in the kernel's area.
    OutOfRange,
    NotFound,
    Exists,
    /// A name that is empty, longer than [`ROOT_NAME_MAX`], or holds NUL.
    BadName,
    TooManyRoots,
    /// The capability's generation is older than the root's (revoked).
    Revoked,
    /// A write to blocks whose allocation is not committed yet (commit first).
    NotCommitted,
    /// The disk is too small (or too large: block numbers are 32-bit).
    BadGeometry,
}

impl From<IoError> for KmapError {
    fn from(e: IoError) -> KmapError {
        KmapError::Io(e)
    }
}

/// A root's flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RootFlags(pub u32);

impl RootFlags {
    pub const PERSISTENT: RootFlags = RootFlags(0);
    /// Deleted (its blocks freed) at every open: scratch space.
    pub const TEMPORARY: RootFlags = RootFlags(1);
}

/// A named root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    pub id: u32,
    /// Raised by [`KMap::revoke`]: capabilities naming an older generation are refused.
    pub generation: u32,
    pub flags: RootFlags,
    pub name: String,
    /// Where the library file system keeps its own superblock (start, length), inside the
    /// root's blocks; (0, 0) until set.
    pub super_extent: (u64, u64),
}

/// Where an allocation goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Exactly at this block (every block of the run must be free).
    Exact(u64),
    /// The first free run at or after this block (wrapping around).
    Near(u64),
}

/// One logged operation.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    /// Blocks `start..start+len` go from `from` to `to`.
    SetOwner { start: u64, len: u64, from: u32, to: u32 },
    RootCreate { id: u32, flags: u32, name: String },
    /// The root goes; its blocks become DIRTY.
    RootDelete { id: u32 },
    RootSuper { id: u32, start: u64, len: u64 },
    RootRevoke { id: u32 },
}

/// The map and roots as they stand (what a reboot must find, for tests and `exostat`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KState {
    pub owners: Vec<u32>,
    pub roots: BTreeMap<u32, Root>,
}

impl KState {
    /// The state as [`KMap::open`] leaves it: temporary roots deleted.
    pub fn after_reboot(&self) -> KState {
        let mut s = self.clone();
        let temporary: Vec<u32> = s.roots.values().filter(|r| r.flags == RootFlags::TEMPORARY).map(|r| r.id).collect();
        for id in temporary {
            s.apply(&Op::RootDelete { id });
        }
        s
    }

    fn apply(&mut self, op: &Op) {
        match op {
            Op::SetOwner { start, len, to, .. } => {
                for b in *start..start + len {
                    self.owners[b as usize] = *to;
                }
            }
            Op::RootCreate { id, flags, name } => {
                self.roots.insert(
                    *id,
                    Root { id: *id, generation: 1, flags: RootFlags(*flags), name: name.clone(), super_extent: (0, 0) },
                );
            }
            Op::RootDelete { id } => {
                self.roots.remove(id);
                for owner in self.owners.iter_mut().filter(|o| **o == *id) {
                    *owner = DIRTY;
                }
            }
            Op::RootSuper { id, start, len } => {
                if let Some(r) = self.roots.get_mut(id) {
                    r.super_extent = (*start, *len);
                }
            }
            Op::RootRevoke { id } => {
                if let Some(r) = self.roots.get_mut(id) {
                    r.generation += 1;
                }
            }
        }
    }
}

/// The superblock's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct KSuper {
    seq: u64,
    disk_blocks: u64,
    map_blocks: u32,
    copy: u32,
    /// The sequence number of the log's first record.
    log_seq: u64,
    next_root: u32,
    log_blocks: u32,
}

impl KSuper {
    fn copy_start(&self, copy: u32) -> u64 {
        2 + copy as u64 * (self.map_blocks + ROOT_BLOCKS) as u64
    }
    fn log_start(&self) -> u64 {
        self.copy_start(2)
    }
    /// Blocks at the start of the disk that the map itself uses.
    fn kernel_blocks(&self) -> u64 {
        self.log_start() + self.log_blocks as u64
    }
    fn encode(&self) -> Block {
        let mut b = [0u8; BLOCK_SIZE];
        b[0..8].copy_from_slice(&MAGIC.to_le_bytes());
        b[8..16].copy_from_slice(&self.seq.to_le_bytes());
        b[16..24].copy_from_slice(&self.disk_blocks.to_le_bytes());
        b[24..28].copy_from_slice(&self.map_blocks.to_le_bytes());
        b[28..32].copy_from_slice(&self.copy.to_le_bytes());
        b[32..40].copy_from_slice(&self.log_seq.to_le_bytes());
        b[40..44].copy_from_slice(&self.next_root.to_le_bytes());
        b[44..48].copy_from_slice(&self.log_blocks.to_le_bytes());
        let crc = crc32c(&b[..BLOCK_SIZE - 4]);
        b[BLOCK_SIZE - 4..].copy_from_slice(&crc.to_le_bytes());
        b
    }
    fn decode(b: &Block, disk_blocks: u64) -> Option<KSuper> {
        let u64_at = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"));
        let u32_at = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"));
        if u64_at(0) != MAGIC || crc32c(&b[..BLOCK_SIZE - 4]) != u32_at(BLOCK_SIZE - 4) {
            return None;
        }
        let s = KSuper {
            seq: u64_at(8),
            disk_blocks: u64_at(16),
            map_blocks: u32_at(24),
            copy: u32_at(28),
            log_seq: u64_at(32),
            next_root: u32_at(40),
            log_blocks: u32_at(44),
        };
        let ok = s.disk_blocks == disk_blocks
            && s.map_blocks as u64 == disk_blocks.div_ceil(OWNERS_PER_BLOCK)
            && s.copy < 2
            && s.log_blocks >= 2
            && s.log_blocks <= 1 << 16
            && s.kernel_blocks() < disk_blocks;
        ok.then_some(s)
    }
}

fn encode_record(seq: u64, op: &Op) -> [u8; RECORD] {
    let mut r = [0u8; RECORD];
    r[0..8].copy_from_slice(&seq.to_le_bytes());
    let (kind, a, b, c, d, name): (u8, u64, u64, u32, u32, &str) = match op {
        Op::SetOwner { start, len, from, to } => (1, *start, *len, *from, *to, ""),
        Op::RootCreate { id, flags, name } => (2, 0, 0, *id, *flags, name),
        Op::RootDelete { id } => (3, 0, 0, *id, 0, ""),
        Op::RootSuper { id, start, len } => (4, *start, *len, *id, 0, ""),
        Op::RootRevoke { id } => (5, 0, 0, *id, 0, ""),
    };
    r[8] = kind;
    r[9] = name.len() as u8;
    r[16..24].copy_from_slice(&a.to_le_bytes());
    r[24..32].copy_from_slice(&b.to_le_bytes());
    r[32..36].copy_from_slice(&c.to_le_bytes());
    r[36..40].copy_from_slice(&d.to_le_bytes());
    r[40..40 + name.len()].copy_from_slice(name.as_bytes());
    let crc = crc32c(&r[..RECORD - 4]);
    r[RECORD - 4..].copy_from_slice(&crc.to_le_bytes());
    r
}

fn decode_record(r: &[u8], seq: u64) -> Option<Op> {
    let u64_at = |at: usize| u64::from_le_bytes(r[at..at + 8].try_into().expect("8 bytes"));
    let u32_at = |at: usize| u32::from_le_bytes(r[at..at + 4].try_into().expect("4 bytes"));
    if u64_at(0) != seq || crc32c(&r[..RECORD - 4]) != u32_at(RECORD - 4) {
        return None;
    }
    let (a, b, c, d) = (u64_at(16), u64_at(24), u32_at(32), u32_at(36));
    let len = r[9] as usize;
    if len > ROOT_NAME_MAX {
        return None;
    }
    let name = String::from(core::str::from_utf8(&r[40..40 + len]).ok()?);
    Some(match r[8] {
        1 => Op::SetOwner { start: a, len: b, from: c, to: d },
        2 => Op::RootCreate { id: c, flags: d, name },
        3 => Op::RootDelete { id: c },
        4 => Op::RootSuper { id: c, start: a, len: b },
        5 => Op::RootRevoke { id: c },
        _ => return None,
    })
}

fn encode_roots(roots: &BTreeMap<u32, Root>, block: u32) -> Block {
    let mut b = [0u8; BLOCK_SIZE];
    for (i, root) in roots.values().skip(block as usize * ROOTS_PER_BLOCK).take(ROOTS_PER_BLOCK).enumerate() {
        let r = &mut b[i * RECORD..(i + 1) * RECORD];
        r[0..4].copy_from_slice(&root.id.to_le_bytes());
        r[4..8].copy_from_slice(&root.generation.to_le_bytes());
        r[8..12].copy_from_slice(&root.flags.0.to_le_bytes());
        r[12] = root.name.len() as u8;
        r[16..24].copy_from_slice(&root.super_extent.0.to_le_bytes());
        r[24..32].copy_from_slice(&root.super_extent.1.to_le_bytes());
        r[32..32 + root.name.len()].copy_from_slice(root.name.as_bytes());
    }
    b
}

fn decode_roots(b: &Block, roots: &mut BTreeMap<u32, Root>) -> Result<(), KmapError> {
    for r in b.chunks_exact(RECORD) {
        let id = u32::from_le_bytes(r[0..4].try_into().expect("4 bytes"));
        if id == 0 {
            continue;
        }
        let len = r[12] as usize;
        if len > ROOT_NAME_MAX || id >= KERNEL {
            return Err(KmapError::Corrupt("root table entry"));
        }
        let name = core::str::from_utf8(&r[32..32 + len]).map_err(|_| KmapError::Corrupt("root name"))?;
        let u64_at = |at: usize| u64::from_le_bytes(r[at..at + 8].try_into().expect("8 bytes"));
        roots.insert(
            id,
            Root {
                id,
                generation: u32::from_le_bytes(r[4..8].try_into().expect("4 bytes")),
                flags: RootFlags(u32::from_le_bytes(r[8..12].try_into().expect("4 bytes"))),
                name: String::from(name),
                super_extent: (u64_at(16), u64_at(24)),
            },
        );
    }
    Ok(())
}

/// The map in memory, over the device it lives on (passed to each call that does I/O).
pub struct KMap {
    sb: KSuper,
    state: KState,
    /// Operations since the last commit (not yet in the log).
    pending: Vec<Op>,
    /// Records in the log since the checkpoint (durable or being written).
    log_count: u32,
    /// Map blocks changed since copy 0 / copy 1 was last written.
    changed: [BTreeSet<u32>; 2],
    /// Extents allocated since the last commit: not writable yet.
    fresh: Vec<(u64, u64)>,
}

/// Formats `dev` with an empty map. With `zeroed` the disk is known to read as zeros (a new
/// image), so every block starts [`FREE`]; otherwise every block starts [`DIRTY`] and is zeroed
/// by [`KMap::scrub`] before anyone gets it.
pub fn format<D: BlockDevice>(dev: &mut D, zeroed: bool) -> Result<(), KmapError> {
    format_with_log(dev, zeroed, DEFAULT_LOG_BLOCKS)
}

/// [`format`] with an intent log of `log_blocks` blocks (2 ..= 65,536; tests use short logs to
/// checkpoint often).
pub fn format_with_log<D: BlockDevice>(dev: &mut D, zeroed: bool, log_blocks: u32) -> Result<(), KmapError> {
    if !(2..=1 << 16).contains(&log_blocks) {
        return Err(KmapError::BadGeometry);
    }
    let disk_blocks = dev.block_count();
    if disk_blocks > u32::MAX as u64 {
        return Err(KmapError::BadGeometry);
    }
    let map_blocks = disk_blocks.div_ceil(OWNERS_PER_BLOCK) as u32;
    let sb = KSuper { seq: 1, disk_blocks, map_blocks, copy: 0, log_seq: 1, next_root: 1, log_blocks };
    if sb.kernel_blocks() + 16 > disk_blocks {
        return Err(KmapError::BadGeometry);
    }
    let mut owners = vec![if zeroed { FREE } else { DIRTY }; disk_blocks as usize];
    owners[..sb.kernel_blocks() as usize].fill(KERNEL);
    let state = KState { owners, roots: BTreeMap::new() };
    for copy in 0..2 {
        write_copy(dev, &sb, &state, copy, 0..map_blocks)?;
    }
    let zero = [0u8; BLOCK_SIZE];
    for i in 0..log_blocks as u64 {
        dev.write(sb.log_start() + i, &zero)?;
    }
    dev.write(1, &zero)?;
    dev.write(0, &sb.encode())?;
    dev.flush()?;
    Ok(())
}

/// Writes map blocks `blocks` and the root table of `state` into `copy`.
fn write_copy<D: BlockDevice>(
    dev: &mut D,
    sb: &KSuper,
    state: &KState,
    copy: u32,
    blocks: impl Iterator<Item = u32>,
) -> Result<(), KmapError> {
    let start = sb.copy_start(copy);
    for i in blocks {
        let mut b = [0u8; BLOCK_SIZE];
        let first = i as usize * OWNERS_PER_BLOCK as usize;
        for (k, owner) in state.owners.iter().skip(first).take(OWNERS_PER_BLOCK as usize).enumerate() {
            b[k * 4..k * 4 + 4].copy_from_slice(&owner.to_le_bytes());
        }
        dev.write(start + i as u64, &b)?;
    }
    for i in 0..ROOT_BLOCKS {
        dev.write(start + sb.map_blocks as u64 + i as u64, &encode_roots(&state.roots, i))?;
    }
    Ok(())
}

impl KMap {
    /// Opens the map on `dev`: the newer valid superblock, its copy, the log replayed; then
    /// temporary roots are deleted and that is committed.
    pub fn open<D: BlockDevice>(dev: &mut D) -> Result<KMap, KmapError> {
        let disk_blocks = dev.block_count();
        let mut sb: Option<KSuper> = None;
        for slot in 0..2 {
            let mut b = [0u8; BLOCK_SIZE];
            dev.read(slot, &mut b)?;
            if let Some(s) = KSuper::decode(&b, disk_blocks)
                && sb.is_none_or(|best| s.seq > best.seq)
            {
                sb = Some(s);
            }
        }
        let sb = sb.ok_or(KmapError::Corrupt("no valid map superblock"))?;
        let mut owners = Vec::with_capacity(disk_blocks as usize);
        let start = sb.copy_start(sb.copy);
        let mut b = [0u8; BLOCK_SIZE];
        for i in 0..sb.map_blocks as u64 {
            dev.read(start + i, &mut b)?;
            for k in 0..OWNERS_PER_BLOCK as usize {
                if owners.len() < disk_blocks as usize {
                    owners.push(u32::from_le_bytes(b[k * 4..k * 4 + 4].try_into().expect("4 bytes")));
                }
            }
        }
        let mut roots = BTreeMap::new();
        for i in 0..ROOT_BLOCKS as u64 {
            dev.read(start + sb.map_blocks as u64 + i, &mut b)?;
            decode_roots(&b, &mut roots)?;
        }
        let mut map = KMap {
            sb,
            state: KState { owners, roots },
            pending: Vec::new(),
            log_count: 0,
            changed: [BTreeSet::new(), BTreeSet::new()],
            fresh: Vec::new(),
        };
        map.check_kernel_area()?;
        // The inactive copy may lack changes the active one got at its last checkpoint (they
        // were noted in memory only): its next checkpoint writes it whole.
        map.changed[1 - sb.copy as usize] = (0..sb.map_blocks).collect();
        // Replay.
        'log: for block in 0..sb.log_blocks {
            dev.read(sb.log_start() + block as u64, &mut b)?;
            for r in b.chunks_exact(RECORD) {
                let seq = sb.log_seq + map.log_count as u64;
                let Some(op) = decode_record(r, seq) else { break 'log };
                map.validate(&op)?;
                map.note_changes(&op);
                map.state.apply(&op);
                if let Op::RootCreate { id, .. } = op {
                    map.sb.next_root = map.sb.next_root.max(id + 1);
                }
                map.log_count += 1;
            }
        }
        let temporary: Vec<u32> =
            map.state.roots.values().filter(|r| r.flags == RootFlags::TEMPORARY).map(|r| r.id).collect();
        for id in temporary {
            map.root_delete(id)?;
        }
        map.commit(dev)?;
        Ok(map)
    }

    fn check_kernel_area(&self) -> Result<(), KmapError> {
        let k = self.sb.kernel_blocks() as usize;
        if self.state.owners[..k].iter().any(|&o| o != KERNEL) || self.state.owners[k..].contains(&KERNEL) {
            return Err(KmapError::Corrupt("the map's own area"));
        }
        Ok(())
    }

    /// Checks a replayed record against the state (a record this code never writes is corrupt).
    fn validate(&self, op: &Op) -> Result<(), KmapError> {
        let ok = match op {
            Op::SetOwner { start, len, from, .. } => {
                start.checked_add(*len).is_some_and(|end| end <= self.state.owners.len() as u64)
                    && *start >= self.sb.kernel_blocks()
                    && (*start..start + len).all(|b| self.state.owners[b as usize] == *from)
            }
            Op::RootCreate { id, .. } => *id != 0 && *id < KERNEL && !self.state.roots.contains_key(id),
            Op::RootDelete { id } | Op::RootSuper { id, .. } | Op::RootRevoke { id } => self.state.roots.contains_key(id),
        };
        if ok { Ok(()) } else { Err(KmapError::Corrupt("log record does not fit the map")) }
    }

    fn note_changes(&mut self, op: &Op) {
        let mut mark = |b: u64| {
            let block = (b / OWNERS_PER_BLOCK) as u32;
            self.changed[0].insert(block);
            self.changed[1].insert(block);
        };
        match op {
            Op::SetOwner { start, len, .. } => {
                for b in (*start..start + len).step_by(OWNERS_PER_BLOCK as usize).chain(core::iter::once(start + len - 1)) {
                    mark(b);
                }
            }
            Op::RootDelete { id } => {
                for (b, _) in self.state.owners.iter().enumerate().filter(|(_, o)| **o == *id) {
                    mark(b as u64);
                }
            }
            _ => {}
        }
    }

    /// Applies and records one operation (durable at the next commit).
    fn log(&mut self, op: Op) {
        self.note_changes(&op);
        self.state.apply(&op);
        self.pending.push(op);
    }

    /// The map and roots now (committed or not).
    pub fn state(&self) -> &KState {
        &self.state
    }

    /// Blocks on the disk.
    pub fn disk_blocks(&self) -> u64 {
        self.sb.disk_blocks
    }

    /// Blocks at the start of the disk the map itself uses.
    pub fn kernel_blocks(&self) -> u64 {
        self.sb.kernel_blocks()
    }

    /// Who owns block `b` (`None` past the disk).
    pub fn owner(&self, b: u64) -> Option<u32> {
        self.state.owners.get(b as usize).copied()
    }

    /// Blocks owned by `owner` ([`FREE`], [`DIRTY`] or a root).
    pub fn count(&self, owner: u32) -> u64 {
        self.state.owners.iter().filter(|&&o| o == owner).count() as u64
    }

    // -----------------------------------------------------------------------------------------
    // Roots

    /// Creates the root `name`.
    pub fn root_create(&mut self, name: &str, flags: RootFlags) -> Result<u32, KmapError> {
        if name.is_empty() || name.len() > ROOT_NAME_MAX || name.contains('\0') {
            return Err(KmapError::BadName);
        }
        if self.state.roots.values().any(|r| r.name == name) {
            return Err(KmapError::Exists);
        }
        if self.state.roots.len() >= MAX_ROOTS || self.sb.next_root >= KERNEL {
            return Err(KmapError::TooManyRoots);
        }
        let id = self.sb.next_root;
        self.sb.next_root += 1;
        self.log(Op::RootCreate { id, flags: flags.0, name: String::from(name) });
        Ok(id)
    }

    /// The root named `name`.
    pub fn root_open(&self, name: &str) -> Result<&Root, KmapError> {
        self.state.roots.values().find(|r| r.name == name).ok_or(KmapError::NotFound)
    }

    /// Root `id`.
    pub fn root(&self, id: u32) -> Result<&Root, KmapError> {
        self.state.roots.get(&id).ok_or(KmapError::NotFound)
    }

    /// Deletes root `id`; its blocks become [`DIRTY`].
    pub fn root_delete(&mut self, id: u32) -> Result<(), KmapError> {
        self.root(id)?;
        self.log(Op::RootDelete { id });
        Ok(())
    }

    /// Records where root `id`'s library file system keeps its superblock (blocks it owns).
    pub fn root_set_super(&mut self, id: u32, start: u64, len: u64) -> Result<(), KmapError> {
        self.check(id, None, start, len, false)?;
        self.log(Op::RootSuper { id, start, len });
        Ok(())
    }

    /// Raises root `id`'s generation: every capability naming the old one stops working.
    pub fn revoke(&mut self, id: u32) -> Result<u32, KmapError> {
        self.root(id)?;
        self.log(Op::RootRevoke { id });
        Ok(self.state.roots[&id].generation)
    }

    // -----------------------------------------------------------------------------------------
    // Blocks

    /// Gives `len` free blocks to root `root`, one contiguous run.
    pub fn alloc(&mut self, root: u32, len: u64, place: Place) -> Result<u64, KmapError> {
        self.root(root)?;
        let (first, disk) = (self.sb.kernel_blocks(), self.sb.disk_blocks);
        if len == 0 || len > disk - first {
            return Err(KmapError::OutOfRange);
        }
        let free = |s: &KMap, start: u64| (start..start + len).all(|b| s.state.owners[b as usize] == FREE);
        let start = match place {
            Place::Exact(start) => {
                if start < first || start.checked_add(len).is_none_or(|end| end > disk) {
                    return Err(KmapError::OutOfRange);
                }
                if !free(self, start) {
                    return Err(KmapError::Busy);
                }
                start
            }
            Place::Near(hint) => {
                let span = disk - first;
                let hint = hint.clamp(first, disk - 1) - first;
                let mut found = None;
                let mut k = 0;
                while k < span {
                    let start = first + (hint + k) % span;
                    if start + len > disk {
                        k += disk - start; // wrap to the first block
                        continue;
                    }
                    match (start..start + len).find(|&b| self.state.owners[b as usize] != FREE) {
                        None => {
                            found = Some(start);
                            break;
                        }
                        Some(used) => k += used - start + 1,
                    }
                }
                found.ok_or(KmapError::NoSpace)?
            }
        };
        self.log(Op::SetOwner { start, len, from: FREE, to: root });
        self.fresh.push((start, len));
        Ok(start)
    }

    /// Takes blocks `start..start+len` from root `root` (all must be its own); they become
    /// [`DIRTY`].
    pub fn free(&mut self, root: u32, start: u64, len: u64) -> Result<(), KmapError> {
        self.check(root, None, start, len, false)?;
        self.log(Op::SetOwner { start, len, from: root, to: DIRTY });
        Ok(())
    }

    /// The access check behind every transfer: the range lies on the disk, every block belongs
    /// to `root`, the capability's `generation` (if given) is current, and a write touches no
    /// block whose allocation is not committed yet.
    pub fn check(&self, root: u32, generation: Option<u32>, start: u64, len: u64, write: bool) -> Result<(), KmapError> {
        let r = self.root(root)?;
        if generation.is_some_and(|g| g != r.generation) {
            return Err(KmapError::Revoked);
        }
        let end = start.checked_add(len).ok_or(KmapError::OutOfRange)?;
        if len == 0 || end > self.sb.disk_blocks {
            return Err(KmapError::OutOfRange);
        }
        if self.state.owners[start as usize..end as usize].iter().any(|&o| o != root) {
            return Err(KmapError::NotOwner);
        }
        if write && self.fresh.iter().any(|&(s, l)| s < end && start < s + l) {
            return Err(KmapError::NotCommitted);
        }
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Durability

    /// Makes every operation so far durable: their log records, one flush (a checkpoint first
    /// when the log is half full).
    pub fn commit<D: BlockDevice>(&mut self, dev: &mut D) -> Result<(), KmapError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let capacity = self.sb.log_blocks * RECORDS_PER_BLOCK;
        if self.log_count + self.pending.len() as u32 > capacity / 2 {
            return self.checkpoint(dev);
        }
        let first_block = self.log_count / RECORDS_PER_BLOCK;
        let mut b = [0u8; BLOCK_SIZE];
        let mut block = first_block;
        // The partial block keeps its durable records: rebuild it from the start.
        let mut at = self.log_count % RECORDS_PER_BLOCK;
        if at > 0 {
            dev.read(self.sb.log_start() + block as u64, &mut b)?;
        }
        let pending = core::mem::take(&mut self.pending);
        for op in &pending {
            let seq = self.sb.log_seq + self.log_count as u64;
            let r = encode_record(seq, op);
            b[at as usize * RECORD..(at as usize + 1) * RECORD].copy_from_slice(&r);
            self.log_count += 1;
            at += 1;
            if at == RECORDS_PER_BLOCK {
                dev.write(self.sb.log_start() + block as u64, &b)?;
                b = [0u8; BLOCK_SIZE];
                block += 1;
                at = 0;
            }
        }
        if at > 0 {
            dev.write(self.sb.log_start() + block as u64, &b)?;
        }
        dev.flush()?;
        self.fresh.clear();
        Ok(())
    }

    /// Writes the map's changes and root table to the inactive copy, flushes, switches the
    /// superblock to it (the other slot, next sequence, the log starting over), flushes.
    pub fn checkpoint<D: BlockDevice>(&mut self, dev: &mut D) -> Result<(), KmapError> {
        let copy = 1 - self.sb.copy;
        let changed = core::mem::take(&mut self.changed[copy as usize]);
        write_copy(dev, &self.sb, &self.state, copy, changed.into_iter())?;
        dev.flush()?;
        let next = KSuper {
            seq: self.sb.seq + 1,
            copy,
            log_seq: self.sb.log_seq + self.log_count as u64 + self.pending.len() as u64,
            ..self.sb
        };
        dev.write(next.seq % 2, &next.encode())?;
        dev.flush()?;
        self.sb = next;
        self.log_count = 0;
        self.pending.clear();
        self.fresh.clear();
        Ok(())
    }

    /// Zero-writes the first run of [`DIRTY`] blocks (at most `max`; their free is committed
    /// first), flushes, and marks the run [`FREE`] in one committed record. Returns how many
    /// blocks it scrubbed (0: nothing is dirty). The kernel calls it in the background.
    pub fn scrub<D: BlockDevice>(&mut self, dev: &mut D, max: u64) -> Result<u64, KmapError> {
        self.commit(dev)?;
        let first = self.sb.kernel_blocks();
        let Some(start) = (first..self.sb.disk_blocks).find(|&b| self.state.owners[b as usize] == DIRTY) else {
            return Ok(0);
        };
        let mut len = 0;
        let zero = [0u8; BLOCK_SIZE];
        while len < max && start + len < self.sb.disk_blocks && self.state.owners[(start + len) as usize] == DIRTY {
            dev.write(start + len, &zero)?;
            len += 1;
        }
        dev.flush()?;
        self.log(Op::SetOwner { start, len, from: DIRTY, to: FREE });
        self.commit(dev)?;
        Ok(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dev::MemDevice;

    #[test]
    fn roots_blocks_and_checks() {
        let mut dev = MemDevice::new(5000);
        format(&mut dev, true).unwrap();
        let mut map = KMap::open(&mut dev).unwrap();
        let k = map.kernel_blocks();
        assert_eq!(map.owner(0), Some(KERNEL));
        assert_eq!(map.count(FREE), 5000 - k);
        let home = map.root_create("home", RootFlags::PERSISTENT).unwrap();
        assert_eq!(map.root_create("home", RootFlags::PERSISTENT), Err(KmapError::Exists));
        assert_eq!(map.root_create("", RootFlags::PERSISTENT), Err(KmapError::BadName));
        assert_eq!(map.root_create(&"x".repeat(49), RootFlags::PERSISTENT), Err(KmapError::BadName));
        let other = map.root_create("other", RootFlags::PERSISTENT).unwrap();
        let a = map.alloc(home, 100, Place::Near(0)).unwrap();
        assert_eq!(a, k);
        assert_eq!(map.alloc(other, 10, Place::Exact(a + 50)), Err(KmapError::Busy));
        assert_eq!(map.alloc(other, 10, Place::Exact(1)), Err(KmapError::OutOfRange));
        assert_eq!(map.alloc(other, 10, Place::Exact(4995)), Err(KmapError::OutOfRange));
        let b = map.alloc(other, 10, Place::Near(0)).unwrap();
        assert_eq!(b, a + 100);
        // Writes wait for the allocation's commit; reads do not.
        assert_eq!(map.check(home, None, a, 100, true), Err(KmapError::NotCommitted));
        map.check(home, None, a, 100, false).unwrap();
        map.commit(&mut dev).unwrap();
        map.check(home, None, a, 100, true).unwrap();
        // Another root's blocks, overlaps, out of range, forged roots, revoked generations.
        assert_eq!(map.check(other, None, a, 1, false), Err(KmapError::NotOwner));
        assert_eq!(map.check(home, None, a + 90, 20, false), Err(KmapError::NotOwner));
        assert_eq!(map.check(home, None, 4999, 2, false), Err(KmapError::OutOfRange));
        assert_eq!(map.check(home, None, u64::MAX, 2, false), Err(KmapError::OutOfRange));
        assert_eq!(map.check(99, None, a, 1, false), Err(KmapError::NotFound));
        assert_eq!(map.check(home, None, 0, 1, false), Err(KmapError::NotOwner));
        let generation = map.root(home).unwrap().generation;
        map.check(home, Some(generation), a, 1, false).unwrap();
        assert_eq!(map.revoke(home).unwrap(), generation + 1);
        assert_eq!(map.check(home, Some(generation), a, 1, false), Err(KmapError::Revoked));
        // Free: blocks become dirty, are not handed out, and scrub zeroes them.
        dev.write(a + 5, &[0xAB; BLOCK_SIZE]).unwrap();
        assert_eq!(map.free(other, a, 10), Err(KmapError::NotOwner));
        map.free(home, a, 100).unwrap();
        assert_eq!(map.owner(a + 5), Some(DIRTY));
        let c = map.alloc(other, 100, Place::Near(0)).unwrap();
        assert!(c >= a + 110, "dirty blocks are not handed out");
        assert_eq!(map.scrub(&mut dev, 60).unwrap(), 60);
        assert_eq!(map.scrub(&mut dev, u64::MAX).unwrap(), 40);
        assert_eq!(map.scrub(&mut dev, u64::MAX).unwrap(), 0);
        assert_eq!(dev.block((a + 5) as usize)[0], 0);
        assert_eq!(map.owner(a + 5), Some(FREE));
        map.root_set_super(other, b, 1).unwrap();
        assert_eq!(map.root_set_super(other, a, 1), Err(KmapError::NotOwner));
        map.commit(&mut dev).unwrap();
        let state = map.state().clone();
        let again = KMap::open(&mut dev).unwrap();
        assert_eq!(again.state(), &state);
        assert_eq!(again.root_open("other").unwrap().super_extent, (b, 1));
    }

    #[test]
    fn temporary_roots_go_at_open_and_an_unzeroed_disk_starts_dirty() {
        let mut dev = MemDevice::new(3000);
        format(&mut dev, false).unwrap();
        let mut map = KMap::open(&mut dev).unwrap();
        assert_eq!(map.count(FREE), 0);
        let t = map.root_create("scratch", RootFlags::TEMPORARY).unwrap();
        assert_eq!(map.alloc(t, 1, Place::Near(0)), Err(KmapError::NoSpace));
        assert_eq!(map.scrub(&mut dev, 500).unwrap(), 500);
        let s = map.alloc(t, 20, Place::Near(0)).unwrap();
        map.commit(&mut dev).unwrap();
        let map = KMap::open(&mut dev).unwrap();
        assert_eq!(map.root_open("scratch"), Err(KmapError::NotFound));
        assert_eq!(map.owner(s), Some(DIRTY));
    }

    #[test]
    fn many_commits_checkpoint_and_reopen_the_same() {
        let mut dev = MemDevice::new(70_000);
        format(&mut dev, true).unwrap();
        let mut map = KMap::open(&mut dev).unwrap();
        let r = map.root_create("r", RootFlags::PERSISTENT).unwrap();
        let mut held = Vec::new();
        for i in 0..3000u64 {
            if i % 3 == 2 {
                let (s, l) = held.remove((i as usize * 7) % held.len());
                map.free(r, s, l).unwrap();
            } else {
                held.push((map.alloc(r, 1 + i % 9, Place::Near(i * 13)).unwrap(), 1 + i % 9));
            }
            map.commit(&mut dev).unwrap();
        }
        let state = map.state().clone();
        assert_eq!(KMap::open(&mut dev).unwrap().state(), &state);
    }
}
