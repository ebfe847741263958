//! The bytecode: instruction encoding, operations, registers and helpers.
//!
//! Every instruction is 8 bytes: `op (1) | dst (low 4 bits) src (high 4 bits) (1) | off (i16 LE) |
//! imm (i32 LE)`. A program is a sequence of them (its length a multiple of 8).
//!
//! | op | name | meaning |
//! |---|---|---|
//! | 0x01/0x02 | `mov` imm/reg | `dst = imm` (sign-extended) / `dst = src` |
//! | 0x03..=0x16 | ALU imm/reg | `add sub mul div mod and or xor lsh rsh`, odd = imm, even = reg |
//! | 0x20/0x21/0x22 | `ld8/16/32` | `dst = big-endian load [src + off]` |
//! | 0x28/0x29/0x2a | `st8/16/32` | `[dst + off] = src` (big-endian) |
//! | 0x2c/0x2d/0x2e | `sti8/16/32` | `[dst + off] = imm` |
//! | 0x30 | `ja` | `pc += 1 + off` |
//! | 0x31..=0x36 | `jeq jne jgt jge jlt jle` imm | if `dst op imm` (unsigned): `pc += 1 + off` |
//! | 0x39..=0x3e | same, reg | if `dst op src` |
//! | 0x40 | `call` | helper `imm` (arguments r1..r5, result r0; r1..r5 are clobbered) |
//! | 0x50 | `exit` | end with the action in r0 (0 pass, 1 consumed) |
//!
//! At entry: r1 = packet pointer (offset 0), r2 = frame length, r3 = scratch pointer, r4 = transmit
//! buffer pointer, r5 = region pointer (when the owner registered one); r0 and r6..r9 are
//! unwritten.

/// A register number (0..=9).
pub type Reg = u8;
/// How many registers there are.
pub const REGS: usize = 10;

/// Bytes per instruction.
pub const INSN_BYTES: usize = 8;

/// Operation codes.
pub mod op {
    pub const MOV_IMM: u8 = 0x01;
    pub const MOV_REG: u8 = 0x02;
    pub const ADD_IMM: u8 = 0x03;
    pub const ADD_REG: u8 = 0x04;
    pub const SUB_IMM: u8 = 0x05;
    pub const SUB_REG: u8 = 0x06;
    pub const MUL_IMM: u8 = 0x07;
    pub const MUL_REG: u8 = 0x08;
    pub const DIV_IMM: u8 = 0x09;
    pub const DIV_REG: u8 = 0x0a;
    pub const MOD_IMM: u8 = 0x0b;
    pub const MOD_REG: u8 = 0x0c;
    pub const AND_IMM: u8 = 0x0d;
    pub const AND_REG: u8 = 0x0e;
    pub const OR_IMM: u8 = 0x0f;
    pub const OR_REG: u8 = 0x10;
    pub const XOR_IMM: u8 = 0x11;
    pub const XOR_REG: u8 = 0x12;
    pub const LSH_IMM: u8 = 0x13;
    pub const LSH_REG: u8 = 0x14;
    pub const RSH_IMM: u8 = 0x15;
    pub const RSH_REG: u8 = 0x16;
    pub const LD8: u8 = 0x20;
    pub const LD16: u8 = 0x21;
    pub const LD32: u8 = 0x22;
    pub const ST8: u8 = 0x28;
    pub const ST16: u8 = 0x29;
    pub const ST32: u8 = 0x2a;
    pub const STI8: u8 = 0x2c;
    pub const STI16: u8 = 0x2d;
    pub const STI32: u8 = 0x2e;
    pub const JA: u8 = 0x30;
    /// `JEQ_IMM + c` for the conditions of [`super::Cond`] (c = 0..=5); `+ 8` for the register form.
    pub const JEQ_IMM: u8 = 0x31;
    pub const JEQ_REG: u8 = 0x39;
    pub const CALL: u8 = 0x40;
    pub const EXIT: u8 = 0x50;
}

/// One raw instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    pub op: u8,
    pub dst: u8,
    pub src: u8,
    pub off: i16,
    pub imm: i32,
}

impl Insn {
    /// Decodes 8 bytes.
    pub fn decode(bytes: [u8; INSN_BYTES]) -> Insn {
        let [op, regs, o0, o1, i0, i1, i2, i3] = bytes;
        Insn { op, dst: regs & 0x0f, src: regs >> 4, off: i16::from_le_bytes([o0, o1]), imm: i32::from_le_bytes([i0, i1, i2, i3]) }
    }

