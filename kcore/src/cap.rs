//! Capabilities: per-environment tables of rights over kernel objects, and the derivation tree
//! that makes revocation transitive.
//!
//! Every capability lives in one arena node that records its owner, the slot that names it in the
//! owner's table, the object, the rights, the capability it was granted from, and those granted
//! from it. An environment names capabilities only by slot; slots and nodes are the kernel's.
//!
//! Each node also indexes the mappings made through it (a [`MapSet`] of (environment index,
//! virtual address)), so the kernel undoes a removed capability's mappings by looking only at
//! them, never at every environment's mappings.
//!
//! Invariants: a table slot and its node always point at each other; a child's rights are a subset
//! of its parent's; removing a node removes its whole subtree (revocation is transitive). The space
//! is generic over the object type so that it can be tested on the host.
//!
//! Long removals come in bounded pieces ([`CapSpace::revoke_some`], [`CapSpace::delete_some`]): a
//! piece removes nodes until its work (a node and its mappings) reaches the bound; what is left
//! hangs directly under the node being revoked (a removed node's children move up to it, so every
//! remaining capability stays below all its remaining ancestors and revocation stays transitive).
use abi::Rights;
use alloc::collections::BTreeSet;
use alloc::vec::Vec;
use core::fmt;

/// The most slots an environment's table can grow to: an environment's own mappings carry their
/// slot in 10 bits of the page-table entry (`abi::pte::SLOT_SHIFT`), which is how a library finds
/// the capability behind each of its pages.
pub const MAX_SLOTS: usize = 1024;
/// Slots a table grows by (it starts empty and grows on demand, one piece at a time).
pub const TABLE_GROWTH: usize = 64;
/// Capability nodes per piece of the node arena (it grows a piece at a time, never moving a node:
/// no large reallocation and copy while the kernel runs with interrupts off).
pub const NODE_CHUNK: usize = 64;

/// Why a capability operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapError {
    /// The slot number is not below [`MAX_SLOTS`].
    SlotOutOfRange(u64),
    /// Nothing is in that slot (never filled, or revoked).
    EmptySlot(u64),
    /// The table has no free slot.
    TableFull,
    /// The capability lacks a right the operation needs.
    MissingRights { have: Rights, need: Rights },
    /// Only a root capability can be given away.
    NotRoot(u64),
    /// A capability with grants cannot be given away (its grants hang off the giver's slot).
    HasGrants(u64),
}

impl fmt::Display for CapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CapError::SlotOutOfRange(s) => write!(f, "capability slot {s} is out of range (0..{MAX_SLOTS})"),
            CapError::EmptySlot(s) => write!(f, "capability slot {s} is empty"),
            CapError::TableFull => write!(f, "capability table full ({MAX_SLOTS} slots)"),
            CapError::MissingRights { have, need } => write!(f, "capability has rights {have}, needs {need}"),
            CapError::NotRoot(s) => write!(f, "capability slot {s} is not a root capability"),
            CapError::HasGrants(s) => write!(f, "capability slot {s} has granted capabilities"),
        }
    }
}

/// Why an environment may put a capability into a table (`cap_grant`'s receiver consent).
///
/// A grant fills a slot of the receiver's table, which the receiver needs for its own pages and
/// children: a stranger must not be able to fill it (ids are public). So a grant lands only where
/// the receiver consented, in one of three ways.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consent {
    /// The receiver is the grantor itself.
    Itself,
    /// The grantor created the receiver, directly or through its descendants: it holds the
    /// receiver's life already (ending the grantor ends the receiver), and its table with it.
    Descendant,
    /// The receiver is blocked in a synchronous protected control transfer the grantor is serving:
    /// a caller accepts what the server it called hands it in the call (as a reply capability in
    /// seL4 may carry the grant right).
    Caller,
}

