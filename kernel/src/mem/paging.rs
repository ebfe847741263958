//! Four-level x86_64 page tables: building the kernel's, creating user address spaces, and the
//! checked edits the kernel makes to them.
//!
//! Layout of the kernel half (shared by every address space, see `abi::layout`): the direct map of
//! RAM at `PHYS_MAP_BASE` (2 MiB pages, no-execute), uncached device windows at `MMIO_BASE` (4 KiB
//! pages), and the kernel image at `KERNEL_BASE` mapped page by page with W^X: text read-execute,
//! rodata read-only, data and bss read-write. Stack guard pages are left unmapped. Kernel-half
//! entries are global; their PML4 slots are all created at boot, so a user PML4 made by copying the
//! kernel's slots 256..512 sees every later kernel mapping.
//!
//! Hardware fact: an entry's effective rights are the AND of writable/user and the OR of
//! no-execute along the walk, so intermediate user tables are `P|W|U` and the leaf decides.
use super::owners;
use super::phys;
use crate::arch::x86_64::cpu;
use abi::layout::{KERNEL_BASE, MMIO_BASE, PAGE_SIZE, PHYS_MAP_BASE, SELF_MAP_SLOT};

pub use abi::pte::{GLOBAL, HUGE, NO_CACHE, NO_EXECUTE, PRESENT, USER, WRITABLE, WRITE_THROUGH};
use abi::pte::ADDRESS_MASK;
const HUGE_SIZE: u64 = 2 << 20;

/// Why a mapping could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapError {
    /// No frame for an intermediate table.
    OutOfMemory,
    /// The virtual page is already mapped.
    AlreadyMapped,
}

static KERNEL_ROOT: spin::Once<u64> = spin::Once::new();

/// The kernel's PML4 (physical address).
pub fn kernel_root() -> u64 {
    *KERNEL_ROOT.get().expect("paging::init not called")
}

fn index(va: u64, level: u32) -> usize {
    ((va >> (12 + 9 * (level - 1))) & 511) as usize
}

/// The flags with which `nx` is usable: NO_EXECUTE only where the CPU has NX (else it is reserved).
fn nx() -> u64 {
    if cpu::features().nx { NO_EXECUTE } else { 0 }
}

/// Returns the entry for `va` at `level` (1 = 4 KiB leaf, 2 = 2 MiB leaf), creating missing tables
/// above it with `table_flags` (each new table's frame is passed to `created`).
fn walk_create(root: u64, va: u64, level: u32, table_flags: u64, created: &mut dyn FnMut(u64)) -> Result<&'static mut u64, MapError> {
    let mut table = root;
    for l in (level + 1..=4).rev() {
        // SAFETY: `table` is a page-table page of an address space the kernel is editing; the kernel
        // is single-threaded with interrupts off, so no other reference to it is live.
        let entries = unsafe { phys::table_mut(table) };
        let entry = &mut entries[index(va, l)];
        if *entry & PRESENT == 0 {
            let fresh = owners::alloc_zeroed().ok_or(MapError::OutOfMemory)?;
            *entry = fresh | table_flags;
            created(fresh);
        }
        // A 2 MiB page maps `va` already (an extent mapping).
        if *entry & HUGE != 0 {
            return Err(MapError::AlreadyMapped);
        }
        table = *entry & ADDRESS_MASK;
    }
    // SAFETY: as above.
    Ok(&mut unsafe { phys::table_mut(table) }[index(va, level)])
}

/// Maps the 4 KiB page at `va` to frame `pa` with `flags` (PRESENT is added).
pub fn map(root: u64, va: u64, pa: u64, flags: u64) -> Result<(), MapError> {
    map_noting(root, va, pa, flags, &mut |_| {})
}

/// [`map`], passing the frame of each page-table page it creates to `created` (the caller charges
/// them: `budget.rs`).
pub fn map_noting(root: u64, va: u64, pa: u64, flags: u64, created: &mut dyn FnMut(u64)) -> Result<(), MapError> {
    let table_flags = PRESENT | WRITABLE | (flags & USER);
    let entry = walk_create(root, va, 1, table_flags, created)?;
    if *entry & PRESENT != 0 {
        return Err(MapError::AlreadyMapped);
    }
    *entry = (pa & ADDRESS_MASK) | flags | PRESENT;
    Ok(())
}

