//! `fork`: a child environment that is a copy-on-write copy of this process.
//!
//! The library does it all with the kernel's secure bindings: it walks its own page tables
//! through the self-map and, in batches,
//! - shares read-only pages (code, constants) with the child through derived capabilities
//!   (`GRANT_MAP`),
//! - marks writable pages copy-on-write on both sides (`PROTECT` here, `GRANT_MAP` read-only with
//!   the `COW` tag there; `cow.rs` resolves the writes),
//! - keeps pages tagged `SHARED` shared writable (shared memory, pipes),
//! - copies what it cannot share: pages mapped through another environment's capability or
//!   through an extent (`sys::extent`: such entries carry no `OWN_SLOT`), and its
//!   exception stack (the handler must never fault), which the child gets as its own pages
//!   (`GIVE_MAP`); the process-private page (`rt::private`) starts zeroed in the child; the
//!   file-descriptor table (also private) is copied by `fd::fork_into`.
//!
//! Registers: `exos_fork` saves the callee-saved registers on the stack and passes that stack
//! pointer to the walk; the child starts at `exos_fork_child` with it, registers its exception
//! handler before it writes anything, pops the same registers and returns 0. Everything above that
//! stack pointer and every static is as it was when `fork` was called, because the walk writes only
//! below it and to the private page.
#![allow(unsafe_code)]

use exoscore::batch::Updates;
use crate::mem::cow::{self, MAP_COW, MAP_SHARED, PRIVATE_REGION};
use crate::rt::private::EXOS_PRIVATE;
use crate::sys::syscall::*;
use crate::proc::process;
use crate::rt::exception;
use crate::sys::vm;
use abi::pte::{NO_EXECUTE, TAG0, TAG1, WRITABLE};
use abi::{Error, MapUpdate, Rights, ANY_PAGE};
use core::sync::atomic::Ordering;

/// Where `fork` maps a page it copies for the child.
use crate::layout::FORK_SCRATCH as COPY_SCRATCH;
/// Updates per batch (two batches live on the stack during the walk).
const BATCH: usize = 128;

/// Creates a child process, a copy-on-write copy of this one. Returns the child's id in the
/// parent and 0 in the child.
///
/// Errors: `NoMemory` when no environment or page is left, `TableFull` when capability tables are
/// full, `OutOfMemory` when this process's budget is used up, or would leave it less than
/// `budget::FORK_MIN` pages for its own copy-on-write copies afterwards (so a fork bomb's processes
/// see `fork` fail rather than die of their children): the parent goes on, nothing half-built
/// remains.
pub fn fork() -> Result<u64, Error> {
    cow::sweep();
    if crate::proc::budget::own().free() < crate::proc::budget::FORK_MIN {
        return Err(Error::OutOfMemory);
    }
    // The first fork registers the layers a process with children needs (copy-on-write, its
    // answer to a page shortage, signals at slice ends) and sets the flag, before the child's copy
    // is taken: the child inherits them, and no later fork writes them again (after a fork their
    // page may be copy-on-write, and a write would copy it).
    if !cow::FORKED.load(Ordering::Relaxed) {
        cow::register();
        cow::on_no_memory(crate::mem::reclaim::on_no_memory);
        process::check_at_slice_ends();
        cow::FORKED.store(true, Ordering::Relaxed);
    }
    // SAFETY: `exos_fork` follows the C ABI: it saves and restores the callee-saved registers
    // itself and returns what `exos_fork_inner` returns.
    let result = unsafe { exos_fork() };
    match result {
        0 => {
            process::after_fork_child();
            // The parent's extents were copied into pages of the child's own.
            crate::sys::extent::after_fork();
            crate::mem::mmap::after_fork();
            crate::net::stack::after_fork();
            Ok(0)
        }
        r if r > 0 => Ok(r as u64),
        r => Err(Error::from_code((-r) as u64).unwrap_or(Error::BadArgument)),
    }
}

unsafe extern "C" {
    fn exos_fork() -> i64;
    fn exos_fork_child();
}

