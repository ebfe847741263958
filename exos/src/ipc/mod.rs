//! Communication between environments: shared regions and shared-page locks (`region.rs`), pipes
//! (`pipe.rs`), shared-memory channels (`shm.rs`) and LRPC over protected control transfer
//! (`lrpc.rs`).
//!
//! May call: `sys/`, `rt/`, `proc::process` (ids and liveness).
pub mod lrpc;
pub mod pipe;
pub mod region;
pub mod shm;