/// Whether environment `from` may grant into `to`'s table, and why: `to`'s `ancestors` are its
/// creator chain, nearest first (walked only as far as needed), `serving` the callers whose
/// synchronous calls `from` is serving. `None`: the receiver did not consent (`NoRights`).
pub fn consent(from: u64, to: u64, serving: impl IntoIterator<Item = u64>, mut ancestors: impl Iterator<Item = u64>) -> Option<Consent> {
    if from == to {
        Some(Consent::Itself)
    } else if serving.into_iter().any(|caller| caller == to) {
        Some(Consent::Caller)
    } else if ancestors.any(|a| a == from) {
        Some(Consent::Descendant)
    } else {
        None
    }
}

/// The mappings made through one capability: (environment table index, virtual address) pairs.
///
/// A pair is packed in one word, the index in the low 12 bits of the page-aligned address (0 is
/// never a pair: user addresses start above the null guard). Most capabilities are mapped once, or
/// twice (a page shared copy-on-write by a parent and its child), or not at all, so the first two
/// pairs are kept inline (no allocation on the `page_map` path, and a small capability node);
/// further ones go to an ordered set (logarithmic insert and remove, however many).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MapSet {
    inline: [u64; 2],
    // Boxed on purpose: one word in every capability node instead of three, for a set that
    // almost no capability has (node moves are on the map and teardown paths).
    #[allow(clippy::box_collection)]
    rest: Option<alloc::boxed::Box<BTreeSet<u64>>>,
}

/// Environment indices a [`MapSet`] can hold (below the page offset).
pub const MAPSET_ENVS: usize = 4096;

fn pack(env: usize, va: u64) -> u64 {
    debug_assert!(env < MAPSET_ENVS && va.is_multiple_of(4096) && va != 0, "a mapping is a page of a user address");
    va | env as u64
}

fn unpack(word: u64) -> (usize, u64) {
    ((word & 0xfff) as usize, word & !0xfff)
}

impl MapSet {
    /// No mappings.
    pub const fn new() -> MapSet {
        MapSet { inline: [0, 0], rest: None }
    }

    /// How many mappings.
    pub fn len(&self) -> usize {
        usize::from(self.inline[0] != 0) + usize::from(self.inline[1] != 0) + self.rest.as_ref().map_or(0, |r| r.len())
    }

    /// Whether there are none (the inline places fill first and are refilled from the set).
    pub fn is_empty(&self) -> bool {
        self.inline[0] == 0
    }

    /// Records a mapping at `va` (page-aligned, not 0) in the environment at table index `env`
    /// (below [`MAPSET_ENVS`]). An address maps one page: the kernel never records the same
    /// mapping twice.
    pub fn insert(&mut self, env: usize, va: u64) {
        let word = pack(env, va);
        if self.inline[0] == 0 {
            self.inline[0] = word;
        } else if self.inline[1] == 0 {
            self.inline[1] = word;
        } else {
            self.rest.get_or_insert_default().insert(word);
        }
    }

    /// Forgets the mapping at `va` in `env`; returns whether it was recorded. The inline places
    /// stay filled first: the second, or one from the set, moves into a hole.
    pub fn remove(&mut self, env: usize, va: u64) -> bool {
        let word = pack(env, va);
        if self.inline[0] == word {
            self.inline[0] = core::mem::take(&mut self.inline[1]);
        } else if self.inline[1] == word {
            self.inline[1] = 0;
        } else {
            return self.rest.as_mut().is_some_and(|r| r.remove(&word));
        }
        if let Some(rest) = self.rest.as_mut() {
            self.inline[1] = rest.pop_first().unwrap_or(0);
            if rest.is_empty() {
                self.rest = None;
            }
        }
        true
    }

    /// Takes one mapping out (any), if there is one.
    pub fn pop(&mut self) -> Option<(usize, u64)> {
        let (env, va) = unpack(self.inline[0]);
        (self.inline[0] != 0).then(|| {
            self.remove(env, va);
            (env, va)
        })
    }

