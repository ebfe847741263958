//! The compiled classifier: the trie flattened into a straight-line program after every insert
//! and removal (the trie stays the source of truth; this is a cache of it).
//!
//! The trie's depth-first walk has a static shape: after the subtree of a group's child the walk
//! always continues with the node's next group, and when a test fails it always continues there
//! too. So the compiler lays each node out as its groups one after the other, each group's test
//! followed by its children's code, and every "continue with the next group" becomes a forward
//! jump target known at compile time: no stack, no node or group fetch at run time.
//!
//! * A group with one edge is one [`Op::Cmp`]: a masked compare of the bytes the atom names, read
//!   as one 4-byte big-endian word ending where the atom's field ends (the same bounds test as
//!   the atom's own: the word lies in the frame exactly when the field does), so there is no
//!   dispatch on the size.
//! * A group with several edges is one [`Op::Switch`]: the masked field is looked up in an
//!   open-addressing table of (value, code address) pairs, one probe for the usual port group.
//! * A shift is one [`Op::Shift`]; the base it computes goes to its own slot (the number of shifts
//!   on the path so far), so code after the subtree still reads its own base.
//! * A node where a filter ends is one [`Op::Accept`] that carries the filter's id and owner and the
//!   node's depth (longest match; equal depths: the lowest id) and, precomputed, whether any
//!   later accept could still beat it: when none can, the run stops there.
//!
//! The program only jumps forward, so a run executes each op at most once: at most
//! `nodes + groups` ops. Paths with more than [`SLOTS`] - 1 nested shifts are not compiled (the
//! trie walk classifies then); no filter of the usual shapes has more than one.

use crate::atom::Size;
use crate::trie::{FilterId, Match};
use alloc::vec::Vec;

/// Base slots of a run: the frame start and up to `SLOTS - 1` nested shifts.
pub const SLOTS: usize = 4;

/// The most compares one [`Op::Cmp`] holds.
pub const RUN: usize = 4;

/// Not a code address (an empty slot of a switch table).
const EMPTY: u32 = u32::MAX;

/// One instruction of a compiled classifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// For each `i < n`: `load32(base[slot] + pos[i]) & mask[i] == value[i]`, else go to `fail`: a
    /// run of up to [`RUN`] single-edge compares of one base (no filter ends inside the run and
    /// no node in it has another group, so every failure in it continues at the same place).
    Cmp { slot: u8, n: u8, pos: [u16; RUN], mask: [u32; RUN], value: [u32; RUN], fail: u32 },
    /// A compare of fewer than 4 bytes that ends before byte 4 of its base (no word fits).
    CmpShort { slot: u8, size: Size, pos: u16, mask: u32, value: u32, fail: u32 },
    /// `base[slot + 1] = base[slot] + (frame[base[slot] + pos] & mask) << shift`, else `fail`.
    Shift { slot: u8, pos: u16, mask: u8, shift: u8, fail: u32 },
    /// Looks `load32(base[slot] + pos) & mask` (or a short load when `short`) up in
    /// `table[first .. first + 2^bits]`; goes to the entry's code, else `fail`.
    Switch { slot: u8, short: Option<Size>, pos: u16, mask: u32, first: u32, bits: u8, fail: u32 },
    /// A filter ends here: the candidate if `(depth, lower id)` beats the best so far; `stop`:
    /// nothing later can beat it.
    Accept { depth: u8, stop: bool, id: u32, owner: u32 },
    /// Continue at `to`.
    Jump { to: u32 },
}

/// A compiled classifier.
#[derive(Clone, Debug, Default)]
pub struct Program {
    ops: Vec<Op>,
    table: Vec<(u32, u32)>,
}

/// Why a trie could not be compiled (the trie walk classifies then).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompileError {
    /// The heap could not grow.
    NoMemory,
    /// A path has more nested shifts than [`SLOTS`] - 1.
    TooManyShifts,
    /// The program would be too long to address.
    TooLong,
}

/// The compiler's view of one trie group: what it tests and, per edge, the value and the child.
pub(crate) struct GroupView<'a> {
    /// 1, 2 or 4: compare that many bytes; 0: shift.
    pub op: u8,
    pub shift: u8,
    pub offset: u16,
    pub mask: u32,
    pub edges: &'a [(u32, u32)],
}

/// What the compiler needs of the trie.
pub(crate) trait Source {
    /// The filter ending at `node` and its owner, if one does.
    fn terminal(&self, node: u32) -> Option<(FilterId, u32)>;
    /// How many groups `node` has.
    fn groups(&self, node: u32) -> usize;
    /// Group `g` of `node`.
    fn group(&self, node: u32, g: usize) -> Option<GroupView<'_>>;
}

impl Program {
    /// The ops (for tests and cost accounting).
    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    /// Compiles the trie rooted at node 0 of `source`.
    pub(crate) fn compile<S: Source>(source: &S) -> Result<Program, CompileError> {
        let mut program = Program::default();
        program.node(source, 0, 0, 0)?;
        program.mark_stops();
        Ok(program)
    }

