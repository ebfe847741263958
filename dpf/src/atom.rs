//! Atoms and filters: what one filter tests, the limits every filter obeys, and the errors that
//! name which atom broke which limit.
//!
//! Offsets are relative to the current base, which starts at 0 (the first byte of the Ethernet
//! header). A [`Atom::Cmp`] compares `size` big-endian bytes at `base + offset`, masked, with a
//! value; an [`Atom::Shift`] adds `(frame[base + offset] & mask) << shift` to the base (for the IP
//! header: offset 14, mask 0x0f, shift 2 gives IHL * 4). A filter matches a frame when every atom
//! holds in order and every byte it reads lies inside the frame.

use alloc::vec::Vec;
use core::fmt;

/// The most atoms one filter may have.
pub const MAX_ATOMS: usize = 32;
/// The longest Ethernet frame without its check sequence: every byte an atom reads relative to
/// its base lies below this offset.
pub const MAX_FRAME: usize = 1514;
/// The largest shift of a shift atom (a masked byte shifted by 4 moves the base at most 4,080).
pub const MAX_SHIFT: u8 = 4;

/// How many bytes a compare atom reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Size {
    /// One byte.
    B1 = 1,
    /// Two bytes, big-endian.
    B2 = 2,
    /// Four bytes, big-endian.
    B4 = 4,
}

impl Size {
    /// The number of bytes.
    pub const fn bytes(self) -> usize {
        self as usize
    }

    /// The mask of every bit a value of this size can have.
    pub const fn full_mask(self) -> u32 {
        match self {
            Size::B1 => 0xff,
            Size::B2 => 0xffff,
            Size::B4 => 0xffff_ffff,
        }
    }

    /// The size of `n` bytes, if it is one.
    pub const fn from_bytes(n: u8) -> Option<Size> {
        match n {
            1 => Some(Size::B1),
            2 => Some(Size::B2),
            4 => Some(Size::B4),
            _ => None,
        }
    }
}

/// One test of a filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Atom {
    /// `(load(base + offset, size) & mask) == value`.
    Cmp { offset: u16, size: Size, mask: u32, value: u32 },
    /// `base += (frame[base + offset] & mask) << shift`.
    Shift { offset: u16, mask: u8, shift: u8 },
}

impl Atom {
    /// A compare of one byte.
    pub const fn eq8(offset: u16, value: u8) -> Atom {
        Atom::Cmp { offset, size: Size::B1, mask: 0xff, value: value as u32 }
    }

    /// A compare of two bytes.
    pub const fn eq16(offset: u16, value: u16) -> Atom {
        Atom::Cmp { offset, size: Size::B2, mask: 0xffff, value: value as u32 }
    }

    /// A compare of four bytes.
    pub const fn eq32(offset: u16, value: u32) -> Atom {
        Atom::Cmp { offset, size: Size::B4, mask: 0xffff_ffff, value }
    }

    /// The IPv4 header-length shift: the base moves past the IP header's options
    /// (`base += (frame[14] & 0x0f) << 2`), so later offsets count from a 20-byte header's end
    /// minus 20 (the transport header starts at offset 34 from the new base).
    pub const IP_HEADER_SHIFT: Atom = Atom::Shift { offset: 14, mask: 0x0f, shift: 2 };

    /// Checks this atom's own limits; `index` names it in the error.
    pub fn check(&self, index: usize) -> Result<(), FilterError> {
        match *self {
            Atom::Cmp { offset, size, mask, value } => {
                if offset as usize + size.bytes() > MAX_FRAME {
                    return Err(FilterError::OffsetTooLarge { atom: index, offset });
                }
                if mask == 0 {
                    return Err(FilterError::ZeroMask { atom: index });
                }
                if mask & !size.full_mask() != 0 {
                    return Err(FilterError::MaskTooWide { atom: index });
                }
                if value & !mask != 0 {
                    return Err(FilterError::ValueOutsideMask { atom: index });
                }
            }
            Atom::Shift { offset, mask, shift } => {
                if offset as usize >= MAX_FRAME {
                    return Err(FilterError::OffsetTooLarge { atom: index, offset });
                }
                if mask == 0 {
                    return Err(FilterError::ZeroMask { atom: index });
                }
                if shift > MAX_SHIFT {
                    return Err(FilterError::ShiftTooLarge { atom: index, shift });
                }
            }
        }
        Ok(())
    }
}