    /// The mappings (environment index, virtual address).
    pub fn iter(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        self.inline.iter().copied().filter(|&w| w != 0).chain(self.rest.iter().flat_map(|r| r.iter().copied())).map(unpack)
    }
}

/// A capability removed by a revocation or deletion: who held it, in which slot, over what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Removed<O> {
    pub owner: usize,
    pub slot: usize,
    pub object: O,
    /// Whether it was a root capability (the one that came with the object's allocation).
    pub root: bool,
    /// The mappings still made through it (as [`CapSpace::note_mapped`] recorded them): the kernel
    /// removes exactly these.
    pub mappings: MapSet,
    /// How many extent mappings (runs) still went through it (as [`CapSpace::note_extent_runs`]
    /// counted them): the kernel looks for runs to remove only when this is not 0.
    pub extent_runs: u32,
}

/// The work a removal of `nodes` capabilities with `mappings` mappings in all stands for: what
/// [`CapSpace::revoke_some`] bounds.
pub const fn removal_work(nodes: usize, mappings: usize) -> usize {
    nodes + mappings
}

struct Node<O> {
    owner: usize,
    slot: usize,
    object: O,
    rights: Rights,
    parent: Option<usize>,
    /// Its index in its parent's `children` (so detaching it is one swap, however many siblings).
    pos: usize,
    children: Vec<usize>,
    /// Mappings made through it (recorded by the kernel).
    mappings: MapSet,
    /// Extent mappings (runs) made through it (counted by the kernel).
    extent_runs: u32,
}

/// The capability nodes, by index, in pieces of [`NODE_CHUNK`] that never move once allocated.
struct Arena<O> {
    chunks: Vec<Vec<Option<Node<O>>>>,
    len: usize,
}

impl<O> Arena<O> {
    const fn new() -> Arena<O> {
        Arena { chunks: Vec::new(), len: 0 }
    }

    fn len(&self) -> usize {
        self.len
    }

    /// Appends `node` (a new piece when the last is full); returns its index.
    fn push(&mut self, node: Option<Node<O>>) -> usize {
        if self.len.is_multiple_of(NODE_CHUNK) {
            self.chunks.push(Vec::with_capacity(NODE_CHUNK));
        }
        self.chunks.last_mut().expect("a piece with room").push(node);
        self.len += 1;
        self.len - 1
    }
}

impl<O> core::ops::Index<usize> for Arena<O> {
    type Output = Option<Node<O>>;
    fn index(&self, i: usize) -> &Option<Node<O>> {
        &self.chunks[i / NODE_CHUNK][i % NODE_CHUNK]
    }
}

impl<O> core::ops::IndexMut<usize> for Arena<O> {
    fn index_mut(&mut self, i: usize) -> &mut Option<Node<O>> {
        &mut self.chunks[i / NODE_CHUNK][i % NODE_CHUNK]
    }
}

/// The indices of free nodes, a stack kept in pieces of [`NODE_CHUNK`] * 16 entries, so it never
/// needs one large block of kernel memory (a table of a hundred thousand freed nodes would).
struct FreeList {
    pieces: Vec<Vec<u32>>,
    len: usize,
}

impl FreeList {
    const PIECE: usize = NODE_CHUNK * 16;

    const fn new() -> FreeList {
        FreeList { pieces: Vec::new(), len: 0 }
    }

    fn len(&self) -> usize {
        self.len
    }

    fn push(&mut self, index: usize) {
        if self.pieces.last().is_none_or(|p| p.len() == Self::PIECE) {
            self.pieces.push(Vec::with_capacity(Self::PIECE));
        }
        self.pieces.last_mut().expect("a piece with room").push(index as u32);
        self.len += 1;
    }

    fn pop(&mut self) -> Option<usize> {
        let piece = self.pieces.last_mut()?;
        let index = piece.pop()?;
        if piece.is_empty() {
            self.pieces.pop();
        }
        self.len -= 1;
        Some(index as usize)
    }
}

