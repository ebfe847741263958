//! The packet classifier: every installed filter merged into the `dpf` crate's trie, which says for
//! each received frame which filter (longest match) and owner it belongs to, and refuses a filter
//! outside its port or overlapping another owner's. This file only adapts `dpf` to the kernel's
//! types and error codes.
use abi::net::PortKind;
use abi::{env_index, Error};
use dpf::{FilterId, InsertError, Port, Trie};

/// A filter's handle in the classifier.
pub type Key = u32;

/// The merged filters (the trie is made at the first insertion: it allocates its root).
pub struct Classifier {
    trie: Option<Trie>,
}

impl Classifier {
    /// No filters.
    pub const fn new() -> Classifier {
        Classifier { trie: None }
    }

    /// Decodes `bytes` (the `dpf` wire format), checks it lies within port (`kind`, `value`) and
    /// overlaps no filter of another owner, and merges it. `owner`: the installer's id (filters
    /// are compared by environment: an environment's filters go with it).
    pub fn insert(&mut self, owner: u64, kind: PortKind, value: u16, bytes: &[u8]) -> Result<Key, Error> {
        let filter = dpf::Filter::decode(bytes).map_err(|e| {
            log::debug!("net: filter refused: {e}");
            Error::BadArgument
        })?;
        let kind = dpf::PortKind::from_u8(kind as u8).ok_or(Error::BadArgument)?;
        filter.within(&Port::new(kind, value)).map_err(|e| {
            log::debug!("net: filter refused: {e}");
            Error::OutsidePort
        })?;
        let trie = self.trie.get_or_insert_with(Trie::new);
        match trie.insert(env_index(owner) as u32, filter) {
            Ok(id) => Ok(id.0),
            Err(e) => {
                log::debug!("net: filter refused: {e}");
                Err(match e {
                    InsertError::Overlap { .. } => Error::Overlaps,
                    InsertError::Duplicate { .. } => Error::BadArgument,
                    InsertError::Full => Error::QuotaExceeded,
                    InsertError::NoMemory => Error::NoMemory,
                })
            }
        }
    }

    /// Takes filter `key` out.
    pub fn remove(&mut self, key: Key) {
        if let Some(trie) = &mut self.trie {
            let _ = trie.remove(FilterId(key));
        }
    }

    /// The filter `frame` belongs to, if any.
    pub fn classify(&self, frame: &[u8]) -> Option<Key> {
        self.trie.as_ref()?.classify(frame).map(|m| m.id.0)
    }
}
