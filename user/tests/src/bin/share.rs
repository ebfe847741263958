//! Two environments share a page by grant and exchange data through it with protected control
//! transfers; then the owner revokes the grant, and the other environment faults on the page and
//! its exception handler finds out why (its capability is gone) and says so in its reply.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::{Error, ExceptionFrame, MapUpdate, Rights, ANY_PAGE};
use core::sync::atomic::{AtomicU64, Ordering};
use exos::sys::syscall::*;
use user::{mapped_page, mapped_page_mut, spawn, Checks};

const OWNER_VA: u64 = 0x3000_0000;
const PEER_VA: u64 = 0x3800_0000;
const PEER_STACK_TOP: u64 = user::CHILD_STACK_TOP - 0x2000;
/// The reply a peer gives when its shared page was revoked under it.
const REVOKED: u64 = 0xdead_0001;

const MAP_IT: u64 = 1;
const READ_IT: u64 = 2;

/// The peer's state (its own copy of this program's data).
static GRANTED_SLOT: AtomicU64 = AtomicU64::new(u64::MAX);
static CALLER: AtomicU64 = AtomicU64::new(0);

extern "C" fn peer_main() -> ! {
    exos::rt::exception::set_handler(peer_fault).expect("peer handler");
    let e = sys_pct_set_entry(peer_entry, PEER_STACK_TOP).err().unwrap_or_else(sys_pct_wait);
    exos::println!("share peer: FAIL: {e:?}");
    sys_env_exit(1)
}

/// `MAP_IT(slot)`: map the granted page; `READ_IT`: return twice the number in it.
extern "C" fn peer_entry(caller: u64, op: u64, slot: u64, _: u64, _: u64, _: u64) -> ! {
    CALLER.store(caller, Ordering::Relaxed);
    let value = match op {
        MAP_IT => {
            GRANTED_SLOT.store(slot, Ordering::Relaxed);
            let update = MapUpdate { op: MapUpdate::MAP, va: PEER_VA, slot, rights: Rights::READ.0 | Rights::WRITE.0 };
            sys_page_map(&[update]).0
        }
        _ => 2 * u64::from_le_bytes(mapped_page(PEER_VA)[..8].try_into().unwrap_or([0; 8])),
    };
    let e = sys_pct_reply(caller, value);
    exos::println!("share peer: FAIL: reply: {e:?}");
    sys_env_exit(1)
}

/// The peer's exception handler: a fault on the shared page means it lost the page; find out why
/// from the kernel's answer about the capability, and reply to the caller instead of resuming.
fn peer_fault(frame: &mut ExceptionFrame) -> bool {
    if frame.vector != 14 || frame.fault_address & !0xfff != PEER_VA {
        return false;
    }
    let probe = MapUpdate { op: MapUpdate::MAP, va: PEER_VA, slot: GRANTED_SLOT.load(Ordering::Relaxed), rights: Rights::READ.0 };
    let why = match sys_page_map(&[probe]) {
        (_, Some(Error::EmptySlot)) => "its capability was revoked",
        _ => "unknown",
    };
    exos::println!("share peer: page fault at {:#x}: the page is gone because {why}", frame.fault_address);
    let e = sys_pct_reply(CALLER.load(Ordering::Relaxed), REVOKED);
    exos::println!("share peer: FAIL: reply from the handler: {e:?}");
    false
}

fn main() -> i64 {
    let mut c = Checks::new("share");
    let (_, page) = sys_page_alloc(ANY_PAGE).expect("the page to share");
    let map = MapUpdate { op: MapUpdate::MAP, va: OWNER_VA, slot: page, rights: Rights::READ.0 | Rights::WRITE.0 };
    c.equal("map it here", sys_page_map(&[map]), (1, None));
    let (peer, peer_slot) = spawn(peer_main, &[]).expect("spawning the peer");
    let granted = sys_cap_grant(page, peer, Rights(Rights::READ.0 | Rights::WRITE.0)).expect("granting the page");
    let call = |op, arg| loop {
        match sys_pct_call(peer_slot, [op, arg, 0, 0, 0]) {
            Err(Error::Busy | Error::NoEntry) => {
                let _ = sys_env_yield(peer);
            }
            other => break other,
        }
    };
    c.equal("the peer maps the granted page", call(MAP_IT, granted), Ok(1));
    for n in [21u64, 1000, 7] {
        mapped_page_mut(OWNER_VA)[..8].copy_from_slice(&n.to_le_bytes());
        c.equal("the peer reads what I wrote", call(READ_IT, 0), Ok(2 * n));
    }
    c.equal("revoke the grant", sys_cap_revoke(page), Ok(1));
    c.equal("the peer faults and says why", call(READ_IT, 0), Ok(REVOKED));
    c.check("my own mapping is untouched", mapped_page(OWNER_VA)[0] == 7);
    c.finish()
}

exos::main!(main);