/// All capabilities of all environments.
pub struct CapSpace<O> {
    nodes: Arena<O>,
    free_nodes: FreeList,
    /// `tables[env][slot]` = node index. A table starts empty and grows by [`TABLE_GROWTH`] slots
    /// when it has no free slot, up to [`MAX_SLOTS`].
    tables: Vec<Vec<Option<usize>>>,
    /// `first_free[env]`: every slot below it is in use (where the search for a free one starts).
    first_free: Vec<usize>,
}

impl<O: Copy> Default for CapSpace<O> {
    fn default() -> Self {
        Self::new()
    }
}

impl<O: Copy> CapSpace<O> {
    pub const fn new() -> Self {
        CapSpace { nodes: Arena::new(), free_nodes: FreeList::new(), tables: Vec::new(), first_free: Vec::new() }
    }

    /// Gives `owner` a new root capability over `object` (e.g. a page it just allocated).
    pub fn insert_root(&mut self, owner: usize, object: O, rights: Rights) -> Result<usize, CapError> {
        self.insert(owner, object, rights, None)
    }

    /// The object and rights in `owner`'s `slot`.
    pub fn lookup(&self, owner: usize, slot: u64) -> Result<(O, Rights), CapError> {
        let node = self.node_of(owner, slot)?;
        let n = self.nodes[node].as_ref().expect("table points at a live node");
        Ok((n.object, n.rights))
    }

    /// Like [`lookup`](Self::lookup), also checking that the capability has every right in `need`.
    pub fn check(&self, owner: usize, slot: u64, need: Rights) -> Result<O, CapError> {
        let (object, have) = self.lookup(owner, slot)?;
        if !have.contains(need) {
            return Err(CapError::MissingRights { have, need });
        }
        Ok(object)
    }

    /// Like [`check`](Self::check), but hands the object to `f` in place and returns what `f`
    /// makes of it: a caller that needs one field (an environment's id) does not copy the whole
    /// object out (the kernel's is 24 bytes, which the compiler moves with SSE registers, and in
    /// the kernel an SSE instruction costs the lazy FPU save of the running environment).
    #[inline(always)]
    pub fn check_with<R>(&self, owner: usize, slot: u64, need: Rights, f: impl FnOnce(&O) -> R) -> Result<R, CapError> {
        let node = self.node_of(owner, slot)?;
        let n = self.nodes[node].as_ref().expect("table points at a live node");
        if !n.rights.contains(need) {
            return Err(CapError::MissingRights { have: n.rights, need });
        }
        Ok(f(&n.object))
    }

    /// Records a mapping at `va` in the environment at table index `env`, made through `owner`'s
    /// `slot` (an empty slot is ignored).
    pub fn note_mapped(&mut self, owner: usize, slot: u64, env: usize, va: u64) {
        if let Ok(node) = self.node_of(owner, slot) {
            self.nodes[node].as_mut().expect("live").mappings.insert(env, va);
        }
    }

    /// Forgets that mapping (an empty slot is ignored: its capability was removed, and
    /// [`Removed::mappings`] carried its mappings out).
    pub fn note_unmapped(&mut self, owner: usize, slot: u64, env: usize, va: u64) {
        if let Ok(node) = self.node_of(owner, slot) {
            self.nodes[node].as_mut().expect("live").mappings.remove(env, va);
        }
    }

    /// Counts `delta` more extent mappings (runs) made through `owner`'s `slot` (an empty slot is
    /// ignored: its capability was removed, and [`Removed::extent_runs`] said how many were left).
    pub fn note_extent_runs(&mut self, owner: usize, slot: u64, delta: i32) {
        if let Ok(node) = self.node_of(owner, slot) {
            let n = self.nodes[node].as_mut().expect("live");
            n.extent_runs = n.extent_runs.wrapping_add_signed(delta);
        }
    }

