//! Copy-on-write, in the library's page-fault handler.
//!
//! After a `fork`, parent and child map the same physical pages read-only with the copy-on-write
//! tag (`pte::TAG0`, set through `MapUpdate::TAG0`). A write faults; [`handle`] reads the entry
//! through the self-map and either
//! - makes the page writable again in place, when this process holds the page's root capability
//!   and the capability-count table says no one else holds one (`vm::refs` = 1), or
//! - copies it into a fresh page of its own, maps that in its place (one batch), and drops the
//!   capability it had: a grant is deleted at once if this process has no children; a root still
//!   shared with other processes is *retired* and freed by [`sweep`] once it is no longer shared,
//!   and so is a grant while this process has children, until it has none.
//!
//! Why a grant waits for the children: `fork` grants a child its pages from this process's own
//! slots, so when this process is itself a forked child, its child's capability for a page is
//! derived from this process's grant, and deleting a capability deletes everything granted from it
//! (`cap_delete`), with the mappings made through them. Deleting the grant at once took the page
//! away from the grandchild, which then faulted on a page that was no longer mapped (or found a
//! zeroed one in a demand-zero region); and an `exec` in that grandchild could find the grant
//! it had planned to delete already gone.
//!
//! The handler runs on the exception stack and writes nothing but the process-private page
//! (`private.rs`), which `fork` never shares: a handler that faulted would be ended by the kernel.
use crate::sys::syscall::{sys_cap_delete, sys_page_alloc, sys_page_free, sys_page_map};
use crate::rt::private::{self, EXOS_PRIVATE, MAX_RETIRED};
use crate::rt::exception;
use crate::rt::hook::Hook;
use crate::sys::vm;
use abi::pte::{ADDRESS_MASK, NO_EXECUTE, TAG0, TAG1, WRITABLE};
use abi::{ExceptionFrame, MapUpdate, Rights, ANY_PAGE};
use core::sync::atomic::{AtomicBool, Ordering};

/// The page-table tag ExOS uses for copy-on-write pages.
pub const COW: u64 = TAG0;
/// The page-table tag ExOS uses for pages `fork` shares writable (shared memory, pipes).
pub const SHARED: u64 = TAG1;
/// `MapUpdate` rights bit for [`SHARED`]: map a page with it to keep it shared across `fork`.
pub const MAP_SHARED: u64 = MapUpdate::TAG1;
/// `MapUpdate` rights bit for [`COW`].
pub const MAP_COW: u64 = MapUpdate::TAG0;

/// ExOS's own region of every address space: scratch mappings, the process status page and the
/// children's status pages. `fork` never copies or shares it.
pub use crate::layout::PRIVATE as PRIVATE_REGION;
/// Where the fault handler maps a fresh page to copy into.
use crate::layout::COW_SCRATCH as SCRATCH;

/// Whether this process or an ancestor ever forked (copy-on-write pages may exist).
pub static FORKED: AtomicBool = AtomicBool::new(false);

/// Registers copy-on-write with the exception dispatcher (`rt::exception`): [`handle`] in front
/// of the program's page-fault handler and [`prepare_return`] on the return path. `fork` calls it
/// before the first page is shared; a child inherits it with the parent's memory.
pub fn register() {
    exception::register_page_fault(handle);
    exception::register_return(prepare_return);
}

/// What a copy finds no page for calls: `true` when it made room or waited and the write should
/// fault again (`mem::reclaim::on_no_memory`, registered by `fork` with [`on_no_memory`]).
static NO_MEMORY: Hook<fn() -> bool> = Hook::new();

/// Registers what a copy that finds no page calls (see [`NO_MEMORY`]).
pub fn on_no_memory(wait: fn() -> bool) {
    NO_MEMORY.set(wait);
}

/// Resolves a write to a copy-on-write page; `false` for any other fault.
pub fn handle(frame: &mut ExceptionFrame) -> bool {
    // Present (bit 0) and write (bit 1) in the error code.
    frame.error_code & 3 == 3 && resolve(frame.fault_address & !0xfff)
}

/// Makes sure the page holding `address` is writable if it is copy-on-write (the exception return
/// path writes there).
pub fn prepare_return(address: u64) {
    let read_only = || vm::translate(address).is_some_and(|entry| entry & WRITABLE == 0);
    // `resolve` is `true` but the page still read-only when it had to wait for a page: again.
    while FORKED.load(Ordering::Relaxed) && resolve(address & !0xfff) && read_only() {
        core::hint::spin_loop();
    }
}

/// Makes sure every page of `bytes` is writable where it is copy-on-write, before a handler writes
/// there (a write fault inside an exception handler is fatal).
#[inline(always)]
pub fn prepare_write(bytes: core::ops::Range<u64>) {
    if FORKED.load(Ordering::Relaxed) {
        prepare_pages(bytes);
    }
}

