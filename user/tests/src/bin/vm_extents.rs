//! Extents through ExOS (`exos::sys::extent`, `mmap::Spec::extent`, the heap): a region from
//! extents is mapped with 2 MiB pages where it is aligned and 4 KiB pages at its edges, takes
//! writes, refuses `munmap`/`mprotect` of part of a 2 MiB page and of protection `NONE`, protects
//! and unmaps whole 2 MiB pages and edges, frees each extent once none of its pages is mapped, and
//! gives its pages back. A forked child gets a private copy (its writes do not reach the parent);
//! a large heap allocation comes from extents too; a child holding extents (a 2 MiB page, small
//! pages, a heap growth) can `exec` another program. The page count of the process is back to its
//! starting figure once its region is gone.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use abi::{Error, Rights, HUGE_PAGES};
use exos::mem::mmap::{self, Spec, PAGE};
use exos::sys::{extent, vm};
use user::{page_word, set_page_word, Checks};

const HUGE: u64 = HUGE_PAGES * PAGE;
const RW: Rights = Rights::READ.union(Rights::WRITE);

/// Pages this process holds, as the environment table shows them.
fn held() -> u32 {
    let me = exos::proc::process::id();
    (0..abi::MAX_ENVS).map(vm::env_info).find(|e| u64::from(e.id) == me).map_or(0, |e| e.pages)
}

/// Whether the 2 MiB from `va` map 2 MiB-aligned contiguous frames (as a 2 MiB page does).
fn huge(va: u64) -> bool {
    let first = vm::physical(va);
    first.is_some_and(|pa| pa.is_multiple_of(HUGE)) && (0..HUGE_PAGES).all(|i| vm::physical(va + i * PAGE) == first.map(|pa| pa + i * PAGE))
}

