//! Unit tests: handlers that work (echo, checksum, copy, deliver, drop), run-time checks, and
//! hostile programs, each refused with its reason.

use crate::asm::Asm;
use crate::insn::{Cond, Helper, op};
use crate::interp::{Action, AshHost, Fault, ones_complement_sum, run};
use crate::programs;
use crate::verify::{Area, Limits, VerifyError, VerifyErrorKind as K, verify};
use crate::{MAX_INSNS, SCRATCH_LEN, TX_LEN};
use alloc::vec;
use alloc::vec::Vec;

#[derive(Default)]
struct Host {
    region: Vec<u8>,
    replies: Vec<Vec<u8>>,
    delivered: Vec<Vec<u8>>,
}

impl AshHost for Host {
    fn region_len(&self) -> usize {
        self.region.len()
    }
    fn region_read(&mut self, at: usize, out: &mut [u8]) -> bool {
        match self.region.get(at..at + out.len()) {
            Some(bytes) => {
                out.copy_from_slice(bytes);
                true
            }
            None => false,
        }
    }
    fn region_write(&mut self, at: usize, bytes: &[u8]) -> bool {
        match self.region.get_mut(at..at + bytes.len()) {
            Some(target) => {
                target.copy_from_slice(bytes);
                true
            }
            None => false,
        }
    }
    fn reply(&mut self, frame: &[u8]) -> u64 {
        self.replies.push(frame.to_vec());
        0
    }
    fn deliver(&mut self, bytes: &[u8]) -> u64 {
        self.delivered.push(bytes.to_vec());
        0
    }
}

fn no_region() -> Limits {
    Limits::default()
}

fn region(len: usize) -> Limits {
    Limits { region_len: len }
}

/// Assembles, verifies; the error kind and where.
fn reject(a: &Asm, limits: Limits) -> (usize, K) {
    let bytes = a.finish().unwrap();
    match verify(&bytes, limits) {
        Ok(_) => panic!("accepted a hostile program"),
        Err(VerifyError { pc, kind }) => (pc, kind),
    }
}

fn accept(a: &Asm, limits: Limits) -> crate::Program {
    let bytes = a.finish().unwrap();
    verify(&bytes, limits).unwrap_or_else(|e| panic!("{e}"))
}

/// An Ethernet/IPv4 frame: `proto`, `options` option words, then `payload` as the transport part.
fn ip_frame(proto: u8, options: usize, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; 14];
    f[0..6].copy_from_slice(&[2, 0, 0, 0, 0, 1]);
    f[6..12].copy_from_slice(&[2, 0, 0, 0, 0, 2]);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    let hl = 20 + 4 * options;
    let mut ip = vec![0u8; hl];
    ip[0] = 0x40 | (hl / 4) as u8;
    ip[2..4].copy_from_slice(&((hl + payload.len()) as u16).to_be_bytes());
    ip[9] = proto;
    ip[12..16].copy_from_slice(&[10, 0, 2, 2]);
    ip[16..20].copy_from_slice(&[10, 0, 2, 15]);
    f.extend_from_slice(&ip);
    f.extend_from_slice(payload);
    f
}

// ---- working handlers ----

#[test]
fn udp_echo_swaps_and_replies() {
    let program = verify(&programs::udp_echo(), no_region()).unwrap();
    for options in [0, 2] {
        let mut udp = vec![0x9c, 0x40, 0x00, 0x07, 0x00, 0x0c, 0x12, 0x34];
        udp.extend_from_slice(b"ping");
        let frame = ip_frame(17, options, &udp);
        let mut host = Host::default();
        assert_eq!(run(&program, &mut host, &frame), Action::Consumed);
        let reply = &host.replies[0];
        assert_eq!(reply.len(), frame.len());
        assert_eq!(reply[0..6], frame[6..12]);
        assert_eq!(reply[6..12], frame[0..6]);
        assert_eq!(reply[26..30], frame[30..34]);
        assert_eq!(reply[30..34], frame[26..30]);
        let t = 14 + 20 + 4 * options;
        assert_eq!(reply[t..t + 2], frame[t + 2..t + 4]);
        assert_eq!(reply[t + 2..t + 4], frame[t..t + 2]);
        assert_eq!(reply[t + 4..], frame[t + 4..]);
    }
    // Too short for the headers: passed on.
    let mut host = Host::default();
    assert_eq!(run(&program, &mut host, &[0u8; 41]), Action::Pass);
    assert!(host.replies.is_empty());
}

