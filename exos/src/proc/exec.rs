//! `exec`: replacing this process's program with another from the boot archive, in place.
//!
//! The environment stays: its id, its parent and status page (so the parent's `wait` reports the
//! new program's exit), its children, its IPC regions (pipes, shared memory, the tty page, all in
//! `0x2800_0000_0000..0x3000_0000_0000`) and ExOS's private region. Everything else the program
//! mapped below the kernel's windows and its stack above them (image, heap, `mmap` regions, thread
//! stacks, exception stack) goes.
//!
//! It is done in two halves:
//! 1. **Prepare**, with the old program still whole, so any failure (no such program, bad ELF,
//!    arguments too long, out of pages or capabilities) is an error returned to it and changes
//!    nothing: every page of the new image and its stack (start block at the top, carrying this
//!    process's id) is allocated and filled at a staging address ([`STAGING`]), after the
//!    copy-on-write pages that `exec` keeps are made private (the new program has no copy-on-write
//!    handler until it forks); the trampoline and the table's pages (sized from the address space
//!    as it is then, plus [`TABLE_SLACK`]) are mapped.
//! 2. **Switch**: hooks registered with [`on_exec`] run, close-on-exec descriptors are closed, the
//!    slice upcall is turned off. Then, when nothing of the old program will write memory any
//!    more, the **table of system calls** is written in the private region ([`TABLE_VA`]):
//!    remove the exception handler, the PCT entry; `UNMAP` every mapping that goes (batched
//!    `page_map`, 512 updates a call); `cap_delete` each extent (`sys::extent`: that removes its
//!    mappings, 2 MiB pages included, and frees it) and each capability that backed only those (a
//!    root page is freed only when no other capability names it, and a grant is deleted only when
//!    this process has no live children that could hold capabilities derived from it); then
//!    `UNMAP` each staged page and `MAP` it at its final address with its segment's rights. The
//!    CPU jumps to a small position-independent **trampoline** copied into an executable page of
//!    the private region ([`TRAMPOLINE_VA`]). It uses registers only: it runs the table (any
//!    failing call, e.g. the kernel out of page-table pages, ends the process with
//!    [`LATE_FAILURE`], written to the status page too, as the old program is gone), then sets
//!    `rsp` and `rdi` as `spawn` gives a child, clears the other registers and jumps to the new
//!    entry point.
//!
//! The table is planned last because it names capabilities by slot, and a write to a
//! copy-on-write page changes which slot backs it: `cow::resolve` maps a fresh copy through a new
//! slot and deletes the grant it had (or retires a root still shared). When the table was written
//! in the first half, the hooks, the descriptors' closing and this module's own stack frames
//! could still write a page not yet copied since the `fork`; the table then deleted that grant's
//! slot a second time (`cap_delete` → `EmptySlot`, which the trampoline used to take for
//! success) and never freed the copy. Whether such a page was met depended on where the linker
//! put the statics and how deep the stack went, i.e. on the binary's layout. Now every slot the
//! table deletes is live when the trampoline runs, and each is deleted once (a bit per slot).
//!
//! The new program's `exos_start` reads its id from the start block, so `process::id` is the same.
//! What is lost: the old program's library state, e.g. its children's capabilities (the new
//! program cannot `wait` for children the old one had; they still end with the process); pages it
//! could not free (roots still shared with others, grants kept for live children) stay held until
//! the process ends. The new program's `exos_start` frees the trampoline and table pages.
#![allow(unsafe_code)]

use crate::mem::cow::{self, PRIVATE_REGION};
use crate::proc::spawn::{self, image_pages, start_block, SpawnError, BLOCK_VA, START_RSP, STACK_BOTTOM};
use crate::sys::syscall::*;
use crate::proc::process;
use crate::sys::vm;
use abi::layout::{PAGE_SIZE, USER_STACK_TOP};
use abi::pte::ADDRESS_MASK;
use abi::{Error, MapUpdate, Rights, Sysnum, ANY_PAGE, MAX_ENVS, MAX_MAP_BATCH, SELF_ENV};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};
use kcore::elf;