fn main() -> i64 {
    let mut c = Checks::new("vm_extents");
    user::install_probes();
    // The region list's bookkeeping comes from the heap: room for it first, so that the page
    // counts below are the extents' alone.
    drop(core::hint::black_box(alloc::vec![0u8; 64 << 10]));
    let start = held();

    // 2 MiB + 3 pages: one 2 MiB page from the aligned start, three small pages after it.
    let len = HUGE + 3 * PAGE;
    let base = mmap::map(Spec::extent(len, RW));
    c.check("an extent region of 2 MiB + 12 KiB", base.is_ok());
    let base = base.unwrap_or(0);
    c.check("... starts 2 MiB-aligned", base.is_multiple_of(HUGE));
    c.equal("... held by two extents", extent::count(), 2);
    c.check("... the first 2 MiB is one 2 MiB page of contiguous frames", huge(base));
    c.check("... the tail is mapped", (0..3).all(|i| vm::translate(base + HUGE + i * PAGE).is_some()));
    c.equal("... charged to me: 515 pages", held() - start, 515);
    for i in 0..len / PAGE {
        set_page_word(base + i * PAGE, 1, i ^ 0x5157);
    }
    c.check("every page takes a write and reads it back", (0..len / PAGE).all(|i| page_word(base + i * PAGE, 1) == i ^ 0x5157));
    let region = mmap::region(base);
    c.check("the region is an extent region", region.is_some_and(|r| r.kind == mmap::Kind::Extent && r.len == len));

    // Refused: part of a 2 MiB page, protection NONE.
    c.equal("munmap of one page of the 2 MiB page", mmap::munmap(base + PAGE, PAGE), Err(Error::SplitsHugePage));
    c.equal("mprotect of one page of it", mmap::mprotect(base + 8 * PAGE, PAGE, Rights::READ), Err(Error::SplitsHugePage));
    c.equal("mprotect to NONE", mmap::mprotect(base, len, Rights::NONE), Err(Error::BadArgument));
    c.check("... all of it is still writable", !user::write_faults(base + PAGE) && !user::write_faults(base + HUGE + PAGE));

    // Whole 2 MiB pages and edges.
    c.equal("mprotect the 2 MiB page read-only", mmap::mprotect(base, HUGE, Rights::READ), Ok(()));
    c.check("... a write faults, a read does not", user::write_faults(base + 100 * PAGE) && !user::read_faults(base + 100 * PAGE));
    c.equal("... with its data", page_word(base + 100 * PAGE, 1), 100 ^ 0x5157);
    c.equal("mprotect one tail page read-only", mmap::mprotect(base + HUGE + PAGE, PAGE, Rights::READ), Ok(()));
    c.check("... only that page", user::write_faults(base + HUGE + PAGE) && !user::write_faults(base + HUGE + 2 * PAGE));
    c.equal("mprotect all back to read-write", mmap::mprotect(base, len, RW), Ok(()));
    c.check("... writable again", !user::write_faults(base + 100 * PAGE) && !user::write_faults(base + HUGE + PAGE));

    // fork: the child's copy is its own.
    match exos::proc::fork::fork() {
        Ok(0) => {
            let copied = (0..len / PAGE).all(|i| page_word(base + i * PAGE, 1) == i ^ 0x5157);
            for i in 0..len / PAGE {
                set_page_word(base + i * PAGE, 1, 0xc0c0);
            }
            let freed = mmap::munmap(base, len).is_ok() && extent::count() == 0;
            exos::proc::process::exit(if copied && freed { 42 } else { 1 })
        }
        Ok(child) => {
            let status = exos::proc::process::wait(child);
            c.equal("a forked child reads the data, writes its copy, frees it", status, Ok(exos::proc::process::Status::Exited(42)));
            c.check("... the parent's data is unchanged", (0..len / PAGE).all(|i| page_word(base + i * PAGE, 1) == i ^ 0x5157));
            c.equal("... and its extents too", extent::count(), 2);
        }
        Err(e) => c.check(&alloc::format!("fork: {e}"), false),
    }

    // Unmap the tail: its extent goes; then the 2 MiB page.
    c.equal("munmap the three tail pages", mmap::munmap(base + HUGE, 3 * PAGE), Ok(()));
    c.equal("... their extent is freed", extent::count(), 1);
    c.equal("... and its pages", held() - start, 512);
    c.equal("munmap the 2 MiB page", mmap::munmap(base, HUGE), Ok(()));
    c.equal("... no extent left", extent::count(), 0);
    c.check("... unmapped", vm::translate(base).is_none() && vm::translate(base + HUGE - PAGE).is_none());
    c.equal("every page came back", held(), start);

    // A large heap allocation (a growth of 2 MiB or more) comes from extents.
    let extents = extent::count();
    let mut big: alloc::vec::Vec<u8> = core::hint::black_box(alloc::vec![0; 2 << 20]);
    big[(2 << 20) - 1] = 7;
    c.check("a 2 MiB heap allocation came from extents", extent::count() > extents && core::hint::black_box(&big)[(2 << 20) - 1] == 7);
    drop(big);

    // exec from a process holding extents (a 2 MiB page, small pages, a heap growth): its table of
    // calls deletes them; the new program starts clean.
    match exos::proc::fork::fork() {
        Ok(0) => {
            let held = mmap::map(Spec::extent(HUGE + 3 * PAGE, RW)).is_ok();
            let heap = core::hint::black_box(alloc::vec![1u8; 2 << 20]);
            let e = exos::proc::exec::exec("hello", &["hello"], &[]);
            exos::println!("vm_extents: exec failed: {e:?} (held {held}, heap {})", heap.len());
            exos::proc::process::exit(1)
        }
        Ok(child) => {
            let status = exos::proc::process::wait(child);
            c.equal("exec from a process holding extents runs the new program", status, Ok(exos::proc::process::Status::Exited(0)));
        }
        Err(e) => c.check(&alloc::format!("fork: {e}"), false),
    }
    c.finish()
}

exos::main!(main);