/// Maps the 2 MiB page at `va` (2 MiB-aligned) to the 2 MiB-aligned physical range at `pa` with
/// `flags` (PRESENT and HUGE are added), passing each page-table page it creates to `created`. A
/// page table left empty there by earlier 4 KiB unmaps is freed (passed to `freed` first) and
/// replaced.
pub fn map_huge(root: u64, va: u64, pa: u64, flags: u64, created: &mut dyn FnMut(u64), freed: &mut dyn FnMut(u64)) -> Result<(), MapError> {
    debug_assert!(va.is_multiple_of(HUGE_SIZE) && pa.is_multiple_of(HUGE_SIZE));
    let table_flags = PRESENT | WRITABLE | (flags & USER);
    let entry = walk_create(root, va, 2, table_flags, created)?;
    if *entry & PRESENT != 0 {
        if *entry & HUGE != 0 {
            return Err(MapError::AlreadyMapped);
        }
        let table = *entry & ADDRESS_MASK;
        // SAFETY: a user page table of the address space being edited; only read here.
        if unsafe { phys::table_mut(table) }.iter().any(|e| e & PRESENT != 0) {
            return Err(MapError::AlreadyMapped);
        }
        *entry = 0;
        freed(table);
        owners::free(table);
        // The table's own translations may be cached (paging-structure caches).
        flush_all(root);
    }
    *entry = (pa & ADDRESS_MASK) | flags | PRESENT | HUGE;
    Ok(())
}

/// Removes the 2 MiB mapping at `va`; returns the physical range it mapped, if it was one.
pub fn unmap_huge(root: u64, va: u64) -> Option<u64> {
    let entry = huge_entry(root, va)?;
    let pa = *entry & ADDRESS_MASK;
    *entry = 0;
    flush(root, va);
    Some(pa)
}

/// Rewrites the flags of the 2 MiB mapping at `va` (keeping its frame); false if there is none.
pub fn protect_huge(root: u64, va: u64, flags: u64) -> bool {
    let Some(entry) = huge_entry(root, va) else { return false };
    *entry = (*entry & ADDRESS_MASK) | flags | PRESENT | HUGE;
    flush(root, va);
    true
}

/// The present 2 MiB entry for `va`, if any.
fn huge_entry(root: u64, va: u64) -> Option<&'static mut u64> {
    let mut table = root;
    for level in [4, 3] {
        // SAFETY: a page-table page of an address space the kernel is editing (single-threaded).
        let entry = unsafe { phys::table_mut(table) }[index(va, level)];
        if entry & PRESENT == 0 || entry & HUGE != 0 {
            return None;
        }
        table = entry & ADDRESS_MASK;
    }
    // SAFETY: as above; the caller holds the one reference to it.
    let entry = &mut unsafe { phys::table_mut(table) }[index(va, 2)];
    (*entry & (PRESENT | HUGE) == PRESENT | HUGE).then_some(entry)
}

/// Drops the TLB entries (and paging-structure caches) of `root` when it is the active address space.
fn flush_all(root: u64) {
    if is_active(root) {
        // SAFETY: CR3 gets its own value back; the kernel's global entries stay.
        unsafe { cpu::write_cr3(cpu::read_cr3()) };
    }
}

/// The frame behind `va` and the **effective** rights of the whole walk, if mapped: `PRESENT`, then
/// `WRITABLE` and `USER` only if every level grants them, `NO_EXECUTE` if any level sets it. (A
/// leaf alone is not enough: through the read-only self-map, the "leaf" of a window address is a
/// writable page-table entry.)
pub fn translate(root: u64, va: u64) -> Option<(u64, u64)> {
    let mut table = root;
    let mut rights = WRITABLE | USER;
    let mut no_execute = 0;
    for level in (1..=4).rev() {
        // SAFETY: read-only use of a page-table page; nothing writes it concurrently (one CPU, IF=0).
        let entry = unsafe { phys::table_mut(table) }[index(va, level)];
        if entry & PRESENT == 0 {
            return None;
        }
        rights &= entry;
        no_execute |= entry & NO_EXECUTE;
        if level == 1 || (level == 2 && entry & HUGE != 0) {
            let page_mask = if level == 1 { PAGE_SIZE - 1 } else { HUGE_SIZE - 1 };
            let base = entry & ADDRESS_MASK & !page_mask;
            return Some((base + (va & page_mask & !(PAGE_SIZE - 1)), PRESENT | rights | no_execute));
        }
        table = entry & ADDRESS_MASK;
    }
    None
}

