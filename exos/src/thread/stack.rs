//! Thread stacks: pages the library allocates and maps itself, each stack at the top of its own
//! 16 MiB window of the region at [`STACKS_BASE`], so the unmapped rest of the window below it is
//! a guard: a thread that overflows its stack faults instead of overwriting another's.
use crate::sys::syscall::{sys_page_alloc, sys_page_free, sys_page_map};
use abi::{Error, MapUpdate, Rights, ANY_PAGE, MAX_MAP_BATCH};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

/// Where thread stacks live in every program that uses `exos::thread`.
pub use crate::layout::STACKS_BASE;
/// The virtual span of one stack window: the largest stack is this minus one guard page.
pub const WINDOW: u64 = crate::layout::STACK_WINDOW;
/// How many windows the region holds (it ends at `STACKS_BASE + WINDOWS * WINDOW`).
pub const WINDOWS: u64 = crate::layout::STACK_WINDOWS;
const PAGE: u64 = 4096;

/// The next never-used window.
static NEXT_WINDOW: AtomicU64 = AtomicU64::new(0);

/// A mapped stack; dropping it unmaps and frees its pages (its window is not reused).
pub struct Stack {
    top: u64,
    /// Capability slots of its pages, from the top down.
    pages: Vec<u64>,
}

impl Stack {
    /// Maps a stack of `size` bytes (rounded up to whole pages; at most `WINDOW - 4096`).
    pub fn new(size: usize) -> Result<Stack, Error> {
        let size = (size as u64).next_multiple_of(PAGE);
        if size == 0 || size > WINDOW - PAGE {
            return Err(Error::BadArgument);
        }
        let window = NEXT_WINDOW.fetch_add(1, Ordering::Relaxed);
        if window >= WINDOWS {
            return Err(Error::NoMemory);
        }
        let mut stack = Stack { top: STACKS_BASE + (window + 1) * WINDOW, pages: Vec::with_capacity((size / PAGE) as usize) };
        let rw = Rights::READ.0 | Rights::WRITE.0;
        let mut updates = Vec::with_capacity(stack.pages.capacity());
        for i in 0..size / PAGE {
            let (_, slot) = sys_page_alloc(ANY_PAGE)?; // `stack` frees the pages so far on return
            stack.pages.push(slot);
            updates.push(MapUpdate { op: MapUpdate::MAP, va: stack.top - (i + 1) * PAGE, slot, rights: rw });
        }
        for batch in updates.chunks(MAX_MAP_BATCH as usize) {
            if let (_, Some(e)) = sys_page_map(batch) {
                return Err(e);
            }
        }
        Ok(stack)
    }

    /// The address just above the stack (16-byte aligned): the first push goes below it.
    pub fn top(&self) -> u64 {
        self.top
    }

    /// The stack's size in bytes.
    pub fn size(&self) -> usize {
        self.pages.len() * PAGE as usize
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // Freeing a page removes its mappings too.
        for &slot in &self.pages {
            let _ = sys_page_free(slot);
        }
    }
}
