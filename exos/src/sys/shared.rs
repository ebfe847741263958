//! Views of memory that is not Rust's: pages the library maps at addresses of its own areas
//! (`layout.rs`) and shares with other processes or fills for a child (status pages, the `/tmp`
//! pool, the terminal, IPC regions, scratch pages). Every other module reaches such memory
//! through [`Mapped`]; with the system-call stubs and the kernel's windows (`syscall.rs`,
//! `vm.rs`), this is where ExOS dereferences addresses it computed.
//!
//! # Safety
//!
//! The views rest on one library-wide rule: a page of one of the library's areas is mapped by the
//! module that owns the area before that module builds a view of it, and unmapped by it only after
//! its last use of the view (no reference a view handed out outlives the mapping). [`Mapped::new`]
//! states the rule for one view; [`Mapped::library`] is the owners' shorthand for ranges of the
//! library's areas ([`in_library_area`]).
#![allow(unsafe_code)]

use core::sync::atomic::{AtomicU32, AtomicU64, AtomicU8};

/// Types that may live in shared pages: atomics only, valid for any bits (a page another process
/// writes, or a fresh zeroed one), so a shared reference to one is sound while the page is mapped.
///
/// # Safety
///
/// Only for types made of atomics (arrays and `repr(C)` structs of them included) with no
/// padding that is read.
pub unsafe trait Shared: Sync {}

// SAFETY: an atomic is valid for any bits and is `Sync`.
unsafe impl Shared for AtomicU64 {}
// SAFETY: as above.
unsafe impl Shared for AtomicU32 {}
// SAFETY: as above.
unsafe impl Shared for AtomicU8 {}
// SAFETY: `repr(C)`, atomics only (u64 words, then u8 arrays; no padding is read).
unsafe impl Shared for exoscore::tty::Terminal {}
// SAFETY: `repr(C)`, atomics only (the file table's words and names, the chains' words and
// next-page bytes); padding after a name array is never read.
unsafe impl Shared for exoscore::pool::Header {}

/// A view of `len` bytes of mapped memory at `base`: shared structures ([`Mapped::at`]) and
/// copies in and out. Bounds are checked; what the memory holds is the owner's protocol.
#[derive(Clone, Copy, Debug)]
pub struct Mapped {
    base: u64,
    len: usize,
}

impl Mapped {
    /// A view of `[base, base + len)`.
    ///
    /// # Safety
    ///
    /// The range must be mapped readable and writable for as long as the view, its copies and the
    /// references it hands out are used, and hold no Rust object of this process; bytes another
    /// process may write meanwhile must be reached only as [`Shared`] types ([`Mapped::at`]), and
    /// bytes copied in or out only where the owner's protocol gives this process the range.
    pub const unsafe fn new(base: u64, len: usize) -> Mapped {
        Mapped { base, len }
    }

    /// A view of a range of the library's own areas (`layout.rs`), which the module that owns the
    /// area mapped and keeps mapped while it uses the view (the rule of the module documentation).
    /// Crate-private: only the library's own modules follow that rule.
    #[inline]
    pub(crate) fn library(base: u64, len: usize) -> Mapped {
        debug_assert!(in_library_area(base, len), "{base:#x}+{len:#x} is not in a library area");
        // SAFETY: the library-wide rule: the owner of the area mapped it before building the view
        // and unmaps it only after its last use; no Rust object lives in these areas.
        unsafe { Mapped::new(base, len) }
    }

    /// The first address.
    #[inline]
    pub fn base(&self) -> u64 {
        self.base
    }