#[test]
fn icmp_echo_replies_with_a_valid_checksum() {
    let program = verify(&programs::icmp_echo(), no_region()).unwrap();
    let mut icmp = vec![8, 0, 0, 0, 0x12, 0x34, 0x00, 0x01];
    icmp.extend_from_slice(&[0xab; 37]);
    let sum = ones_complement_sum(&icmp, 0) as u16 ^ 0xffff;
    icmp[2..4].copy_from_slice(&sum.to_be_bytes());
    let frame = ip_frame(1, 0, &icmp);
    let mut host = Host::default();
    assert_eq!(run(&program, &mut host, &frame), Action::Consumed);
    let reply = &host.replies[0];
    assert_eq!(reply[34], 0);
    assert_eq!(ones_complement_sum(&reply[34..], 0), 0xffff, "the reply's checksum verifies");
    assert_eq!(reply[38..], frame[38..]);
    // An echo reply (type 0) is passed to the ring, not answered.
    let mut other = frame.clone();
    other[34] = 0;
    let mut host = Host::default();
    assert_eq!(run(&program, &mut host, &other), Action::Pass);
    assert!(host.replies.is_empty());
}

#[test]
fn copy_to_region_deliver_and_drop() {
    // Copy the UDP payload (bytes 42..) into the region at 16, deliver the first 8 region bytes
    // (a header the handler writes), then drop when the first payload byte is 0xff.
    let mut a = Asm::new();
    let done = a.label();
    let drop = a.label();
    a.mov(6, 1)
        .mov(7, 2)
        .mov(8, 5)
        .jlt_imm(7, 43, done)
        .jgt_imm(7, 1000, done)
        .ld8(0, 6, 42)
        .jeq_imm(0, 0xff, drop)
        .st32(8, 0, 7) // the frame length
        .mov(1, 8)
        .add_imm(1, 16)
        .mov(2, 6)
        .add_imm(2, 42)
        .mov(3, 7)
        .sub_imm(3, 42)
        .call(Helper::Copy)
        .mov(1, 8)
        .mov_imm(2, 8)
        .call(Helper::Deliver)
        .mov_imm(0, 1)
        .exit()
        .bind(drop)
        .call(Helper::Drop)
        .bind(done)
        .mov_imm(0, 0)
        .exit();
    let program = accept(&a, region(1024));
    let frame = ip_frame(17, 0, &[0, 7, 0, 9, 0, 12, 0, 0, 1, 2, 3, 4]);
    let mut host = Host { region: vec![0; 1024], ..Host::default() };
    assert_eq!(run(&program, &mut host, &frame), Action::Consumed);
    assert_eq!(host.region[16..20], [1, 2, 3, 4]);
    assert_eq!(host.delivered, vec![vec![0, 0, 0, 46, 0, 0, 0, 0]]);
    let mut frame = frame;
    frame[42] = 0xff;
    assert_eq!(run(&program, &mut Host { region: vec![0; 1024], ..Host::default() }, &frame), Action::Drop);
}

