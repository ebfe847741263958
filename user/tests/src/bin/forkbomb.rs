//! Scale test (issue 15, `scale_fork_bomb`): a fork bomb in a child with a limited budget ends
//! with errors in that child while its parent, the shell and other programs keep running.
//!
//! Run from the shell (with a background job going). This process forks a child with a budget of
//! `BOMB_BUDGET` pages; the child forks, and every process of the bomb forks again, until `fork`
//! fails. The child reports the first error it got, ends its bomb, and exits. Meanwhile, and after,
//! this process allocates, maps, forks and spawns as usual.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use abi::{Error, MapUpdate, Rights, ANY_PAGE};
use alloc::vec::Vec;
use exos::mem::cow::MAP_SHARED;
use exos::proc::fork::fork;
use exos::proc::process::{self, Status, SIGKILL};
use exos::sys::syscall::*;
use exos::sys::vm;
use user::{page_word, set_page_word, Checks};

/// The bomb's budget: 1 MiB (each process costs its record and the pages fork copies).
const BOMB_BUDGET: u64 = 256;
const SHARED: u64 = 0x3000_0000;
/// Shared page words: the bomb's first error code, its forks, and whether it ended its bomb.
const ERROR: usize = 0;
const FORKS: usize = 1;
const ENDED: usize = 2;

/// The bomb: runs in the child with the limited budget.
fn bomb() -> i64 {
    let root = process::id();
    let mut forks = 0;
    let refused = loop {
        match fork() {
            Ok(0) => continue, // a new bomb process forks too
            Ok(_) => forks += 1,
            Err(e) => break e,
        }
    };
    if process::id() != root {
        // A bomb process: wait to be killed by the bomb's root.
        loop {
            process::check_signals();
            let _ = sys_env_yield(abi::ANY_ENV);
        }
    }
    set_page_word(SHARED, ERROR, refused.code());
    set_page_word(SHARED, FORKS, forks);
    for pid in process::children().collect::<Vec<_>>() {
        let _ = process::kill(pid, SIGKILL);
        let _ = process::wait(pid);
    }
    set_page_word(SHARED, ENDED, u64::from(process::children().count() == 0));
    0
}

fn main() -> i64 {
    let mut c = Checks::new("forkbomb");
    let (_, page) = sys_page_alloc(ANY_PAGE).expect("a page");
    let rw = Rights::READ.0 | Rights::WRITE.0;
    c.equal("map the shared page", sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: SHARED, slot: page, rights: rw | MAP_SHARED }]), (1, None));
    let mine = exos::proc::budget::own();
    // The shell gave this program the budget it asked for (`BUDGET=4M forkbomb`), plus its image
    // and record (well under 512 pages).
    let asked = (1024..1024 + 512).contains(&mine.limit);
    c.check("the budget asked for at the shell", asked);
    if asked {
        exos::println!("forkbomb: my budget is 1024 pages and my image");
    }
    exos::proc::budget::set_default(BOMB_BUDGET);
    let child = fork().expect("forking the bomb's root");
    if child == 0 {
        process::exit(bomb());
    }
    exos::proc::budget::set_default(exos::proc::budget::DEFAULT_PAGES);
    let limit = vm::budget_info(abi::env_index(child)).limit;
    c.check(&alloc::format!("the bomb's root has a limited budget: {limit} pages"), (BOMB_BUDGET..BOMB_BUDGET * 4).contains(&limit));
    // This process goes on while the bomb runs.
    let mut allocated = 0;
    while vm::env_id(abi::env_index(child)) == child as u32 {
        if let Ok((_, s)) = sys_page_alloc(ANY_PAGE) {
            allocated += 1;
            let _ = sys_page_free(s);
        }
        let _ = sys_env_yield(abi::ANY_ENV);
    }
    c.check("this process allocated while the bomb ran", allocated > 0);
    c.equal("the bomb's root ended on its own", process::wait(child), Ok(Status::Exited(0)));
    let refused = Error::from_code(page_word(SHARED, ERROR));
    exos::println!("forkbomb: the bomb was refused: {refused:?} after {} forks by its root", page_word(SHARED, FORKS));
    c.equal("the bomb ran out of its own budget", refused, Some(Error::OutOfMemory));
    c.equal("its root ended every bomb process", page_word(SHARED, ENDED), 1);
    c.equal("the bomb's root owns no page", user::pages_owned_by(child), 0);
    c.equal("and its budget went back", vm::budget_info(abi::env_index(child)), abi::BudgetInfo::default());
    c.check("this process's budget is not worse off", exos::proc::budget::own().used < mine.used + 64);
    // Forking and spawning work as before.
    let again = fork().expect("fork after the bomb");
    if again == 0 {
        process::exit(3);
    }
    c.equal("fork works after the bomb", process::wait(again), Ok(Status::Exited(3)));
    let echo = exos::proc::spawn::spawn("/test/echoargs", &["echoargs", "after", "the", "bomb"], &[]);
    // (echoargs exits with its argument count.)
    c.check("spawn works after the bomb", echo.is_ok_and(|pid| process::wait(pid) == Ok(Status::Exited(4))));
    c.finish()
}

exos::main!(main);
