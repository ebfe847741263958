//! Exo's verifier: decides whether a program is safe to run in the kernel, and turns it into the
//! checked form the interpreter runs.
//!
//! Jumps go forward only, so the control-flow graph is acyclic and every program ends within its
//! length. The verifier walks the instructions once, in order, carrying for every reachable
//! instruction the join of the register states of every path that reaches it (the states from all
//! predecessors are known by then, since they all come earlier). A register state is *unwritten*,
//! a *scalar* with an unsigned range `[min, max]`, or a *pointer* into one area (packet, scratch,
//! transmit buffer, region) with a signed offset range. Joining different kinds gives *unwritten*.
//! Conditional jumps against an immediate narrow the scalar's range on each side, so a length
//! check proves later bounds.
//!
//! Rules (each broken rule is a [`VerifyErrorKind`] with the instruction's index):
//! - length 1..=[`MAX_INSNS`] instructions, a multiple of 8 bytes; unused fields zero;
//! - every instruction reachable; no path runs off the end; jumps forward and inside the program;
//! - no register read before it is written on every path;
//! - pointers: only `mov`, `add`, `sub` of a scalar; the offset range stays inside its area; no
//!   compares of pointers, no storing a pointer, no pointer into a scalar operation;
//! - loads and stores: through a pointer, the whole access `[min + off, max + off + size)` inside
//!   the area (the packet: inside [`MAX_FRAME`], and checked against the frame at run time); no
//!   stores into the packet;
//! - division and modulo by an immediate 0, or by a register whose range includes 0, refused;
//!   shifts by an immediate of 64 or more refused;
//! - helper calls: known helpers, arguments of the right kinds (a writable pointer for `copy`'s
//!   destination); r1..r5 unwritten afterwards;
//! - exit with r0 a scalar in 0..=1.

use crate::insn::{AluOp, Cond, Helper, INSN_BYTES, Insn, REGS, op};
use crate::{MAX_FRAME, MAX_INSNS, MAX_REGION, SCRATCH_LEN, TX_LEN};
use alloc::vec::Vec;
use core::fmt;

/// A memory area a pointer points into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    /// The received frame (read-only).
    Packet,
    /// The scratch area.
    Scratch,
    /// The transmit buffer.
    Tx,
    /// The owner's registered region.
    Region,
}

/// What the verifier knows of the environment a program will run in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Limits {
    /// Bytes of the owner's registered region (0: none; r5 starts unwritten).
    pub region_len: usize,
}

impl Limits {
    fn size(&self, area: Area) -> i64 {
        (match area {
            Area::Packet => MAX_FRAME,
            Area::Scratch => SCRATCH_LEN,
            Area::Tx => TX_LEN,
            Area::Region => self.region_len,
        }) as i64
    }
}

/// What went wrong, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifyError {
    /// The instruction's index (0 for whole-program errors).
    pub pc: usize,
    /// The rule it breaks.
    pub kind: VerifyErrorKind,
}