#[test]
fn run_time_checks_fault() {
    // A packet load beyond a short frame: proved within 1514, checked against the real length.
    let mut a = Asm::new();
    a.ld32(0, 1, 100).mov_imm(0, 1).exit();
    let program = accept(&a, no_region());
    assert_eq!(run(&program, &mut Host::default(), &[0u8; 103]), Action::Fault(Fault::Bounds { pc: 0 }));
    assert_eq!(run(&program, &mut Host::default(), &[0u8; 104]), Action::Consumed);
    // A copy whose length comes from the packet, beyond the region.
    let mut a = Asm::new();
    a.ld16(3, 1, 0).mov(1, 5).mov(2, 4).call(Helper::Copy).mov_imm(0, 0).exit();
    let program = accept(&a, region(64));
    let mut host = Host { region: vec![0; 64], ..Host::default() };
    assert_eq!(run(&program, &mut host, &[0, 65, 0, 0]), Action::Fault(Fault::HelperBounds { pc: 3 }));
    assert_eq!(run(&program, &mut host, &[0, 64, 0, 0]), Action::Pass);
    // A reply longer than the transmit buffer.
    let mut a = Asm::new();
    a.mov_imm(1, TX_LEN as i32 + 1).call(Helper::Reply).mov_imm(0, 1).exit();
    let program = accept(&a, no_region());
    assert_eq!(run(&program, &mut Host::default(), &[0u8; 60]), Action::Fault(Fault::HelperBounds { pc: 1 }));
    // The checksum of a range beyond the frame.
    let mut a = Asm::new();
    a.mov_imm(2, 100).mov_imm(3, 0).call(Helper::Csum).mov_imm(0, 0).exit();
    let program = accept(&a, no_region());
    assert_eq!(run(&program, &mut Host::default(), &[0u8; 60]), Action::Fault(Fault::HelperBounds { pc: 2 }));
}

#[test]
fn length_checks_prove_bounds() {
    // A pointer moved by a value the program bounded with a compare.
    let mut a = Asm::new();
    let out = a.label();
    a.ld8(6, 1, 0).jgt_imm(6, 200, out).mov(7, 3).add(7, 6).sti32(7, 52, 7).bind(out).mov_imm(0, 0).exit();
    let program = accept(&a, no_region());
    assert_eq!(run(&program, &mut Host::default(), &[200]), Action::Pass);
    // Without the compare the same store may leave the scratch area.
    let mut a = Asm::new();
    a.ld8(6, 1, 0).mov(7, 3).add(7, 6).sti32(7, 52, 7).mov_imm(0, 0).exit();
    assert_eq!(reject(&a, no_region()), (3, K::OutOfBounds { area: Area::Scratch, start: 52, end: 311, size: SCRATCH_LEN as i64 }));
}

// ---- hostile programs: each refused with its reason ----

#[test]
fn bad_loops_and_jumps() {
    let mut a = Asm::new();
    let top = a.label();
    a.bind(top).mov_imm(0, 0).ja(top).exit();
    assert_eq!(reject(&a, no_region()), (1, K::BackwardJump));
    // A conditional loop.
    let mut a = Asm::new();
    let top = a.label();
    a.mov_imm(0, 0).bind(top).add_imm(0, 1).jlt_imm(0, 100, top).mov_imm(0, 1).exit();
    assert_eq!(reject(&a, no_region()), (2, K::BackwardJump));
    // A jump onto itself.
    let mut a = Asm::new();
    a.raw(op::JA, 0, 0, -1, 0).mov_imm(0, 0).exit();
    assert_eq!(reject(&a, no_region()), (0, K::BackwardJump));
    // Beyond the end.
    let mut a = Asm::new();
    a.raw(op::JA, 0, 0, 5, 0).mov_imm(0, 0).exit();
    assert_eq!(reject(&a, no_region()), (0, K::JumpOutside { target: 6 }));
    // No exit: runs off the end; a conditional jump as the last instruction too.
    let mut a = Asm::new();
    a.mov_imm(0, 0);
    assert_eq!(reject(&a, no_region()), (0, K::FallsOffEnd));
    let mut a = Asm::new();
    a.mov_imm(0, 0).raw(op::JEQ_IMM, 0, 0, 0, 1);
    assert_eq!(reject(&a, no_region()), (1, K::JumpOutside { target: 2 }));
    let mut a = Asm::new();
    a.mov_imm(0, 0).raw(op::JEQ_IMM, 0, 0, 1, 1).exit().mov_imm(0, 1);
    assert_eq!(reject(&a, no_region()), (3, K::FallsOffEnd));
    // Dead code.
    let mut a = Asm::new();
    a.mov_imm(0, 0).exit().mov_imm(0, 1).exit();
    assert_eq!(reject(&a, no_region()), (2, K::Unreachable));
}

