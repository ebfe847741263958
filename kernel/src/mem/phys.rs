//! Access to physical memory through the kernel's direct map at `PHYS_MAP_BASE`.
//!
//! This is the only module that turns a physical address into a Rust reference. Before
//! `paging::init` switches to the kernel's own tables, only the first GiB is mapped (by the boot
//! stub); the functions below check that.
use abi::layout::{PAGE_SIZE, PHYS_MAP_BASE};
use core::sync::atomic::{fence, AtomicU64, Ordering};

/// One past the highest physical address the direct map currently covers.
static MAPPED_END: AtomicU64 = AtomicU64::new(1 << 30);

/// Records that the direct map now covers `[0, end)` (called by `paging::init`).
pub fn set_mapped_end(end: u64) {
    MAPPED_END.store(end, Ordering::Release);
}

/// The kernel virtual address of physical address `pa`.
pub fn to_virt(pa: u64) -> u64 {
    PHYS_MAP_BASE + pa
}

fn check(pa: u64, len: u64) {
    let end = pa.checked_add(len).expect("physical range wraps");
    assert!(end <= MAPPED_END.load(Ordering::Acquire), "physical range {pa:#x}+{len:#x} is not in the direct map");
}

/// A read-only view of `len` bytes of physical memory that nobody writes while the view lives:
/// reserved boot data (information block, initrd), or a frame of an environment that is not running
/// (the kernel is single-threaded with interrupts off, so nothing runs while the kernel reads).
pub fn bytes(pa: u64, len: u64) -> &'static [u8] {
    check(pa, len);
    // SAFETY: the range is inside the direct map (checked), which maps it readable for the kernel's
    // lifetime; by the contract above nothing writes it while the returned view is used.
    unsafe { core::slice::from_raw_parts(to_virt(pa) as *const u8, len as usize) }
}

/// A mutable view of one whole physical frame the caller owns exclusively (a fresh allocation or
/// a page-table page it manages).
///
/// # Safety
/// `pa` must be page-aligned and no other reference to the frame may exist while the view lives.
pub unsafe fn frame_mut(pa: u64) -> &'static mut [u8; PAGE_SIZE as usize] {
    debug_assert_eq!(pa % PAGE_SIZE, 0);
    check(pa, PAGE_SIZE);
    // SAFETY: mapped (checked) and exclusively owned (the caller's contract).
    unsafe { &mut *(to_virt(pa) as *mut [u8; PAGE_SIZE as usize]) }
}

/// A page-table page as 512 entries.
///
/// # Safety
/// As for [`frame_mut`]: `pa` must be a page-table page the caller is allowed to modify, with no
/// other live reference to it.
pub unsafe fn table_mut(pa: u64) -> &'static mut [u64; 512] {
    check(pa, PAGE_SIZE);
    // SAFETY: mapped (checked), aligned (page tables are frames), exclusively borrowed (contract).
    unsafe { &mut *(to_virt(pa) as *mut [u64; 512]) }
}

/// Writes `data` into physical memory at `pa`, within one frame that belongs to an environment
/// that is not running (the kernel is single-threaded with interrupts off, so no one else can be
/// touching it) and that no kernel reference points into.
pub fn write(pa: u64, data: &[u8]) {
    assert!(pa % PAGE_SIZE + data.len() as u64 <= PAGE_SIZE, "phys::write crosses a frame");
    // SAFETY: the frame belongs to an environment the kernel is acting for; nothing else holds a
    // reference into it (the contract above), and the range stays inside the frame (asserted).
    let frame = unsafe { frame_mut(pa & !(PAGE_SIZE - 1)) };
    let offset = (pa % PAGE_SIZE) as usize;
    frame[offset..offset + data.len()].copy_from_slice(data);
}

/// Writes `words` at `pa` (8-byte aligned), within one frame, under the contract of [`write`]:
/// a fixed-size array, so the copy compiles to plain stores (the exception upcall's frame).
pub fn write_words<const N: usize>(pa: u64, words: &[u64; N]) {
    assert!(pa.is_multiple_of(8) && pa % PAGE_SIZE + 8 * N as u64 <= PAGE_SIZE, "phys::write_words at {pa:#x}");
    check(pa, 8 * N as u64);
    // SAFETY: mapped (checked), aligned and inside one frame (asserted); the frame belongs to an
    // environment the kernel acts for and no Rust reference points into it (as for `write`).
    unsafe { (to_virt(pa) as *mut [u64; N]).write(*words) };
}

