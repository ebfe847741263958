//! The packet classifier: every installed filter merged into the `dpf` crate's trie, which says for
//! each received frame which filter (longest match) it belongs to, and refuses a filter outside its
//! port or overlapping another owner's. This file only adapts `dpf` to the kernel's types and error
//! codes; a filter's id is its `dpf::FilterId` (generation-tagged: a stale id never names the
//! filter that reuses the slot).
use abi::net::PortKind;
use abi::Error;
use dpf::{Filter, FilterId, InsertError, Port, Trie};

/// A filter's id in the classifier (and the ABI).
pub type Key = u32;

/// The merged filters.
pub struct Classifier {
    trie: Option<Trie>,
}

fn dpf_kind(kind: PortKind) -> dpf::PortKind {
    match kind {
        PortKind::Ethertype => dpf::PortKind::Ethertype,
        PortKind::IpProto => dpf::PortKind::IpProto,
        PortKind::Udp => dpf::PortKind::UdpPort,
        PortKind::Tcp => dpf::PortKind::TcpPort,
        PortKind::IcmpId => dpf::PortKind::IcmpId,
    }
}

impl Classifier {
    /// No filters (the trie is made at the first insert: `Trie::new` allocates).
    pub const fn new() -> Classifier {
        Classifier { trie: None }
    }

    /// Decodes `bytes` (the `dpf` wire format), checks it lies within port (`kind`, `value`) and
    /// overlaps no filter of another owner, and merges it. `owner`: the installer's id (ids fit
    /// in 32 bits).
    pub fn insert(&mut self, owner: u64, kind: PortKind, value: u16, bytes: &[u8]) -> Result<Key, Error> {
        let filter = Filter::decode(bytes).map_err(|e| {
            log::debug!("net: env {owner}: filter refused: {e:?}");
            Error::BadArgument
        })?;
        filter.within(&Port::new(dpf_kind(kind), value)).map_err(|e| {
            log::debug!("net: env {owner}: filter outside its port: {e:?}");
            Error::OutsidePort
        })?;
        let trie = self.trie.get_or_insert_with(Trie::new);
        match trie.insert(owner as u32, filter) {
            Ok(id) => Ok(id.0),
            Err(e) => {
                log::debug!("net: env {owner}: filter refused: {e}");
                Err(match e {
                    InsertError::Overlap { .. } | InsertError::Duplicate { .. } => Error::Overlaps,
                    InsertError::Full => Error::QuotaExceeded,
                    InsertError::NoMemory => Error::NoMemory,
                })
            }
        }
    }

    /// Takes filter `key` out.
    pub fn remove(&mut self, key: Key) {
        if let Some(trie) = self.trie.as_mut() {
            let _ = trie.remove(FilterId(key));
        }
    }

    /// The filter `frame` belongs to, if any.
    pub fn classify(&self, frame: &[u8]) -> Option<Key> {
        self.trie.as_ref()?.classify(frame).map(|m| m.id.0)
    }
}
