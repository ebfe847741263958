//! Application-specific safe handlers (ASH): small programs an environment downloads and binds to
//! one of its packet filters; the kernel runs them on each matching frame before any scheduling.
//!
//! The bytecode ([`insn`]) is an eBPF-like subset: ten 64-bit registers, ALU operations, loads
//! and stores of 1, 2 or 4 big-endian bytes, forward conditional jumps, helper calls and exit.
//! Exo's own verifier ([`verify`]) accepts a program only if it is at most [`MAX_INSNS`] long,
//! jumps only forward (so it ends after at most that many steps), reads no register before writing
//! it, keeps every register's type (scalar, or a pointer into the packet, the scratch area, the
//! transmit buffer or the owner's registered region) and every pointer's offset range, writes
//! only to scratch, the transmit buffer or the region, divides by nothing that may be zero, and
//! calls only the helpers of [`insn::Helper`] with arguments of the right types. Pointers are
//! offsets inside the VM: no address of the kernel ever reaches a register or memory.
//!
//! [`interp::run`] executes a verified program over a frame through an [`interp::AshHost`] (the
//! kernel: transmit through its checks, the owner's region, delivery to the ring). Loads from the
//! packet are checked against the frame's length at run time (the verifier proves the offsets
//! lie within the largest frame); everything else is proved by the verifier and checked again.
//! [`asm::Asm`] writes programs readably.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod asm;
pub mod insn;
pub mod interp;
pub mod programs;
pub mod verify;

pub use asm::Asm;
pub use insn::{Helper, Reg};
pub use interp::{Action, AshHost, Fault, run};
pub use verify::{Limits, Program, VerifyError, VerifyErrorKind, verify};

/// The longest program, in instructions.
pub const MAX_INSNS: usize = 256;
/// The largest frame a handler sees (Ethernet without its check sequence).
pub const MAX_FRAME: usize = 1514;
/// Bytes of the scratch area (zeroed before each run).
pub const SCRATCH_LEN: usize = 256;
/// Bytes of the transmit buffer (a copy of the frame, then zeros, at the start of each run).
pub const TX_LEN: usize = MAX_FRAME;
/// The largest registered region.
pub const MAX_REGION: usize = 1 << 20;

#[cfg(test)]
mod tests;
