//! Page chains over a pool of up to 255 pages: a free list, and for every page the next page of
//! the chain it is in (a file's pages in order, or the free list). Only atomics, so the chains can
//! live in a page shared by several processes (ExOS's `/tmp` pool keeps them in its header page and
//! holds its own lock around every call); what a page holds is the caller's business, which is
//! why freeing takes a function that zeroes a page.
use core::sync::atomic::{AtomicU64, AtomicU8, Ordering::Relaxed};

/// No page: the end of a chain, an empty chain, an empty free list.
pub const NONE: u8 = 0xff;

/// The chains of a pool of `N` pages (`N` < 255).
#[repr(C)]
pub struct Chains<const N: usize> {
    /// First free page ([`NONE`]: the pool is full).
    free: AtomicU64,
    free_count: AtomicU64,
    /// The page after each page in its chain ([`NONE`]: last).
    next: [AtomicU8; N],
}

impl<const N: usize> Default for Chains<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Chains<N> {
    const FITS: () = assert!(N < NONE as usize);

    /// Zeroed chains: call [`Chains::init`] before use.
    pub const fn new() -> Self {
        let () = Self::FITS;
        Chains { free: AtomicU64::new(0), free_count: AtomicU64::new(0), next: [const { AtomicU8::new(0) }; N] }
    }

    /// Every page free, in order.
    pub fn init(&self) {
        for (i, next) in self.next.iter().enumerate() {
            next.store(if i + 1 < N { i as u8 + 1 } else { NONE }, Relaxed);
        }
        self.free.store(0, Relaxed);
        self.free_count.store(N as u64, Relaxed);
    }

    /// Pages on the free list.
    pub fn free_count(&self) -> usize {
        self.free_count.load(Relaxed) as usize
    }

    /// The page after `page` in its chain ([`NONE`]: last).
    pub fn next(&self, page: u8) -> u8 {
        self.next.get(page as usize).map_or(NONE, |n| n.load(Relaxed))
    }

    /// The `n`th page of the chain starting at `first` ([`NONE`] past its end).
    pub fn nth(&self, first: u8, n: usize) -> u8 {
        let mut page = first;
        for _ in 0..n {
            if page == NONE {
                break;
            }
            page = self.next(page);
        }
        page
    }

    /// Takes a page off the free list (its chain link cleared).
    pub fn take(&self) -> Option<u8> {
        let page = self.free.load(Relaxed) as u8;
        if page == NONE {
            return None;
        }
        self.free.store(u64::from(self.next(page)), Relaxed);
        self.free_count.fetch_sub(1, Relaxed);
        self.next[page as usize].store(NONE, Relaxed);
        Some(page)
    }

    /// Grows the chain starting at `first` to `pages` pages, or as far as the free list goes.
    /// Returns its first page (new if it was empty) and how many pages it has now.
    pub fn extend(&self, first: u8, pages: usize) -> (u8, usize) {
        let (mut first, mut have, mut last) = (first, 0, NONE);
        let mut page = first;
        while page != NONE {
            have += 1;
            last = page;
            page = self.next(page);
        }
        while have < pages {
            let Some(new) = self.take() else { break };
            if last == NONE {
                first = new;
            } else {
                self.next[last as usize].store(new, Relaxed);
            }
            last = new;
            have += 1;
        }
        (first, have)
    }

    /// Frees the chain starting at `page`, calling `zero` on each page first (free pages are kept
    /// zeroed).
    pub fn free_chain(&self, mut page: u8, zero: &mut impl FnMut(u8)) {
        while page != NONE {
            let next = self.next(page);
            zero(page);
            self.next[page as usize].store(self.free.load(Relaxed) as u8, Relaxed);
            self.free.store(u64::from(page), Relaxed);
            self.free_count.fetch_add(1, Relaxed);
            page = next;
        }
    }

    /// Keeps the first `pages` pages of the chain starting at `first` and frees the rest (see
    /// [`Chains::free_chain`]). Returns the chain's first page: `first`, or [`NONE`] for 0 pages.
    pub fn keep(&self, first: u8, pages: usize, zero: &mut impl FnMut(u8)) -> u8 {
        if pages == 0 {
            self.free_chain(first, zero);
            return NONE;
        }
        let last = self.nth(first, pages - 1);
        if last != NONE {
            self.free_chain(self.next(last), zero);
            self.next[last as usize].store(NONE, Relaxed);
        }
        first
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn chain(c: &Chains<8>, first: u8) -> Vec<u8> {
        let mut out = Vec::new();
        let mut page = first;
        while page != NONE {
            out.push(page);
            page = c.next(page);
        }
        out
    }

    #[test]
    fn pages_come_in_order_and_go_back_zeroed() {
        let c = Chains::<8>::new();
        c.init();
        let (first, have) = c.extend(NONE, 3);
        assert_eq!((chain(&c, first), have, c.free_count()), (alloc::vec![0, 1, 2], 3, 5));
        let mut zeroed = Vec::new();
        assert_eq!(c.keep(first, 1, &mut |p| zeroed.push(p)), first);
        assert_eq!((chain(&c, first), zeroed, c.free_count()), (alloc::vec![0], alloc::vec![1, 2], 7));
        assert_eq!(c.keep(first, 0, &mut |_| {}), NONE);
        assert_eq!(c.free_count(), 8);
    }

    #[test]
    fn a_chain_grows_as_far_as_the_pool_goes() {
        let c = Chains::<8>::new();
        c.init();
        let (a, _) = c.extend(NONE, 2);
        let (b, have) = c.extend(NONE, 10);
        assert_eq!((have, c.free_count(), c.take()), (6, 0, None));
        assert_eq!(c.nth(b, 5), 7);
        assert_eq!(c.nth(b, 6), NONE);
        c.free_chain(a, &mut |_| {});
        let (a, have) = c.extend(NONE, 1);
        assert_eq!(have, 1);
        assert_eq!(c.extend(a, 3), (a, 2));
    }

    #[test]
    fn keeping_more_than_there_is_changes_nothing() {
        let c = Chains::<8>::new();
        c.init();
        let (first, _) = c.extend(NONE, 2);
        assert_eq!(c.keep(first, 5, &mut |_| panic!("nothing to free")), first);
        assert_eq!(chain(&c, first).len(), 2);
        assert_eq!(c.next(200), NONE);
    }
}