/// The executable page the trampoline is copied to.
pub use crate::layout::TRAMPOLINE_VA;
/// The table of system calls the trampoline runs (header, entries, then the `page_map` updates).
pub const TABLE_VA: u64 = TRAMPOLINE_VA + PAGE_SIZE;
/// `exec`'s own part of the private region (trampoline and table).
use crate::layout::EXEC_AREA;
/// Where the new image's pages are filled before the switch.
pub use crate::layout::STAGING;
/// IPC regions (pipes, shared memory, the tty page): kept across `exec`.
pub use crate::layout::IPC_AREA;
/// The exit code of a process whose `exec` failed after the old program was torn down.
pub const LATE_FAILURE: i64 = 0xec;

/// Table layout, in u64 words: header, then 8-word entries (sysnum, six arguments, unused).
const HEADER_WORDS: usize = 8;
const ENTRY_WORDS: usize = 8;
const H_ENTRY: usize = 0;
const H_RSP: usize = 1;
const H_RDI: usize = 2;
const H_COUNT: usize = 3;
const H_STATUS: usize = 4;
const H_CODE: usize = 5;
const BATCH: usize = MAX_MAP_BATCH as usize;
const SLOT_WORDS: usize = 1024 / 64;

/// Functions run just before the switch (e.g. closing close-on-exec descriptors).
static HOOKS: [AtomicUsize; 8] = [const { AtomicUsize::new(0) }; 8];

/// Registers `f` to run in every later `exec` of this program, once everything that can fail
/// has succeeded and just before the old program is torn down. Registering the same function
/// twice is one registration. Errors: `TableFull` beyond 8 functions.
pub fn on_exec(f: fn()) -> Result<(), Error> {
    let raw = f as usize;
    for hook in &HOOKS {
        match hook.compare_exchange(0, raw, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return Ok(()),
            Err(existing) if existing == raw => return Ok(()),
            Err(_) => {}
        }
    }
    Err(Error::TableFull)
}

fn run_hooks() {
    for hook in &HOOKS {
        let raw = hook.load(Ordering::Acquire);
        if raw != 0 {
            // SAFETY: HOOKS only holds 0 or an `fn()` stored by `on_exec`.
            let f = unsafe { core::mem::transmute::<usize, fn()>(raw) };
            f();
        }
    }
}

/// Replaces this process's program with program `name` from the boot archive, started with
/// arguments `argv` and environment `vars` exactly as [`spawn::spawn`] starts a child, in the same
/// process (same id, parent, status page, children, IPC regions). Returns only on failure, with
/// the old program intact: `NotFound`, `BadElf`, `TooLong`, or `Kernel(e)` (`BadAddress` for an
/// image that would overlap what `exec` keeps; out of pages, quota or capability slots).
pub fn exec(name: &str, argv: &[&str], vars: &[&str]) -> SpawnError {
    match prepare(name, argv, vars) {
        Ok(prepared) => {
            // The process now runs `name` (for `ps`); a refused name changes nothing else.
            let _ = sys_env_set_name(SELF_ENV, name.rsplit('/').next().unwrap_or(name));
            switch(prepared)
        }
        Err(e) => {
            release(STAGING.start, STAGING.end);
            release_exec_area();
            e
        }
    }
}

/// What [`prepare`] leaves for [`switch`]: the staged image, its entry point, and how many table
/// pages are mapped at [`TABLE_VA`] (for the plan as it looked then, plus [`TABLE_SLACK`]).
struct Prepared {
    staged: Vec<Staged>,
    entry: u64,
    table_pages: usize,
}

/// Table pages mapped beyond what the address space needed when [`prepare`] looked, for what the
/// hooks map after it (one page holds 128 more `page_map` updates).
const TABLE_SLACK: usize = 1;