#[test]
fn bad_sizes_and_encodings() {
    assert_eq!(verify(&[], no_region()).unwrap_err().kind, K::Empty);
    assert_eq!(verify(&[0; 12], no_region()).unwrap_err().kind, K::Truncated { bytes: 12 });
    let mut huge = Asm::new();
    for _ in 0..MAX_INSNS {
        huge.mov_imm(0, 0);
    }
    huge.exit();
    assert_eq!(reject(&huge, no_region()), (0, K::TooLong { insns: MAX_INSNS + 1 }));
    let mut most = Asm::new();
    for _ in 0..MAX_INSNS - 1 {
        most.mov_imm(0, 0);
    }
    most.exit();
    accept(&most, no_region());
    let mut a = Asm::new();
    a.raw(0xee, 0, 0, 0, 0);
    assert_eq!(reject(&a, no_region()), (0, K::BadOpcode { op: 0xee }));
    let mut a = Asm::new();
    a.mov_imm(10, 0).mov_imm(0, 0).exit();
    assert_eq!(reject(&a, no_region()), (0, K::BadRegister { reg: 10 }));
    let mut a = Asm::new();
    a.mov_imm(0, 0).mov(0, 15).exit();
    assert_eq!(reject(&a, no_region()), (1, K::BadRegister { reg: 15 }));
    let mut a = Asm::new();
    a.mov_imm(0, 0).raw(op::EXIT, 0, 0, 3, 0);
    assert_eq!(reject(&a, no_region()), (1, K::UnusedField));
    let mut a = Asm::new();
    a.raw(op::MOV_IMM, 0, 4, 0, 0).exit();
    assert_eq!(reject(&a, no_region()), (0, K::UnusedField));
    assert_eq!(verify(&programs::udp_echo(), region(crate::MAX_REGION + 1)).unwrap_err().kind, K::RegionTooLarge);
}

#[test]
fn bad_unwritten_registers() {
    let mut a = Asm::new();
    a.exit();
    assert_eq!(reject(&a, no_region()), (0, K::Unwritten { reg: 0 }));
    let mut a = Asm::new();
    a.mov(0, 6).exit();
    assert_eq!(reject(&a, no_region()), (0, K::Unwritten { reg: 6 }));
    // Written on one path only.
    let mut a = Asm::new();
    let skip = a.label();
    a.jeq_imm(2, 60, skip).mov_imm(6, 1).bind(skip).mov(0, 6).and_imm(0, 1).exit();
    assert_eq!(reject(&a, no_region()), (2, K::Unwritten { reg: 6 }));
    // No region registered: r5 holds nothing.
    let mut a = Asm::new();
    a.sti8(5, 0, 1).mov_imm(0, 0).exit();
    assert_eq!(reject(&a, no_region()), (0, K::Unwritten { reg: 5 }));
    // Helpers clobber r1..r5.
    let mut a = Asm::new();
    a.mov_imm(1, 0).call(Helper::Reply).ld8(0, 1, 0).exit();
    assert_eq!(reject(&a, no_region()), (2, K::Unwritten { reg: 1 }));
    // A register that is a pointer on one path and a scalar on another is unusable.
    let mut a = Asm::new();
    let skip = a.label();
    a.mov(6, 1).jeq_imm(2, 60, skip).mov_imm(6, 0).bind(skip).ld8(0, 6, 0).mov_imm(0, 0).exit();
    assert_eq!(reject(&a, no_region()), (3, K::Unwritten { reg: 6 }));
}

#[test]
fn bad_packet_loads() {
    let mut a = Asm::new();
    a.ld32(0, 1, 1511).mov_imm(0, 0).exit();
    assert_eq!(reject(&a, no_region()), (0, K::OutOfBounds { area: Area::Packet, start: 1511, end: 1515, size: 1514 }));
    let mut a = Asm::new();
    a.ld8(0, 1, -1).mov_imm(0, 0).exit();
    assert_eq!(reject(&a, no_region()), (0, K::OutOfBounds { area: Area::Packet, start: -1, end: 0, size: 1514 }));
    let mut a = Asm::new();
    a.ld16(0, 1, i16::MAX).mov_imm(0, 0).exit();
    assert!(matches!(reject(&a, no_region()), (0, K::OutOfBounds { .. })));
    // Through a scalar.
    let mut a = Asm::new();
    a.ld8(0, 2, 0).mov_imm(0, 0).exit();
    assert_eq!(reject(&a, no_region()), (0, K::NotAPointer { reg: 2 }));
}