/// The rules a program can break.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyErrorKind {
    /// No instructions.
    Empty,
    /// More than [`MAX_INSNS`] instructions.
    TooLong { insns: usize },
    /// The byte length is not a multiple of 8.
    Truncated { bytes: usize },
    /// The registered region is larger than [`MAX_REGION`].
    RegionTooLarge,
    /// Unknown operation code.
    BadOpcode { op: u8 },
    /// A register number above 9.
    BadRegister { reg: u8 },
    /// A field the instruction does not use is not zero.
    UnusedField,
    /// A register is read where some path has not written it.
    Unwritten { reg: u8 },
    /// A jump backwards (or onto itself).
    BackwardJump,
    /// A jump beyond the last instruction.
    JumpOutside { target: i64 },
    /// A path runs past the last instruction.
    FallsOffEnd,
    /// No path reaches this instruction.
    Unreachable,
    /// Division or modulo by the immediate 0.
    DivisionByZero,
    /// Division or modulo by a register whose range includes 0.
    DivisorMayBeZero { reg: u8 },
    /// A shift by 64 or more.
    ShiftTooLarge { shift: i32 },
    /// An operation other than mov/add/sub on a pointer, or a pointer as an operand of a scalar
    /// operation, or pointer minus pointer.
    PointerArithmetic { reg: u8 },
    /// Pointer arithmetic that may leave the area: the offset range would be `[min, max]`.
    PointerEscapes { reg: u8, min: i64, max: i64 },
    /// A compare of a pointer.
    PointerCompare { reg: u8 },
    /// A pointer stored to memory (or passed where a scalar is required).
    PointerAsScalar { reg: u8 },
    /// A load or store through a register that is not a pointer.
    NotAPointer { reg: u8 },
    /// An access that may fall outside its area: bytes `[start, end)` of an area of `size`.
    OutOfBounds { area: Area, start: i64, end: i64, size: i64 },
    /// A store into the (read-only) packet.
    WriteToPacket,
    /// An unknown helper number.
    BadHelper { id: i32 },
    /// A helper argument of the wrong kind.
    HelperArgument { helper: Helper, reg: u8, expected: &'static str },
    /// Exit with r0 possibly outside 0..=1.
    BadExitCode { max: u64 },
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "insn {}: ", self.pc)?;
        match self.kind {
            VerifyErrorKind::Empty => write!(f, "empty program"),
            VerifyErrorKind::TooLong { insns } => write!(f, "{insns} instructions (at most {MAX_INSNS})"),
            VerifyErrorKind::Truncated { bytes } => write!(f, "{bytes} bytes is not a whole number of instructions"),
            VerifyErrorKind::RegionTooLarge => write!(f, "region larger than {MAX_REGION} bytes"),
            VerifyErrorKind::BadOpcode { op } => write!(f, "unknown opcode {op:#x}"),
            VerifyErrorKind::BadRegister { reg } => write!(f, "no register r{reg}"),
            VerifyErrorKind::UnusedField => write!(f, "unused field not zero"),
            VerifyErrorKind::Unwritten { reg } => write!(f, "r{reg} read before it is written"),
            VerifyErrorKind::BackwardJump => write!(f, "backward jump (loops are not allowed)"),
            VerifyErrorKind::JumpOutside { target } => write!(f, "jump to {target}, outside the program"),
            VerifyErrorKind::FallsOffEnd => write!(f, "execution can run past the last instruction"),
            VerifyErrorKind::Unreachable => write!(f, "unreachable instruction"),
            VerifyErrorKind::DivisionByZero => write!(f, "division by zero"),
            VerifyErrorKind::DivisorMayBeZero { reg } => write!(f, "divisor r{reg} may be zero"),
            VerifyErrorKind::ShiftTooLarge { shift } => write!(f, "shift by {shift}"),
            VerifyErrorKind::PointerArithmetic { reg } => write!(f, "r{reg}: pointer arithmetic other than adding a scalar"),
            VerifyErrorKind::PointerEscapes { reg, min, max } => {
                write!(f, "r{reg}: pointer offset [{min}, {max}] may leave its area")
            }
            VerifyErrorKind::PointerCompare { reg } => write!(f, "r{reg}: compare of a pointer"),
            VerifyErrorKind::PointerAsScalar { reg } => write!(f, "r{reg}: pointer where a scalar is required"),
            VerifyErrorKind::NotAPointer { reg } => write!(f, "r{reg}: memory access through a non-pointer"),
            VerifyErrorKind::OutOfBounds { area, start, end, size } => {
                write!(f, "access [{start}, {end}) may fall outside {area:?} of {size} bytes")
            }
            VerifyErrorKind::WriteToPacket => write!(f, "store into the packet (read-only)"),
            VerifyErrorKind::BadHelper { id } => write!(f, "unknown helper {id}"),
            VerifyErrorKind::HelperArgument { helper, reg, expected } => {
                write!(f, "{helper:?}: r{reg} must be {expected}")
            }
            VerifyErrorKind::BadExitCode { max } => write!(f, "exit code may be {max} (must be 0 or 1)"),
        }
    }
}