core::arch::global_asm!(
    ".section .text.exos_fork,\"ax\",@progbits",
    ".global exos_fork",
    "exos_fork:",
    "    push rbp",
    "    push rbx",
    "    push r12",
    "    push r13",
    "    push r14",
    "    push r15",
    "    mov rdi, rsp",
    "    sub rsp, 8",
    "    call exos_fork_inner",
    "    add rsp, 8",
    "    pop r15",
    "    pop r14",
    "    pop r13",
    "    pop r12",
    "    pop rbx",
    "    pop rbp",
    "    ret",
    // The child: rdi = its id, rsp = the parent's saved stack pointer. The private page is fresh
    // and writable; everything else may be copy-on-write, so the handler comes first.
    ".global exos_fork_child",
    "exos_fork_child:",
    "    mov [rip + {private}], rdi",
    "    mov eax, 2",
    "    lea rdi, [rip + exos_exception_entry]",
    "    mov rsi, [rip + {stack}]",
    "    mov rdx, [rip + {stack} + 8]",
    "    syscall",
    "    test rax, rax",
    "    jnz 2f",
    "    pop r15",
    "    pop r14",
    "    pop r13",
    "    pop r12",
    "    pop rbx",
    "    pop rbp",
    "    xor eax, eax",
    "    ret",
    "2:",
    "    mov edi, 120",
    "    mov eax, 1",
    "    syscall",
    "    ud2",
    private = sym crate::rt::private::EXOS_PRIVATE,
    stack = sym crate::rt::exception::EXOS_EXCEPTION_STACK,
);

#[unsafe(no_mangle)]
extern "C" fn exos_fork_inner(saved_rsp: u64) -> i64 {
    match build_child(saved_rsp) {
        Ok(id) => id as i64,
        Err(e) => -(e as i64),
    }
}

/// Batches of updates for this address space and the child's.
struct Batches {
    child: u64,
    mine: Updates<BATCH>,
    theirs: Updates<BATCH>,
}

impl Batches {
    fn push(&mut self, mine: Option<MapUpdate>, theirs: MapUpdate) -> Result<(), Error> {
        // The child's update first, so that it is sent no later than mine (an empty batch takes
        // any single-page update).
        if !self.theirs.push(theirs) {
            self.flush()?;
            if !self.theirs.push(theirs) {
                return Err(Error::TooLong);
            }
        }
        if let Some(update) = mine.filter(|&u| !self.mine.push(u)) {
            self.flush()?;
            if !self.mine.push(update) {
                return Err(Error::TooLong);
            }
        }
        Ok(())
    }

    /// The child's grants go first: once a page is marked copy-on-write here, a write to it must
    /// find it shared (capability count above 1) and copy, not take it back in place.
    fn flush(&mut self) -> Result<(), Error> {
        if !self.theirs.is_empty() {
            let (_, e) = sys_page_map_into(self.child, self.theirs.as_slice());
            self.theirs.clear();
            e.map_or(Ok(()), Err)?;
        }
        if !self.mine.is_empty() {
            let (_, e) = sys_page_map(self.mine.as_slice());
            self.mine.clear();
            e.map_or(Ok(()), Err)?;
        }
        Ok(())
    }
}

fn build_child(saved_rsp: u64) -> Result<u64, Error> {
    let (id, slot) = sys_env_create(abi::ENV_RECORD_PAGES)?;
    // First, so it lands in the child's NIC slot (without the configuring right). The child's
    // network stack is its own: it starts without one (sockets stay with the parent).
    if let Err(e) = crate::net::link::give_nic(id, false) {
        let _ = sys_env_destroy(slot);
        return Err(e);
    }
    let shared = match fill_child(slot) {
        Ok(shared) => shared,
        Err(e) => {
            let _ = sys_env_destroy(slot);
            return Err(e);
        }
    };
    if let Err(e) = crate::fs::fd::fork_into(id, slot) {
        let _ = sys_env_destroy(slot);
        return Err(match e {
            crate::fs::Errno::Kernel(e) => e,
            _ => Error::BadArgument,
        });
    }
    // Its budget last: the pages copied into it did not have to fit beside it. Both sides may
    // have to copy every page now shared copy-on-write: each keeps room for that.
    if let Err(e) = crate::proc::budget::endow_fork(slot, shared + crate::proc::budget::FORK_MIN) {
        let _ = sys_env_destroy(slot);
        return Err(e);
    }
    if let Err(e) = process::attach_child(id, slot) {
        let _ = sys_env_destroy(slot);
        return Err(e);
    }
    if let Err(e) = sys_env_start_with(slot, exos_fork_child as *const () as u64, saved_rsp, id) {
        process::forget_child(id);
        let _ = sys_env_destroy(slot);
        return Err(e);
    }
    Ok(id)
}