    /// Encodes to 8 bytes.
    pub fn encode(&self) -> [u8; INSN_BYTES] {
        let [o0, o1] = self.off.to_le_bytes();
        let [i0, i1, i2, i3] = self.imm.to_le_bytes();
        [self.op, (self.dst & 0x0f) | (self.src << 4), o0, o1, i0, i1, i2, i3]
    }
}

/// ALU operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AluOp {
    Mov,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    And,
    Or,
    Xor,
    Lsh,
    Rsh,
}

impl AluOp {
    /// The operation of an ALU opcode and whether its operand is an immediate.
    pub fn of(op: u8) -> Option<(AluOp, bool)> {
        let alu = match op {
            0x01 | 0x02 => AluOp::Mov,
            0x03 | 0x04 => AluOp::Add,
            0x05 | 0x06 => AluOp::Sub,
            0x07 | 0x08 => AluOp::Mul,
            0x09 | 0x0a => AluOp::Div,
            0x0b | 0x0c => AluOp::Mod,
            0x0d | 0x0e => AluOp::And,
            0x0f | 0x10 => AluOp::Or,
            0x11 | 0x12 => AluOp::Xor,
            0x13 | 0x14 => AluOp::Lsh,
            0x15 | 0x16 => AluOp::Rsh,
            _ => return None,
        };
        Some((alu, op & 1 == 1))
    }
}

/// Conditions of conditional jumps (unsigned compares).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cond {
    Always,
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Cond {
    /// The condition of a jump opcode and whether its operand is an immediate.
    pub fn of(op: u8) -> Option<(Cond, bool)> {
        const CONDS: [Cond; 6] = [Cond::Eq, Cond::Ne, Cond::Gt, Cond::Ge, Cond::Lt, Cond::Le];
        match op {
            op::JA => Some((Cond::Always, true)),
            0x31..=0x36 => CONDS.get((op - 0x31) as usize).map(|&c| (c, true)),
            0x39..=0x3e => CONDS.get((op - 0x39) as usize).map(|&c| (c, false)),
            _ => None,
        }
    }

    /// The opcode of this condition with an immediate (or register) operand.
    pub fn opcode(self, imm: bool) -> u8 {
        let index = match self {
            Cond::Always => return op::JA,
            Cond::Eq => 0,
            Cond::Ne => 1,
            Cond::Gt => 2,
            Cond::Ge => 3,
            Cond::Lt => 4,
            Cond::Le => 5,
        };
        if imm { op::JEQ_IMM + index } else { op::JEQ_REG + index }
    }

    /// Whether `a cond b` holds.
    #[inline(always)]
    pub fn holds(self, a: u64, b: u64) -> bool {
        match self {
            Cond::Always => true,
            Cond::Eq => a == b,
            Cond::Ne => a != b,
            Cond::Gt => a > b,
            Cond::Ge => a >= b,
            Cond::Lt => a < b,
            Cond::Le => a <= b,
        }
    }
}

/// The helpers a program may call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Helper {
    /// `reply(len = r1)`: transmit the first `len` bytes of the transmit buffer (through the
    /// kernel's transmit checks). r0 = 0 sent, else the kernel's refusal code.
    Reply = 1,
    /// `copy(dst = r1 [scratch, tx or region pointer], src = r2 [any pointer], len = r3)`. r0 = 0.
    Copy = 2,
    /// `csum(ptr = r1 [any pointer], len = r2, seed = r3)`: r0 = the 16-bit ones' complement sum of
    /// the bytes (big-endian words, an odd last byte padded with zero) added to `seed`, folded
    /// (not complemented).
    Csum = 3,
    /// `deliver(ptr = r1 [any pointer], len = r2)`: put these bytes into the owner's receive ring
    /// and wake it. r0 = 0 delivered, 1 ring full.
    Deliver = 4,
    /// `drop()`: end now; the frame is dropped and counted.
    Drop = 5,
}

impl Helper {
    /// The helper numbered `n`.
    pub fn of(n: i32) -> Option<Helper> {
        match n {
            1 => Some(Helper::Reply),
            2 => Some(Helper::Copy),
            3 => Some(Helper::Csum),
            4 => Some(Helper::Deliver),
            5 => Some(Helper::Drop),
            _ => None,
        }
    }
}
