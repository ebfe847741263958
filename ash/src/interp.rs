//! The interpreter: runs a verified program over one frame.
//!
//! Registers hold plain 64-bit values; a pointer register holds an offset into the area the
//! verifier resolved for each instruction that uses it, so no address exists inside the VM. The
//! scratch area starts zeroed; the transmit buffer starts as a copy of the frame followed by
//! zeros (an echo handler swaps addresses and replies). Every access is checked again at run
//! time (a packet load against the frame's real length: the verifier bounds it only by the
//! largest frame); a failed check ends the run with [`Action::Fault`], and the kernel then
//! delivers the frame as if there were no handler. Jumps go forward only, so a run executes at
//! most [`crate::MAX_INSNS`] instructions; helpers cost at most their length in bytes.

use crate::insn::{AluOp, Helper, REGS};
use crate::verify::{Area, Op, Operand, Program};
use crate::{SCRATCH_LEN, TX_LEN};

/// What the kernel provides to a running handler. The owner's region is reached through
/// methods (the kernel reads and writes it by physical address); every method checks its range.
pub trait AshHost {
    /// Bytes of the owner's registered region (0 when none).
    fn region_len(&self) -> usize;
    /// Reads `out.len()` bytes of the region from `at`; false (nothing read) when out of range.
    fn region_read(&mut self, at: usize, out: &mut [u8]) -> bool;
    /// Writes `bytes` into the region at `at`; false (nothing written) when out of range.
    fn region_write(&mut self, at: usize, bytes: &[u8]) -> bool;
    /// Transmits `frame` through the kernel's transmit checks: 0 sent, else a refusal code.
    fn reply(&mut self, frame: &[u8]) -> u64;
    /// Puts `bytes` into the owner's receive ring and wakes it: 0 delivered, 1 ring full.
    fn deliver(&mut self, bytes: &[u8]) -> u64;
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Exit 0: deliver the frame to the owner's ring as usual.
    Pass,
    /// Exit 1: the handler dealt with the frame; nothing more happens.
    Consumed,
    /// The `drop` helper: the frame is dropped and counted.
    Drop,
    /// A run-time check failed (the frame is delivered as usual, and the fault counted).
    Fault(Fault),
}

/// A failed run-time check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A load beyond the frame's end (or any access beyond its area) at this instruction.
    Bounds { pc: usize },
    /// A helper's length beyond its area at this instruction.
    HelperBounds { pc: usize },
    /// A divisor of zero (the verifier proves this never happens; kept as a check).
    DivideByZero { pc: usize },
    /// The program ran past its end (never, for a verified program).
    NoExit,
}

/// The areas of one run.
struct Areas<'f, 'h, H: AshHost> {
    frame: &'f [u8],
    scratch: [u8; SCRATCH_LEN],
    tx: [u8; TX_LEN],
    host: &'h mut H,
}

/// `len` bytes from `at`, as a range of a slice.
fn span(at: u64, len: u64) -> Option<core::ops::Range<usize>> {
    let at = usize::try_from(at).ok()?;
    let len = usize::try_from(len).ok()?;
    Some(at..at.checked_add(len)?)
}

impl<H: AshHost> Areas<'_, '_, H> {
    /// The bytes of a local area (not the region).
    fn local(&self, area: Area) -> &[u8] {
        match area {
            Area::Packet => self.frame,
            Area::Scratch => &self.scratch,
            Area::Tx | Area::Region => &self.tx,
        }
    }

    /// Reads `size` bytes at `at` of `area`, big-endian.
    fn load(&mut self, area: Area, at: u64, size: u8) -> Option<u64> {
        let mut buf = [0u8; 4];
        let field = buf.get_mut(..size as usize)?;
        let range = span(at, u64::from(size))?;
        if area == Area::Region {
            if !self.host.region_read(range.start, field) {
                return None;
            }
        } else {
            field.copy_from_slice(self.local(area).get(range)?);
        }
        Some(field.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b)))
    }

    /// Writes the low `size` bytes of `value` at `at` of `area`, big-endian.
    fn store(&mut self, area: Area, at: u64, size: u8, value: u64) -> Option<()> {
        let bytes = value.to_be_bytes();
        let field = bytes.get(8 - size as usize..)?;
        let range = span(at, u64::from(size))?;
        match area {
            Area::Packet => None,
            Area::Scratch => {
                self.scratch.get_mut(range)?.copy_from_slice(field);
                Some(())
            }
            Area::Tx => {
                self.tx.get_mut(range)?.copy_from_slice(field);
                Some(())
            }
            Area::Region => self.host.region_write(range.start, field).then_some(()),
        }
    }

    /// Reads `len` bytes of `area` at `at` into `out` (which is at least that long); the bytes.
    fn read_into<'b>(&mut self, area: Area, at: u64, len: u64, out: &'b mut [u8; TX_LEN]) -> Option<&'b [u8]> {
        let range = span(at, len)?;
        let out = out.get_mut(..range.len())?;
        if area == Area::Region {
            self.host.region_read(range.start, out).then_some(())?;
        } else {
            out.copy_from_slice(self.local(area).get(range)?);
        }
        Some(out)
    }

    /// `copy(dst + to, src + from, len)`; false when a range is outside its area. Copies
    /// through the region are staged in a buffer of one frame, so they are at most that long.
    fn copy(&mut self, dst: Area, to: u64, src: Area, from: u64, len: u64) -> bool {
        let Some(target) = span(to, len) else { return false };
        if dst == src && dst != Area::Region {
            let Some(source) = span(from, len) else { return false };
            let area: &mut [u8] = match dst {
                Area::Scratch => &mut self.scratch,
                Area::Tx => &mut self.tx,
                _ => return false,
            };
            if target.end > area.len() || source.end > area.len() {
                return false;
            }
            area.copy_within(source, target.start);
            return true;
        }
        let mut staging = [0u8; TX_LEN];
        let Some(bytes) = self.read_into(src, from, len, &mut staging) else { return false };
        match dst {
            Area::Packet => false,
            Area::Scratch => self.scratch.get_mut(target).map(|t| t.copy_from_slice(bytes)).is_some(),
            Area::Tx => self.tx.get_mut(target).map(|t| t.copy_from_slice(bytes)).is_some(),
            Area::Region => self.host.region_write(target.start, bytes),
        }
    }
}