    /// How many page mappings go through `owner`'s `slot` (0 for an empty slot).
    pub fn mappings(&self, owner: usize, slot: u64) -> usize {
        self.node_of(owner, slot).map_or(0, |node| self.nodes[node].as_ref().expect("live").mappings.len())
    }

    /// How many mappings (page mappings and extent runs) go through `owner`'s `slot` and every
    /// capability granted from it,
    /// transitively (0 for an empty slot): an extent is freed only when this is 0.
    pub fn subtree_mappings(&self, owner: usize, slot: u64) -> u32 {
        let Ok(root) = self.node_of(owner, slot) else { return 0 };
        let mut stack = alloc::vec![root];
        let mut total = 0u32;
        while let Some(node) = stack.pop() {
            let n = self.nodes[node].as_ref().expect("live");
            total = total.saturating_add(n.mappings.len() as u32).saturating_add(n.extent_runs);
            stack.extend_from_slice(&n.children);
        }
        total
    }

    /// Whether `owner`'s `slot` holds a root capability (one not granted from another).
    pub fn is_root(&self, owner: usize, slot: u64) -> Result<bool, CapError> {
        let node = self.node_of(owner, slot)?;
        Ok(self.nodes[node].as_ref().expect("live").parent.is_none())
    }

    /// Grants `to` a capability derived from `owner`'s `slot` with `rights`, which must be a subset
    /// of the source's rights; the source needs [`Rights::GRANT`]. Returns the slot in `to`'s table.
    pub fn grant(&mut self, owner: usize, slot: u64, to: usize, rights: Rights) -> Result<usize, CapError> {
        let parent = self.node_of(owner, slot)?;
        let source = self.nodes[parent].as_ref().expect("live");
        let need = rights.union(Rights::GRANT);
        if !source.rights.contains(need) {
            return Err(CapError::MissingRights { have: source.rights, need });
        }
        let object = source.object;
        self.insert(to, object, rights, Some(parent))
    }

    /// Moves `owner`'s root capability in `slot`, which has no grants, to `to`'s table (the object
    /// changes hands). Returns its slot in `to`'s table; on failure nothing changes.
    pub fn give(&mut self, owner: usize, slot: u64, to: usize) -> Result<usize, CapError> {
        let node = self.node_of(owner, slot)?;
        let n = self.nodes[node].as_ref().expect("live");
        if n.parent.is_some() {
            return Err(CapError::NotRoot(slot));
        }
        if !n.children.is_empty() {
            return Err(CapError::HasGrants(slot));
        }
        let new_slot = self.free_slot(to)?;
        self.clear_slot(owner, slot as usize);
        self.tables[to][new_slot] = Some(node);
        let n = self.nodes[node].as_mut().expect("live");
        n.owner = to;
        n.slot = new_slot;
        Ok(new_slot)
    }

    /// Removes every capability granted from `owner`'s `slot`, transitively; the capability itself
    /// stays. Returns what was removed.
    pub fn revoke(&mut self, owner: usize, slot: u64) -> Result<Vec<Removed<O>>, CapError> {
        let node = self.node_of(owner, slot)?;
        let children = core::mem::take(&mut self.nodes[node].as_mut().expect("live").children);
        let mut removed = Vec::new();
        for child in children {
            self.remove_subtree(child, &mut removed);
        }
        Ok(removed)
    }

