//! Hostile test through `net_filter_ash`: handlers that could run forever or leave the program
//! (loops, jumps onto themselves, beyond the end, paths off the end, dead code) are refused with
//! `Unverified` and the instruction and rule the verifier names; the same filter then takes a
//! correct handler, and unbinding works.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

#[path = "../netkit/mod.rs"]
mod netkit;

use abi::net::ASH_NONE;
use abi::Error;
use ash::insn::op;
use ash::Asm;
use exos::sys::syscall::{sys_net_filter_ash, AshReason};
use user::Checks;

fn refused(pc: u32, rule: u32) -> Result<(), (Error, AshReason)> {
    Err((Error::Unverified, AshReason { pc, rule }))
}

fn main() -> i64 {
    let mut c = Checks::new("bad_ash_loop");
    let (_, _, _, filter) = netkit::icmp_setup(0);
    let bind = |a: &Asm| sys_net_filter_ash(filter, &a.finish().unwrap_or_default(), ASH_NONE);

    let mut a = Asm::new();
    let top = a.label();
    a.bind(top).mov_imm(0, 0).ja(top).exit();
    c.equal("an endless loop", bind(&a), refused(1, 9));
    let mut a = Asm::new();
    let top = a.label();
    a.mov_imm(6, 0).bind(top).add_imm(6, 1).jlt_imm(6, 1_000_000, top).mov_imm(0, 1).exit();
    c.equal("a counted loop", bind(&a), refused(2, 9));
    let mut a = Asm::new();
    a.raw(op::JA, 0, 0, -1, 0).mov_imm(0, 0).exit();
    c.equal("a jump onto itself", bind(&a), refused(0, 9));
    let mut a = Asm::new();
    a.mov_imm(0, 0).raw(op::JA, 0, 0, 100, 0).exit();
    c.equal("a jump beyond the end", bind(&a), refused(1, 10));
    let mut a = Asm::new();
    a.mov_imm(0, 0).mov_imm(6, 1);
    c.equal("no exit", bind(&a), refused(1, 11));
    let mut a = Asm::new();
    a.mov_imm(0, 0).exit().mov_imm(0, 1).exit();
    c.equal("dead code", bind(&a), refused(2, 12));

    // The filter is still usable: a handler that passes every frame on binds, and unbinds.
    let mut a = Asm::new();
    a.mov_imm(0, 0).exit();
    c.equal("a correct handler", bind(&a), Ok(()));
    c.equal("unbind", sys_net_filter_ash(filter, &[], ASH_NONE), Ok(()));
    c.finish()
}

exos::main!(main);
