//! Virtual memory as library policy: regions with demand-zero pages, protection changes and
//! per-region fault handlers (`mmap.rs`, `protect.rs`), regions across environments (`share.rs`),
//! the Appel-Li primitives (`appel.rs`), copy-on-write (`cow.rs`), the region list
//! (`regions.rs`; its `page_map` batches are `exoscore::batch`; extent regions use
//! `sys::extent`), and the answer
//! to the kernel's revocation requests (`reclaim.rs`).
//!
//! May call: `sys/`, `rt/` (registering handlers, the private page) and `exoscore`. Nothing here
//! names a folder above: `fork` registers copy-on-write and reclaim's part in it.
pub mod appel;
pub mod cow;
pub mod mmap;
pub mod protect;
pub mod reclaim;
pub mod regions;
pub mod share;