    /// Removes capabilities granted from `owner`'s `slot`, transitively, until the work of what
    /// was removed ([`removal_work`]) reaches `budget` (at least one goes if any is left). Returns
    /// what was removed and whether the revocation is complete (nothing granted from the slot is
    /// left). The children of a removed capability move up to the slot's node, still below every
    /// remaining ancestor.
    pub fn revoke_some(&mut self, owner: usize, slot: u64, budget: usize) -> Result<(Vec<Removed<O>>, bool), CapError> {
        let node = self.node_of(owner, slot)?;
        let mut removed = Vec::new();
        let mut work = 0;
        while work < budget.max(1) {
            let Some(child) = self.nodes[node].as_mut().expect("live").children.pop() else { break };
            let gone = self.nodes[child].take().expect("live child");
            self.clear_slot(gone.owner, gone.slot);
            self.free_nodes.push(child);
            let base = self.nodes[node].as_ref().expect("live").children.len();
            for (i, &grandchild) in gone.children.iter().enumerate() {
                let g = self.nodes[grandchild].as_mut().expect("live grandchild");
                (g.parent, g.pos) = (Some(node), base + i);
            }
            self.nodes[node].as_mut().expect("live").children.extend_from_slice(&gone.children);
            work += removal_work(1, gone.mappings.len() + gone.extent_runs as usize);
            removed.push(Removed { owner: gone.owner, slot: gone.slot, object: gone.object, root: false, mappings: gone.mappings, extent_runs: gone.extent_runs });
        }
        let done = self.nodes[node].as_ref().expect("live").children.is_empty();
        Ok((removed, done))
    }

    /// Like [`delete`](Self::delete) in bounded pieces: revokes as [`revoke_some`](Self::revoke_some)
    /// does, and removes the capability itself (last in the returned list) once nothing granted
    /// from it is left and the budget allows. Returns whether the slot is now empty.
    pub fn delete_some(&mut self, owner: usize, slot: u64, budget: usize) -> Result<(Vec<Removed<O>>, bool), CapError> {
        let (mut removed, revoked) = self.revoke_some(owner, slot, budget)?;
        let used: usize = removed.iter().map(|r| removal_work(1, r.mappings.len() + r.extent_runs as usize)).sum();
        if !revoked || (used >= budget.max(1) && !removed.is_empty()) {
            return Ok((removed, false));
        }
        let node = self.node_of(owner, slot)?;
        self.detach(node);
        self.remove_subtree(node, &mut removed);
        Ok((removed, true))
    }

    /// Removes `owner`'s `slot` and everything granted from it. Returns what was removed (the
    /// capability itself first).
    pub fn delete(&mut self, owner: usize, slot: u64) -> Result<Vec<Removed<O>>, CapError> {
        let node = self.node_of(owner, slot)?;
        self.detach(node);
        let mut removed = Vec::new();
        self.remove_subtree(node, &mut removed);
        Ok(removed)
    }

    /// Removes every capability `owner` holds and everything granted from them (the environment is
    /// being destroyed).
    pub fn remove_owner(&mut self, owner: usize) -> Vec<Removed<O>> {
        let mut removed = Vec::new();
        let slots: Vec<usize> = match self.tables.get(owner) {
            Some(table) => table.iter().flatten().copied().collect(),
            None => return removed,
        };
        for node in slots {
            if self.nodes[node].is_some() {
                self.detach(node);
                self.remove_subtree(node, &mut removed);
            }
        }
        removed
    }

    /// `owner`'s root capabilities (slot, object), lowest slot first.
    pub fn roots(&self, owner: usize) -> Vec<(usize, O)> {
        let Some(table) = self.tables.get(owner) else { return Vec::new() };
        table
            .iter()
            .flatten()
            .filter_map(|&n| self.nodes[n].as_ref().filter(|node| node.parent.is_none()).map(|node| (node.slot, node.object)))
            .collect()
    }

    /// How many capabilities exist, in all tables.
    pub fn live(&self) -> usize {
        self.nodes.len() - self.free_nodes.len()
    }

    /// How many capabilities `owner` holds.
    pub fn count(&self, owner: usize) -> usize {
        self.tables.get(owner).map_or(0, |t| t.iter().flatten().count())
    }

    fn node_of(&self, owner: usize, slot: u64) -> Result<usize, CapError> {
        if slot >= MAX_SLOTS as u64 {
            return Err(CapError::SlotOutOfRange(slot));
        }
        let table = self.tables.get(owner).ok_or(CapError::EmptySlot(slot))?;
        table.get(slot as usize).copied().flatten().ok_or(CapError::EmptySlot(slot))
    }

