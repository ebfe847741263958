//! Whether two filters can match the same frame, decided on their byte constraints.
//!
//! A filter's compare atoms become constraints on single bytes: "under context `ctx`, the byte at
//! `pos` masked with `mask` equals `value`", where the context is the number of shift atoms before
//! the atom (the base is a function of the shifts so far). Two filters whose first `k` shift atoms
//! are equal compute the same base in every context up to `k`, so their constraints in those
//! contexts talk about the same bytes. The filters are **disjoint** when some byte both constrain
//! in a shared context has `(v1 ^ v2) & m1 & m2 != 0`: no frame can satisfy both. Otherwise they
//! **overlap** (conservatively: constraints in contexts that differ are never used as a witness
//! of disjointness). The same rule tells whether a filter implies a port's prefix ([`Constraints::implies`]).
//!
//! Cost: building a filter's constraints is O(atoms * 4 * log); comparing two filters is a merge of
//! two sorted lists of at most 128 entries.

use crate::atom::{Atom, FilterError};
use alloc::vec::Vec;

/// One byte constraint: `(frame[base_ctx + pos] & mask) == value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteRule {
    /// How many shift atoms came before (which base the position is relative to).
    pub ctx: u8,
    /// The byte's offset from that base.
    pub pos: u16,
    /// The bits tested (never 0).
    pub mask: u8,
    /// Their required value (inside `mask`).
    pub value: u8,
}

impl ByteRule {
    fn key(&self) -> (u8, u16) {
        (self.ctx, self.pos)
    }
}

/// A filter's normal form: its shift atoms in order and its byte rules sorted by (context,
/// position), one per byte.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Constraints {
    /// The shift atoms `(offset, mask, shift)`, in order.
    pub shifts: Vec<(u16, u8, u8)>,
    /// The byte rules, sorted by `(ctx, pos)`, at most one per key.
    pub bytes: Vec<ByteRule>,
}

impl Constraints {
    /// The normal form of `atoms` (already checked one by one), or
    /// [`FilterError::Contradiction`] naming the first atom that contradicts an earlier one.
    pub fn of(atoms: &[Atom]) -> Result<Constraints, FilterError> {
        let mut out = Constraints::default();
        for (index, atom) in atoms.iter().enumerate() {
            match *atom {
                Atom::Shift { offset, mask, shift } => out.shifts.push((offset, mask, shift)),
                Atom::Cmp { offset, size, mask, value } => {
                    let n = size.bytes();
                    let ctx = out.shifts.len() as u8;
                    for i in 0..n {
                        let bits = 8 * (n - 1 - i) as u32;
                        let rule = ByteRule {
                            ctx,
                            pos: offset + i as u16,
                            mask: (mask >> bits) as u8,
                            value: (value >> bits) as u8,
                        };
                        if rule.mask != 0 && !out.add(rule) {
                            return Err(FilterError::Contradiction { atom: index });
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// Adds a rule, merging it with an existing rule on the same byte; false on a contradiction.
    fn add(&mut self, rule: ByteRule) -> bool {
        match self.bytes.binary_search_by_key(&rule.key(), ByteRule::key) {
            Ok(i) => {
                let old = &mut self.bytes[i];
                if (old.value ^ rule.value) & old.mask & rule.mask != 0 {
                    return false;
                }
                old.mask |= rule.mask;
                old.value |= rule.value;
                true
            }
            Err(i) => {
                self.bytes.insert(i, rule);
                true
            }
        }
    }

    /// How many leading shift atoms the two filters share (the contexts they can compare).
    fn shared_contexts(&self, other: &Constraints) -> usize {
        self.shifts.iter().zip(&other.shifts).take_while(|(a, b)| a == b).count()
    }

    /// The first byte that proves the two filters disjoint, or `None` when they overlap (some
    /// frame could match both, as far as shared contexts tell).
    pub fn disjoint_at(&self, other: &Constraints) -> Option<ByteRule> {
        let shared = self.shared_contexts(other) as u8;
        let (mut i, mut j) = (0, 0);
        while let (Some(a), Some(b)) = (self.bytes.get(i), other.bytes.get(j)) {
            if a.ctx > shared || b.ctx > shared {
                // Sorted by context first: no later rule of that list is in a shared context.
                break;
            }
            match a.key().cmp(&b.key()) {
                core::cmp::Ordering::Less => i += 1,
                core::cmp::Ordering::Greater => j += 1,
                core::cmp::Ordering::Equal => {
                    if (a.value ^ b.value) & a.mask & b.mask != 0 {
                        return Some(*a);
                    }
                    i += 1;
                    j += 1;
                }
            }
        }
        None
    }

    /// Whether two filters overlap.
    pub fn overlaps(&self, other: &Constraints) -> bool {
        self.disjoint_at(other).is_none()
    }

    /// Whether every frame matching `self` also satisfies `prefix`: `prefix`'s shifts begin
    /// `self`'s and every byte rule of `prefix` is implied by `self`'s rule on that byte.
    pub fn implies(&self, prefix: &Constraints) -> Result<(), Missing> {
        let shared = self.shared_contexts(prefix);
        if shared < prefix.shifts.len() {
            return Err(Missing::Shift(shared));
        }
        for rule in &prefix.bytes {
            let mine = self.bytes.binary_search_by_key(&rule.key(), ByteRule::key).ok().and_then(|i| self.bytes.get(i));
            match mine {
                Some(mine) if mine.mask & rule.mask == rule.mask && mine.value & rule.mask == rule.value => {}
                _ => return Err(Missing::Byte { ctx: rule.ctx, pos: rule.pos }),
            }
        }
        Ok(())
    }
}

/// What a filter lacks to imply a prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    /// The prefix's shift atom number `.0` (counting shifts only) is not the filter's.
    Shift(usize),
    /// The prefix's rule on this byte is not implied.
    Byte { ctx: u8, pos: u16 },
}
