//! Downloaded packet filters (DPF), the paper's second kind of secure binding for the network,
//! with ownership that can be checked (unlike Xok's).
//!
//! A [`Filter`] is a conjunction of at most [`MAX_ATOMS`] atoms ([`atom`]): masked compares of 1,
//! 2 or 4 big-endian bytes at an offset from the current base, and shift atoms that move the base
//! by a masked, shifted byte of the frame (the IP header length). User code passes filters to the
//! kernel in the wire format of [`wire`]. [`port`] gives each port capability kind (ethertype, IP
//! protocol, UDP/TCP port, ICMP identifier) its canonical prefix and checks that a filter lies
//! within it. [`overlap`] decides whether two filters can match the same frame. [`trie`] merges
//! every installed filter into one decision tree: equal tests become one node whose children are
//! found by a sorted scan or a hash probe on the loaded value; filters of different owners may not
//! overlap (rejected on insert with the reason), so the owner of a frame is unique and the longest
//! match among that owner's filters wins.
//!
//! The crate is pure logic (no unsafe, no floating point, no panics on any input) and is unit-tested
//! on the host with `cargo test -p dpf`; the kernel links it for its filter table.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod atom;
pub mod overlap;
pub mod port;
pub mod program;
pub mod trie;
pub mod wire;

pub use atom::{Atom, Filter, FilterError, Size, MAX_ATOMS, MAX_FRAME};
pub use port::{Port, PortKind};
pub use trie::{FilterId, InsertError, Match, RemoveError, Trie, MAX_FILTERS};

#[cfg(test)]
mod tests;