    /// The first free slot of `owner`'s table (created on first use).
    fn free_slot(&mut self, owner: usize) -> Result<usize, CapError> {
        if self.tables.len() <= owner {
            self.tables.resize_with(owner + 1, Vec::new);
        }
        if self.first_free.len() <= owner {
            self.first_free.resize(owner + 1, 0);
        }
        let table = &mut self.tables[owner];
        let from = self.first_free[owner];
        let slot = match table.get(from..).and_then(|rest| rest.iter().position(Option::is_none)) {
            Some(i) => from + i,
            None if table.len() < MAX_SLOTS => {
                let slot = table.len();
                table.resize((slot + TABLE_GROWTH).min(MAX_SLOTS), None);
                slot
            }
            None => return Err(CapError::TableFull),
        };
        self.first_free[owner] = slot;
        Ok(slot)
    }

    /// The bytes `owner`'s table would grow by to take one more capability (0 when it has a free
    /// slot or is at [`MAX_SLOTS`]): the kernel charges this to the owner before it inserts.
    pub fn growth(&self, owner: usize) -> usize {
        let Some(table) = self.tables.get(owner) else { return TABLE_GROWTH * core::mem::size_of::<Option<usize>>() };
        let from = self.first_free.get(owner).copied().unwrap_or(0);
        let full = table.get(from..).is_none_or(|rest| rest.iter().all(Option::is_some));
        if full && table.len() < MAX_SLOTS { TABLE_GROWTH * core::mem::size_of::<Option<usize>>() } else { 0 }
    }

    /// Empties `owner`'s `slot`.
    fn clear_slot(&mut self, owner: usize, slot: usize) {
        self.tables[owner][slot] = None;
        self.first_free[owner] = self.first_free[owner].min(slot);
    }

    fn insert(&mut self, owner: usize, object: O, rights: Rights, parent: Option<usize>) -> Result<usize, CapError> {
        let slot = self.free_slot(owner)?;
        let pos = parent.map_or(0, |p| self.nodes[p].as_ref().expect("live parent").children.len());
        let node = Node { owner, slot, object, rights, parent, pos, children: Vec::new(), mappings: MapSet::new(), extent_runs: 0 };
        let index = match self.free_nodes.pop() {
            Some(i) => {
                self.nodes[i] = Some(node);
                i
            }
            None => self.nodes.push(Some(node)),
        };
        self.tables[owner][slot] = Some(index);
        if let Some(p) = parent {
            self.nodes[p].as_mut().expect("live parent").children.push(index);
        }
        Ok(slot)
    }

    /// Unlinks `node` from its parent's children.
    fn detach(&mut self, node: usize) {
        let n = self.nodes[node].as_ref().expect("live");
        let (parent, pos) = (n.parent, n.pos);
        if let Some(p) = parent {
            let siblings = &mut self.nodes[p].as_mut().expect("live parent").children;
            debug_assert_eq!(siblings[pos], node);
            siblings.swap_remove(pos);
            if let Some(&moved) = siblings.get(pos) {
                self.nodes[moved].as_mut().expect("live sibling").pos = pos;
            }
        }
    }

    /// Removes `root` and its descendants (a node without children, the common case, costs no
    /// allocation: the stack is used only below it).
    fn remove_subtree(&mut self, root: usize, removed: &mut Vec<Removed<O>>) {
        let mut stack = Vec::new();
        let mut next = Some(root);
        while let Some(index) = next.take().or_else(|| stack.pop()) {
            let node = self.nodes[index].take().expect("live node in subtree");
            self.clear_slot(node.owner, node.slot);
            self.free_nodes.push(index);
            let root = node.parent.is_none();
            if !node.children.is_empty() {
                stack.extend(node.children);
            }
            removed.push(Removed { owner: node.owner, slot: node.slot, object: node.object, root, mappings: node.mappings, extent_runs: node.extent_runs });
        }
    }
}

#[cfg(test)]
mod tests;
