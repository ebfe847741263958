//! Hostile test through `net_filter_ash`: a handler binds only to a filter the caller installed,
//! with a region the caller may write. Refused: another environment's filter (`NoRights`, from a
//! child), a filter that does not exist (`BadArgument`), a region capability without `WRITE`
//! (`NoRights`), a port capability or an empty slot as the region (`WrongType`, `EmptySlot`), a
//! region beyond 1 MiB (`BadArgument`), a program or reason pointer into the kernel
//! (`BadAddress`). The filter's owner can still bind.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

#[path = "../netkit/mod.rs"]
mod netkit;

use abi::layout::KERNEL_BASE;
use abi::net::ASH_NONE;
use abi::{Error, Rights, Sysnum};
use ash::Asm;
use exos::sys::syscall::*;
use user::{page_word, raw_syscall, set_page_word, spawn, Checks};

const SHARED: u64 = 0x6100_0000;

fn pass_all() -> alloc::vec::Vec<u8> {
    let mut a = Asm::new();
    a.mov_imm(0, 0).exit();
    a.finish().unwrap_or_default()
}

/// The child (it has no heap): binds the handler its parent wrote at byte 64 of the shared page
/// (word 2 = its length) to its parent's filter (word 0 = id + 1); word 1 = 1 + the error code.
extern "C" fn child() -> ! {
    let id = page_word(SHARED, 0) - 1;
    let len = page_word(SHARED, 2) as usize;
    let result = sys_net_filter_ash(id, &user::mapped_page(SHARED)[64..64 + len], ASH_NONE);
    set_page_word(SHARED, 1, 1 + result.err().map_or(0, |e| e.0.code()));
    sys_env_exit(0)
}

fn main() -> i64 {
    let mut c = Checks::new("bad_ash_foreign");
    let (port, _, _, filter) = netkit::icmp_setup(0);
    let region = netkit::memory(1, 1);
    let program = pass_all();
    let bind = |id, region| sys_net_filter_ash(id, &program, region).map_err(|e| e.0);

    let (pa, page) = sys_page_alloc(abi::ANY_PAGE).expect("a page");
    let map = abi::MapUpdate { op: abi::MapUpdate::MAP, va: SHARED, slot: page, rights: netkit::RW };
    c.equal("map the shared page", sys_page_map(&[map]), (1, None));
    set_page_word(SHARED, 0, filter + 1);
    set_page_word(SHARED, 2, program.len() as u64);
    user::mapped_page_mut(SHARED)[64..64 + program.len()].copy_from_slice(&program);
    let (child_id, _) = spawn(child, &[(SHARED, page)]).expect("spawn");
    c.check("the child tried", netkit::wait_until(500, || page_word(SHARED, 1) != 0));
    c.equal("another environment's filter", page_word(SHARED, 1), 1 + Error::NoRights.code());
    let _ = child_id;

    c.equal("a filter that does not exist", bind(filter + 1000, ASH_NONE), Err(Error::BadArgument));
    let me = u64::from(exos::sys::vm::owner(pa >> 12).unwrap_or(0));
    let read_only = sys_cap_grant(region.slot, me, Rights::READ).expect("a read-only capability");
    c.equal("a region without WRITE", bind(filter, read_only), Err(Error::NoRights));
    c.equal("a port as the region", bind(filter, port), Err(Error::WrongType));
    c.equal("an empty slot as the region", bind(filter, 900), Err(Error::EmptySlot));
    let big = netkit::memory(2, 257);
    c.equal("a region beyond 1 MiB", bind(filter, big.slot), Err(Error::BadArgument));
    let call = |program: u64, len: u64, reason: u64| {
        raw_syscall(Sysnum::NetFilterAsh as u64, [filter, program, len, ASH_NONE, reason, 0]).1
    };
    c.equal("a program in the kernel", call(KERNEL_BASE, 8, 0), Some(Error::BadAddress));
    let looping = [abi_ja_self()];
    c.equal("a reason pointer into the kernel", call(looping.as_ptr() as u64, 8, KERNEL_BASE), Some(Error::BadAddress));
    c.equal("no reason pointer", call(looping.as_ptr() as u64, 8, 0), Some(Error::Unverified));
    c.equal("the owner binds", bind(filter, region.slot), Ok(()));
    c.finish()
}

/// One `ja -1` instruction.
fn abi_ja_self() -> [u8; 8] {
    ash::insn::Insn { op: ash::insn::op::JA, dst: 0, src: 0, off: -1, imm: 0 }.encode()
}

extern crate alloc;

exos::main!(main);
