//! Virtual memory as library policy: regions with demand-zero pages, protection changes and
//! per-region fault handlers (`mmap.rs`, `protect.rs`), regions across environments (`share.rs`),
//! the Appel-Li primitives (`appel.rs`), batched `page_map` updates (`batch.rs`), and the answer
//! to the kernel's revocation requests (`reclaim.rs`).
//!
//! May call: `sys/`, `rt/` (registering handlers), `mem::cow` (making copy-on-write pages
//! writable before a handler writes them) and `proc::process` (its id).
pub mod appel;
pub mod batch;
pub mod cow;
pub mod mmap;
pub mod private;
pub mod protect;
pub mod reclaim;
pub mod regions;
pub mod share;

/// Registers this folder's exception layer, answering after every exception a revocation request
/// the upcall could not deliver while the handler ran (`reclaim::answer_pending`), and makes a
/// copy-on-write copy that finds no page make room or wait (`reclaim::on_no_memory`).
pub fn init() {
    crate::rt::exception::register_after(reclaim::after_exception);
    cow::on_no_memory(reclaim::on_no_memory);
}