/// An operand: an immediate (sign-extended) or a register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operand {
    Imm(u64),
    Reg(u8),
}

/// A checked instruction, with the areas of its pointers resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Alu { op: AluOp, dst: u8, src: Operand },
    Load { size: u8, dst: u8, base: u8, off: i64, area: Area },
    Store { size: u8, base: u8, off: i64, src: Operand, area: Area },
    Jump { cond: Cond, a: u8, b: Operand, target: usize },
    /// `areas`: the areas of r1 and r2 where the helper takes pointers there.
    Call { helper: Helper, areas: [Area; 2] },
    Exit,
}

/// A verified program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    pub(crate) ops: Vec<Op>,
    pub(crate) limits: Limits,
}

impl Program {
    /// Instructions.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Never true (an empty program is refused).
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The limits it was verified for.
    pub fn limits(&self) -> Limits {
        self.limits
    }
}

/// A register's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    Unwritten,
    Scalar { min: u64, max: u64 },
    Ptr { area: Area, min: i64, max: i64 },
}

const ANY: Ty = Ty::Scalar { min: 0, max: u64::MAX };

fn scalar(min: u64, max: u64) -> Ty {
    Ty::Scalar { min, max }
}

fn join(a: Ty, b: Ty) -> Ty {
    match (a, b) {
        (Ty::Scalar { min: a0, max: a1 }, Ty::Scalar { min: b0, max: b1 }) => scalar(a0.min(b0), a1.max(b1)),
        (Ty::Ptr { area: x, min: a0, max: a1 }, Ty::Ptr { area: y, min: b0, max: b1 }) if x == y => {
            Ty::Ptr { area: x, min: a0.min(b0), max: a1.max(b1) }
        }
        _ => Ty::Unwritten,
    }
}

type State = [Ty; REGS];

fn join_into(slot: &mut Option<State>, state: &State) {
    match slot {
        None => *slot = Some(*state),
        Some(old) => {
            for (o, n) in old.iter_mut().zip(state) {
                *o = join(*o, *n);
            }
        }
    }
}

/// Checks `bytes` and returns the program the interpreter runs.
pub fn verify(bytes: &[u8], limits: Limits) -> Result<Program, VerifyError> {
    let whole = |kind| VerifyError { pc: 0, kind };
    if limits.region_len > MAX_REGION {
        return Err(whole(VerifyErrorKind::RegionTooLarge));
    }
    if bytes.is_empty() {
        return Err(whole(VerifyErrorKind::Empty));
    }
    if !bytes.len().is_multiple_of(INSN_BYTES) {
        return Err(whole(VerifyErrorKind::Truncated { bytes: bytes.len() }));
    }
    let n = bytes.len() / INSN_BYTES;
    if n > MAX_INSNS {
        return Err(whole(VerifyErrorKind::TooLong { insns: n }));
    }
    let mut states: Vec<Option<State>> = alloc::vec![None; n];
    let mut entry = [Ty::Unwritten; REGS];
    entry[1] = Ty::Ptr { area: Area::Packet, min: 0, max: 0 };
    entry[2] = scalar(0, MAX_FRAME as u64);
    entry[3] = Ty::Ptr { area: Area::Scratch, min: 0, max: 0 };
    entry[4] = Ty::Ptr { area: Area::Tx, min: 0, max: 0 };
    if limits.region_len > 0 {
        entry[5] = Ty::Ptr { area: Area::Region, min: 0, max: 0 };
    }
    if let Some(first) = states.first_mut() {
        *first = Some(entry);
    }
    let mut ops = Vec::with_capacity(n);
    for (pc, chunk) in bytes.chunks_exact(INSN_BYTES).enumerate() {
        let err = |kind| VerifyError { pc, kind };
        let raw: [u8; INSN_BYTES] = chunk.try_into().map_err(|_| err(VerifyErrorKind::Truncated { bytes: bytes.len() }))?;
        let insn = Insn::decode(raw);
        let state = states.get(pc).copied().flatten().ok_or(err(VerifyErrorKind::Unreachable))?;
        let mut checker = Checker { pc, n, limits, state, states: &mut states };
        let op = checker.step(&insn).map_err(err)?;
        ops.push(op);
    }
    Ok(Program { ops, limits })
}

