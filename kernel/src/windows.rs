//! The read-only windows the kernel publishes in every address space (`abi::layout`), written
//! here and nowhere else: the page-ownership table (kept by `mem::owners`, mapped here), the
//! capability-count table, the environment table, the time-slice vector, the system information,
//! the boot arguments, the boot archive, and each environment's own revocation page. (The
//! statistics window is `stats.rs`'s.) Each writer above publishes through one function here;
//! this file calls nothing but `mem`.
use crate::mem::{frames, owners, paging, phys};
use abi::layout::{PAGE_SIZE, REPOSSESSED_BASE, REPOSSESSED_CAPACITY, REPOSSESSED_ENTRIES, REVOKE_DEADLINE, REVOKE_PAGES};
use core::sync::atomic::{AtomicU64, Ordering};

/// Maps the windows every address space shares: the ownership table (`mem::owners`), the
/// capability-count table and the environment-table page (which also holds the slice vector,
/// the system information and the boot arguments). Call after the heap exists, before the first
/// environment.
pub fn init() {
    let (table, pages) = owners::init();
    let count = frames::frame_count();
    let refs = frames::alloc_contiguous(pages).expect("no memory for the capability-count table");
    for p in 0..pages {
        phys::zero_frame(refs + p * PAGE_SIZE);
        // Taken after the ownership table was built: record them as the kernel's.
        owners::set(refs + p * PAGE_SIZE, abi::layout::OWNER_KERNEL);
    }
    ENTRIES.store(count, Ordering::Relaxed);
    REFS.store(refs, Ordering::Release);
    let env_table = kernel_pages(abi::layout::ENV_WINDOW_PAGES).expect("no memory for the environment table");
    ENV_TABLE.store(env_table, Ordering::Release);
    paging::map_shared_window(abi::layout::PAGE_OWNERS_BASE, table, pages);
    paging::map_shared_window(abi::layout::PAGE_REFS_BASE, refs, pages);
    paging::map_shared_window(abi::layout::ENV_TABLE_BASE, env_table, abi::layout::ENV_WINDOW_PAGES);
    write_sysinfo(|info| (info.total_pages, info.frames) = (frames::usable_count(), count));
    log::info!("ownership table of {count} pages at {table:#x} ({pages} frames)");
}

/// `pages` contiguous zeroed frames the kernel keeps for a window (recorded as the kernel's in the
/// ownership table); the first one's physical address.
pub fn kernel_pages(pages: u64) -> Option<u64> {
    let first = frames::alloc_contiguous(pages)?;
    for p in 0..pages {
        phys::zero_frame(first + p * PAGE_SIZE);
        owners::set(first + p * PAGE_SIZE, abi::layout::OWNER_KERNEL);
    }
    Some(first)
}

/// How many pages the capability-count table describes (0 until `init`).
static ENTRIES: AtomicU64 = AtomicU64::new(0);

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
        owners::set(copy + p * PAGE_SIZE, abi::layout::OWNER_KERNEL);
    }
    for (i, chunk) in bytes.chunks(PAGE_SIZE as usize).enumerate() {
        phys::write(copy + i as u64 * PAGE_SIZE, chunk);
    }
    paging::map_shared_window(abi::layout::INITRD_BASE, copy, pages);
    write_sysinfo(|info| info.initrd_size = bytes.len() as u64);
}

/// Updates the published system information (`SYSINFO_BASE`); called at every interrupt.
pub fn tick(ticks: u64, now_ns: u64) {
    write_sysinfo(|info| {
        info.ticks = ticks;
        info.uptime_ns = now_ns;
        info.free_pages = frames::free_count();
    });
}

/// Publishes the clock (`abi::now_ns`'s parameters): the TSC at time zero and its rate.
pub fn publish_clock(boot_tsc: u64, tsc_per_ms: u64) {
    write_sysinfo(|info| (info.boot_tsc, info.tsc_per_ms) = (boot_tsc, tsc_per_ms));
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
    let mut info = abi::SysInfo::from_words(core::array::from_fn(|i| word(i as u64)));
    change(&mut info);
    let words = info.words();
    for (i, value) in words.into_iter().enumerate() {
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

/// Physical address of the environment table's first page (0 until `init`; its
/// `ENV_WINDOW_PAGES` pages are contiguous).
static ENV_TABLE: AtomicU64 = AtomicU64::new(0);

/// Publishes environment table record `index` (read-only to every environment) under the sequence
/// protocol (`abi::seqlock`): its sequence word goes odd, the record changes, the word goes even.
/// (On one CPU with interrupts off no program runs in between; the odd value is the protocol's, for
/// a reader that could.)
pub fn publish_env(index: usize, info: abi::EnvInfo) {
    let table = ENV_TABLE.load(Ordering::Acquire);
    if table != 0 && index < abi::MAX_ENVS {
        let sequence = (abi::layout::ENV_SEQ_BASE - abi::layout::ENV_TABLE_BASE) as usize + index * 8;
        phys::write_u32s_sequenced(table, abi::layout::ENV_WINDOW_PAGES, sequence, index * 16, &[info.id, info.parent, info.state, info.pages]);
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

/// Shows the request pending against the address space `root` in its revocation page
/// (`REPOSSESSED_BASE`): the pages owed, then the deadline (both 0 when none is pending), written
/// in that order.
pub fn publish_revocation(root: u64, owed: u64, deadline: u64) {
    let Some((page, _)) = paging::translate(root, REPOSSESSED_BASE) else { return };
    phys::write(page + (REVOKE_DEADLINE - REPOSSESSED_BASE), &0u64.to_le_bytes());
    phys::write(page + (REVOKE_PAGES - REPOSSESSED_BASE), &owed.to_le_bytes());
    phys::write(page + (REVOKE_DEADLINE - REPOSSESSED_BASE), &deadline.to_le_bytes());
}

/// Appends `pa` to the repossession vector in the revocation page of the address space `root`.
pub fn record_repossessed(root: u64, pa: u64) {
    let Some((vector, _)) = paging::translate(root, REPOSSESSED_BASE) else { return };
    let count = u64::from_le_bytes(phys::bytes(vector, 8).try_into().expect("8 bytes"));
    let entry = REPOSSESSED_ENTRIES - REPOSSESSED_BASE + (count % REPOSSESSED_CAPACITY) * 8;
    phys::write(vector + entry, &pa.to_le_bytes());
    phys::write(vector, &(count + 1).to_le_bytes());
}
