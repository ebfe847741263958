//! An assembler-like builder, so ExOS and the tests write handlers readably:
//!
//! ```
//! use ash::{Asm, Helper};
//! let mut a = Asm::new();
//! let short = a.label();
//! a.jlt_imm(2, 42, short)      // frame shorter than 42 bytes: pass it on
//!  .mov(6, 1)                  // keep the packet pointer across calls
//!  .ld16(0, 6, 12)             // ethertype
//!  .mov_imm(1, 42)
//!  .call(Helper::Reply)
//!  .mov_imm(0, 1)
//!  .exit()
//!  .bind(short)
//!  .mov_imm(0, 0)
//!  .exit();
//! let bytes = a.finish().unwrap();
//! assert!(ash::verify(&bytes, ash::Limits::default()).is_ok());
//! ```
//!
//! Labels may be bound before or after their use; a label bound before a jump gives a backward
//! jump, which the assembler encodes faithfully (and the verifier refuses).

use crate::insn::{Cond, Helper, INSN_BYTES, Insn, Reg, op};
use alloc::vec::Vec;

/// A jump target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Label(usize);

/// Why assembling failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AsmError {
    /// A label used by a jump was never bound.
    Unbound { label: usize },
    /// A jump's distance does not fit the 16-bit offset.
    TooFar { at: usize },
}

/// The builder.
#[derive(Clone, Debug, Default)]
pub struct Asm {
    insns: Vec<Insn>,
    labels: Vec<Option<usize>>,
    /// (instruction index, label) of each jump to patch.
    fixups: Vec<(usize, Label)>,
}

impl Asm {
    /// An empty program.
    pub fn new() -> Asm {
        Asm::default()
    }

    /// Appends a raw instruction (for tests of the encoding).
    pub fn raw(&mut self, op: u8, dst: Reg, src: Reg, off: i16, imm: i32) -> &mut Asm {
        self.insns.push(Insn { op, dst, src, off, imm });
        self
    }

    /// How many instructions so far.
    pub fn len(&self) -> usize {
        self.insns.len()
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.insns.is_empty()
    }