/// Everything that can fail: the staged image, the trampoline and the table's pages.
fn prepare(name: &str, argv: &[&str], vars: &[&str]) -> Result<Prepared, SpawnError> {
    let bytes = spawn::find(name).ok_or(SpawnError::NotFound)?;
    let image = elf::check(bytes).map_err(SpawnError::BadElf)?;
    let mut block = [0u8; 4096];
    let block_len = start_block(&mut block, process::id(), argv, vars)?;
    let kept = |start: u64, end: u64| [PRIVATE_REGION, IPC_AREA, STACK_BOTTOM..USER_STACK_TOP].iter().any(|r| start < r.end && r.start < end);
    if image.segments.iter().any(|s| {
        let (first, end) = s.page_range();
        kept(first, end)
    }) {
        return Err(Error::BadAddress.into());
    }
    make_kept_pages_private()?;
    let staged = stage(bytes, &image, &block[..block_len])?;
    // Sized from the address space as it is now; the table itself is written by `switch`, after
    // the last code of the old program has run (see `plan`).
    let table_pages = plan(staged.len()).pages() + TABLE_SLACK;
    map_table(0, table_pages)?;
    install_trampoline()?;
    Ok(Prepared { staged, entry: image.entry, table_pages })
}

/// Maps table pages `from..to` (fresh, zeroed, read-write) at [`TABLE_VA`].
fn map_table(from: usize, to: usize) -> Result<(), SpawnError> {
    if TABLE_VA + to as u64 * PAGE_SIZE > EXEC_AREA.end {
        return Err(Error::TooLong.into());
    }
    for i in from as u64..to as u64 {
        map_fresh(TABLE_VA + i * PAGE_SIZE, 0)?;
    }
    Ok(())
}

/// A page of the new image: its final address, capability slot and rights.
type Staged = (u64, u64, u64);

/// Allocates and fills every page of the new image and stack at the staging addresses.
fn stage(bytes: &[u8], image: &elf::Image, block: &[u8]) -> Result<Vec<Staged>, SpawnError> {
    let mut count = 0;
    image_pages(bytes, image, block, |_, _, _| {
        count += 1;
        Ok(())
    })?;
    if count as u64 * PAGE_SIZE > STAGING.end - STAGING.start {
        return Err(Error::NoMemory.into());
    }
    let mut staged = Vec::with_capacity(count);
    image_pages(bytes, image, block, |va, rights, fill| {
        let at = STAGING.start + staged.len() as u64 * PAGE_SIZE;
        let slot = map_fresh(at, 0)?;
        fill(crate::sys::shared::scratch_page(at));
        staged.push((va, slot, rights));
        Ok(())
    })?;
    Ok(staged)
}

/// Allocates a zeroed page and maps it read-write (plus `extra` rights) at `va`; returns its slot.
fn map_fresh(va: u64, extra: u64) -> Result<u64, Error> {
    let (_, slot) = sys_page_alloc(ANY_PAGE)?;
    let map = MapUpdate { op: MapUpdate::MAP, va, slot, rights: Rights::READ.0 | Rights::WRITE.0 | extra };
    if let (_, Some(e)) = sys_page_map(&[map]) {
        let _ = sys_page_free(slot);
        return Err(e);
    }
    Ok(slot)
}

/// Unmaps the pages mapped from `from` on (up to `end`, stopping at the first unmapped one) and
/// deletes the capabilities of this process's table that backed them (frees its own pages).
fn release(from: u64, end: u64) {
    for va in (from..end).step_by(PAGE_SIZE as usize) {
        let Some(entry) = vm::translate(va) else { break };
        let _ = sys_page_map(&[MapUpdate { op: MapUpdate::UNMAP, va, slot: 0, rights: 0 }]);
        if let Some(slot) = abi::pte::own_slot(entry) {
            let _ = sys_cap_delete(slot);
        }
    }
}

/// Frees the trampoline and table an `exec` left (they are contiguous from their start).
fn release_exec_area() {
    release(TRAMPOLINE_VA, TABLE_VA);
    release(TABLE_VA, EXEC_AREA.end);
}

/// Called by `exos_start`: a program started by `exec` frees the trampoline and table that
/// started it, so it holds exactly the pages of its image and stack.
pub(crate) fn after_start() {
    release_exec_area();
}