#[test]
fn bad_writes_outside_allowed_areas() {
    let mut a = Asm::new();
    a.sti8(1, 0, 0).mov_imm(0, 0).exit();
    assert_eq!(reject(&a, no_region()), (0, K::WriteToPacket));
    let mut a = Asm::new();
    a.sti8(3, SCRATCH_LEN as i16, 0).mov_imm(0, 0).exit();
    assert_eq!(reject(&a, no_region()), (0, K::OutOfBounds { area: Area::Scratch, start: 256, end: 257, size: 256 }));
    let mut a = Asm::new();
    a.sti16(4, TX_LEN as i16 - 1, 0).mov_imm(0, 0).exit();
    assert!(matches!(reject(&a, no_region()), (0, K::OutOfBounds { area: Area::Tx, .. })));
    let mut a = Asm::new();
    a.sti32(5, 61, 0).mov_imm(0, 0).exit();
    assert_eq!(reject(&a, region(64)), (0, K::OutOfBounds { area: Area::Region, start: 61, end: 65, size: 64 }));
    let mut a = Asm::new();
    a.sti32(5, -4, 0).mov_imm(0, 0).exit();
    assert!(matches!(reject(&a, region(64)), (0, K::OutOfBounds { area: Area::Region, .. })));
    // Stores through a scalar (an address forged from a number).
    let mut a = Asm::new();
    a.mov_imm(6, 0x1000).sti8(6, 0, 1).mov_imm(0, 0).exit();
    assert_eq!(reject(&a, no_region()), (1, K::NotAPointer { reg: 6 }));
    // Copy into the packet.
    let mut a = Asm::new();
    a.mov(2, 3).mov_imm(3, 4).call(Helper::Copy).mov_imm(0, 0).exit();
    assert!(matches!(reject(&a, no_region()), (2, K::HelperArgument { helper: Helper::Copy, reg: 1, .. })));
}

#[test]
fn bad_pointer_arithmetic() {
    // Escaping the scratch area by an immediate.
    let mut a = Asm::new();
    a.add_imm(3, 300).mov_imm(0, 0).exit();
    assert_eq!(reject(&a, no_region()), (0, K::PointerEscapes { reg: 3, min: 300, max: 300 }));
    let mut a = Asm::new();
    a.sub_imm(4, 1).mov_imm(0, 0).exit();
    assert_eq!(reject(&a, no_region()), (0, K::PointerEscapes { reg: 4, min: -1, max: -1 }));
    // By an unbounded value loaded from the packet.
    let mut a = Asm::new();
    a.ld32(6, 1, 0).add(1, 6).mov_imm(0, 0).exit();
    assert_eq!(reject(&a, no_region()), (1, K::PointerEscapes { reg: 1, min: 0, max: 0xffff_ffff }));
    // Operations other than add/sub of a scalar.
    let mut a = Asm::new();
    a.mul_imm(1, 2).mov_imm(0, 0).exit();
    assert_eq!(reject(&a, no_region()), (0, K::PointerArithmetic { reg: 1 }));
    let mut a = Asm::new();
    a.xor_imm(3, 1).mov_imm(0, 0).exit();
    assert_eq!(reject(&a, no_region()), (0, K::PointerArithmetic { reg: 3 }));
    let mut a = Asm::new();
    a.mov(6, 3).sub(6, 4).mov_imm(0, 0).exit();
    assert_eq!(reject(&a, no_region()), (1, K::PointerArithmetic { reg: 6 }));
    // A pointer into a scalar (leaking or forging offsets).
    let mut a = Asm::new();
    a.mov_imm(0, 0).add(0, 1).exit();
    assert_eq!(reject(&a, no_region()), (1, K::PointerArithmetic { reg: 1 }));
    // Compares of pointers.
    let mut a = Asm::new();
    let l = a.label();
    a.jeq_imm(1, 0, l).bind(l).mov_imm(0, 0).exit();
    assert_eq!(reject(&a, no_region()), (0, K::PointerCompare { reg: 1 }));
    let mut a = Asm::new();
    let l = a.label();
    a.jcond(Cond::Gt, 2, 3, l).bind(l).mov_imm(0, 0).exit();
    assert_eq!(reject(&a, no_region()), (0, K::PointerCompare { reg: 3 }));
    // Storing a pointer.
    let mut a = Asm::new();
    a.st32(3, 0, 1).mov_imm(0, 0).exit();
    assert_eq!(reject(&a, no_region()), (0, K::PointerAsScalar { reg: 1 }));
}