    /// A new, unbound label.
    pub fn label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() - 1)
    }

    /// Binds `label` to the next instruction.
    pub fn bind(&mut self, label: Label) -> &mut Asm {
        if let Some(slot) = self.labels.get_mut(label.0) {
            *slot = Some(self.insns.len());
        }
        self
    }

    /// `dst = imm`.
    pub fn mov_imm(&mut self, dst: Reg, imm: i32) -> &mut Asm {
        self.raw(op::MOV_IMM, dst, 0, 0, imm)
    }
    /// `dst = src`.
    pub fn mov(&mut self, dst: Reg, src: Reg) -> &mut Asm {
        self.raw(op::MOV_REG, dst, src, 0, 0)
    }
    /// `dst += imm`.
    pub fn add_imm(&mut self, dst: Reg, imm: i32) -> &mut Asm {
        self.raw(op::ADD_IMM, dst, 0, 0, imm)
    }
    /// `dst += src`.
    pub fn add(&mut self, dst: Reg, src: Reg) -> &mut Asm {
        self.raw(op::ADD_REG, dst, src, 0, 0)
    }
    /// `dst -= imm`.
    pub fn sub_imm(&mut self, dst: Reg, imm: i32) -> &mut Asm {
        self.raw(op::SUB_IMM, dst, 0, 0, imm)
    }
    /// `dst -= src`.
    pub fn sub(&mut self, dst: Reg, src: Reg) -> &mut Asm {
        self.raw(op::SUB_REG, dst, src, 0, 0)
    }
    /// `dst *= imm`.
    pub fn mul_imm(&mut self, dst: Reg, imm: i32) -> &mut Asm {
        self.raw(op::MUL_IMM, dst, 0, 0, imm)
    }
    /// `dst /= imm`.
    pub fn div_imm(&mut self, dst: Reg, imm: i32) -> &mut Asm {
        self.raw(op::DIV_IMM, dst, 0, 0, imm)
    }
    /// `dst /= src`.
    pub fn div(&mut self, dst: Reg, src: Reg) -> &mut Asm {
        self.raw(op::DIV_REG, dst, src, 0, 0)
    }
    /// `dst %= imm`.
    pub fn mod_imm(&mut self, dst: Reg, imm: i32) -> &mut Asm {
        self.raw(op::MOD_IMM, dst, 0, 0, imm)
    }
    /// `dst &= imm`.
    pub fn and_imm(&mut self, dst: Reg, imm: i32) -> &mut Asm {
        self.raw(op::AND_IMM, dst, 0, 0, imm)
    }
    /// `dst |= imm`.
    pub fn or_imm(&mut self, dst: Reg, imm: i32) -> &mut Asm {
        self.raw(op::OR_IMM, dst, 0, 0, imm)
    }
    /// `dst |= src`.
    pub fn or(&mut self, dst: Reg, src: Reg) -> &mut Asm {
        self.raw(op::OR_REG, dst, src, 0, 0)
    }
    /// `dst ^= imm`.
    pub fn xor_imm(&mut self, dst: Reg, imm: i32) -> &mut Asm {
        self.raw(op::XOR_IMM, dst, 0, 0, imm)
    }
    /// `dst <<= imm`.
    pub fn lsh_imm(&mut self, dst: Reg, imm: i32) -> &mut Asm {
        self.raw(op::LSH_IMM, dst, 0, 0, imm)
    }
    /// `dst >>= imm`.
    pub fn rsh_imm(&mut self, dst: Reg, imm: i32) -> &mut Asm {
        self.raw(op::RSH_IMM, dst, 0, 0, imm)
    }
    /// `dst = [src + off]`, one byte.
    pub fn ld8(&mut self, dst: Reg, src: Reg, off: i16) -> &mut Asm {
        self.raw(op::LD8, dst, src, off, 0)
    }
    /// `dst = [src + off]`, two bytes big-endian.
    pub fn ld16(&mut self, dst: Reg, src: Reg, off: i16) -> &mut Asm {
        self.raw(op::LD16, dst, src, off, 0)
    }
    /// `dst = [src + off]`, four bytes big-endian.
    pub fn ld32(&mut self, dst: Reg, src: Reg, off: i16) -> &mut Asm {
        self.raw(op::LD32, dst, src, off, 0)
    }
    /// `[dst + off] = src`, one byte.
    pub fn st8(&mut self, dst: Reg, off: i16, src: Reg) -> &mut Asm {
        self.raw(op::ST8, dst, src, off, 0)
    }
    /// `[dst + off] = src`, two bytes big-endian.
    pub fn st16(&mut self, dst: Reg, off: i16, src: Reg) -> &mut Asm {
        self.raw(op::ST16, dst, src, off, 0)
    }
    /// `[dst + off] = src`, four bytes big-endian.
    pub fn st32(&mut self, dst: Reg, off: i16, src: Reg) -> &mut Asm {
        self.raw(op::ST32, dst, src, off, 0)
    }
    /// `[dst + off] = imm`, one byte.
    pub fn sti8(&mut self, dst: Reg, off: i16, imm: i32) -> &mut Asm {
        self.raw(op::STI8, dst, 0, off, imm)
    }
    /// `[dst + off] = imm`, two bytes.
    pub fn sti16(&mut self, dst: Reg, off: i16, imm: i32) -> &mut Asm {
        self.raw(op::STI16, dst, 0, off, imm)
    }
    /// `[dst + off] = imm`, four bytes.
    pub fn sti32(&mut self, dst: Reg, off: i16, imm: i32) -> &mut Asm {
        self.raw(op::STI32, dst, 0, off, imm)
    }

    fn jump(&mut self, op: u8, dst: Reg, src: Reg, imm: i32, to: Label) -> &mut Asm {
        self.fixups.push((self.insns.len(), to));
        self.raw(op, dst, src, 0, imm)
    }

    /// Jump always.
    pub fn ja(&mut self, to: Label) -> &mut Asm {
        self.jump(op::JA, 0, 0, 0, to)
    }
    /// Jump if `a cond imm`.
    pub fn jcond_imm(&mut self, cond: Cond, a: Reg, imm: i32, to: Label) -> &mut Asm {
        self.jump(cond.opcode(true), a, 0, imm, to)
    }
    /// Jump if `a cond b`.
    pub fn jcond(&mut self, cond: Cond, a: Reg, b: Reg, to: Label) -> &mut Asm {
        self.jump(cond.opcode(false), a, b, 0, to)
    }
    /// Jump if `a == imm`.
    pub fn jeq_imm(&mut self, a: Reg, imm: i32, to: Label) -> &mut Asm {
        self.jcond_imm(Cond::Eq, a, imm, to)
    }
    /// Jump if `a != imm`.
    pub fn jne_imm(&mut self, a: Reg, imm: i32, to: Label) -> &mut Asm {
        self.jcond_imm(Cond::Ne, a, imm, to)
    }
    /// Jump if `a < imm` (unsigned).
    pub fn jlt_imm(&mut self, a: Reg, imm: i32, to: Label) -> &mut Asm {
        self.jcond_imm(Cond::Lt, a, imm, to)
    }
    /// Jump if `a > imm` (unsigned).
    pub fn jgt_imm(&mut self, a: Reg, imm: i32, to: Label) -> &mut Asm {
        self.jcond_imm(Cond::Gt, a, imm, to)
    }
    /// Calls a helper.
    pub fn call(&mut self, helper: Helper) -> &mut Asm {
        self.raw(op::CALL, 0, 0, 0, helper as i32)
    }
    /// Ends the program with the action in r0.
    pub fn exit(&mut self) -> &mut Asm {
        self.raw(op::EXIT, 0, 0, 0, 0)
    }

    /// The encoded program, jumps patched.
    pub fn finish(&self) -> Result<Vec<u8>, AsmError> {
        let mut insns = self.insns.clone();
        for &(at, label) in &self.fixups {
            let target = self.labels.get(label.0).copied().flatten().ok_or(AsmError::Unbound { label: label.0 })?;
            let off = target as i64 - at as i64 - 1;
            let off = i16::try_from(off).map_err(|_| AsmError::TooFar { at })?;
            if let Some(insn) = insns.get_mut(at) {
                insn.off = off;
            }
        }
        let mut out = Vec::with_capacity(insns.len() * INSN_BYTES);
        for insn in &insns {
            out.extend_from_slice(&insn.encode());
        }
        Ok(out)
    }
}
