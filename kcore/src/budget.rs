//! Memory budgets: the arithmetic of the pages an environment may have charged, hierarchical
//! (a creator gives each child a budget out of its own), checked for overflow and underflow.
//!
//! A [`Budget`] is a `limit` and what is `used` of it. Everything the kernel spends on behalf of
//! an environment (a page, a page-table page, mapping records, its own record) is [`Budget::charge`]d
//! to the one that caused it and [`Budget::refund`]ed when it goes. A child's budget is a
//! reservation in its creator's: [`give`] charges the parent and raises the child's limit,
//! [`take`] does the opposite with the child's free part only, and [`end`] returns a dead child's
//! budget to its parent, keeping charged there whatever outlives the child (the kernel re-attributes
//! those charges, e.g. a page-table page still used by another mapping, to the parent). So the
//! budgets of an environment's descendants never exceed its own, and the budgets of the boot
//! programs (all of RAM) bound everything.
//!
//! The kernel keeps one [`Budget`] per environment (`kernel/src/budget.rs`); this file has no
//! notion of environments.

/// A refused charge: `asked` pages when only `free` were left (or an overflow).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exhausted {
    pub asked: u64,
    pub free: u64,
}

/// An environment's budget, in pages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Budget {
    limit: u64,
    used: u64,
}

impl Budget {
    /// A budget of `limit` pages with nothing charged.
    pub const fn new(limit: u64) -> Budget {
        Budget { limit, used: 0 }
    }

    /// The most pages that may be charged at once.
    pub const fn limit(&self) -> u64 {
        self.limit
    }

    /// Pages charged now.
    pub const fn used(&self) -> u64 {
        self.used
    }

    /// Pages that may still be charged.
    pub const fn free(&self) -> u64 {
        self.limit.saturating_sub(self.used)
    }

    /// Charges `n` pages, or refuses (nothing changes) if fewer than `n` are free.
    #[inline]
    pub fn charge(&mut self, n: u64) -> Result<(), Exhausted> {
        match self.used.checked_add(n) {
            Some(used) if used <= self.limit => {
                self.used = used;
                Ok(())
            }
            _ => Err(Exhausted { asked: n, free: self.free() }),
        }
    }

    /// Returns `n` charged pages. Returning more than is charged is a bookkeeping error: the
    /// charge drops to 0 and `false` says so (the kernel asserts it in debug builds).
    #[inline]
    pub fn refund(&mut self, n: u64) -> bool {
        match self.used.checked_sub(n) {
            Some(used) => {
                self.used = used;
                true
            }
            None => {
                self.used = 0;
                false
            }
        }
    }

    /// Charges `n` pages whether or not they fit (the budget grows to cover them): for a charge
    /// that moves in with a budget already paid elsewhere ([`give_charged`]).
    fn force(&mut self, n: u64) -> Result<(), Exhausted> {
        let used = self.used.checked_add(n).ok_or(Exhausted { asked: n, free: self.free() })?;
        let limit = self.limit.checked_add(n).ok_or(Exhausted { asked: n, free: self.free() })?;
        (self.used, self.limit) = (used, limit);
        Ok(())
    }
}

/// Moves `n` free pages of `parent`'s budget into `child`'s: charged to the parent, added to the
/// child's limit. All or nothing.
pub fn give(parent: &mut Budget, child: &mut Budget, n: u64) -> Result<(), Exhausted> {
    let limit = child.limit.checked_add(n).ok_or(Exhausted { asked: n, free: parent.free() })?;
    parent.charge(n)?;
    child.limit = limit;
    Ok(())
}

/// Moves `n` of `child`'s free pages back into `parent`'s budget. All or nothing: a budget never
/// goes below what is charged to it.
pub fn take(parent: &mut Budget, child: &mut Budget, n: u64) -> Result<(), Exhausted> {
    if child.free() < n {
        return Err(Exhausted { asked: n, free: child.free() });
    }
    child.limit -= n;
    let consistent = parent.refund(n);
    debug_assert!(consistent, "a child's budget not charged to its parent");
    Ok(())
}

/// `child` ended: its budget returns to `parent`, except what is still charged to it (things that
/// outlive it), which now counts as the parent's own charge. Returns that residue.
pub fn end(parent: &mut Budget, child: Budget) -> u64 {
    let residue = child.used.min(child.limit);
    let consistent = parent.refund(child.limit - residue);
    debug_assert!(consistent, "a child's budget not charged to its parent");
    residue
}

/// Moves the charge of `n` pages from `from` to `to` (a page changes hands): `to` must have room.
pub fn transfer(from: &mut Budget, to: &mut Budget, n: u64) -> Result<(), Exhausted> {
    to.charge(n)?;
    let consistent = from.refund(n);
    debug_assert!(consistent, "moving a charge that was never made");
    Ok(())
}

