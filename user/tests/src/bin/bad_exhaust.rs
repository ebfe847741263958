//! Hostile test (issue 16 item 4, `bad_exhaust_via_children`): through its own children one
//! environment must not use up what a bystander needs. An attacker with a budget of
//! `ATTACK_BUDGET` pages starts children (copies of this program) until refused; each child
//! allocates pages and maps one page sparsely (2 MiB apart: a page-table page each) until refused,
//! and the attacker then creates bare environments until refused. Every refusal must be
//! `OutOfMemory` (the attacker's own budget), and this program, the bystander, must still allocate
//! a page, map its own page and start a program. Then: page-table pages are charged to the
//! environment that caused them (this program mapping into a child pays, the child does not) and
//! returned on unmap; and when the attacker is destroyed its whole subtree's pages and budgets
//! come back.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::{env_index, Error, MapUpdate, Rights, ANY_PAGE};
use exos::sys::syscall::*;
use exos::sys::vm;
use user::{page_word, set_page_word, Checks};

const ATTACK_BUDGET: u64 = 400;
const KID_BUDGET: u64 = 40;
const MAX_KIDS: usize = 32;
const SHARED: u64 = 0x6100_0000;
/// Shared page words.
const GRANTED: usize = 0; // the attacker's slot for the shared page, plus 1
const ATTACK_DONE: usize = 1;
const KIDS: usize = 2; // children the attacker started
const SPAWN_ERROR: usize = 3; // the error that stopped it
const BARE: usize = 4; // bare environments it created
const BARE_ERROR: usize = 5; // the error that stopped those
const KID_SLOT: usize = 6; // the shared page's slot in the attacker, plus 1, for its children
const KID_RESULTS: usize = 16; // per child: page refusal code << 16 | sparse refusal code << 8 | 1
const KID_IDS: usize = 64; // per child: its id
const STARTED: usize = 128; // the bystander's program ran

