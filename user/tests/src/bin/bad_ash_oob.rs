//! Hostile test through `net_filter_ash`: handlers that read or write outside what they may are
//! refused with the rule that caught them: packet loads beyond the largest frame or before it,
//! stores into the packet, beyond the scratch area or the transmit buffer, beyond the registered
//! region or into a region never registered, pointers moved out of their area or stored to memory,
//! a divisor that may be zero, unknown helpers, a helper writing into the packet, an exit code
//! other than 0 or 1, and a program longer than 256 instructions.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

#[path = "../netkit/mod.rs"]
mod netkit;

use abi::net::ASH_NONE;
use abi::Error;
use ash::insn::op;
use ash::{Asm, Helper};
use exos::sys::syscall::{sys_net_filter_ash, AshReason};
use user::Checks;

fn refused(pc: u32, rule: u32) -> Result<(), (Error, AshReason)> {
    Err((Error::Unverified, AshReason { pc, rule }))
}

fn main() -> i64 {
    let mut c = Checks::new("bad_ash_oob");
    let (_, _, _, filter) = netkit::icmp_setup(0);
    let region = netkit::memory(1, 1);
    let bind = |a: &Asm, region: u64| sys_net_filter_ash(filter, &a.finish().unwrap_or_default(), region);
    let one = |f: &dyn Fn(&mut Asm)| {
        let mut a = Asm::new();
        f(&mut a);
        a.mov_imm(0, 0).exit();
        a
    };

    c.equal("a packet load beyond 1514", bind(&one(&|a| { a.ld32(0, 1, 1511); }), ASH_NONE), refused(0, 21));
    c.equal("a packet load before the frame", bind(&one(&|a| { a.ld8(0, 1, -1); }), ASH_NONE), refused(0, 21));
    c.equal("a store into the packet", bind(&one(&|a| { a.sti8(1, 20, 0); }), ASH_NONE), refused(0, 22));
    c.equal("a store beyond the scratch area", bind(&one(&|a| { a.sti32(3, 254, 0); }), ASH_NONE), refused(0, 21));
    c.equal("a store beyond the transmit buffer", bind(&one(&|a| { a.sti8(4, 1514, 0); }), ASH_NONE), refused(0, 21));
    c.equal("a store beyond the region", bind(&one(&|a| { a.sti32(5, 4093, 0); }), region.slot), refused(0, 21));
    c.equal("a store into the last region word", bind(&one(&|a| { a.sti32(5, 4092, 0); }), region.slot), Ok(()));
    c.equal("a store into a region never registered", bind(&one(&|a| { a.sti8(5, 0, 0); }), ASH_NONE), refused(0, 8));
    c.equal("a forged address", bind(&one(&|a| { a.mov_imm(6, 0x1000).sti8(6, 0, 1); }), ASH_NONE), refused(1, 20));
    c.equal("a pointer moved out of its area", bind(&one(&|a| { a.add_imm(3, 257); }), ASH_NONE), refused(0, 17));
    c.equal(
        "a pointer moved by an unbounded value",
        bind(&one(&|a| { a.ld32(6, 1, 0).add(4, 6); }), ASH_NONE),
        refused(1, 17),
    );
    c.equal("a pointer stored to memory", bind(&one(&|a| { a.st32(3, 0, 4); }), ASH_NONE), refused(0, 19));
    c.equal("a divisor that may be zero", bind(&one(&|a| { a.ld8(6, 1, 0).mov(7, 2).raw(op::DIV_REG, 7, 6, 0, 0); }), ASH_NONE), refused(2, 14));
    c.equal("an unknown helper", bind(&one(&|a| { a.raw(op::CALL, 0, 0, 0, 77); }), ASH_NONE), refused(0, 23));
    c.equal(
        "copy into the packet",
        bind(&one(&|a| { a.mov(2, 3).mov_imm(3, 8).call(Helper::Copy); }), ASH_NONE),
        refused(2, 24),
    );
    let mut a = Asm::new();
    a.mov_imm(0, 7).exit();
    c.equal("exit code 7", bind(&a, ASH_NONE), refused(1, 25));
    let mut huge = Asm::new();
    for _ in 0..256 {
        huge.mov_imm(0, 0);
    }
    huge.exit();
    let bytes = huge.finish().unwrap_or_default();
    c.equal("257 instructions", sys_net_filter_ash(filter, &bytes, ASH_NONE).map_err(|e| e.0), Err(Error::TooLong));
    c.equal("a truncated instruction", sys_net_filter_ash(filter, &bytes[..12], ASH_NONE), refused(0, 3));
    c.equal("256 instructions", sys_net_filter_ash(filter, &bytes[8..], ASH_NONE), Ok(()));
    c.finish()
}

exos::main!(main);