/// A new address space: an empty user half, the kernel's read-only windows (the page-ownership and
/// environment tables, shared; the self-map of this address space's own tables; its own
/// repossession vector) and the kernel half shared with every other.
pub fn new_address_space() -> Option<u64> {
    let root = owners::alloc_zeroed()?;
    // SAFETY: `root` was just allocated; the kernel root is only read. Distinct frames.
    let (user, kernel) = unsafe { (phys::table_mut(root), phys::table_mut(kernel_root())) };
    user[256..].copy_from_slice(&kernel[256..]);
    user[OWNERS_SLOT] = *OWNERS_PDPT.get().expect("page-ownership window not built");
    user[SELF_MAP_SLOT as usize] = root | PRESENT | USER | nx();
    // The environment's own repossession vector, read-only to it; freed with the address space.
    let Some(vector) = owners::alloc_zeroed() else {
        destroy_address_space(root);
        return None;
    };
    if map(root, abi::layout::REPOSSESSED_BASE, vector, USER | nx()).is_err() {
        owners::free(vector);
        destroy_address_space(root);
        return None;
    }
    Some(root)
}

/// PML4 slot of the page-ownership window, and the shared entry every address space gets there.
const OWNERS_SLOT: usize = (abi::layout::PAGE_OWNERS_BASE >> 39) as usize;
static OWNERS_PDPT: spin::Once<u64> = spin::Once::new();

/// Maps `pages` frames starting at physical `first` read-only for user code at `va` in the
/// tables every address space shares at `PAGE_OWNERS_BASE`'s PML4 slot (the page-ownership and
/// capability-count tables, the environment table, the boot archive). Boot time only.
pub fn map_shared_window(va: u64, first: u64, pages: u64) {
    assert_eq!(va >> 39, OWNERS_SLOT as u64, "shared windows live in one PML4 slot");
    let scratch = owners::alloc_zeroed().expect("no frame for the shared windows");
    if let Some(&entry) = OWNERS_PDPT.get() {
        // SAFETY: `scratch` is a private PML4 used only to reach the shared window tables.
        let table = unsafe { phys::table_mut(scratch) };
        table[OWNERS_SLOT] = entry;
    }
    for i in 0..pages {
        map(scratch, va + i * PAGE_SIZE, first + i * PAGE_SIZE, USER | nx()).expect("mapping a shared window");
    }
    // SAFETY: as above.
    let entry = unsafe { phys::table_mut(scratch) }[OWNERS_SLOT];
    OWNERS_PDPT.call_once(|| entry);
    owners::free(scratch);
}

/// Removes the mapping of `va`; returns the frame it mapped. Flushes the TLB entry when `root` is
/// the active address space.
pub fn unmap(root: u64, va: u64) -> Option<u64> {
    let entry = leaf(root, va)?;
    let frame = *entry & ADDRESS_MASK;
    *entry = 0;
    flush(root, va);
    Some(frame)
}

/// How many page-table pages mapping a 4 KiB page at `va` would create (0 to 3).
pub fn tables_needed(root: u64, va: u64) -> u64 {
    let mut table = root;
    for level in (2..=4).rev() {
        // SAFETY: read-only use of a page-table page; nothing writes it concurrently (one CPU, IF=0).
        let entry = unsafe { phys::table_mut(table) }[index(va, level)];
        if entry & PRESENT == 0 {
            return level as u64 - 1;
        }
        if entry & HUGE != 0 {
            return 0;
        }
        table = entry & ADDRESS_MASK;
    }
    0
}

