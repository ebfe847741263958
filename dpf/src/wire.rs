//! The wire format of a filter: what user code passes to `net_filter_install`.
//!
//! ```text
//! header (4 bytes):  version (1) | atom count (1..=32) | 0 | 0
//! each atom (12 bytes, integers little-endian):
//!   op (1): 1, 2 or 4 = compare that many big-endian frame bytes; 0x80 = shift
//!   shift (1): the shift of a shift atom (0..=4); 0 for a compare
//!   offset (2): from the current base
//!   mask (4): compare: bits within the load, not 0; shift: 1..=0xff
//!   value (4): compare: within the mask; shift: 0
//! ```
//!
//! The length must be exactly `4 + 12 * count`. Decoding checks every field and returns the
//! first error with the atom it concerns; encoding a decoded filter gives back the same bytes.

use crate::atom::{Atom, Filter, FilterError, MAX_ATOMS, Size};
use alloc::vec::Vec;

/// The current encoding version.
pub const VERSION: u8 = 1;
/// Bytes of the header.
pub const HEADER: usize = 4;
/// Bytes of one atom.
pub const ATOM: usize = 12;
/// The operation byte of a shift atom.
pub const OP_SHIFT: u8 = 0x80;
/// The longest encoding.
pub const MAX_ENCODED: usize = HEADER + ATOM * MAX_ATOMS;

impl Filter {
    /// Decodes and checks a filter.
    pub fn decode(bytes: &[u8]) -> Result<Filter, FilterError> {
        let &[version, count, r0, r1] = first::<HEADER>(bytes, 0)?;
        if version != VERSION {
            return Err(FilterError::BadVersion { version });
        }
        if r0 != 0 || r1 != 0 {
            return Err(FilterError::Reserved { atom: None });
        }
        let count = count as usize;
        if count == 0 {
            return Err(FilterError::Empty);
        }
        if count > MAX_ATOMS {
            return Err(FilterError::TooManyAtoms { count });
        }
        let expected = HEADER + ATOM * count;
        if bytes.len() < expected {
            return Err(FilterError::Truncated { needed: expected, got: bytes.len() });
        }
        if bytes.len() > expected {
            return Err(FilterError::TrailingBytes { expected, got: bytes.len() });
        }
        let mut atoms = Vec::with_capacity(count);
        for index in 0..count {
            let raw = first::<ATOM>(bytes, HEADER + ATOM * index)?;
            atoms.push(decode_atom(index, raw)?);
        }
        Filter::new(&atoms)
    }

    /// The length of [`Filter::encode`]'s result.
    pub fn encoded_len(&self) -> usize {
        HEADER + ATOM * self.atoms().len()
    }

    /// Encodes into `out`; returns the length, or `None` when `out` is too short.
    pub fn encode_into(&self, out: &mut [u8]) -> Option<usize> {
        let len = self.encoded_len();
        let out = out.get_mut(..len)?;
        out.fill(0);
        *out.first_mut()? = VERSION;
        *out.get_mut(1)? = self.atoms().len() as u8;
        for (index, atom) in self.atoms().iter().enumerate() {
            let at = HEADER + ATOM * index;
            let slot = out.get_mut(at..at + ATOM)?;
            let (op, shift, offset, mask, value) = match *atom {
                Atom::Cmp { offset, size, mask, value } => (size.bytes() as u8, 0, offset, mask, value),
                Atom::Shift { offset, mask, shift } => (OP_SHIFT, shift, offset, mask as u32, 0),
            };
            slot.get_mut(0..2)?.copy_from_slice(&[op, shift]);
            slot.get_mut(2..4)?.copy_from_slice(&offset.to_le_bytes());
            slot.get_mut(4..8)?.copy_from_slice(&mask.to_le_bytes());
            slot.get_mut(8..12)?.copy_from_slice(&value.to_le_bytes());
        }
        Some(len)
    }

    /// The encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = alloc::vec![0; self.encoded_len()];
        let _ = self.encode_into(&mut out);
        out
    }
}

/// The `N` bytes at `at`, or [`FilterError::Truncated`].
fn first<const N: usize>(bytes: &[u8], at: usize) -> Result<&[u8; N], FilterError> {
    bytes
        .get(at..at + N)
        .and_then(|s| s.try_into().ok())
        .ok_or(FilterError::Truncated { needed: at + N, got: bytes.len() })
}

fn decode_atom(index: usize, raw: &[u8; ATOM]) -> Result<Atom, FilterError> {
    let [op, shift, o0, o1, m0, m1, m2, m3, v0, v1, v2, v3] = *raw;
    let offset = u16::from_le_bytes([o0, o1]);
    let mask = u32::from_le_bytes([m0, m1, m2, m3]);
    let value = u32::from_le_bytes([v0, v1, v2, v3]);
    let atom = if op == OP_SHIFT {
        if value != 0 {
            return Err(FilterError::Reserved { atom: Some(index) });
        }
        if mask > 0xff {
            return Err(FilterError::MaskTooWide { atom: index });
        }
        Atom::Shift { offset, mask: mask as u8, shift }
    } else {
        let size = Size::from_bytes(op).ok_or(FilterError::BadOp { atom: index, op })?;
        if shift != 0 {
            return Err(FilterError::Reserved { atom: Some(index) });
        }
        Atom::Cmp { offset, size, mask, value }
    };
    atom.check(index)?;
    Ok(atom)
}