/// Moves the charge of `n` pages from `parent` to its `child` together with the budget that covers
/// it (a page a parent hands its child): the parent's charge becomes the child's budget, so this
/// cannot fail for lack of room (only on overflow).
pub fn give_charged(parent: &mut Budget, child: &mut Budget, n: u64) -> Result<(), Exhausted> {
    if parent.used < n {
        return Err(Exhausted { asked: n, free: parent.free() });
    }
    child.force(n)?;
    // The parent's charge stays: it now pays for the child's larger budget.
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_stop_at_the_limit_and_refunds_return() {
        let mut b = Budget::new(3);
        assert_eq!(b.charge(2), Ok(()));
        assert_eq!(b.charge(2), Err(Exhausted { asked: 2, free: 1 }));
        assert_eq!(b.used(), 2, "a refused charge changes nothing");
        assert_eq!(b.charge(1), Ok(()));
        assert_eq!(b.free(), 0);
        assert!(b.refund(3));
        assert_eq!((b.used(), b.free()), (0, 3));
    }

    #[test]
    fn no_overflow_or_underflow() {
        let mut b = Budget::new(u64::MAX);
        assert_eq!(b.charge(u64::MAX), Ok(()));
        assert!(b.charge(1).is_err(), "u64::MAX + 1 must not wrap");
        let mut small = Budget::new(10);
        small.charge(5).unwrap();
        assert!(!small.refund(6), "refunding more than was charged is reported");
        assert_eq!(small.used(), 0, "and never wraps");
        let mut parent = Budget::new(u64::MAX);
        let mut child = Budget::new(u64::MAX);
        assert!(give(&mut parent, &mut child, 1).is_err(), "a child's limit must not wrap");
        assert_eq!(parent.used(), 0, "and the parent is not charged for it");
        assert!(give_charged(&mut Budget::new(1), &mut Budget::new(0), 1).is_err(), "nothing charged to move");
    }

    #[test]
    fn hierarchy_subdivides_and_returns_on_death() {
        let mut root = Budget::new(1000);
        let mut child = Budget::new(0);
        let mut grandchild = Budget::new(0);
        give(&mut root, &mut child, 400).unwrap();
        assert_eq!((root.used(), child.limit()), (400, 400));
        assert!(give(&mut child, &mut grandchild, 401).is_err(), "a child cannot give more than it has");
        give(&mut child, &mut grandchild, 300).unwrap();
        grandchild.charge(300).unwrap();
        assert!(grandchild.charge(1).is_err());
        child.charge(100).unwrap();
        assert!(child.charge(1).is_err(), "the grandchild's budget counts in the child's");
        assert!(root.charge(600).is_ok() && root.charge(1).is_err(), "and the child's in the root's");
        root.refund(600);
        // The grandchild ends with everything freed: its budget returns to the child.
        grandchild.refund(300);
        assert_eq!(end(&mut child, grandchild), 0);
        assert_eq!(child.used(), 100);
        // The child ends with 10 pages still charged (outliving it): the root keeps paying for them.
        child.refund(90);
        assert_eq!(end(&mut root, child), 10);
        assert_eq!(root.used(), 10);
    }

    #[test]
    fn take_moves_only_free_budget() {
        let mut parent = Budget::new(100);
        let mut child = Budget::new(0);
        give(&mut parent, &mut child, 50).unwrap();
        child.charge(30).unwrap();
        assert_eq!(take(&mut parent, &mut child, 21), Err(Exhausted { asked: 21, free: 20 }));
        take(&mut parent, &mut child, 20).unwrap();
        assert_eq!((parent.used(), child.limit(), child.free()), (30, 30, 0));
    }

    #[test]
    fn pages_change_hands() {
        let mut a = Budget::new(10);
        let mut b = Budget::new(1);
        a.charge(2).unwrap();
        transfer(&mut a, &mut b, 1).unwrap();
        assert!(transfer(&mut a, &mut b, 1).is_err(), "the receiver must have room");
        assert_eq!((a.used(), b.used()), (1, 1));
        // To a child: the charge moves with budget to cover it.
        let mut child = Budget::new(0);
        give_charged(&mut a, &mut child, 1).unwrap();
        assert_eq!((a.used(), child.limit(), child.used()), (1, 1, 1));
        child.refund(1);
        assert_eq!(end(&mut a, child), 0);
        assert_eq!(a.used(), 0, "the page's charge came back with the child's budget");
    }

    #[test]
    fn random_hierarchies_balance() {
        // Random gives, charges and deaths in a tree: the root ends with only what it charged itself.
        let mut rng = crate::test_random::Random(15);
        for _ in 0..200 {
            let mut root = Budget::new(1 << 20);
            let mut alive: alloc::vec::Vec<(usize, Budget)> = alloc::vec::Vec::new();
            let mut parent_of: alloc::vec::Vec<usize> = alloc::vec::Vec::new();
            for step in 0..64 {
                let pick = rng.next(3);
                if pick == 0 || alive.is_empty() {
                    let mut b = Budget::new(0);
                    let n = rng.next(1000);
                    let p = if alive.is_empty() { usize::MAX } else { rng.next(alive.len() as u64) as usize };
                    let ok = if p == usize::MAX { give(&mut root, &mut b, n).is_ok() } else { give(&mut alive[p].1, &mut b, n).is_ok() };
                    if ok {
                        parent_of.push(p);
                        alive.push((step, b));
                    }
                } else if pick == 1 {
                    let i = rng.next(alive.len() as u64) as usize;
                    let n = rng.next(50);
                    let _ = alive[i].1.charge(n);
                } else {
                    // The youngest dies (children before their parents): its charges are freed first.
                    let (_, mut b) = alive.pop().expect("one alive");
                    let p = parent_of.pop().expect("its parent");
                    let used = b.used();
                    b.refund(used);
                    if p == usize::MAX { end(&mut root, b) } else { end(&mut alive[p].1, b) };
                }
            }
            while let Some((_, mut b)) = alive.pop() {
                let p = parent_of.pop().expect("its parent");
                let used = b.used();
                b.refund(used);
                if p == usize::MAX { end(&mut root, b) } else { end(&mut alive[p].1, b) };
            }
            assert_eq!(root.used(), 0);
        }
    }
}