/// [`unmap`], then frees the page-table pages of the user half that the removal left empty (the
/// last-level table, then the ones above it, never the root) and that `may_free(frame)` allows
/// (asked first: a table that may not go is not even scanned), passing each freed frame to `freed`
/// (its accounting: `budget.rs`); it stops at the first one kept.
pub fn unmap_pruned(root: u64, va: u64, may_free: &mut dyn FnMut(u64) -> bool, freed: &mut dyn FnMut(u64)) -> Option<u64> {
    let frame = unmap(root, va)?;
    let slot = index(va, 4);
    if slot >= 256 || slot == OWNERS_SLOT || slot == SELF_MAP_SLOT as usize || slot == index(abi::layout::REPOSSESSED_BASE, 4) {
        return Some(frame);
    }
    // The tables on the walk: the PML4, PDPT, PD and PT (all present: `unmap` found the leaf).
    let mut walk = [root; 4];
    for level in (2..=4u32).rev() {
        let at = 4 - level as usize;
        // SAFETY: a page-table page of an address space the kernel is editing (single-threaded).
        let entry = unsafe { phys::table_mut(walk[at]) }[index(va, level)];
        walk[at + 1] = entry & ADDRESS_MASK;
    }
    let mut pruned = false;
    for level in 1..=3u32 {
        let at = 4 - level as usize;
        let table = walk[at];
        // SAFETY: as above.
        let entries = unsafe { phys::table_mut(table) };
        if !may_free(table) || entries.chunks_exact(8).any(|c| c.iter().fold(0, |any, e| any | e) & PRESENT != 0) {
            break;
        }
        // SAFETY: as above (the parent table, a distinct frame).
        let parent = unsafe { phys::table_mut(walk[at - 1]) };
        parent[index(va, level + 1)] = 0;
        freed(table);
        owners::free(table);
        pruned = true;
    }
    if pruned && is_active(root) {
        // The TLB may hold the removed upper entries (paging-structure caches) and, through the
        // self-map, translations to the freed tables themselves (a library reading its page-table
        // entries would read a reused frame): drop this address space's non-global entries.
        // (Another address space is flushed before it runs again: `bind::note_unmapped`.)
        // SAFETY: CR3 gets its own value back (the same tables and PCID); the write drops this
        // address space's non-global TLB entries, the kernel's global ones stay.
        unsafe { cpu::write_cr3(cpu::read_cr3()) };
    }
    Some(frame)
}

/// Rewrites the present leaf entries of the `pages` pages from `va` with the flags `flags` yields,
/// one per page (keeping their frames; in the active address space each page is invalidated),
/// walking the upper levels once per leaf table. Stops at the first page without an entry
/// (`None`; the pages before it are changed).
pub fn protect_run(root: u64, va: u64, pages: u64, mut flags: impl FnMut() -> u64) -> Option<()> {
    let active = is_active(root);
    let end = va + pages * PAGE_SIZE;
    let mut page = va;
    let mut result = Some(());
    'tables: while page < end {
        let first = index(page, 1);
        let n = (512 - first).min(((end - page) / PAGE_SIZE) as usize);
        let Some(table) = leaf_table(root, page) else {
            result = None;
            break;
        };
        for (i, entry) in table[first..first + n].iter_mut().enumerate() {
            if *entry & PRESENT == 0 {
                result = None;
                page += i as u64 * PAGE_SIZE;
                break 'tables;
            }
            *entry = (*entry & ADDRESS_MASK) | flags() | PRESENT;
            if active && pages <= FLUSH_CEILING {
                cpu::invlpg(page + i as u64 * PAGE_SIZE);
            }
        }
        page += n as u64 * PAGE_SIZE;
    }
    if active && pages > FLUSH_CEILING && page > va {
        // SAFETY: CR3 gets its own value back (the same tables and PCID); the write drops this
        // address space's non-global TLB entries, the kernel's global ones stay.
        unsafe { cpu::write_cr3(cpu::read_cr3()) };
    }
    result
}

/// Above this many pages one change flushes the address space's TLB entries at once instead of
/// page by page (Linux's ceiling is 33).
const FLUSH_CEILING: u64 = 32;

/// The present 4 KiB leaf entry for `va`, if any.
fn leaf(root: u64, va: u64) -> Option<&'static mut u64> {
    let entry = &mut leaf_table(root, va)?[index(va, 1)];
    (*entry & PRESENT != 0).then_some(entry)
}

