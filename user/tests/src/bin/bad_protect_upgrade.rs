//! Hostile test (regression for a review finding): a child given a read-only view of its parent's
//! page tries to PROTECT it writable. The mapper's capability allows writing, but the mapper only
//! gave read: the kernel must refuse (`NoRights`) and the parent's page must stay unchanged.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::{Error, MapUpdate, Rights, ANY_PAGE};
use exos::sys::syscall::*;
use user::{mapped_page, mapped_page_mut, spawn, Checks};

const VA: u64 = 0x7000_0000;
const REPORT: u64 = 0x7100_0000;

extern "C" fn child_main() -> ! {
    let up = MapUpdate { op: MapUpdate::PROTECT, va: VA, slot: 0, rights: Rights::READ.0 | Rights::WRITE.0 };
    let code = loop {
        match sys_page_map(&[up]) {
            (_, Some(Error::NotMapped)) => {
                let _ = sys_env_yield(abi::ANY_ENV);
            }
            (_, Some(e)) => break e.code(),
            (_, None) => break 0,
        }
    };
    mapped_page_mut(REPORT)[0] = code as u8 + 1;
    if code == 0 {
        mapped_page_mut(VA)[..8].copy_from_slice(&0x2222_2222u64.to_le_bytes());
    }
    sys_env_exit(0)
}

fn main() -> i64 {
    let mut c = Checks::new("bad_protect_upgrade");
    let rw = Rights::READ.0 | Rights::WRITE.0;
    let (_, secret) = sys_page_alloc(ANY_PAGE).expect("page");
    let (_, report) = sys_page_alloc(ANY_PAGE).expect("page");
    c.equal("map here", sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: 0x3000_0000, slot: secret, rights: rw }]), (1, None));
    c.equal("map report", sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: REPORT, slot: report, rights: rw }]), (1, None));
    mapped_page_mut(0x3000_0000)[..8].copy_from_slice(&0x1111_1111u64.to_le_bytes());
    let (child, slot) = spawn(child_main, &[(REPORT, report)]).expect("spawn");
    let read_only = MapUpdate { op: MapUpdate::MAP, va: VA, slot: secret, rights: Rights::READ.0 };
    c.equal("map read-only into the child", sys_page_map_into(slot, &[read_only]), (1, None));
    while mapped_page(REPORT)[0] == 0 {
        let _ = sys_env_yield(child);
    }
    c.equal("the child's upgrade is refused", Error::from_code(u64::from(mapped_page(REPORT)[0] - 1)), Some(Error::NoRights));
    let value = u64::from_le_bytes(mapped_page(0x3000_0000)[..8].try_into().unwrap_or([0; 8]));
    c.equal("the parent's page is unchanged", value, 0x1111_1111);
    c.finish()
}

exos::main!(main);
