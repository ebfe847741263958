//! Scale test (issue 15, item 4): 1,000 live processes at once, spawned by one program, each
//! answering, all reaped, and the machine's memory back to where it was.
//!
//! One environment's capability table (1,024 slots) cannot name 1,000 children besides its own
//! pages, so the program spawns `MIDDLES` copies of itself, and each starts `LEAVES` leaf
//! environments: `MIDDLES * LEAVES` = 1,000 leaves, all alive together with their creators. A
//! leaf shares one code page (mapped read-execute) and two answer pages; it writes its answer
//! (its number + 1) to its word of the answer pages and then waits for a protected control
//! transfer that never comes (`pct_wait`: not runnable, it costs no CPU). The program checks every
//! answer while all are alive (and counts them in the environment table), then destroys the
//! middles, which ends their leaves (`env_destroy` of a tree goes in pieces), and checks that every
//! environment is gone, that the free pages (with the pages it holds itself) are back to the
//! starting figure, and that no kernel entry held interrupts off for a tick (the test boots with
//! `-icount` under TCG, so the figure is the guest's own).
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::{Error, MapUpdate, Rights, ANY_PAGE};
use exos::println;
use exos::sys::syscall::*;
use exos::sys::vm;
use user::{page_word, set_page_word, spawn};

const MIDDLES: usize = 10;
const LEAVES: usize = 100;
const TOTAL: usize = MIDDLES * LEAVES;
/// The control page (spawner and middles): word `100 + i` = middle `i`'s id; words `16 + 4i ..`
/// = the slots of the code and answer pages in middle `i`'s table; word `64 + i` = 1 + leaves
/// middle `i` started (0: not yet), word `80 + i` = its first error's code.
const CONTROL: u64 = 0x6100_0000;
/// Where a leaf finds its code, and its answer pages (word `n` of the two pages: leaf `n`).
const CODE_VA: u64 = 0x40_0000;
const ANSWERS_VA: u64 = 0x3000_0000;

/// A leaf's program (position-dependent machine code at `CODE_VA`; `rdi` = its number):
/// store `rdi + 1` at `ANSWERS_VA + 8 * rdi`, register a transfer entry (the wait loop), wait.
const LEAF: [u8; 38] = [
    0x48, 0x8d, 0x47, 0x01, // lea rax, [rdi + 1]
    0x48, 0x89, 0x04, 0xfd, 0x00, 0x00, 0x00, 0x30, // mov [rdi * 8 + 0x30000000], rax
    0xbf, 0x1d, 0x00, 0x40, 0x00, // mov edi, 0x40001d (the wait loop)
    0xbe, 0x00, 0x00, 0x50, 0x00, // mov esi, 0x500000 (a stack top it never uses)
    0xb8, 0x0c, 0x00, 0x00, 0x00, // mov eax, 12 (pct_set_entry)
    0x0f, 0x05, // syscall
    0xb8, 0x10, 0x00, 0x00, 0x00, // wait: mov eax, 16 (pct_wait)
    0x0f, 0x05, // syscall
    0xeb, 0xf7, // jmp wait
];
const _: () = assert!(abi::Sysnum::PctSetEntry as u64 == 12 && abi::Sysnum::PctWait as u64 == 16);