    /// Its length in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    fn check(&self, offset: usize, len: usize) {
        assert!(offset.checked_add(len).is_some_and(|end| end <= self.len), "outside the view");
    }

    /// The shared structure at byte `offset` (aligned for `T`, inside the view).
    #[inline]
    pub fn at<T: Shared>(&self, offset: usize) -> &'static T {
        assert!(offset.is_multiple_of(core::mem::align_of::<T>()) && offset + core::mem::size_of::<T>() <= self.len);
        // SAFETY: in bounds and aligned (checked); mapped for as long as the reference is used
        // (`new`'s contract); `T: Shared` is valid for any bits and only mutated atomically.
        unsafe { &*((self.base as usize + offset) as *const T) }
    }

    /// Copies `bytes` in at byte `offset` (which must fit).
    #[inline]
    pub fn write_bytes(&self, offset: usize, bytes: &[u8]) {
        self.check(offset, bytes.len());
        // SAFETY: the range is inside the view (checked) and mapped writable; `bytes` is memory of
        // this process outside the view's areas (no Rust object lives there), so they do not
        // overlap; the owner's protocol gives this process the range.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), (self.base as usize + offset) as *mut u8, bytes.len()) }
    }

    /// Copies `out.len()` bytes out from byte `offset` (which must fit).
    #[inline]
    pub fn read_bytes(&self, offset: usize, out: &mut [u8]) {
        self.check(offset, out.len());
        // SAFETY: as in `write_bytes`, the other way round.
        unsafe { core::ptr::copy_nonoverlapping((self.base as usize + offset) as *const u8, out.as_mut_ptr(), out.len()) }
    }

    /// Sets `len` bytes from byte `offset` (which must fit) to `byte`.
    #[inline]
    pub fn fill(&self, offset: usize, len: usize, byte: u8) {
        self.check(offset, len);
        // SAFETY: inside the view (checked), mapped writable, the owner's range.
        unsafe { core::ptr::write_bytes((self.base as usize + offset) as *mut u8, byte, len) }
    }

    /// Bytes `[offset, offset + len)` to fill or read in place, for as long as `holder` (the one
    /// handle of this process on the range, e.g. an IPC region) is borrowed: the owner's protocol
    /// must give this process the range meanwhile.
    #[inline]
    pub fn slice_mut<'a, H>(&self, _holder: &'a mut H, offset: usize, len: usize) -> &'a mut [u8] {
        self.check(offset, len);
        // SAFETY: inside the view (checked) and mapped writable while the holder lives; the
        // `&mut` borrow of the holder keeps this process from taking a second slice through it,
        // and the protocol keeps other processes away from the range.
        unsafe { core::slice::from_raw_parts_mut((self.base as usize + offset) as *mut u8, len) }
    }

    /// The bytes of the view (memory no one writes while they are used: a start block, code).
    #[inline]
    pub fn bytes(&self) -> &'static [u8] {
        // SAFETY: mapped readable for as long as the slice is used (`new`'s contract); the
        // callers read only memory nothing writes meanwhile.
        unsafe { core::slice::from_raw_parts(self.base as *const u8, self.len) }
    }

    /// Copies the whole of `from` (the same length) into this view.
    #[inline]
    pub fn copy_from(&self, from: &Mapped) {
        self.check(0, from.len);
        // SAFETY: both ranges are mapped (each view's contract), `self` writable; they are
        // distinct pages (a scratch page and the page it copies), so they do not overlap.
        unsafe { core::ptr::copy_nonoverlapping(from.base as *const u8, self.base as *mut u8, from.len) }
    }
}

/// Whether `[base, base + len)` lies in one of the library's areas: where only the library maps
/// pages for its own use (the program's image, heap and stacks are elsewhere).
pub(crate) fn in_library_area(base: u64, len: usize) -> bool {
    use crate::layout::{INITIAL_STACK, IPC_AREA, MMAP, PRIVATE, STACKS};
    let end = base.saturating_add(len as u64);
    [IPC_AREA, PRIVATE, MMAP, STACKS, INITIAL_STACK].iter().any(|area| area.start <= base && end <= area.end)
}

/// Copies the 4 KiB page at user address `from` to the one at `to`. Both must be mapped, `to`
/// writable, and neither may be a Rust object in use (the library's scratch mappings).
/// Crate-private: its callers (fork, copy-on-write) hold that rule; a program cannot call it.
pub(crate) fn copy_page(from: u64, to: u64) {
    // SAFETY: the caller guarantees both pages are mapped (`to` writable) and that no Rust
    // reference points into `to`; 4096 bytes stay within each page (both page-aligned).
    unsafe { core::ptr::copy_nonoverlapping(from as *const u8, to as *mut u8, 4096) }
}

/// A writable view of the library's scratch page at `va` (mapped read-write by the caller, which
/// fills it and unmaps it before anything else uses that address). Crate-private, as `copy_page`.
pub(crate) fn scratch_page(va: u64) -> &'static mut [u8; 4096] {
    // SAFETY: the caller just mapped a fresh page read-write at `va` (page-aligned) for this use
    // only and holds no other reference to it.
    unsafe { &mut *(va as *mut [u8; 4096]) }
}

/// The process's start block at `at` (to the end of its page), which stays mapped and unchanged
/// for the process's life (it sits above the initial stack pointer). Crate-private, as `copy_page`.
pub(crate) fn start_block(at: u64) -> &'static [u8] {
    let len = (4096 - (at & 0xfff)) as usize;
    // SAFETY: `spawn` maps the start block's page read-write in the child and nothing writes it
    // after start; the caller checked `at` is mapped; the range ends within that page.
    unsafe { core::slice::from_raw_parts(at as *const u8, len) }
}