/// Makes every copy-on-write page that survives `exec` (an IPC region page this process had when
/// it, or the process it was forked from, forked) private and writable now, while this program's
/// copy-on-write handler is still there: the new program registers none until it forks itself.
/// Only a process that forked can have such pages. `NoMemory` when no page is left to copy into.
fn make_kept_pages_private() -> Result<(), Error> {
    if !cow::FORKED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut pages = Vec::new();
    let _ = vm::for_each_mapped(|va, entry| {
        if survives(va) && entry & cow::COW != 0 && entry & vm::WRITABLE == 0 {
            pages.push(va);
        }
        Ok::<(), ()>(())
    });
    for va in pages {
        cow::prepare_return(va);
        if vm::translate(va).is_some_and(|entry| entry & vm::WRITABLE == 0) {
            return Err(Error::NoMemory);
        }
    }
    Ok(())
}

/// Whether a mapping at `va` survives `exec`.
fn survives(va: u64) -> bool {
    PRIVATE_REGION.contains(&va) || IPC_AREA.contains(&va)
}

/// What goes: counts, and the capability slots to delete (a bit per slot).
struct Plan {
    drops: usize,
    delete: [u64; SLOT_WORDS],
    deletes: usize,
    staged: usize,
}

impl Plan {
    fn updates(&self) -> usize {
        self.drops + 2 * self.staged
    }
    fn entries(&self) -> usize {
        2 + self.drops.div_ceil(BATCH) + self.deletes + (2 * self.staged).div_ceil(BATCH)
    }
    /// Words of the entries part (the updates follow, page-aligned).
    fn entry_words(&self) -> usize {
        (HEADER_WORDS + self.entries() * ENTRY_WORDS).div_ceil(512) * 512
    }
    fn pages(&self) -> usize {
        (self.entry_words() + self.updates() * 4).div_ceil(512)
    }
}

/// Walks the address space: which mappings go and which capabilities can be deleted.
///
/// The walk is a snapshot of which capability slot backs each page, so it must come after the
/// last write of the old program (a write to a copy-on-write page swaps the page's slot, see the
/// module documentation): [`switch`] calls it last, after touching the stack it runs on.
fn plan(staged: usize) -> Plan {
    let me = process::id() as u32;
    // Only this process creates records whose parent is itself, so the parent word alone (one load,
    // always whole) finds every candidate; the whole record is then read under the sequence protocol.
    let children = (0..MAX_ENVS).any(|i| {
        vm::env_word(i, 1) == me && {
            let info = vm::env_info(i);
            info.id != 0 && info.id != me && info.parent == me
        }
    });
    let (mut kept, mut dropped, mut held) = ([0u64; SLOT_WORDS], [0u64; SLOT_WORDS], [0u64; SLOT_WORDS]);
    let set = |bits: &mut [u64; SLOT_WORDS], slot: u64| bits[(slot / 64) as usize % SLOT_WORDS] |= 1 << (slot % 64);
    let mut drops = 0;
    // Extents go whole: one `cap_delete` each removes their mappings and frees them.
    crate::sys::extent::for_each(|extent| set(&mut dropped, extent.slot));
    let _ = vm::for_each_mapped(|va, entry| {
        let Some(slot) = abi::pte::own_slot(entry) else {
            drops += usize::from(!survives(va) && !crate::sys::extent::contains(va));
            return Ok::<(), ()>(());
        };
        if survives(va) {
            set(&mut kept, slot);
            return Ok(());
        }
        drops += 1;
        set(&mut dropped, slot);
        let frame = (entry & ADDRESS_MASK) >> 12;
        let deletable = if vm::owner(frame) == Some(me) { vm::refs(frame) == 1 } else { !children };
        if !deletable {
            set(&mut held, slot);
        }
        Ok(())
    });
    let delete: [u64; SLOT_WORDS] = core::array::from_fn(|i| dropped[i] & !kept[i] & !held[i]);
    let deletes = delete.iter().map(|w| w.count_ones() as usize).sum();
    Plan { drops, delete, deletes, staged }
}