#[test]
fn bad_arithmetic() {
    let mut a = Asm::new();
    a.mov(0, 2).div_imm(0, 0).exit();
    assert_eq!(reject(&a, no_region()), (1, K::DivisionByZero));
    let mut a = Asm::new();
    a.mov(0, 2).mod_imm(0, 0).exit();
    assert_eq!(reject(&a, no_region()), (1, K::DivisionByZero));
    // A divisor loaded from the packet may be 0.
    let mut a = Asm::new();
    a.ld8(6, 1, 0).mov(0, 2).div(0, 6).and_imm(0, 1).exit();
    assert_eq!(reject(&a, no_region()), (2, K::DivisorMayBeZero { reg: 6 }));
    // Unless a compare excludes 0.
    let mut a = Asm::new();
    let zero = a.label();
    a.ld8(6, 1, 0).jeq_imm(6, 0, zero).mov(0, 2).div(0, 6).and_imm(0, 1).exit().bind(zero).mov_imm(0, 0).exit();
    let program = accept(&a, no_region());
    assert_eq!(run(&program, &mut Host::default(), &[3, 0, 0]), Action::Consumed);
    let mut a = Asm::new();
    a.mov(0, 2).lsh_imm(0, 64).exit();
    assert_eq!(reject(&a, no_region()), (1, K::ShiftTooLarge { shift: 64 }));
    let mut a = Asm::new();
    a.mov(0, 2).rsh_imm(0, -1).exit();
    assert_eq!(reject(&a, no_region()), (1, K::ShiftTooLarge { shift: -1 }));
}

#[test]
fn bad_helpers_and_exits() {
    let mut a = Asm::new();
    a.raw(op::CALL, 0, 0, 0, 99).mov_imm(0, 0).exit();
    assert_eq!(reject(&a, no_region()), (0, K::BadHelper { id: 99 }));
    let mut a = Asm::new();
    a.raw(op::CALL, 0, 0, 0, 0).mov_imm(0, 0).exit();
    assert_eq!(reject(&a, no_region()), (0, K::BadHelper { id: 0 }));
    // reply with a pointer as its length.
    let mut a = Asm::new();
    a.mov(1, 4).call(Helper::Reply).mov_imm(0, 0).exit();
    assert!(matches!(reject(&a, no_region()), (1, K::HelperArgument { helper: Helper::Reply, reg: 1, .. })));
    // csum of a scalar "address".
    let mut a = Asm::new();
    a.mov_imm(1, 0).mov_imm(3, 0).call(Helper::Csum).mov_imm(0, 0).exit();
    assert!(matches!(reject(&a, no_region()), (2, K::HelperArgument { helper: Helper::Csum, reg: 1, .. })));
    // deliver with an unwritten length.
    let mut a = Asm::new();
    a.mov_imm(2, 0).raw(op::MOV_IMM, 2, 0, 0, 0).call(Helper::Deliver).mov_imm(0, 0).exit();
    accept(&a, no_region());
    let mut a = Asm::new();
    a.mov(1, 3).call(Helper::Copy).mov_imm(0, 0).exit();
    assert!(matches!(reject(&a, no_region()), (1, K::HelperArgument { helper: Helper::Copy, reg: 2, .. })));
    // Exit codes.
    let mut a = Asm::new();
    a.mov_imm(0, 2).exit();
    assert_eq!(reject(&a, no_region()), (1, K::BadExitCode { max: 2 }));
    let mut a = Asm::new();
    a.mov(0, 2).exit();
    assert_eq!(reject(&a, no_region()), (1, K::BadExitCode { max: 1514 }));
    let mut a = Asm::new();
    a.mov(0, 1).exit();
    assert_eq!(reject(&a, no_region()), (1, K::PointerAsScalar { reg: 0 }));
}