/// The rights a page-table entry grants, as `MapUpdate` rights.
fn rights_of(entry: u64) -> u64 {
    let mut rights = Rights::READ.0;
    if entry & WRITABLE != 0 {
        rights |= Rights::WRITE.0;
    }
    if entry & NO_EXECUTE == 0 {
        rights |= Rights::EXECUTE.0;
    }
    rights
}

/// Fills the child with this process's memory; returns how many pages it shares copy-on-write
/// with the child (each side may have to copy each of them later).
fn fill_child(child: u64) -> Result<u64, Error> {
    // Registered before the first page is marked copy-on-write (the child reads the registration).
    let (stack, stack_size) = exception::ensure_registered()?;
    let stack_pages = (stack & !0xfff)..(stack + stack_size);
    let private = &EXOS_PRIVATE as *const _ as u64;
    let mut batches = Batches { child, mine: Updates::new(), theirs: Updates::new() };
    let mut shared = 0;
    vm::for_each_mapped(|va, entry| {
        if PRIVATE_REGION.contains(&va) || va == private {
            return Ok(());
        }
        let read_only = rights_of(entry) & !Rights::WRITE.0;
        match abi::pte::own_slot(entry) {
            _ if stack_pages.contains(&va) => give_copy(&mut batches, va, rights_of(entry)),
            None => give_copy(&mut batches, va, rights_of(entry) | tags_of(entry)),
            Some(slot) if entry & TAG1 != 0 => batches.push(None, grant(va, slot, rights_of(entry) | MAP_SHARED)),
            Some(slot) if entry & (WRITABLE | TAG0) != 0 => {
                shared += 1;
                let protect = (entry & WRITABLE != 0).then_some(MapUpdate { op: MapUpdate::PROTECT, va, slot: 0, rights: read_only | MAP_COW });
                batches.push(protect, grant(va, slot, read_only | MAP_COW))
            }
            Some(slot) => batches.push(None, grant(va, slot, read_only)),
        }
    })?;
    batches.flush()?;
    // The private page starts zeroed in the child.
    let (_, page) = sys_page_alloc(ANY_PAGE)?;
    give(child, page, private, Rights::READ.0 | Rights::WRITE.0)?;
    Ok(shared)
}

fn tags_of(entry: u64) -> u64 {
    (entry & (TAG0 | TAG1)) >> 2
}

fn grant(va: u64, slot: u64, rights: u64) -> MapUpdate {
    MapUpdate { op: MapUpdate::GRANT_MAP, va, slot, rights }
}

/// Gives the child a copy of the page at `va` as its own.
fn give_copy(batches: &mut Batches, va: u64, rights: u64) -> Result<(), Error> {
    let (_, page) = sys_page_alloc(ANY_PAGE)?;
    let map = MapUpdate { op: MapUpdate::MAP, va: COPY_SCRATCH, slot: page, rights: Rights::READ.0 | Rights::WRITE.0 };
    let unmap = MapUpdate { op: MapUpdate::UNMAP, va: COPY_SCRATCH, slot: 0, rights: 0 };
    if let (_, Some(e)) = sys_page_map(&[map]) {
        let _ = sys_page_free(page);
        return Err(e);
    }
    crate::sys::shared::copy_page(va, COPY_SCRATCH);
    sys_page_map(&[unmap]);
    batches.push(None, MapUpdate { op: MapUpdate::GIVE_MAP, va, slot: page, rights }).inspect_err(|_| {
        let _ = sys_page_free(page);
    })
}

fn give(child: u64, page: u64, va: u64, rights: u64) -> Result<(), Error> {
    let (_, e) = sys_page_map_into(child, &[MapUpdate { op: MapUpdate::GIVE_MAP, va, slot: page, rights }]);
    if let Some(e) = e {
        let _ = sys_page_free(page);
        return Err(e);
    }
    Ok(())
}