/// [`prepare_write`] once a fork happened (kept out of line: fault paths only test the flag).
#[inline(never)]
fn prepare_pages(bytes: core::ops::Range<u64>) {
    (bytes.start & !0xfff..bytes.end).step_by(4096).for_each(prepare_return);
}

/// Makes the copy-on-write page at `va` writable and private; `false` if it is not one or no page
/// is left to copy into. `true` with the page still read-only when no page was free and
/// the registered pressure layer (`reclaim::on_no_memory`) made room or waited: the caller tries again.
pub fn resolve(va: u64) -> bool {
    let Some(entry) = vm::translate(va) else { return false };
    if entry & COW == 0 || entry & WRITABLE != 0 {
        return false;
    }
    let Some(slot) = abi::pte::own_slot(entry) else { return false };
    let frame = (entry & ADDRESS_MASK) >> 12;
    let mut rights = Rights::READ.0 | Rights::WRITE.0;
    if entry & NO_EXECUTE == 0 {
        rights |= Rights::EXECUTE.0;
    }
    let keep_shared = if entry & TAG1 != 0 { MAP_SHARED } else { 0 };
    let mine = vm::owner(frame) == Some(EXOS_PRIVATE.self_id.load(Ordering::Relaxed) as u32);
    if mine && vm::refs(frame) == 1 {
        let update = MapUpdate { op: MapUpdate::PROTECT, va, slot: 0, rights: rights | keep_shared };
        return sys_page_map(&[update]) == (1, None);
    }
    let new = match sys_page_alloc(ANY_PAGE) {
        Ok((_, new)) => new,
        // No page: make room or wait for one (`reclaim`); the write faults again.
        Err(abi::Error::NoMemory) if NO_MEMORY.get().is_some_and(|wait| wait()) => return true,
        Err(_) => {
            crate::println!("exos: no page left to copy {va:#x} on write");
            return false;
        }
    };
    private::got_memory();
    let scratch = MapUpdate { op: MapUpdate::MAP, va: SCRATCH, slot: new, rights: Rights::READ.0 | Rights::WRITE.0 };
    if sys_page_map(&[scratch]) != (1, None) {
        let _ = sys_page_free(new);
        return false;
    }
    crate::sys::shared::copy_page(va, SCRATCH);
    let swap = [
        MapUpdate { op: MapUpdate::UNMAP, va: SCRATCH, slot: 0, rights: 0 },
        MapUpdate { op: MapUpdate::UNMAP, va, slot: 0, rights: 0 },
        MapUpdate { op: MapUpdate::MAP, va, slot: new, rights },
    ];
    if sys_page_map(&swap) != (3, None) {
        return false;
    }
    if mine || has_children() {
        retire(slot, frame);
    } else {
        let _ = sys_cap_delete(slot);
    }
    true
}

/// Whether this process has children not yet reaped (they may hold capabilities `fork` derived
/// from this process's own).
fn has_children() -> bool {
    EXOS_PRIVATE.children.iter().any(|child| child.load(Ordering::Relaxed) != 0)
}

fn retire(slot: u64, frame: u64) {
    let private = &EXOS_PRIVATE;
    if private.retired_count.load(Ordering::Relaxed) == MAX_RETIRED {
        sweep();
    }
    let n = private.retired_count.load(Ordering::Relaxed);
    if n < MAX_RETIRED {
        private.retired[n].store(slot | frame << 12, Ordering::Relaxed);
        private.retired_count.store(n + 1, Ordering::Relaxed);
    }
    // Else the page stays held until the process ends: memory, not correctness.
}

/// Frees retired pages no other process holds any more, and deletes retired grants once this
/// process has no children. Returns how many pages it freed (a deleted grant frees none).
pub fn sweep() -> u64 {
    let private = &EXOS_PRIVATE;
    let me = private.self_id.load(Ordering::Relaxed) as u32;
    let children = has_children();
    let (mut kept, mut freed) = (0, 0);
    for i in 0..private.retired_count.load(Ordering::Relaxed) {
        let record = private.retired[i].load(Ordering::Relaxed);
        let (slot, frame) = (record & 0xfff, record >> 12);
        if vm::owner(frame) != Some(me) {
            if !children {
                let _ = sys_cap_delete(slot);
            } else {
                private.retired[kept].store(record, Ordering::Relaxed);
                kept += 1;
            }
        } else if vm::refs(frame) <= 1 {
            freed += u64::from(sys_page_free(slot).is_ok());
        } else {
            private.retired[kept].store(record, Ordering::Relaxed);
            kept += 1;
        }
    }
    private.retired_count.store(kept, Ordering::Relaxed);
    freed
}

/// How many retired pages wait for other processes to let go of them.
pub fn retired() -> usize {
    EXOS_PRIVATE.retired_count.load(Ordering::Relaxed)
}
