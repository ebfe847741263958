//! Ready-made handlers, used by the kernel's tests and benchmarks and by ExOS.

use crate::asm::Asm;
use crate::insn::{Cond, Helper};
use alloc::vec::Vec;

/// The UDP echo handler: for an IPv4/UDP frame (the filter it is bound to decides which), swap
/// the Ethernet addresses, the IP addresses and the ports in the transmit buffer (a copy of the
/// frame) and reply with the whole frame; the checksums stay valid (a ones' complement sum does
/// not depend on the order of its words). Frames too short for the headers pass to the ring.
pub fn udp_echo() -> Vec<u8> {
    let mut a = Asm::new();
    let pass = a.label();
    a.jlt_imm(2, 42, pass)
        .mov(7, 2) // the length, kept across the call
        .mov(6, 1) // the packet
        .mov(9, 4); // the transmit buffer
    swap_addresses(&mut a);
    // The transport header follows the IP header's options: both pointers move by IHL * 4.
    a.ld8(8, 6, 14)
        .and_imm(8, 0x0f)
        .lsh_imm(8, 2)
        .add(6, 8)
        .add(9, 8)
        .ld16(0, 6, 14)
        .st16(9, 16, 0)
        .ld16(0, 6, 16)
        .st16(9, 14, 0)
        .mov(1, 7)
        .call(Helper::Reply)
        .mov_imm(0, 1)
        .exit()
        .bind(pass)
        .mov_imm(0, 0)
        .exit();
    a.finish().unwrap_or_default()
}

/// The ICMP echo handler: an echo request (type 8) becomes an echo reply (type 0) with the
/// addresses swapped and the ICMP checksum recomputed by the checksum helper over the message
/// (IP total length minus the header); other ICMP messages pass to the ring.
pub fn icmp_echo() -> Vec<u8> {
    let mut a = Asm::new();
    let pass = a.label();
    a.jlt_imm(2, 42, pass).mov(7, 2).mov(6, 1).mov(9, 4);
    // r8 = IHL * 4; r5 = IP total length - r8 = the ICMP message's length.
    a.ld8(8, 6, 14).and_imm(8, 0x0f).lsh_imm(8, 2);
    a.ld16(5, 6, 16).jcond(Cond::Lt, 5, 8, pass).sub(5, 8);
    swap_addresses(&mut a);
    a.add(6, 8).add(9, 8).ld8(0, 6, 14).jne_imm(0, 8, pass);
    // Type 0, checksum 0, then the sum over the message in the transmit buffer.
    a.sti8(9, 14, 0)
        .sti16(9, 16, 0)
        .mov(1, 9)
        .add_imm(1, 14)
        .mov(2, 5)
        .mov_imm(3, 0)
        .call(Helper::Csum)
        .xor_imm(0, 0xffff)
        .st16(9, 16, 0)
        .mov(1, 7)
        .call(Helper::Reply)
        .mov_imm(0, 1)
        .exit()
        .bind(pass)
        .mov_imm(0, 0)
        .exit();
    a.finish().unwrap_or_default()
}

/// Writes into the transmit buffer (r9) the frame's (r6) Ethernet and IPv4 addresses swapped.
fn swap_addresses(a: &mut Asm) {
    a.ld32(0, 6, 6)
        .st32(9, 0, 0)
        .ld16(0, 6, 10)
        .st16(9, 4, 0)
        .ld32(0, 6, 0)
        .st32(9, 6, 0)
        .ld16(0, 6, 4)
        .st16(9, 10, 0)
        .ld32(0, 6, 30)
        .st32(9, 26, 0)
        .ld32(0, 6, 26)
        .st32(9, 30, 0);
}
