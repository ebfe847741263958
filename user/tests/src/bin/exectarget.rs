//! The program `execer` replaces itself with: checks its arguments, environment and identity
//! (`exectarget MODE ID PARENT [ADDRESS...]`, hex numbers), that each ADDRESS the old program used
//! is no longer mapped, and exits with a code only it gives (70 + the mode's number) when all hold.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use exos::{println, proc::process, proc::spawn, sys::vm};

fn hex(s: Option<&str>) -> u64 {
    s.and_then(|s| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok()).unwrap_or(u64::MAX)
}

fn main() -> i64 {
    let pages_now = u64::from(vm::env_info(abi::env_index(process::id())).pages);
    let args: [Option<&str>; 8] = {
        let mut it = spawn::args();
        core::array::from_fn(|_| it.next())
    };
    let bad = core::cell::Cell::new(0);
    let check = |what: &str, ok: bool| {
        if !ok {
            println!("exectarget: FAIL: {what}");
            bad.set(bad.get() + 1);
        }
    };
    // Before anything allocates: the old program's pages are gone.
    for address in spawn::args().skip(4) {
        check("an address the old program used is unmapped", vm::translate(hex(Some(address))).is_none());
    }
    check("argv[0]", args[0] == Some("exectarget"));
    check("same process id", process::id() == hex(args[2]));
    check("same parent", process::parent() == hex(args[3]));
    let code = match args[1] {
        Some("greet") => {
            check("environment", spawn::var("EXEC_VAR") == Some("from execer"));
            check("no other variables", spawn::vars().count() == 1);
            77
        }
        Some("gone") => {
            let pages_before = hex(spawn::var("PAGES"));
            let now = u64::from(vm::env_info(abi::env_index(process::id())).pages);
            check("the old program's pages were freed", now + 200 < pages_before);
            println!("exectarget: {pages_before} pages before exec, {now} after");
            78
        }
        Some("quick") => 79,
        Some("cow") => {
            // A kept region page the old program's fork made copy-on-write: the old contents, and
            // a write that does not fault (this program has no copy-on-write handler).
            let va = hex(spawn::var("REGION"));
            user::install_probes();
            check("the region page holds the old program's byte", vm::translate(va).is_some() && user::mapped_page(va)[0] == 0x11);
            check("the region page is writable", !user::write_faults(va));
            check("the write landed", user::mapped_page(va)[0] == 0x5a);
            82
        }
        Some("chain") => {
            let (left, pages) = (spawn::var("LEFT").and_then(|v| v.parse::<u64>().ok()).unwrap_or(0), hex(spawn::var("PAGES")));
            check("the same pages as the previous program of the chain", pages == 0 || pages == pages_now);
            if left > 0 && bad.get() == 0 {
                let (left, pages) = (alloc::format!("LEFT={}", left - 1), alloc::format!("PAGES={pages_now:x}"));
                let e = exos::proc::exec::exec("exectarget", &["exectarget", "chain", args[2].unwrap_or(""), args[3].unwrap_or("")], &[&left, &pages]);
                println!("exectarget: FAIL: exec returned {e}");
                return 1;
            }
            println!("exectarget: chain done, {pages_now} pages each time");
            81
        }
        Some("last") => 80,
        _ => 1,
    };
    // The new program's own heap works.
    let v: alloc::vec::Vec<u64> = (0..1000).collect();
    check("a new heap", v.iter().sum::<u64>() == 499_500);
    if bad.get() != 0 {
        return 1;
    }
    if args[1] != Some("quick") {
        println!("exectarget: {} ok, argv[1..] = {:?}", args[1].unwrap_or(""), &args[1..4]);
    }
    code
}

exos::main!(main);