#[test]
fn every_error_has_a_message() {
    use alloc::string::ToString;
    let mut a = Asm::new();
    a.add_imm(3, 300).mov_imm(0, 0).exit();
    let message = verify(&a.finish().unwrap(), no_region()).unwrap_err().to_string();
    assert!(message.contains("insn 0") && message.contains("leave"), "{message}");
}

/// A deterministic generator.
struct Random(u64);

impl Random {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn random_programs_never_panic() {
    // Random instructions over the valid opcodes: whatever the verifier accepts runs to an end
    // without panicking, within the frame and areas.
    let ops = [
        op::MOV_IMM, op::MOV_REG, op::ADD_IMM, op::ADD_REG, op::SUB_IMM, op::MUL_IMM, op::DIV_REG, op::MOD_IMM, op::AND_IMM,
        op::RSH_IMM, op::LSH_REG, op::LD8, op::LD16, op::LD32, op::ST8, op::STI16, op::ST32, op::JA, op::JEQ_IMM, 0x34,
        0x3b, op::CALL, op::EXIT,
    ];
    let mut rng = Random(42);
    let mut accepted = 0;
    for _ in 0..20000 {
        let mut a = Asm::new();
        for r in [0, 6, 7, 8, 9] {
            a.mov_imm(r, 1);
        }
        let len = 1 + rng.next(12);
        for _ in 0..len {
            let o = ops[rng.next(ops.len() as u64) as usize];
            let imm = [0, 1, 2, 14, 60, -1, 4000][rng.next(7) as usize];
            let scalar = [0u8, 6, 7, 8, 9][rng.next(5) as usize];
            let other = [0u8, 6, 7, 8, 9, 2][rng.next(6) as usize];
            let pointer = [1u8, 3, 4, 5][rng.next(4) as usize];
            let (dst, src) = match o {
                op::LD8 | op::LD16 | op::LD32 => (scalar, pointer),
                op::ST8 | op::ST32 | op::STI16 => (pointer, other),
                _ if rng.next(8) == 0 => (pointer, other),
                _ => (scalar, other),
            };
            let imm = if o == op::CALL { rng.next(6) as i32 } else { imm };
            let (src, imm) = match o {
                _ if o < 0x20 && o & 1 == 1 => (0, imm),
                _ if o < 0x20 => (src, 0),
                op::LD8 | op::LD16 | op::LD32 | op::ST8 | op::ST32 => (src, 0),
                op::STI16 => (0, imm),
                op::JA => (0, 0),
                0x3b => (src, 0),
                op::JEQ_IMM | 0x34 => (0, imm),
                _ => (0, imm),
            };
            let (dst, off) = match o {
                op::JA => (0, rng.next(3) as i16),
                op::LD8..=op::STI32 => (dst, rng.next(4) as i16 * 3),
                op::JEQ_IMM | 0x34 | 0x3b => (dst, rng.next(3) as i16),
                op::CALL | op::EXIT => (0, 0),
                _ => (dst, 0),
            };
            a.raw(o, dst, src, off, if o == op::EXIT { 0 } else { imm });
        }
        a.mov_imm(0, 0).exit();
        let Ok(program) = verify(&a.finish().unwrap(), region(32)) else { continue };
        accepted += 1;
        let frame: Vec<u8> = (0..rng.next(80)).map(|i| i as u8).collect();
        let mut host = Host { region: vec![0; 32], ..Host::default() };
        let _ = run(&program, &mut host, &frame);
    }
    assert!(accepted > 1000, "{accepted}");
}