/// Why a filter (or its encoding) was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterError {
    /// The filter has no atoms (it would match every frame).
    Empty,
    /// More than [`MAX_ATOMS`] atoms.
    TooManyAtoms { count: usize },
    /// The encoding ends before `needed` bytes (it has `got`).
    Truncated { needed: usize, got: usize },
    /// The encoding has bytes after its last atom.
    TrailingBytes { expected: usize, got: usize },
    /// The encoding's version byte is not [`crate::wire::VERSION`].
    BadVersion { version: u8 },
    /// A reserved byte of the encoding is not zero.
    Reserved { atom: Option<usize> },
    /// An atom's operation byte names no operation.
    BadOp { atom: usize, op: u8 },
    /// An atom reads at or beyond [`MAX_FRAME`] relative to its base.
    OffsetTooLarge { atom: usize, offset: u16 },
    /// An atom's mask is zero (it would test nothing).
    ZeroMask { atom: usize },
    /// An atom's mask has bits beyond the bytes it reads.
    MaskTooWide { atom: usize },
    /// A compare atom's value has bits outside its mask (it could never hold).
    ValueOutsideMask { atom: usize },
    /// A shift atom shifts by more than [`MAX_SHIFT`].
    ShiftTooLarge { atom: usize, shift: u8 },
    /// A shift atom is the last atom (it would test nothing).
    TrailingShift,
    /// The atom contradicts an earlier atom of the same filter on the same byte (the filter could
    /// never match).
    Contradiction { atom: usize },
    /// The filter does not imply atom `atom` of the port's canonical prefix
    /// ([`crate::port::Port::prefix`]): it could match frames outside the port.
    NotWithinPort { atom: usize },
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FilterError::Empty => write!(f, "filter has no atoms"),
            FilterError::TooManyAtoms { count } => write!(f, "{count} atoms (at most {MAX_ATOMS})"),
            FilterError::Truncated { needed, got } => write!(f, "encoding truncated: needs {needed} bytes, has {got}"),
            FilterError::TrailingBytes { expected, got } => write!(f, "encoding has {got} bytes, expected {expected}"),
            FilterError::BadVersion { version } => write!(f, "unknown encoding version {version}"),
            FilterError::Reserved { atom: Some(atom) } => write!(f, "atom {atom}: reserved byte not zero"),
            FilterError::Reserved { atom: None } => write!(f, "header: reserved byte not zero"),
            FilterError::BadOp { atom, op } => write!(f, "atom {atom}: unknown operation {op:#x}"),
            FilterError::OffsetTooLarge { atom, offset } => write!(f, "atom {atom}: offset {offset} reads beyond {MAX_FRAME}"),
            FilterError::ZeroMask { atom } => write!(f, "atom {atom}: zero mask"),
            FilterError::MaskTooWide { atom } => write!(f, "atom {atom}: mask wider than the load"),
            FilterError::ValueOutsideMask { atom } => write!(f, "atom {atom}: value has bits outside the mask"),
            FilterError::ShiftTooLarge { atom, shift } => write!(f, "atom {atom}: shift {shift} (at most {MAX_SHIFT})"),
            FilterError::TrailingShift => write!(f, "last atom is a shift"),
            FilterError::Contradiction { atom } => write!(f, "atom {atom} contradicts an earlier atom"),
            FilterError::NotWithinPort { atom } => write!(f, "filter does not imply atom {atom} of the port's prefix"),
        }
    }
}

/// A checked filter: 1 to [`MAX_ATOMS`] atoms, each within its limits, not ending in a shift,
/// not contradicting itself.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Filter {
    atoms: Vec<Atom>,
}

impl Filter {
    /// Checks `atoms` and makes a filter of them.
    pub fn new(atoms: &[Atom]) -> Result<Filter, FilterError> {
        if atoms.is_empty() {
            return Err(FilterError::Empty);
        }
        if atoms.len() > MAX_ATOMS {
            return Err(FilterError::TooManyAtoms { count: atoms.len() });
        }
        for (index, atom) in atoms.iter().enumerate() {
            atom.check(index)?;
        }
        if let Some(Atom::Shift { .. }) = atoms.last() {
            return Err(FilterError::TrailingShift);
        }
        crate::overlap::Constraints::of(atoms)?;
        Ok(Filter { atoms: atoms.to_vec() })
    }

    /// A filter of atoms this crate built itself and knows to be valid.
    pub(crate) fn trusted(atoms: &[Atom]) -> Filter {
        Filter { atoms: atoms.to_vec() }
    }

    /// The atoms, in order.
    pub fn atoms(&self) -> &[Atom] {
        &self.atoms
    }

    /// Whether the filter matches `frame`: the reference semantics, one atom after the other
    /// (the trie classifies exactly like the longest filter that matches here).
    pub fn matches(&self, frame: &[u8]) -> bool {
        let mut base = 0usize;
        for atom in &self.atoms {
            match *atom {
                Atom::Cmp { offset, size, mask, value } => match load(frame, base + offset as usize, size) {
                    Some(loaded) if loaded & mask == value => {}
                    _ => return false,
                },
                Atom::Shift { offset, mask, shift } => match frame.get(base + offset as usize) {
                    Some(&byte) => base += ((byte & mask) as usize) << shift,
                    None => return false,
                },
            }
        }
        true
    }
}

/// Loads `size` big-endian bytes at `pos`, or `None` when any of them lies beyond the frame.
#[inline(always)]
pub fn load(frame: &[u8], pos: usize, size: Size) -> Option<u32> {
    match size {
        Size::B1 => frame.get(pos).map(|&b| b as u32),
        Size::B2 => {
            let bytes: [u8; 2] = frame.get(pos..pos.checked_add(2)?)?.try_into().ok()?;
            Some(u16::from_be_bytes(bytes) as u32)
        }
        Size::B4 => {
            let bytes: [u8; 4] = frame.get(pos..pos.checked_add(4)?)?.try_into().ok()?;
            Some(u32::from_be_bytes(bytes))
        }
    }
}
