//! Physical pages for environments: explicit allocation by page number, freeing, and the
//! page-ownership table every environment can read.
//!
//! Expose allocation and physical names: a library OS asks for page N (or any page) and gets a
//! root capability for it (`cap.rs`); the page is zeroed first. Pages the kernel uses (its image,
//! heap, page tables, the ownership table itself) and device memory are never free, so never
//! allocatable. Each environment holds at most `abi::PAGE_QUOTA` pages through this call.
//!
//! The ownership table is an array of `u32`, one per physical page: 0 free, `OWNER_KERNEL` the
//! kernel, else the id of the owning environment. It is mapped read-only at `PAGE_OWNERS_BASE`.
//! The environment table (`abi::EnvInfo` per table index) lives here too, read-only at
//! `ENV_TABLE_BASE`; `sched` publishes into it.
use crate::mem::{frames, paging, phys};
use abi::layout::{OWNER_KERNEL, PAGE_SIZE};
use core::sync::atomic::{AtomicU64, Ordering};

// `page_alloc` returns `address | slot`, so slots must fit below the page offset.
const _: () = assert!(kcore::cap::MAX_SLOTS <= PAGE_SIZE as usize);

/// Physical address of the table (0 until `init`).
static TABLE: AtomicU64 = AtomicU64::new(0);
static ENTRIES: AtomicU64 = AtomicU64::new(0);

/// Builds the ownership table from the frame allocator's state and maps it into the window every
/// address space shares. Call after the heap exists, before the first environment.
pub fn init() {
    let count = frames::frame_count();
    let pages = (count * 4).div_ceil(PAGE_SIZE);
    let table = frames::alloc_contiguous(pages).expect("no memory for the page-ownership table");
    let mut page = [0u8; PAGE_SIZE as usize];
    for p in 0..pages {
        for (i, entry) in page.chunks_exact_mut(4).enumerate() {
            let frame = p * (PAGE_SIZE / 4) + i as u64;
            let owner = if frame < count && frames::is_free(frame) { 0 } else { OWNER_KERNEL };
            entry.copy_from_slice(&owner.to_le_bytes());
        }
        phys::write(table + p * PAGE_SIZE, &page);
    }
    let refs = frames::alloc_contiguous(pages).expect("no memory for the capability-count table");
    for p in 0..pages {
        phys::zero_frame(refs + p * PAGE_SIZE);
    }
    ENTRIES.store(count, Ordering::Relaxed);
    TABLE.store(table, Ordering::Release);
    REFS.store(refs, Ordering::Release);
    let env_table = frames::alloc_zeroed().expect("no memory for the environment table");
    ENV_TABLE.store(env_table, Ordering::Release);
    paging::map_shared_window(abi::layout::PAGE_OWNERS_BASE, table, pages);
    paging::map_shared_window(abi::layout::PAGE_REFS_BASE, refs, pages);
    paging::map_shared_window(abi::layout::ENV_TABLE_BASE, env_table, 1);
    write_sysinfo(|info| info.total_pages = count);
    log::info!("ownership table of {count} pages at {table:#x} ({pages} frames)");
}

/// Physical address of the capability-count table (0 until `init`).
static REFS: AtomicU64 = AtomicU64::new(0);

/// One more (`delta` = 1) or one fewer (-1) capability names the page at `pa`.
pub fn add_ref(pa: u64, delta: i32) {
    let table = REFS.load(Ordering::Acquire);
    let frame = pa / PAGE_SIZE;
    if table != 0 && frame < ENTRIES.load(Ordering::Relaxed) {
        let at = table + frame * 4;
        let now = phys::read_u32(at).wrapping_add_signed(delta);
        phys::write_u32(at, now);
    }
}

/// Copies the boot archive to fresh page-aligned frames and maps them read-only at
/// `INITRD_BASE` in every address space (a library OS loads programs from it itself).
pub fn publish_initrd(bytes: &[u8]) {
    let pages = (bytes.len() as u64).div_ceil(PAGE_SIZE);
    let Some(copy) = frames::alloc_contiguous(pages.max(1)) else {
        log::warn!("no memory to publish the boot archive to environments");
        return;
    };
    for p in 0..pages.max(1) {
        phys::zero_frame(copy + p * PAGE_SIZE);
    }
    for (i, chunk) in bytes.chunks(PAGE_SIZE as usize).enumerate() {
        phys::write(copy + i as u64 * PAGE_SIZE, chunk);
    }
    paging::map_shared_window(abi::layout::INITRD_BASE, copy, pages);
    write_sysinfo(|info| info.initrd_size = bytes.len() as u64);
}