struct Checker<'a> {
    pc: usize,
    n: usize,
    limits: Limits,
    state: State,
    states: &'a mut Vec<Option<State>>,
}

type Check<T> = Result<T, VerifyErrorKind>;

impl Checker<'_> {
    fn reg(&self, reg: u8) -> Check<Ty> {
        match self.state.get(reg as usize) {
            None => Err(VerifyErrorKind::BadRegister { reg }),
            Some(Ty::Unwritten) => Err(VerifyErrorKind::Unwritten { reg }),
            Some(&ty) => Ok(ty),
        }
    }

    fn dst(&self, reg: u8) -> Check<()> {
        if reg as usize >= REGS { Err(VerifyErrorKind::BadRegister { reg }) } else { Ok(()) }
    }

    fn scalar_of(&self, reg: u8) -> Check<(u64, u64)> {
        match self.reg(reg)? {
            Ty::Scalar { min, max } => Ok((min, max)),
            _ => Err(VerifyErrorKind::PointerAsScalar { reg }),
        }
    }

    /// Passes the state on to the next instruction (false: a path runs off the end).
    fn fall_through(&mut self, state: State) -> Check<()> {
        let next = self.pc + 1;
        if next >= self.n {
            return Err(VerifyErrorKind::FallsOffEnd);
        }
        if let Some(slot) = self.states.get_mut(next) {
            join_into(slot, &state);
        }
        Ok(())
    }

    fn unused(&self, fields: &[i64]) -> Check<()> {
        if fields.iter().any(|&f| f != 0) { Err(VerifyErrorKind::UnusedField) } else { Ok(()) }
    }

    fn step(&mut self, insn: &Insn) -> Check<Op> {
        if let Some((alu, imm)) = AluOp::of(insn.op) {
            return self.alu(insn, alu, imm);
        }
        if let Some((cond, imm)) = Cond::of(insn.op) {
            return self.jump(insn, cond, imm);
        }
        match insn.op {
            op::LD8 | op::LD16 | op::LD32 => self.load(insn),
            op::ST8 | op::ST16 | op::ST32 | op::STI8 | op::STI16 | op::STI32 => self.store(insn),
            op::CALL => self.call(insn),
            op::EXIT => {
                self.unused(&[insn.dst as i64, insn.src as i64, insn.off as i64, insn.imm as i64])?;
                match self.reg(0)? {
                    Ty::Scalar { max, .. } if max <= 1 => Ok(Op::Exit),
                    Ty::Scalar { max, .. } => Err(VerifyErrorKind::BadExitCode { max }),
                    _ => Err(VerifyErrorKind::PointerAsScalar { reg: 0 }),
                }
            }
            op => Err(VerifyErrorKind::BadOpcode { op }),
        }
    }

    fn alu(&mut self, insn: &Insn, alu: AluOp, imm: bool) -> Check<Op> {
        self.dst(insn.dst)?;
        self.unused(&[insn.off as i64])?;
        let (src, src_ty) = if imm {
            self.unused(&[insn.src as i64])?;
            let value = insn.imm as i64 as u64;
            (Operand::Imm(value), scalar(value, value))
        } else {
            self.unused(&[insn.imm as i64])?;
            (Operand::Reg(insn.src), self.reg(insn.src)?)
        };
        let dst_ty = if alu == AluOp::Mov { Ty::Unwritten } else { self.reg(insn.dst)? };
        let result = match (alu, dst_ty, src_ty) {
            (AluOp::Mov, _, ty) => ty,
            (_, Ty::Ptr { area, min, max }, Ty::Scalar { min: s0, max: s1 }) => {
                let (lo, hi) = match alu {
                    AluOp::Add if imm => (min as i128 + insn.imm as i128, max as i128 + insn.imm as i128),
                    AluOp::Sub if imm => (min as i128 - insn.imm as i128, max as i128 - insn.imm as i128),
                    AluOp::Add => (min as i128 + s0 as i128, max as i128 + s1 as i128),
                    AluOp::Sub => (min as i128 - s1 as i128, max as i128 - s0 as i128),
                    _ => return Err(VerifyErrorKind::PointerArithmetic { reg: insn.dst }),
                };
                let size = self.limits.size(area) as i128;
                if lo < 0 || hi > size {
                    let clamp = |v: i128| v.clamp(i64::MIN as i128, i64::MAX as i128) as i64;
                    return Err(VerifyErrorKind::PointerEscapes { reg: insn.dst, min: clamp(lo), max: clamp(hi) });
                }
                Ty::Ptr { area, min: lo as i64, max: hi as i64 }
            }
            (_, Ty::Ptr { .. }, _) => return Err(VerifyErrorKind::PointerArithmetic { reg: insn.dst }),
            (_, _, Ty::Ptr { .. }) => return Err(VerifyErrorKind::PointerArithmetic { reg: insn.src }),
            (_, Ty::Scalar { min: a0, max: a1 }, Ty::Scalar { min: b0, max: b1 }) => {
                self.scalar_alu(alu, imm, insn, (a0, a1), (b0, b1))?
            }
            _ => return Err(VerifyErrorKind::Unwritten { reg: insn.dst }),
        };
        let mut next = self.state;
        if let Some(slot) = next.get_mut(insn.dst as usize) {
            *slot = result;
        }
        self.fall_through(next)?;
        Ok(Op::Alu { op: alu, dst: insn.dst, src })
    }

    fn scalar_alu(&self, alu: AluOp, imm: bool, insn: &Insn, a: (u64, u64), b: (u64, u64)) -> Check<Ty> {
        let ones = |m: u64| if m == 0 { 0 } else { u64::MAX >> m.leading_zeros() };
        Ok(match alu {
            AluOp::Mov => scalar(b.0, b.1),
            AluOp::Add => match (a.0.checked_add(b.0), a.1.checked_add(b.1)) {
                (Some(lo), Some(hi)) => scalar(lo, hi),
                _ => ANY,
            },
            AluOp::Sub => {
                if a.0 >= b.1 {
                    scalar(a.0 - b.1, a.1 - b.0)
                } else {
                    ANY
                }
            }
            AluOp::Mul => match a.1.checked_mul(b.1) {
                Some(hi) => scalar(a.0.saturating_mul(b.0), hi),
                None => ANY,
            },
            AluOp::Div | AluOp::Mod => {
                if b.0 == 0 {
                    return Err(if imm {
                        VerifyErrorKind::DivisionByZero
                    } else {
                        VerifyErrorKind::DivisorMayBeZero { reg: insn.src }
                    });
                }
                if alu == AluOp::Div { scalar(a.0 / b.1, a.1 / b.0) } else { scalar(0, a.1.min(b.1 - 1)) }
            }
            AluOp::And => scalar(0, a.1.min(b.1)),
            AluOp::Or | AluOp::Xor => scalar(0, ones(a.1.max(b.1))),
            AluOp::Lsh | AluOp::Rsh if imm && !(0..64).contains(&insn.imm) => {
                return Err(VerifyErrorKind::ShiftTooLarge { shift: insn.imm });
            }
            AluOp::Lsh if imm => {
                let k = insn.imm as u32;
                if a.1 <= u64::MAX >> k { scalar(a.0 << k, a.1 << k) } else { ANY }
            }
            AluOp::Rsh if imm => scalar(a.0 >> insn.imm as u32, a.1 >> insn.imm as u32),
            AluOp::Lsh => ANY,
            AluOp::Rsh => scalar(0, a.1),
        })
    }

    fn jump(&mut self, insn: &Insn, cond: Cond, imm: bool) -> Check<Op> {
        if insn.off < 0 {
            return Err(VerifyErrorKind::BackwardJump);
        }
        let target = self.pc as i64 + 1 + insn.off as i64;
        if target >= self.n as i64 {
            return Err(VerifyErrorKind::JumpOutside { target });
        }
        let target = target as usize;
        if cond == Cond::Always {
            self.unused(&[insn.dst as i64, insn.src as i64, insn.imm as i64])?;
            let state = self.state;
            if let Some(slot) = self.states.get_mut(target) {
                join_into(slot, &state);
            }
            return Ok(Op::Jump { cond, a: 0, b: Operand::Imm(0), target });
        }
        let (a_min, a_max) = match self.reg(insn.dst)? {
            Ty::Scalar { min, max } => (min, max),
            _ => return Err(VerifyErrorKind::PointerCompare { reg: insn.dst }),
        };
        let (b, taken, fallen) = if imm {
            self.unused(&[insn.src as i64])?;
            let k = insn.imm as i64 as u64;
            let (t, f) = narrow(cond, (a_min, a_max), k);
            (Operand::Imm(k), t, f)
        } else {
            self.unused(&[insn.imm as i64])?;
            match self.reg(insn.src)? {
                Ty::Scalar { .. } => {}
                _ => return Err(VerifyErrorKind::PointerCompare { reg: insn.src }),
            }
            (Operand::Reg(insn.src), (a_min, a_max), (a_min, a_max))
        };
        let mut taken_state = self.state;
        let mut fallen_state = self.state;
        if let Some(slot) = taken_state.get_mut(insn.dst as usize) {
            *slot = scalar(taken.0, taken.1);
        }
        if let Some(slot) = fallen_state.get_mut(insn.dst as usize) {
            *slot = scalar(fallen.0, fallen.1);
        }
        if let Some(slot) = self.states.get_mut(target) {
            join_into(slot, &taken_state);
        }
        self.fall_through(fallen_state)?;
        Ok(Op::Jump { cond, a: insn.dst, b, target })
    }

    /// The checked access `[base + off, base + off + size)`: the area.
    fn access(&self, base: u8, off: i16, size: u8) -> Check<Area> {
        match self.reg(base)? {
            Ty::Ptr { area, min, max } => {
                let start = min + off as i64;
                let end = max + off as i64 + size as i64;
                let limit = self.limits.size(area);
                if start < 0 || end > limit {
                    return Err(VerifyErrorKind::OutOfBounds { area, start, end, size: limit });
                }
                Ok(area)
            }
            _ => Err(VerifyErrorKind::NotAPointer { reg: base }),
        }
    }

    fn load(&mut self, insn: &Insn) -> Check<Op> {
        self.dst(insn.dst)?;
        self.unused(&[insn.imm as i64])?;
        let size: u8 = match insn.op {
            op::LD8 => 1,
            op::LD16 => 2,
            _ => 4,
        };
        let area = self.access(insn.src, insn.off, size)?;
        let mut next = self.state;
        if let Some(slot) = next.get_mut(insn.dst as usize) {
            *slot = scalar(0, u64::MAX >> (64 - 8 * size as u32));
        }
        self.fall_through(next)?;
        Ok(Op::Load { size, dst: insn.dst, base: insn.src, off: insn.off as i64, area })
    }

    fn store(&mut self, insn: &Insn) -> Check<Op> {
        let (size, imm): (u8, bool) = match insn.op {
            op::ST8 => (1, false),
            op::ST16 => (2, false),
            op::ST32 => (4, false),
            op::STI8 => (1, true),
            op::STI16 => (2, true),
            _ => (4, true),
        };
        let src = if imm {
            self.unused(&[insn.src as i64])?;
            Operand::Imm(insn.imm as i64 as u64)
        } else {
            self.unused(&[insn.imm as i64])?;
            self.scalar_of(insn.src)?;
            Operand::Reg(insn.src)
        };
        let area = self.access(insn.dst, insn.off, size)?;
        if area == Area::Packet {
            return Err(VerifyErrorKind::WriteToPacket);
        }
        self.fall_through(self.state)?;
        Ok(Op::Store { size, base: insn.dst, off: insn.off as i64, src, area })
    }

    fn call(&mut self, insn: &Insn) -> Check<Op> {
        self.unused(&[insn.dst as i64, insn.src as i64, insn.off as i64])?;
        let helper = Helper::of(insn.imm).ok_or(VerifyErrorKind::BadHelper { id: insn.imm })?;
        let arg_scalar = |this: &Self, reg: u8| -> Check<()> {
            match this.state.get(reg as usize) {
                Some(Ty::Scalar { .. }) => Ok(()),
                _ => Err(VerifyErrorKind::HelperArgument { helper, reg, expected: "a scalar" }),
            }
        };
        let arg_ptr = |this: &Self, reg: u8, writable: bool| -> Check<Area> {
            match this.state.get(reg as usize) {
                Some(&Ty::Ptr { area, .. }) if !writable || area != Area::Packet => Ok(area),
                _ if writable => Err(VerifyErrorKind::HelperArgument {
                    helper,
                    reg,
                    expected: "a pointer to scratch, the transmit buffer or the region",
                }),
                _ => Err(VerifyErrorKind::HelperArgument { helper, reg, expected: "a pointer" }),
            }
        };
        let (areas, result) = match helper {
            Helper::Reply => {
                arg_scalar(self, 1)?;
                ([Area::Tx, Area::Tx], ANY)
            }
            Helper::Copy => {
                let dst = arg_ptr(self, 1, true)?;
                let src = arg_ptr(self, 2, false)?;
                arg_scalar(self, 3)?;
                ([dst, src], scalar(0, 0))
            }
            Helper::Csum => {
                let area = arg_ptr(self, 1, false)?;
                arg_scalar(self, 2)?;
                arg_scalar(self, 3)?;
                ([area, area], scalar(0, 0xffff))
            }
            Helper::Deliver => {
                let area = arg_ptr(self, 1, false)?;
                arg_scalar(self, 2)?;
                ([area, area], scalar(0, 1))
            }
            Helper::Drop => return Ok(Op::Call { helper, areas: [Area::Tx, Area::Tx] }),
        };
        let mut next = self.state;
        next[0] = result;
        for reg in next.iter_mut().take(6).skip(1) {
            *reg = Ty::Unwritten;
        }
        self.fall_through(next)?;
        Ok(Op::Call { helper, areas })
    }
}