/// Writes one little-endian `u32` at `pa` (4-byte aligned) in kernel-owned memory that user space
/// may only read (the published tables): a single volatile store, for hot paths.
pub fn write_u32(pa: u64, value: u32) {
    write_u32s(pa, &[value]);
}

/// Writes `values` as consecutive little-endian `u32`s at `pa` (4-byte aligned), each with one
/// volatile store, in kernel-owned memory user space may only read: one check for the record
/// (a published environment record is written on every protected control transfer).
pub fn write_u32s<const N: usize>(pa: u64, values: &[u32; N]) {
    assert!(pa.is_multiple_of(4), "unaligned u32 at {pa:#x}");
    check(pa, 4 * N as u64);
    let base = to_virt(pa) as *mut u32;
    for (i, &value) in values.iter().enumerate() {
        // SAFETY: mapped (checked for the whole record) and aligned (asserted); the kernel owns
        // these tables and holds no reference into them.
        unsafe { base.add(i).write_volatile(value) };
    }
}

/// Reads one little-endian `u64` at `pa` (8-byte aligned) of memory an environment may be writing
/// (a receive ring's consumer index): a single volatile load, whatever value it holds.
pub fn read_u64(pa: u64) -> u64 {
    assert!(pa.is_multiple_of(8), "unaligned u64 at {pa:#x}");
    check(pa, 8);
    // SAFETY: mapped (checked) and aligned (asserted); a plain load, no reference is kept.
    unsafe { (to_virt(pa) as *const u64).read_volatile() }
}

/// Reads one little-endian `u32` at `pa` (4-byte aligned) of a published table.
pub fn read_u32(pa: u64) -> u32 {
    assert!(pa.is_multiple_of(4), "unaligned u32 at {pa:#x}");
    check(pa, 4);
    // SAFETY: mapped (checked) and aligned (asserted); a plain load from a kernel-owned table.
    unsafe { (to_virt(pa) as *const u32).read_volatile() }
}

/// Writes `values` as consecutive `u32`s at byte `record` (4-byte aligned) of the `frames`
/// contiguous frames from `frame` inside the bracket of the `u64` sequence word at byte `sequence`
/// (8-byte aligned) of the same run: the word goes to the odd value of `abi::seqlock::bracket`, the values are stored, the
/// word goes to the even one; every store volatile, in kernel-owned memory user space may only
/// read (a published table's record). Inlined with one check: this runs on every protected control
/// transfer and every `page_alloc`, and a caller's constant offsets fold the bounds away.
#[inline(always)]
pub fn write_u32s_sequenced<const N: usize>(frame: u64, frames: u64, sequence: usize, record: usize, values: &[u32; N]) {
    let size = (frames * PAGE_SIZE) as usize;
    assert!(
        frame.is_multiple_of(PAGE_SIZE) && sequence.is_multiple_of(8) && sequence <= size - 8 && record.is_multiple_of(4) && record <= size - 4 * N,
        "a sequenced record outside its frames"
    );
    check(frame, size as u64);
    let word = (to_virt(frame) + sequence as u64) as *mut u64;
    let base = (to_virt(frame) + record as u64) as *mut u32;
    // SAFETY: both addresses are mapped (the run is checked), aligned and inside that run
    // (asserted); the kernel owns these tables and holds no reference into them.
    let (odd, even) = abi::seqlock::bracket(unsafe { word.read_volatile() });
    // SAFETY: as above.
    unsafe { word.write_volatile(odd) };
    fence(Ordering::Release);
    for (i, &value) in values.iter().enumerate() {
        // SAFETY: as above (`i` < N, and the record fits in the run).
        unsafe { base.add(i).write_volatile(value) };
    }
    fence(Ordering::Release);
    // SAFETY: as above.
    unsafe { word.write_volatile(even) };
}

/// Fills a frame with zeros.
pub fn zero_frame(pa: u64) {
    // SAFETY: callers zero frames they just allocated and therefore own exclusively.
    unsafe { frame_mut(pa) }.fill(0);
}