fn wait_for(i: usize) -> u64 {
    while page_word(SHARED, i) == 0 {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
    page_word(SHARED, i)
}

fn spin() -> ! {
    loop {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
}

static KID_INDEX: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// One of the attacker's children: sparse mappings of one page, then pages, until refused.
extern "C" fn kid() -> ! {
    let k = KID_INDEX.load(core::sync::atomic::Ordering::Relaxed);
    let sparse_error = match sys_page_alloc(ANY_PAGE) {
        Ok((_, one)) => {
            let mut error = Error::BadArgument;
            for i in 0..100_000u64 {
                let map = MapUpdate { op: MapUpdate::MAP, va: 0x100_0000_0000 + i * (2 << 20), slot: one, rights: Rights::READ.0 };
                if let (_, Some(e)) = sys_page_map(&[map]) {
                    error = e;
                    break;
                }
            }
            error
        }
        Err(e) => e,
    };
    let page_error = loop {
        if let Err(e) = sys_page_alloc(ANY_PAGE) {
            break e;
        }
    };
    set_page_word(SHARED, KID_RESULTS + k, page_error.code() << 16 | sparse_error.code() << 8 | 1);
    spin()
}

/// The attacker: children until refused, then bare environments until refused.
extern "C" fn attacker() -> ! {
    let shared = wait_for(GRANTED) - 1;
    set_page_word(SHARED, KID_SLOT, shared + 1);
    let mut kids = 0;
    let spawn_error = loop {
        if kids == MAX_KIDS {
            break Error::BadArgument;
        }
        KID_INDEX.store(kids, core::sync::atomic::Ordering::Relaxed);
        match user::spawn_budget(kid, &[(SHARED, shared)], KID_BUDGET) {
            Ok((id, _)) => {
                set_page_word(SHARED, KID_IDS + kids, id);
                kids += 1;
                wait_for(KID_RESULTS + kids - 1);
            }
            Err(e) => break e,
        }
    };
    set_page_word(SHARED, KIDS, kids as u64);
    set_page_word(SHARED, SPAWN_ERROR, spawn_error.code());
    let mut bare = 0;
    let bare_error = loop {
        match sys_env_create(abi::ENV_RECORD_PAGES) {
            Ok(_) => bare += 1,
            Err(e) => break e,
        }
    };
    set_page_word(SHARED, BARE, bare);
    set_page_word(SHARED, BARE_ERROR, bare_error.code());
    set_page_word(SHARED, ATTACK_DONE, 1);
    spin()
}

/// The bystander's program.
extern "C" fn started() -> ! {
    set_page_word(SHARED, STARTED, 1);
    spin()
}

fn main() -> i64 {
    let mut c = Checks::new("bad_exhaust");
    let rw = Rights::READ.0 | Rights::WRITE.0;
    let (_, shared) = sys_page_alloc(ANY_PAGE).expect("a shared page");
    c.equal("map the shared page", sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: SHARED, slot: shared, rights: rw }]), (1, None));
    let (attacker_id, attacker_slot) = user::spawn_budget(attacker, &[(SHARED, shared)], ATTACK_BUDGET).expect("the attacker");
    let granted = sys_cap_grant(shared, attacker_id, Rights::READ.union(Rights::WRITE).union(Rights::GRANT)).expect("granting the shared page");
    set_page_word(SHARED, GRANTED, granted + 1);
    wait_for(ATTACK_DONE);

    // The attack hit its own budget, nothing else.
    let kids = page_word(SHARED, KIDS) as usize;
    c.check("the attacker started children", kids > 0);
    let out = Error::OutOfMemory.code();
    let refusals_ok = (0..kids).all(|k| page_word(SHARED, KID_RESULTS + k) == (out << 16 | out << 8 | 1));
    c.check("each child's sparse mappings and pages were refused with OutOfMemory", refusals_ok);
    c.equal("the attacker's next child was refused", Error::from_code(page_word(SHARED, SPAWN_ERROR)), Some(Error::OutOfMemory));
    c.equal("and so was its next bare environment", Error::from_code(page_word(SHARED, BARE_ERROR)), Some(Error::OutOfMemory));
    if refusals_ok {
        exos::println!("bad_exhaust: the attacker's children were refused with OutOfMemory ({kids} children, {} bare environments)", page_word(SHARED, BARE));
    }
    let attacker_budget = vm::budget_info(env_index(attacker_id));
    c.check("the attacker's budget is spent", attacker_budget.free() < abi::ENV_RECORD_PAGES);

    // The bystander is untouched: it allocates, maps its own page and starts a program.
    let page = sys_page_alloc(ANY_PAGE);
    c.check("the bystander allocates a page", page.is_ok());
    let (_, slot) = page.unwrap_or((0, 0));
    c.equal("and maps it", sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: 0x7000_0000, slot, rights: rw }]), (1, None));
    set_page_word(0x7000_0000, 0, 7);
    c.equal("and uses it", page_word(0x7000_0000, 0), 7);
    let program = user::spawn_budget(started, &[(SHARED, shared)], 64);
    c.check("and starts a program", program.is_ok());
    if program.is_ok() {
        c.equal("which runs", wait_for(STARTED), 1);
    }

    // Page-table pages are charged to the environment that caused them, and come back on unmap.
    let (q, q_slot) = sys_env_create(abi::ENV_RECORD_PAGES).expect("a bare child");
    let before = exos::proc::budget::own().used;
    let far = 0x50_0000_0000;
    let mapped = sys_page_map_into(q_slot, &[MapUpdate { op: MapUpdate::MAP, va: far, slot, rights: Rights::READ.0 }]);
    c.equal("map a page far away in the child's address space", mapped, (1, None));
    let after = exos::proc::budget::own().used;
    let child_pays = vm::budget_info(env_index(q)).used;
    let unmapped = sys_page_map_into(q_slot, &[MapUpdate { op: MapUpdate::UNMAP, va: far, slot: 0, rights: 0 }]);
    let back = exos::proc::budget::own().used;
    // (Checked only now: a check's message may grow the heap, which is charged too.)
    c.check(&alloc::format!("the mapper pays for its three page-table pages (and the record): {before} -> {after}"), (before + 3..=before + 4).contains(&after));
    c.equal("the child pays nothing", child_pays, abi::ENV_RECORD_PAGES);
    c.equal("unmap it", unmapped, (1, None));
    c.equal("the page-table pages come back to the mapper", back, before);
    let _ = sys_env_destroy(q_slot);

    // Destroying the attacker returns its whole subtree.
    let ids: alloc::vec::Vec<u64> = core::iter::once(attacker_id).chain((0..kids).map(|k| page_word(SHARED, KID_IDS + k))).collect();
    c.equal("destroy the attacker", sys_env_destroy(attacker_slot), Ok(()));
    c.equal("its subtree owns no page", ids.iter().map(|&id| user::pages_owned_by(id)).sum::<u64>(), 0);
    c.check("and has no budget", ids.iter().all(|&id| vm::budget_info(env_index(id)) == abi::BudgetInfo::default()));
    c.finish()
}

extern crate alloc;

exos::main!(main);