    fn here(&self) -> Result<u32, CompileError> {
        u32::try_from(self.ops.len()).ok().filter(|&pc| pc < EMPTY).ok_or(CompileError::TooLong)
    }

    fn emit(&mut self, op: Op) -> Result<usize, CompileError> {
        self.here()?;
        self.ops.try_reserve(1).map_err(|_| CompileError::NoMemory)?;
        self.ops.push(op);
        Ok(self.ops.len() - 1)
    }

    /// Sets the failure (or jump) target of op `at` to the current end.
    fn patch(&mut self, at: usize) -> Result<(), CompileError> {
        let here = self.here()?;
        if let Some(op) = self.ops.get_mut(at) {
            match op {
                Op::Cmp { fail, .. } | Op::CmpShort { fail, .. } | Op::Shift { fail, .. } | Op::Switch { fail, .. } => *fail = here,
                Op::Jump { to } => *to = here,
                Op::Accept { .. } => {}
            }
        }
        Ok(())
    }

    /// Emits the code of `node` (at `depth` atoms, reading base `slot`): its accept, then each
    /// group's test followed by the children's code. Recursion depth is at most
    /// [`crate::MAX_ATOMS`] (one level per atom).
    fn node<S: Source>(&mut self, source: &S, node: u32, depth: u8, slot: u8) -> Result<(), CompileError> {
        if let Some((id, owner)) = source.terminal(node) {
            self.emit(Op::Accept { depth, stop: false, id: id.0, owner })?;
        }
        for g in 0..source.groups(node) {
            let Some(group) = source.group(node, g) else { continue };
            let depth = depth.saturating_add(1);
            if group.op == 0 {
                let Some(&(_, child)) = group.edges.first() else { continue };
                if slot as usize + 1 >= SLOTS {
                    return Err(CompileError::TooManyShifts);
                }
                let test = self.emit(Op::Shift { slot, pos: group.offset, mask: group.mask as u8, shift: group.shift, fail: EMPTY })?;
                self.node(source, child, depth, slot + 1)?;
                self.patch(test)?;
                continue;
            }
            let size = Size::from_bytes(group.op).unwrap_or(Size::B4);
            let end = group.offset as usize + size.bytes();
            // The word ending where the field ends, and the mask and values moved within it.
            let (short, pos) = if end >= 4 { (None, (end - 4) as u16) } else { (Some(size), group.offset) };
            let mask = group.mask;
            if let [(value, child)] = group.edges {
                let (test, child, depth) = match short {
                    None => {
                        // Collapse the run of single-edge word compares below this one.
                        let (mut n, mut child, mut depth) = (1usize, *child, depth);
                        let (mut poss, mut masks, mut values) = ([0u16; RUN], [0u32; RUN], [0u32; RUN]);
                        (poss[0], masks[0], values[0]) = (pos, mask, *value);
                        while n < RUN && source.terminal(child).is_none() && source.groups(child) == 1 {
                            let Some(next) = source.group(child, 0) else { break };
                            let end = next.offset as usize + next.op as usize;
                            let [(value, grandchild)] = next.edges else { break };
                            if next.op == 0 || end < 4 {
                                break;
                            }
                            if let (Some(p), Some(m), Some(v)) = (poss.get_mut(n), masks.get_mut(n), values.get_mut(n)) {
                                (*p, *m, *v) = ((end - 4) as u16, next.mask, *value);
                            }
                            n += 1;
                            child = *grandchild;
                            depth = depth.saturating_add(1);
                        }
                        let op = Op::Cmp { slot, n: n as u8, pos: poss, mask: masks, value: values, fail: EMPTY };
                        (self.emit(op)?, child, depth)
                    }
                    Some(size) => (self.emit(Op::CmpShort { slot, size, pos, mask, value: *value, fail: EMPTY })?, *child, depth),
                };
                self.node(source, child, depth, slot)?;
                self.patch(test)?;
                continue;
            }
            // A switch: a table of at least twice as many slots as edges (a probe always ends at an
            // empty slot), filled once the children's addresses are known.
            let len = (group.edges.len() * 2).next_power_of_two().max(2);
            let first = u32::try_from(self.table.len()).map_err(|_| CompileError::TooLong)?;
            self.table.try_reserve(len).map_err(|_| CompileError::NoMemory)?;
            self.table.resize(self.table.len() + len, (0, EMPTY));
            let bits = len.trailing_zeros() as u8;
            let test = self.emit(Op::Switch { slot, short, pos, mask, first, bits, fail: EMPTY })?;
            let mut jumps: Vec<usize> = Vec::new();
            jumps.try_reserve(group.edges.len()).map_err(|_| CompileError::NoMemory)?;
            for (i, &(value, child)) in group.edges.iter().enumerate() {
                let at = self.here()?;
                let mut probe = slot_of(value, bits);
                for _ in 0..len {
                    match self.table.get_mut(first as usize + probe) {
                        Some(entry) if entry.1 == EMPTY => {
                            *entry = (value, at);
                            break;
                        }
                        _ => probe = (probe + 1) & (len - 1),
                    }
                }
                self.node(source, child, depth, slot)?;
                if i + 1 < group.edges.len() {
                    jumps.push(self.emit(Op::Jump { to: EMPTY })?);
                }
            }
            for jump in jumps {
                self.patch(jump)?;
            }
            self.patch(test)?;
        }
        Ok(())
    }