/// The 16-bit ones' complement sum of `bytes` added to `seed`, folded.
pub fn ones_complement_sum(bytes: &[u8], seed: u64) -> u64 {
    let mut sum = seed & 0xffff_ffff;
    let mut chunks = bytes.chunks_exact(2);
    for pair in &mut chunks {
        if let [hi, lo] = *pair {
            sum += u64::from(u16::from_be_bytes([hi, lo]));
        }
    }
    if let [last] = *chunks.remainder() {
        sum += u64::from(last) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum
}

/// Runs `program` over `frame`.
pub fn run<H: AshHost>(program: &Program, host: &mut H, frame: &[u8]) -> Action {
    let mut areas = Areas { frame, scratch: [0; SCRATCH_LEN], tx: [0; TX_LEN], host };
    let copied = frame.len().min(TX_LEN);
    if let (Some(t), Some(f)) = (areas.tx.get_mut(..copied), frame.get(..copied)) {
        t.copy_from_slice(f);
    }
    let mut r = [0u64; REGS];
    r[2] = frame.len() as u64;
    let reg = |r: &[u64; REGS], n: u8| r.get(n as usize).copied().unwrap_or(0);
    let operand = |r: &[u64; REGS], o: Operand| match o {
        Operand::Imm(v) => v,
        Operand::Reg(n) => reg(r, n),
    };
    let mut pc = 0usize;
    while let Some(&op) = program.ops.get(pc) {
        pc += 1;
        match op {
            Op::Alu { op, dst, src } => {
                let b = operand(&r, src);
                let a = reg(&r, dst);
                let value = match op {
                    AluOp::Mov => b,
                    AluOp::Add => a.wrapping_add(b),
                    AluOp::Sub => a.wrapping_sub(b),
                    AluOp::Mul => a.wrapping_mul(b),
                    AluOp::Div => match a.checked_div(b) {
                        Some(v) => v,
                        None => return Action::Fault(Fault::DivideByZero { pc: pc - 1 }),
                    },
                    AluOp::Mod => match a.checked_rem(b) {
                        Some(v) => v,
                        None => return Action::Fault(Fault::DivideByZero { pc: pc - 1 }),
                    },
                    AluOp::And => a & b,
                    AluOp::Or => a | b,
                    AluOp::Xor => a ^ b,
                    AluOp::Lsh => a.wrapping_shl(b as u32 & 63),
                    AluOp::Rsh => a.wrapping_shr(b as u32 & 63),
                };
                if let Some(slot) = r.get_mut(dst as usize) {
                    *slot = value;
                }
            }
            Op::Load { size, dst, base, off, area } => {
                let at = reg(&r, base).wrapping_add(off as u64);
                match areas.load(area, at, size) {
                    Some(value) => {
                        if let Some(slot) = r.get_mut(dst as usize) {
                            *slot = value;
                        }
                    }
                    None => return Action::Fault(Fault::Bounds { pc: pc - 1 }),
                }
            }
            Op::Store { size, base, off, src, area } => {
                let at = reg(&r, base).wrapping_add(off as u64);
                let value = operand(&r, src);
                if areas.store(area, at, size, value).is_none() {
                    return Action::Fault(Fault::Bounds { pc: pc - 1 });
                }
            }
            Op::Jump { cond, a, b, target } => {
                if cond.holds(reg(&r, a), operand(&r, b)) {
                    pc = target;
                }
            }
            Op::Call { helper, areas: [a1, a2] } => {
                let (x, y, z) = (r[1], r[2], r[3]);
                let result = match helper {
                    Helper::Drop => return Action::Drop,
                    Helper::Reply => {
                        let Areas { tx, host, .. } = &mut areas;
                        match usize::try_from(x).ok().and_then(|len| tx.get(..len)) {
                            Some(bytes) => host.reply(bytes),
                            None => return Action::Fault(Fault::HelperBounds { pc: pc - 1 }),
                        }
                    }
                    Helper::Copy => {
                        if !areas.copy(a1, x, a2, y, z) {
                            return Action::Fault(Fault::HelperBounds { pc: pc - 1 });
                        }
                        0
                    }
                    Helper::Csum => {
                        let mut staging = [0u8; TX_LEN];
                        match areas.read_into(a1, x, y, &mut staging) {
                            Some(bytes) => ones_complement_sum(bytes, z),
                            None => return Action::Fault(Fault::HelperBounds { pc: pc - 1 }),
                        }
                    }
                    Helper::Deliver => {
                        let mut staging = [0u8; TX_LEN];
                        match areas.read_into(a1, x, y, &mut staging) {
                            Some(bytes) => areas.host.deliver(bytes),
                            None => return Action::Fault(Fault::HelperBounds { pc: pc - 1 }),
                        }
                    }
                };
                r[0] = result;
                r[1..6].fill(0);
            }
            Op::Exit => return if r[0] == 0 { Action::Pass } else { Action::Consumed },
        }
    }
    Action::Fault(Fault::NoExit)
}