/// A middle: starts its `LEAVES` leaves with the pages the spawner granted it, reports, rests.
extern "C" fn middle() -> ! {
    let me = exos::ipc::region::self_id().unwrap_or(0);
    let i = (0..MIDDLES).find(|&i| page_word(CONTROL, 100 + i) == me).unwrap_or(0);
    while page_word(CONTROL, 16 + 4 * i + 3) == 0 {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
    let [code, a0, a1] = [0, 1, 2].map(|k| page_word(CONTROL, 16 + 4 * i + k));
    let (rx, rw) = (Rights::READ.0 | Rights::EXECUTE.0, Rights::READ.0 | Rights::WRITE.0);
    let mut started = 0;
    let mut error = 0;
    for k in 0..LEAVES {
        let number = (i * LEAVES + k) as u64;
        let result = sys_env_create(abi::ENV_RECORD_PAGES).and_then(|(_, slot)| {
            let updates = [
                MapUpdate { op: MapUpdate::MAP, va: CODE_VA, slot: code, rights: rx },
                MapUpdate { op: MapUpdate::MAP, va: ANSWERS_VA, slot: a0, rights: rw },
                MapUpdate { op: MapUpdate::MAP, va: ANSWERS_VA + 4096, slot: a1, rights: rw },
            ];
            match sys_page_map_into(slot, &updates) {
                (_, Some(e)) => Err(e),
                _ => exos::sys::syscall::sys_env_start_with(slot, CODE_VA, 0x50_0000, number),
            }
        });
        match result {
            Ok(()) => started += 1,
            Err(e) => {
                error = e.code();
                break;
            }
        }
    }
    set_page_word(CONTROL, 80 + i, error);
    set_page_word(CONTROL, 64 + i, started + 1);
    loop {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
}

fn live() -> usize {
    (0..abi::MAX_ENVS).filter(|&i| vm::env_info(i).id != 0).count()
}

fn main() -> i64 {
    let mut c = user::Checks::new("scale_envs");
    let rw = Rights::READ.0 | Rights::WRITE.0;
    let map = |va, slot, rights| MapUpdate { op: MapUpdate::MAP, va, slot, rights };
    let (_, control) = sys_page_alloc(ANY_PAGE).expect("the control page");
    let (_, code) = sys_page_alloc(ANY_PAGE).expect("the code page");
    let (_, a0) = sys_page_alloc(ANY_PAGE).expect("an answer page");
    let (_, a1) = sys_page_alloc(ANY_PAGE).expect("an answer page");
    let mapped = sys_page_map(&[map(CONTROL, control, rw), map(0x6200_0000, code, rw), map(ANSWERS_VA, a0, rw), map(ANSWERS_VA + 4096, a1, rw)]);
    c.equal("map the shared pages", mapped, (4, None));
    user::mapped_page_mut(0x6200_0000)[..LEAF.len()].copy_from_slice(&LEAF);
    // A first middle makes the page tables `spawn` needs here, for good.
    let (_, warm) = spawn(middle, &[]).expect("a first middle");
    c.equal("destroy the first middle", sys_env_destroy(warm), Ok(()));
    let me = abi::env_index(exos::ipc::region::self_id().unwrap_or(0));
    let mine = || u64::from(vm::env_info(me).pages);
    user::wait_ticks(2);
    let (free_at_start, live_at_start) = (vm::sysinfo().free_pages + mine(), live());

    let mut middles = [0u64; MIDDLES];
    for (i, m) in middles.iter_mut().enumerate() {
        let (id, slot) = spawn(middle, &[(CONTROL, control)]).expect("a middle");
        set_page_word(CONTROL, 100 + i, id);
        for (k, page) in [(0, code), (1, a0), (2, a1)] {
            let rights = if k == 0 { Rights::READ.union(Rights::EXECUTE) } else { Rights::READ.union(Rights::WRITE) };
            let granted = sys_cap_grant(page, id, rights).expect("a grant to a middle");
            set_page_word(CONTROL, 16 + 4 * i + k, granted);
        }
        set_page_word(CONTROL, 16 + 4 * i + 3, 1);
        *m = slot;
    }
    for i in 0..MIDDLES {
        while page_word(CONTROL, 64 + i) == 0 {
            let _ = sys_env_yield(abi::ANY_ENV);
        }
        c.equal("a middle's first error", Error::from_code(page_word(CONTROL, 80 + i)), None);
    }
    let started: u64 = (0..MIDDLES).map(|i| page_word(CONTROL, 64 + i) - 1).sum();
    c.equal("leaves started", started, TOTAL as u64);
    // Every leaf answers (it runs once, then waits).
    let answered = || (0..TOTAL).filter(|&n| page_word(ANSWERS_VA + (n as u64 / 512) * 4096, n % 512) == n as u64 + 1).count();
    let mut turns = 0;
    while answered() < TOTAL && turns < 100_000 {
        let _ = sys_env_yield(abi::ANY_ENV);
        turns += 1;
    }
    let (answers, alive) = (answered(), live());
    println!("scale_envs: {alive} environments live at once, {answers} of {TOTAL} leaves answered");
    c.equal("every leaf answered", answers, TOTAL);
    c.check("1,000 leaves, their creators and this program live at once", alive >= live_at_start + TOTAL + MIDDLES);
    for &m in &middles {
        c.equal("destroy a middle and its leaves", sys_env_destroy(m), Ok(()));
    }
    c.equal("every environment reaped", live(), live_at_start);
    user::wait_ticks(2);
    let (longest, tick) = (exos::sys::stats::longest_irq_off(), exos::sys::stats::tick_cycles());
    println!("scale_envs: longest interrupts-off stretch {longest} cycles, a tick is {tick}");
    // Creating and ending 1,011 environments never holds interrupts off for a tick (ending a tree
    // goes in pieces).
    c.check("the longest interrupts-off stretch is under one timer tick", tick > 0 && longest < tick);
    c.equal("free pages (and the pages I hold) back to the starting figure", vm::sysinfo().free_pages + mine(), free_at_start);
    c.finish()
}

exos::main!(main);
