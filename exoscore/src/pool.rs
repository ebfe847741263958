//! The `/tmp` pool's header page: the file table and the page chains, atomics only so that every
//! process of a session can map it (ExOS's `exos::fs::tmpfs` maps it, holds its lock around every
//! call and moves the bytes of the data pages).
use crate::chain::Chains;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, AtomicU8, Ordering::Relaxed};

/// Data pages of the pool (252 KiB); the pool is one header page and these.
pub const DATA_PAGES: usize = 63;
/// Files the pool holds at most.
pub const MAX_FILES: usize = 32;
/// The longest name, in bytes.
pub const NAME_MAX: usize = 47;
/// Bytes per page.
pub const PAGE_SIZE: usize = 4096;

/// One file of the table; unused while `generation` is 0.
#[repr(C)]
pub struct Entry {
    pub generation: AtomicU64,
    pub size: AtomicU64,
    /// First data page of the chain (`chain::NONE`: empty file).
    pub first: AtomicU64,
    pub name_len: AtomicU64,
    pub name: [AtomicU8; NAME_MAX + 1],
}

/// The header page. Only atomics, valid when zeroed (then not yet set up: no magic).
#[repr(C)]
pub struct Header {
    pub magic: AtomicU64,
    pub lock: AtomicU64,
    /// Generations handed out so far (each file gets a new one).
    pub generations: AtomicU64,
    pub files: [Entry; MAX_FILES],
    /// The free list and each file's chain of data pages.
    pub chains: Chains<DATA_PAGES>,
}

const _: () = assert!(core::mem::size_of::<Header>() <= PAGE_SIZE);

impl Entry {
    /// Whether the entry is named `name`.
    pub fn name_is(&self, name: &str) -> bool {
        let len = self.name_len.load(Relaxed) as usize;
        len == name.len() && name.bytes().zip(&self.name).all(|(b, s)| s.load(Relaxed) == b)
    }

    /// Its name.
    pub fn name(&self) -> String {
        let len = (self.name_len.load(Relaxed) as usize).min(NAME_MAX);
        String::from_utf8_lossy(&self.name[..len].iter().map(|b| b.load(Relaxed)).collect::<Vec<u8>>()).into_owned()
    }

    /// Names it `name` (at most [`NAME_MAX`] bytes are kept).
    pub fn set_name(&self, name: &str) {
        for (slot, b) in self.name.iter().zip(name.bytes()) {
            slot.store(b, Relaxed);
        }
        self.name_len.store(name.len().min(NAME_MAX) as u64, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let e = Entry { generation: AtomicU64::new(0), size: AtomicU64::new(0), first: AtomicU64::new(0), name_len: AtomicU64::new(0), name: [const { AtomicU8::new(0) }; NAME_MAX + 1] };
        e.set_name("notes.txt");
        assert!(e.name_is("notes.txt"));
        assert!(!e.name_is("notes"));
        assert_eq!(e.name(), "notes.txt");
    }
}