    /// Marks each accept that no later accept can beat (the program only jumps forward, so what
    /// runs after an op lies after it).
    fn mark_stops(&mut self) {
        // The best (depth, lowest id at that depth) of the accepts after the current op.
        let mut later: Option<(u8, u32)> = None;
        for op in self.ops.iter_mut().rev() {
            if let Op::Accept { depth, stop, id, .. } = op {
                *stop = match later {
                    None => true,
                    Some((d, i)) => d < *depth || (d == *depth && i > *id),
                };
                later = Some(match later {
                    Some((d, i)) if d > *depth || (d == *depth && i < *id) => (d, i),
                    _ => (*depth, *id),
                });
            }
        }
    }

    /// The longest matching filter and its owner. Never allocates, never recurses; every load is
    /// bounds-checked against `frame`; every op runs at most once.
    pub fn run(&self, frame: &[u8]) -> Option<Match> {
        let mut bases = [0usize; SLOTS];
        let mut best: Option<(u8, u32, u32)> = None;
        let mut pc = 0usize;
        while let Some(op) = self.ops.get(pc) {
            pc += 1;
            match *op {
                Op::Cmp { slot, n, ref pos, ref mask, ref value, fail } => {
                    let base = bases[slot as usize % SLOTS];
                    for i in 0..(n as usize).min(RUN) {
                        match word(frame, base + pos[i] as usize) {
                            Some(loaded) if loaded & mask[i] == value[i] => {}
                            _ => {
                                pc = fail as usize;
                                break;
                            }
                        }
                    }
                }
                Op::Switch { slot, short, pos, mask, first, bits, fail } => {
                    let at = bases[slot as usize % SLOTS] + pos as usize;
                    let loaded = match short {
                        None => word(frame, at),
                        Some(size) => crate::atom::load(frame, at, size),
                    };
                    pc = fail as usize;
                    if let Some(loaded) = loaded {
                        pc = self.lookup(loaded & mask, first, bits).unwrap_or(pc);
                    }
                }
                Op::Accept { depth, stop, id, owner } => {
                    let better = match best {
                        None => true,
                        Some((d, i, _)) => depth > d || (depth == d && id < i),
                    };
                    if better {
                        best = Some((depth, id, owner));
                    }
                    if stop {
                        break;
                    }
                }
                Op::Shift { slot, pos, mask, shift, fail } => {
                    let base = bases[slot as usize % SLOTS];
                    match frame.get(base + pos as usize) {
                        Some(&byte) => bases[(slot as usize + 1) % SLOTS] = base + (((byte & mask) as usize) << shift),
                        None => pc = fail as usize,
                    }
                }
                Op::Jump { to } => pc = to as usize,
                Op::CmpShort { slot, size, pos, mask, value, fail } => {
                    match crate::atom::load(frame, bases[slot as usize % SLOTS] + pos as usize, size) {
                        Some(loaded) if loaded & mask == value => {}
                        _ => pc = fail as usize,
                    }
                }
            }
        }
        best.map(|(_, id, owner)| Match { id: FilterId(id), owner })
    }
}

impl Program {
    /// The code address of `value` in the switch table at `first` of `2^bits` slots. The table
    /// is at most half full, so the probe ends at an empty slot; it is bounded anyway.
    #[inline(always)]
    fn lookup(&self, value: u32, first: u32, bits: u8) -> Option<usize> {
        let len = 1usize << bits;
        let table = self.table.get(first as usize..)?;
        let mut probe = slot_of(value, bits);
        for _ in 0..len {
            let &(v, to) = table.get(probe)?;
            if v == value && to != EMPTY {
                return Some(to as usize);
            }
            if to == EMPTY {
                return None;
            }
            probe = (probe + 1) & (len - 1);
        }
        None
    }
}

/// The 4 big-endian bytes at `at`, if they lie in the frame.
#[inline(always)]
fn word(frame: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(*frame.get(at..)?.first_chunk::<4>()?))
}

/// The first probe of `value` in a table of `2^bits` slots (Fibonacci hashing).
#[inline(always)]
fn slot_of(value: u32, bits: u8) -> usize {
    // `bits` is 1 to 31 (a table has 2 to 2^11 slots), so the shift is in range.
    (value.wrapping_mul(0x9e37_79b1) >> ((32 - u32::from(bits)) % 32)) as usize
}