/// The last-level table that maps `va`, if the levels above it are present (and not huge pages).
fn leaf_table(root: u64, va: u64) -> Option<&'static mut [u64; 512]> {
    let mut table = root;
    for level in (2..=4).rev() {
        // SAFETY: a page-table page of an address space the kernel is editing (single-threaded).
        let entry = unsafe { phys::table_mut(table) }[index(va, level)];
        if entry & PRESENT == 0 || entry & HUGE != 0 {
            return None;
        }
        table = entry & ADDRESS_MASK;
    }
    // SAFETY: as above; the caller holds the one reference to it.
    Some(unsafe { phys::table_mut(table) })
}

fn flush(root: u64, va: u64) {
    if is_active(root) {
        cpu::invlpg(va);
    }
}

/// Whether `root` is the address space the CPU is using.
pub fn is_active(root: u64) -> bool {
    cpu::read_cr3() & ADDRESS_MASK == root
}

/// The flags that give a user mapping `rights` (READ is implied by PRESENT).
pub fn user_flags(rights: abi::Rights) -> u64 {
    let mut flags = USER;
    if rights.contains(abi::Rights::WRITE) {
        flags |= WRITABLE;
    }
    if !rights.contains(abi::Rights::EXECUTE) {
        flags |= nx();
    }
    flags
}

/// Frees every frame of the user half (leaf pages and tables), then the root itself. The kernel's
/// windows (shared ownership tables, the self-map) are left alone.
pub fn destroy_address_space(root: u64) {
    destroy_address_space_noting(root, &mut |_| {});
}

/// [`destroy_address_space`], passing the frame of every page-table page it frees below the root
/// to `freed`.
pub fn destroy_address_space_noting(root: u64, freed: &mut dyn FnMut(u64)) {
    // SAFETY: the address space is no longer in use (the caller switched away from it).
    let entries = unsafe { phys::table_mut(root) };
    for (slot, entry) in entries[..256].iter_mut().enumerate() {
        if slot == OWNERS_SLOT || slot == SELF_MAP_SLOT as usize {
            *entry = 0;
            continue;
        }
        if *entry & PRESENT != 0 {
            free_table(*entry & ADDRESS_MASK, 3, freed);
            *entry = 0;
        }
    }
    owners::free(root);
}

fn free_table(table: u64, level: u32, freed: &mut dyn FnMut(u64)) {
    // SAFETY: a user-half table of an address space being destroyed; nobody else references it.
    let entries = unsafe { phys::table_mut(table) };
    // Tables are mostly empty: eight entries are tested at once (the OR compiles to vector code).
    for chunk in entries.chunks_exact_mut(8).filter(|c| c.iter().fold(0, |any, e| any | e) & PRESENT != 0) {
        for entry in chunk.iter_mut().filter(|e| **e & PRESENT != 0) {
            if level == 2 && *entry & HUGE != 0 {
                // Extent mappings are removed (and their frames freed with their capability) before an
                // address space goes; a 2 MiB page is never a table to walk.
                debug_assert!(false, "a 2 MiB mapping left in a dying address space");
            } else if level > 1 {
                free_table(*entry & ADDRESS_MASK, level - 1, freed);
            } else {
                owners::free(*entry & ADDRESS_MASK);
            }
            *entry = 0;
        }
    }
    freed(table);
    owners::free(table);
}

/// Switches the CPU to address space `root`. (Inlined always, as `sched::switch`: outlined by the
/// compiler when the kernel grows, it cost a transfer 6 instructions each way.)
#[inline(always)]
pub fn activate(root: u64) {
    activate_tagged(root, 0, true);
}

/// Switches to address space `root` with process-context id `pcid` (1..4096) where the CPU has
/// PCIDs: then the TLB entries of other address spaces survive the switch, and this one's are kept
/// too unless `flush` (they may be stale: the id was used by an earlier address space, or pages
/// were unmapped while it was not active). Without PCIDs every switch flushes, as `activate` does.
/// Global (kernel) entries survive either way. Inlined always (on every switch).
#[inline(always)]
pub fn activate_tagged(root: u64, pcid: u64, flush: bool) {
    let cr3 = if cpu::has_pcid() {
        debug_assert!(pcid < 4096);
        root | pcid | if flush { 0 } else { 1 << 63 }
    } else {
        root
    };
    // SAFETY: every root comes from `new_address_space` or `init`, so it maps the kernel half; the
    // PCID bits are only set when CR4.PCIDE is on.
    unsafe { cpu::write_cr3(cr3) };
    crate::stages::stamp(abi::stages::Point::Switched);
}