/// Updates the published system information (`SYSINFO_BASE`); called at every timer tick.
pub fn tick(ticks: u64) {
    write_sysinfo(|info| {
        info.ticks = ticks;
        info.free_pages = frames::free_count();
    });
}

/// Publishes how many typed bytes wait for `console_read` (`input.rs`).
pub fn publish_console_input(count: u64) {
    write_sysinfo(|info| info.console_input = count);
}

fn write_sysinfo(change: impl FnOnce(&mut abi::SysInfo)) {
    let table = ENV_TABLE.load(Ordering::Acquire);
    if table == 0 {
        return;
    }
    let base = table + (abi::layout::SYSINFO_BASE - abi::layout::ENV_TABLE_BASE);
    let word = |i: u64| u64::from(phys::read_u32(base + i * 8)) | u64::from(phys::read_u32(base + i * 8 + 4)) << 32;
    let mut info = abi::SysInfo { initrd_size: word(0), total_pages: word(1), free_pages: word(2), ticks: word(3), console_input: word(4) };
    change(&mut info);
    for (i, value) in [info.initrd_size, info.total_pages, info.free_pages, info.ticks, info.console_input].into_iter().enumerate() {
        phys::write_u32(base + i as u64 * 8, value as u32);
        phys::write_u32(base + i as u64 * 8 + 4, (value >> 32) as u32);
    }
}

/// Publishes the boot programs' arguments at `BOOT_ARGS_BASE`; false (nothing published) if they do
/// not fit.
pub fn publish_boot_args(args: &str) -> bool {
    let table = ENV_TABLE.load(Ordering::Acquire);
    if table == 0 || args.len() >= abi::layout::BOOT_ARGS_MAX {
        return false;
    }
    phys::write(table + (abi::layout::BOOT_ARGS_BASE - abi::layout::ENV_TABLE_BASE), args.as_bytes());
    true
}

/// Physical address of the environment table page (0 until `init`).
static ENV_TABLE: AtomicU64 = AtomicU64::new(0);

/// Publishes environment table record `index` (read-only to every environment).
pub fn publish_env(index: usize, info: abi::EnvInfo) {
    let table = ENV_TABLE.load(Ordering::Acquire);
    if table != 0 {
        let record = table + index as u64 * 16;
        phys::write_u32s(record, &[info.id, info.parent, info.state, info.pages]);
    }
}

/// Publishes the time-slice vector (owners' ids) and the timer's position.
pub fn publish_slices(slices: &[u64], position: usize) {
    let table = ENV_TABLE.load(Ordering::Acquire);
    if table != 0 {
        let base = table + (abi::layout::SLICE_TABLE_BASE - abi::layout::ENV_TABLE_BASE);
        for (i, owner) in slices.iter().copied().chain([position as u64]).enumerate() {
            phys::write_u32(base + i as u64 * 4, owner as u32);
        }
    }
}

/// Records that the page at physical address `pa` now belongs to `owner`.
pub fn set_owner(pa: u64, owner: u32) {
    let table = TABLE.load(Ordering::Acquire);
    let frame = pa / PAGE_SIZE;
    if table != 0 && frame < ENTRIES.load(Ordering::Relaxed) {
        phys::write_u32(table + frame * 4, owner);
    }
}

/// The most pages all environments may hold together (`user_pages=` on the command line).
static BUDGET: AtomicU64 = AtomicU64::new(u64::MAX);
/// Pages all environments hold together through `page_alloc`.
static HELD: AtomicU64 = AtomicU64::new(0);

/// Limits the pages all environments may hold together.
pub fn set_budget(pages: u64) {
    BUDGET.store(pages, Ordering::Relaxed);
}

/// The loader gave environment `owner` the page at `pa` as if it had allocated it.
pub fn note_held(pa: u64, owner: u64) {
    HELD.fetch_add(1, Ordering::Relaxed);
    set_owner(pa, owner as u32);
}

/// Whether all environments together hold their budget of pages (`user_pages=`).
pub fn over_budget() -> bool {
    HELD.load(Ordering::Relaxed) >= BUDGET.load(Ordering::Relaxed)
}

/// A page allocated through `page_alloc` was freed.
pub fn note_freed() {
    HELD.fetch_sub(1, Ordering::Relaxed);
}