/// The ranges of `a` on the taken and the fall-through side of `a cond k`. A side that cannot
/// happen keeps the whole range (sound, and the code behind it stays reachable for the checks).
fn narrow(cond: Cond, (min, max): (u64, u64), k: u64) -> ((u64, u64), (u64, u64)) {
    let whole = (min, max);
    let fit = |lo: u64, hi: u64| if lo <= hi { (lo, hi) } else { whole };
    match cond {
        Cond::Always => (whole, whole),
        Cond::Eq => (if (min..=max).contains(&k) { (k, k) } else { whole }, without(whole, k)),
        Cond::Ne => (without(whole, k), if (min..=max).contains(&k) { (k, k) } else { whole }),
        Cond::Gt => (if k == u64::MAX { whole } else { fit(min.max(k + 1), max) }, fit(min, max.min(k))),
        Cond::Ge => (fit(min.max(k), max), if k == 0 { whole } else { fit(min, max.min(k - 1)) }),
        Cond::Lt => (if k == 0 { whole } else { fit(min, max.min(k - 1)) }, fit(min.max(k), max)),
        Cond::Le => (fit(min, max.min(k)), if k == u64::MAX { whole } else { fit(min.max(k + 1), max) }),
    }
}

/// The range without `k` where `k` is one of its ends (else unchanged).
fn without((min, max): (u64, u64), k: u64) -> (u64, u64) {
    if min == max {
        (min, max)
    } else if k == min {
        (min + 1, max)
    } else if k == max {
        (min, max - 1)
    } else {
        (min, max)
    }
}