/// Maps `len` bytes of device memory at physical `pa` uncached into the device window and returns
/// the virtual address (`MMIO_BASE + pa`). Mapping the same page twice is allowed.
pub fn map_device(pa: u64, len: u64) -> u64 {
    let first = pa & !(PAGE_SIZE - 1);
    let mut page = first;
    while page < pa + len {
        let flags = WRITABLE | NO_CACHE | WRITE_THROUGH | GLOBAL | nx();
        match map(kernel_root(), MMIO_BASE + page, page, flags) {
            Ok(()) | Err(MapError::AlreadyMapped) => {}
            Err(MapError::OutOfMemory) => panic!("out of memory mapping device page {page:#x}"),
        }
        cpu::invlpg(MMIO_BASE + page);
        page += PAGE_SIZE;
    }
    MMIO_BASE + pa
}

unsafe extern "C" {
    static __text_start: u8;
    static __text_end: u8;
    static __rodata_start: u8;
    static __rodata_end: u8;
    static __data_start: u8;
    static __data_end: u8;
    static boot_stack_guard: u8;
    static trap_stack_guard: u8;
    static ist_stacks_start: u8;
    static ist1_top: u8;
    static ist2_top: u8;
}

/// Builds the kernel's page tables, switches to them and extends the direct map to every range in
/// `ram` (RAM-like ranges from the firmware's map). Frames come from `frames`, which must hand out
/// frames below 1 GiB at this point (it allocates lowest-first).
pub fn init(ram: impl Iterator<Item = (u64, u64)>) {
    let root = owners::alloc_zeroed().expect("no frame for the kernel PML4");
    // Create every kernel-half PDPT now so that user address spaces share all later kernel mappings.
    for slot in 256..512 {
        let pdpt = owners::alloc_zeroed().expect("no frame for a kernel PDPT");
        // SAFETY: `root` is ours alone until it is loaded into CR3.
        let entries = unsafe { phys::table_mut(root) };
        entries[slot] = pdpt | PRESENT | WRITABLE;
    }
    let mut mapped_end = 0;
    for (start, end) in ram {
        let mut pa = start & !(HUGE_SIZE - 1);
        while pa < end {
            let entry = walk_create(root, PHYS_MAP_BASE + pa, 2, PRESENT | WRITABLE, &mut |_| {}).expect("out of memory");
            *entry = pa | PRESENT | WRITABLE | HUGE | GLOBAL | nx();
            pa += HUGE_SIZE;
        }
        mapped_end = mapped_end.max(pa);
    }
    map_kernel_image(root);
    KERNEL_ROOT.call_once(|| root);
    activate(root);
    phys::set_mapped_end(mapped_end);
}

fn map_kernel_image(root: u64) {
    let sym = |s: &u8| s as *const u8 as u64;
    // SAFETY: linker-script symbols; only their addresses are taken.
    let (text, text_end, ro, ro_end, data, data_end) = unsafe {
        (sym(&__text_start), sym(&__text_end), sym(&__rodata_start), sym(&__rodata_end),
         sym(&__data_start), sym(&__data_end))
    };
    // SAFETY: as above.
    let guards = unsafe {
        [sym(&boot_stack_guard), sym(&trap_stack_guard), sym(&ist_stacks_start), sym(&ist1_top), sym(&ist2_top)]
    };
    let sections = [(text, text_end, 0), (ro, ro_end, nx()), (data, data_end, WRITABLE | nx())];
    for (start, end, flags) in sections {
        let mut va = start;
        while va < end {
            if !guards.contains(&va) {
                map(root, va, va - KERNEL_BASE, flags | GLOBAL).expect("mapping the kernel image");
            }
            va += PAGE_SIZE;
        }
    }
}