/// Writes the table into the `mapped` table pages, mapping more first if the plan needs them.
fn write_table(plan: &Plan, staged: &[Staged], entry: u64, mapped: usize) -> Result<(), SpawnError> {
    let pages = plan.pages();
    if pages > mapped {
        map_table(mapped, pages)?;
    }
    // SAFETY: at least `pages` fresh zeroed pages are mapped read-write at TABLE_VA, contiguous,
    // in the private region where nothing else refers to them.
    let table = unsafe { core::slice::from_raw_parts_mut(TABLE_VA as *mut u64, pages * 512) };
    let updates_at = plan.entry_words();
    let put = |table: &mut [u64], i: usize, u: MapUpdate| {
        let at = updates_at + i * 4;
        table[at..at + 4].copy_from_slice(&[u.op, u.va, u.slot, u.rights]);
    };
    let mut n = 0;
    let walked = vm::for_each_mapped(|va, _| {
        if survives(va) || crate::sys::extent::contains(va) {
            return Ok(());
        }
        if n == plan.drops {
            return Err(()); // the address space changed since the plan
        }
        put(table, n, MapUpdate { op: MapUpdate::UNMAP, va, slot: 0, rights: 0 });
        n += 1;
        Ok(())
    });
    if walked.is_err() || n != plan.drops {
        return Err(Error::Busy.into());
    }
    for (i, &(va, slot, rights)) in staged.iter().enumerate() {
        put(table, n + 2 * i, MapUpdate { op: MapUpdate::UNMAP, va: STAGING.start + i as u64 * PAGE_SIZE, slot: 0, rights: 0 });
        put(table, n + 2 * i + 1, MapUpdate { op: MapUpdate::MAP, va, slot, rights });
    }
    let mut e = 0;
    let mut call = |table: &mut [u64], sysnum: Sysnum, args: [u64; 3]| {
        let at = HEADER_WORDS + e * ENTRY_WORDS;
        table[at] = sysnum as u64;
        table[at + 1..at + 4].copy_from_slice(&args);
        e += 1;
    };
    call(table, Sysnum::EnvSetExceptionHandler, [0, 0, 0]);
    call(table, Sysnum::PctSetEntry, [0, 0, 0]);
    let update_va = |i: usize| TABLE_VA + ((updates_at + i * 4) * 8) as u64;
    for first in (0..plan.drops).step_by(BATCH) {
        call(table, Sysnum::PageMap, [SELF_ENV, update_va(first), (plan.drops - first).min(BATCH) as u64]);
    }
    for slot in (0..1024u64).filter(|&s| plan.delete[(s / 64) as usize] & (1 << (s % 64)) != 0) {
        call(table, Sysnum::CapDelete, [slot, 0, 0]);
    }
    for first in (plan.drops..plan.updates()).step_by(BATCH) {
        call(table, Sysnum::PageMap, [SELF_ENV, update_va(first), (plan.updates() - first).min(BATCH) as u64]);
    }
    table[H_ENTRY] = entry;
    table[H_RSP] = START_RSP;
    table[H_RDI] = BLOCK_VA;
    table[H_COUNT] = e as u64;
    table[H_STATUS] = if vm::translate(process::STATUS_VA).is_some() { process::STATUS_VA } else { 0 };
    table[H_CODE] = LATE_FAILURE as u64;
    Ok(())
}

unsafe extern "C" {
    fn exos_exec_trampoline();
    fn exos_exec_trampoline_end();
}

