//! Capabilities: per-environment tables of rights over kernel objects, and the derivation tree
//! that makes revocation transitive.
//!
//! Every capability lives in one arena node that records its owner, the slot that names it in the
//! owner's table, the object, the rights, the capability it was granted from, and those granted
//! from it. An environment names capabilities only by slot; slots and nodes are the kernel's.
//!
//! Invariants: a table slot and its node always point at each other; a child's rights are a subset
//! of its parent's; removing a node removes its whole subtree (revocation is transitive). The space
//! is generic over the object type so that it can be tested on the host.
use abi::Rights;
use alloc::vec::Vec;
use core::fmt;

/// How many slots each environment's table has.
pub const MAX_SLOTS: usize = 1024;

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

/// A capability removed by a revocation or deletion: who held it, in which slot, over what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Removed<O> {
    pub owner: usize,
    pub slot: usize,
    pub object: O,
    /// Whether it was a root capability (the one that came with the object's allocation).
    pub root: bool,
    /// How many mappings still went through it (as [`CapSpace::note_mappings`] counted them): the
    /// kernel looks for mappings to remove only when this is not 0.
    pub mappings: u32,
}

struct Node<O> {
    owner: usize,
    slot: usize,
    object: O,
    rights: Rights,
    parent: Option<usize>,
    children: Vec<usize>,
    /// Mappings made through it (counted by the kernel).
    mappings: u32,
}

/// All capabilities of all environments.
pub struct CapSpace<O> {
    nodes: Vec<Option<Node<O>>>,
    free_nodes: Vec<usize>,
    /// `tables[env][slot]` = node index.
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
        CapSpace { nodes: Vec::new(), free_nodes: Vec::new(), tables: Vec::new(), first_free: Vec::new() }
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

    /// Counts `delta` more mappings made through `owner`'s `slot` (an empty slot is ignored: its
    /// capability was removed, and [`Removed::mappings`] said how many were left).
    pub fn note_mappings(&mut self, owner: usize, slot: u64, delta: i32) {
        if let Ok(node) = self.node_of(owner, slot) {
            let n = self.nodes[node].as_mut().expect("live");
            n.mappings = n.mappings.wrapping_add_signed(delta);
        }
    }

    /// How many mappings go through `owner`'s `slot` (0 for an empty slot).
    pub fn mappings(&self, owner: usize, slot: u64) -> u32 {
        self.node_of(owner, slot).map_or(0, |node| self.nodes[node].as_ref().expect("live").mappings)
    }

    /// How many mappings go through `owner`'s `slot` and every capability granted from it,
    /// transitively (0 for an empty slot): an extent is freed only when this is 0.
    pub fn subtree_mappings(&self, owner: usize, slot: u64) -> u32 {
        let Ok(root) = self.node_of(owner, slot) else { return 0 };
        let mut stack = alloc::vec![root];
        let mut total = 0u32;
        while let Some(node) = stack.pop() {
            let n = self.nodes[node].as_ref().expect("live");
            total = total.saturating_add(n.mappings);
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
        table[slot as usize].ok_or(CapError::EmptySlot(slot))
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
        if table.is_empty() {
            table.resize(MAX_SLOTS, None);
        }
        let from = self.first_free[owner];
        let slot = table[from..].iter().position(Option::is_none).map(|i| from + i).ok_or(CapError::TableFull)?;
        self.first_free[owner] = slot;
        Ok(slot)
    }

    /// Empties `owner`'s `slot`.
    fn clear_slot(&mut self, owner: usize, slot: usize) {
        self.tables[owner][slot] = None;
        self.first_free[owner] = self.first_free[owner].min(slot);
    }

    fn insert(&mut self, owner: usize, object: O, rights: Rights, parent: Option<usize>) -> Result<usize, CapError> {
        let slot = self.free_slot(owner)?;
        let node = Node { owner, slot, object, rights, parent, children: Vec::new(), mappings: 0 };
        let index = match self.free_nodes.pop() {
            Some(i) => {
                self.nodes[i] = Some(node);
                i
            }
            None => {
                self.nodes.push(Some(node));
                self.nodes.len() - 1
            }
        };
        self.tables[owner][slot] = Some(index);
        if let Some(p) = parent {
            self.nodes[p].as_mut().expect("live parent").children.push(index);
        }
        Ok(slot)
    }

    /// Unlinks `node` from its parent's children.
    fn detach(&mut self, node: usize) {
        if let Some(p) = self.nodes[node].as_ref().expect("live").parent {
            self.nodes[p].as_mut().expect("live parent").children.retain(|&c| c != node);
        }
    }

    fn remove_subtree(&mut self, root: usize, removed: &mut Vec<Removed<O>>) {
        let mut stack = alloc::vec![root];
        while let Some(index) = stack.pop() {
            let node = self.nodes[index].take().expect("live node in subtree");
            self.clear_slot(node.owner, node.slot);
            self.free_nodes.push(index);
            let (owner, slot, object, mappings) = (node.owner, node.slot, node.object, node.mappings);
            removed.push(Removed { owner, slot, object, root: node.parent.is_none(), mappings });
            stack.extend(node.children);
        }
    }
}

#[cfg(test)]
mod tests;
