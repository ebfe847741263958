//! Environments, used as a library OS would: create children with empty address spaces, give them
//! code and a shared page through capabilities, start them, yield to them, watch a spinning child
//! get preempted, destroy one, see a faulting one ended, grant and revoke across environments, and
//! exit leaving a child running (the kernel must end it with its parent).
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::{Error, MapUpdate, Rights, ANY_PAGE};
use exos::sys::syscall::*;
use user::{child_code, mapped_page, mapped_page_mut, Checks};

const SHARED: u64 = 0x3000_0000;
const CODE: u64 = 0x3100_0000;
const CHILD_CODE: u64 = 0x40_0000;
const CHILD_SHARED: u64 = 0x7000_0000;
const RX: u64 = Rights::READ.0 | Rights::EXECUTE.0;
const RW: u64 = Rights::READ.0 | Rights::WRITE.0;

fn map(va: u64, slot: u64, rights: u64) -> MapUpdate {
    MapUpdate { op: MapUpdate::MAP, va, slot, rights }
}

/// A child running `code`, with the shared page mapped at CHILD_SHARED. Returns (id, slot, code page slot).
fn spawn(c: &mut Checks, code: &[u8], shared_slot: u64, code_va: u64) -> (u64, u64, u64) {
    let (_, code_slot) = sys_page_alloc(ANY_PAGE).expect("code page");
    c.equal("map the code page here", sys_page_map(&[map(code_va, code_slot, RW)]), (1, None));
    mapped_page_mut(code_va)[..code.len()].copy_from_slice(code);
    let (id, slot) = sys_env_create(user::child_pages()).expect("creating a child");
    let updates = [map(CHILD_CODE, code_slot, RX), map(CHILD_SHARED, shared_slot, RW)];
    c.equal("map code and shared page into the child", sys_page_map_into(slot, &updates), (2, None));
    c.equal("start the child", sys_env_start(slot, CHILD_CODE, CHILD_SHARED + 0x1000), Ok(()));
    (id, slot, code_slot)
}

fn main() -> i64 {
    let mut c = Checks::new("envs");
    let (_, shared_slot) = sys_page_alloc(ANY_PAGE).expect("shared page");
    c.equal("map the shared page", sys_page_map(&[map(SHARED, shared_slot, RW)]), (1, None));

    // A child that prints, writes to the shared page and exits 7.
    let (code, len) = child_code::hello(b"envs.child: hello from a child environment\n");
    let (child, child_slot, _) = spawn(&mut c, &code[..len], shared_slot, CODE);
    let mut rounds = 0;
    while mapped_page(SHARED)[0] != 0x0d && rounds < 1000 {
        let _ = sys_env_yield(child);
        rounds += 1;
    }
    c.equal("the child wrote to the shared page", mapped_page(SHARED)[..2].to_vec_free(), [0x0d, 0x60]);
    let _ = sys_env_yield(child); // let it reach its exit
    c.equal("yield to an ended child", sys_env_yield(child), Err(Error::NoSuchEnv));
    c.equal("start an ended child", sys_env_start(child_slot, CHILD_CODE, CHILD_SHARED), Err(Error::NoSuchEnv));

    // A spinning child cannot keep the CPU: this loop finishes because the timer preempts it.
    let (spinner, spinner_slot, _) = spawn(&mut c, &child_code::SPIN, shared_slot, CODE + 0x1000);
    c.equal("yield to the spinner", sys_env_yield(spinner), Ok(()));
    let mut x = 0u64;
    for i in 0..30_000_000u64 {
        x = core::hint::black_box(x.wrapping_add(i));
    }
    let info = exos::sys::vm::env_info(abi::env_index(spinner));
    let me = exos::sys::vm::env_info(0).id; // the boot program sits at table index 0
    c.equal("the environment table shows the spinner, its parent and state",
            (u64::from(info.id), info.parent, info.state), (spinner, me, abi::ENV_RUNNABLE));
    c.equal("destroy the spinner", sys_env_destroy(spinner_slot), Ok(()));
    c.equal("the environment table shows its slot free", exos::sys::vm::env_info(abi::env_index(spinner)).id, 0);
    c.equal("its id is dead", sys_env_yield(spinner), Err(Error::NoSuchEnv));
    let (fresh, fresh_slot) = sys_env_create(user::child_pages()).expect("another child");
    c.check("a new environment never reuses a dead id", fresh != spinner && fresh != child);
    c.equal("destroy it", sys_env_destroy(fresh_slot), Ok(()));

    // A child that touches memory it was never given is ended; the parent goes on.
    let (faulty, _, _) = spawn(&mut c, &child_code::READ_PARENT, shared_slot, CODE + 0x2000);
    while sys_env_yield(faulty).is_ok() {}

    // Grant across environments, then revoke.
    let (other, other_slot) = sys_env_create(user::child_pages()).expect("a child to grant to");
    let granted = sys_cap_grant(shared_slot, other, Rights::READ);
    c.check("grant a read-only page capability to another environment", granted.is_ok());
    c.equal("revoke it", sys_cap_revoke(shared_slot), Ok(1));
    c.equal("destroy that child", sys_env_destroy(other_slot), Ok(()));
    c.equal("grant to the dead child", sys_cap_grant(shared_slot, other, Rights::READ), Err(Error::NoSuchEnv));

    // Leave a child running: the kernel ends it with us.
    let _orphan = spawn(&mut c, &child_code::SPIN, shared_slot, CODE + 0x3000);
    exos::println!("envs: exiting with a running child ({x:#x})");
    c.finish()
}

/// Copies the first two bytes out (no allocation in this program).
trait FirstTwo {
    fn to_vec_free(&self) -> [u8; 2];
}

impl FirstTwo for [u8] {
    fn to_vec_free(&self) -> [u8; 2] {
        [self[0], self[1]]
    }
}

exos::main!(main);