// The trampoline: rdi = the table. Registers only, relative jumps only (it runs from a copy).
core::arch::global_asm!(
    ".section .text.exos_exec_trampoline,\"ax\",@progbits",
    ".global exos_exec_trampoline",
    ".global exos_exec_trampoline_end",
    "exos_exec_trampoline:",
    "    mov rbx, rdi",
    "    mov r12, [rbx + 24]",
    "    lea r13, [rbx + 64]",
    "2:",
    "    test r12, r12",
    "    jz 3f",
    "    mov rax, [r13]",
    "    mov rdi, [r13 + 8]",
    "    mov rsi, [r13 + 16]",
    "    mov rdx, [r13 + 24]",
    "    mov r10, [r13 + 32]",
    "    mov r8, [r13 + 40]",
    "    mov r9, [r13 + 48]",
    "    syscall",
    "    test rax, rax",
    "    jnz 4f",
    "    add r13, 64",
    "    dec r12",
    "    jmp 2b",
    "3:",
    "    mov rsp, [rbx + 8]",
    "    mov rdi, [rbx + 16]",
    "    mov rcx, [rbx]",
    "    xor eax, eax",
    "    xor ebx, ebx",
    "    xor edx, edx",
    "    xor esi, esi",
    "    xor ebp, ebp",
    "    xor r8d, r8d",
    "    xor r9d, r9d",
    "    xor r10d, r10d",
    "    xor r11d, r11d",
    "    xor r12d, r12d",
    "    xor r13d, r13d",
    "    xor r14d, r14d",
    "    xor r15d, r15d",
    "    jmp rcx",
    // A call failed with the old program gone: report LATE_FAILURE (status page if any) and end.
    "4:",
    "    mov rdi, [rbx + 40]",
    "    mov rax, [rbx + 32]",
    "    test rax, rax",
    "    jz 5f",
    "    mov [rax + 8], rdi",
    "    mov qword ptr [rax], 1",
    "5:",
    "    mov eax, 1",
    "    syscall",
    "    ud2",
    "exos_exec_trampoline_end:",
);

/// Copies the trampoline into a fresh page at [`TRAMPOLINE_VA`] and makes it read-execute.
fn install_trampoline() -> Result<(), Error> {
    let start = exos_exec_trampoline as *const () as usize;
    let len = exos_exec_trampoline_end as *const () as usize - start;
    // Mapped with EXECUTE in its ceiling, written, then made read-execute.
    map_fresh(TRAMPOLINE_VA, Rights::EXECUTE.0)?;
    // SAFETY: `start..start + len` is the trampoline's code in this program's text segment, mapped
    // readable for the program's life (len < one page).
    let code = unsafe { core::slice::from_raw_parts(start as *const u8, len) };
    crate::sys::shared::scratch_page(TRAMPOLINE_VA)[..len].copy_from_slice(code);
    let rx = MapUpdate { op: MapUpdate::PROTECT, va: TRAMPOLINE_VA, slot: 0, rights: Rights::READ.0 | Rights::EXECUTE.0 };
    match sys_page_map(&[rx]) {
        (_, Some(e)) => Err(e),
        _ => Ok(()),
    }
}

/// How much stack the plan and the table's writing may use below `switch`'s frame.
const PLAN_STACK: usize = 8 * 1024;

/// Writes [`PLAN_STACK`] bytes of stack below the caller's frame, so that the pages the plan
/// and the table's writing then run on are private and mapped: a copy-on-write or demand-zero
/// fault during the walk would change the address space being walked.
#[inline(never)]
fn touch_stack() {
    let mut area = [0u8; PLAN_STACK];
    core::hint::black_box(&mut area);
}

/// The point of no return: hooks, close-on-exec descriptors, then the plan and the table, then
/// the trampoline. A failure from here on (no page for a table the hooks made longer) ends the
/// process with [`LATE_FAILURE`].
fn switch(prepared: Prepared) -> ! {
    run_hooks();
    crate::fs::fd::on_exec();
    let _ = sys_env_set_slice_upcall(false);
    // Nothing of the old program runs after this but `plan` and `write_table`, which write only
    // the stack just touched and the table pages.
    if cow::FORKED.load(Ordering::Relaxed) {
        // What copy-on-write retired and no one holds any more goes now (it is not mapped, so the
        // plan would not see it), and retired grants once this process has no children.
        cow::sweep();
    }
    touch_stack();
    let plan = plan(prepared.staged.len());
    if write_table(&plan, &prepared.staged, prepared.entry, prepared.table_pages).is_err() {
        process::exit(LATE_FAILURE);
    }
    let table = TABLE_VA;
    // SAFETY: the trampoline page holds the trampoline's code (read-execute) and `table` the table
    // it runs, both in the private region the table leaves mapped; the trampoline uses no stack
    // and never returns here: it ends in the new program or in `env_exit`.
    unsafe { core::arch::asm!("jmp {t}", t = in(reg) TRAMPOLINE_VA, in("rdi") table, options(noreturn)) }
}
