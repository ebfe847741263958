//! Hostile test: a child with no rights over its parent finds the parent's id (ids are public) and
//! tries to fill the parent's capability table with `cap_grant`s of its own page, which would make
//! the parent's `page_alloc` and `env_create` fail with `TableFull`. The kernel must refuse every
//! such grant (`NoRights`: the parent never consented), and the parent must go on allocating.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::{Error, MapUpdate, Rights, ANY_PAGE};
use exos::ipc::region::{parent_of, self_id};
use exos::sys::syscall::*;
use user::{Checks, page_word, set_page_word, spawn};

const SHARED: u64 = 0x6100_0000;
/// More grants than a table has slots.
const FLOOD: u64 = 1100;

/// The attacker: grants its own page to its parent until something stops it. Writes how many
/// grants the kernel accepted (word 1) and the first error's code (word 2, `u64::MAX`: none),
/// then sets word 0.
extern "C" fn flooder() -> ! {
    let me = self_id().unwrap_or(0);
    let parent = parent_of(me);
    let (accepted, first_error) = match sys_page_alloc(ANY_PAGE) {
        Ok((_, page)) => {
            let mut accepted = 0;
            let mut first_error = u64::MAX;
            for _ in 0..FLOOD {
                match sys_cap_grant(page, parent, Rights::READ) {
                    Ok(_) => accepted += 1,
                    Err(e) => {
                        first_error = e.code();
                        break;
                    }
                }
            }
            // Granting into its own table is still allowed.
            if sys_cap_grant(page, me, Rights::READ).is_err() {
                first_error = u64::MAX - 1;
            }
            (accepted, first_error)
        }
        Err(e) => (0, e.code()),
    };
    set_page_word(SHARED, 1, accepted);
    set_page_word(SHARED, 2, first_error);
    set_page_word(SHARED, 0, 1);
    loop {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
}

fn main() -> i64 {
    let mut c = Checks::new("bad_grant_flood");
    let (_, shared) = sys_page_alloc(ANY_PAGE).expect("shared page");
    let rw = Rights::READ.0 | Rights::WRITE.0;
    c.equal("map shared", sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: SHARED, slot: shared, rights: rw }]), (1, None));
    let (child, child_slot) = spawn(flooder, &[(SHARED, shared)]).expect("spawning the flooder");
    while page_word(SHARED, 0) == 0 {
        let _ = sys_env_yield(child);
    }
    c.equal("the child's flood into my table is refused", Error::from_code(page_word(SHARED, 2)), Some(Error::NoRights));
    c.equal("not one of its grants reached my table", page_word(SHARED, 1), 0);
    let page = sys_page_alloc(ANY_PAGE);
    c.check("page_alloc still works", page.is_ok());
    let created = sys_env_create(user::child_pages());
    c.check("env_create still works", created.is_ok());
    // The parent may still grant into its own child (it consented by creating it).
    if let Ok((_, slot)) = page {
        c.check("granting into my child still works", sys_cap_grant(slot, child, Rights::READ).is_ok());
    }
    if let Ok((_, slot)) = created {
        c.equal("destroy the new child", sys_env_destroy(slot), Ok(()));
    }
    c.equal("destroy the flooder", sys_env_destroy(child_slot), Ok(()));
    c.finish()
}

exos::main!(main);
