//! Memory budgets: every page of memory the kernel spends is charged to the environment that
//! caused it, up its creator chain (the arithmetic is `kcore::budget`). This file owns the
//! accounts (one per environment-table index), the record of which account pays for each
//! page-table page, and the read-only budget table window (`abi::layout::BUDGET_TABLE_BASE`).
//!
//! - A boot program's budget is all the RAM free when it is loaded ([`open_boot`]); a child's is
//!   what its creator gives it out of its own, at `env_create` ([`open_child`]) or later
//!   ([`give`], [`take`]). Each account is charged its environment's own record
//!   (`abi::ENV_RECORD_PAGES`) at once.
//! - `page_alloc` charges a page, freeing refunds it; `GIVE_MAP` moves the charge ([`move_page`]).
//! - A capability mapping charges its payer (the environment whose `page_map` made it; for
//!   `GIVE_MAP` the receiver) for the page-table pages it adds ([`charge_tables`], then
//!   [`note_table`] for each frame), refunded when the table is freed ([`table_freed`]: emptied by
//!   an unmap when another environment paid for it ([`paid_by_other`]; an environment's own empty
//!   tables stay for reuse), or its address space destroyed), and for its mapping record, one page per
//!   `abi::RECORDS_PER_PAGE` ([`charge_record`], [`refund_record`]).
//! - When an environment ends ([`close`]) its budget returns to its creator; page-table pages it
//!   paid for that still serve other mappings are then paid for by the creator.
//!
//! Exhausting a budget is `Error::OutOfMemory` for the environment that asked, nothing else: no
//! other account changes. For other kernel resources (capability-table growth, ...), call
//! [`charge`] / [`refund`] with the id of the environment that caused them.
//!
//! Lock order: this file's lock is taken last (under the environment table's or the capability
//! space's); nothing is called while it is held except `mem::phys`.
use crate::mem::{frames, owners, paging, phys};
use abi::layout::{BUDGET_TABLE_BASE, BUDGET_TABLE_PAGES, OWNER_KERNEL, PAGE_SIZE};
use abi::{env_index, Error, ENV_RECORD_PAGES, MAX_ENVS, RECORDS_PER_PAGE};
use core::sync::atomic::{AtomicU64, Ordering};
use kcore::budget::{self as arith, Budget};

/// One environment's account.
#[derive(Clone, Copy)]
struct Account {
    /// The environment's id (0: the index is free).
    id: u64,
    /// Its creator's id (0 for a boot program).
    parent: u64,
    budget: Budget,
    /// Capability mapping records it pays for.
    records: u64,
    /// Page-table pages it pays for.
    tables: u64,
}

const EMPTY: Account = Account { id: 0, parent: 0, budget: Budget::new(0), records: 0, tables: 0 };

static ACCOUNTS: spin::Mutex<[Account; MAX_ENVS]> = spin::Mutex::new([EMPTY; MAX_ENVS]);
/// Physical address of the budget table window (0 until `init`).
static WINDOW: AtomicU64 = AtomicU64::new(0);
/// Physical address of the page-table charge table: one `u32` per frame, the id of the
/// environment paying for it when it is a page-table page of a capability mapping, else 0.
static PAYERS: AtomicU64 = AtomicU64::new(0);
static FRAMES: AtomicU64 = AtomicU64::new(0);

/// Builds the budget table window and the page-table charge table. Call once, after the heap and
/// the other windows exist, before the first environment.
pub fn init() {
    let window = frames::alloc_contiguous(BUDGET_TABLE_PAGES).expect("no memory for the budget table");
    let count = frames::frame_count();
    let payer_pages = (count * 4).div_ceil(PAGE_SIZE);
    let payers = frames::alloc_contiguous(payer_pages).expect("no memory for the page-table charge table");
    for (base, pages) in [(window, BUDGET_TABLE_PAGES), (payers, payer_pages)] {
        for p in 0..pages {
            phys::zero_frame(base + p * PAGE_SIZE);
            owners::set(base + p * PAGE_SIZE, OWNER_KERNEL);
        }
    }
    FRAMES.store(count, Ordering::Relaxed);
    PAYERS.store(payers, Ordering::Release);
    WINDOW.store(window, Ordering::Release);
    paging::map_shared_window(BUDGET_TABLE_BASE, window, BUDGET_TABLE_PAGES);
}

fn out_of_memory(_: arith::Exhausted) -> Error {
    Error::OutOfMemory
}

/// Shows account `index` in the window.
fn publish(index: usize, account: &Account) {
    let window = WINDOW.load(Ordering::Acquire);
    if window != 0 {
        phys::write_words(window + index as u64 * 16, &[account.budget.limit(), account.budget.used()]);
    }
}

/// Runs `f` on the live account of environment `id` and publishes it if its budget changed;
/// `NoSuchEnv` if there is none.
#[inline(always)]
fn with<R>(id: u64, f: impl FnOnce(&mut Account) -> Result<R, Error>) -> Result<R, Error> {
    let index = env_index(id);
    let mut accounts = ACCOUNTS.lock();
    let account = accounts.get_mut(index).filter(|a| a.id == id && id != 0).ok_or(Error::NoSuchEnv)?;
    let before = account.budget;
    let result = f(account);
    if account.budget != before {
        publish(index, account);
    }
    result
}

/// Runs `f` on the live accounts of two distinct environments.
fn with_pair_any<R>(parent: u64, child: u64, f: impl FnOnce(&mut Account, &mut Account) -> Result<R, Error>) -> Result<R, Error> {
    let (i, j) = (env_index(parent), env_index(child));
    if i == j || i >= MAX_ENVS || j >= MAX_ENVS {
        return Err(Error::NoSuchEnv);
    }
    let mut accounts = ACCOUNTS.lock();
    let (low, high) = accounts.split_at_mut(i.max(j));
    let (a, b) = (&mut low[i.min(j)], &mut high[0]);
    let (p, c) = if i < j { (a, b) } else { (b, a) };
    if p.id != parent || c.id != child || parent == 0 || child == 0 {
        return Err(Error::NoSuchEnv);
    }
    let result = f(p, c);
    publish(i, p);
    publish(j, c);
    result
}

/// Opens the account of boot program `id` with all the RAM free now, and charges its record.
pub fn open_boot(id: u64) -> Result<(), Error> {
    let index = env_index(id);
    let mut account = Account { id, budget: Budget::new(frames::free_count()), ..EMPTY };
    account.budget.charge(ENV_RECORD_PAGES).map_err(out_of_memory)?;
    let mut accounts = ACCOUNTS.lock();
    accounts[index] = account;
    publish(index, &account);
    Ok(())
}

/// Opens the account of `id`, a new child of `parent`, with `pages` of the parent's budget, and
/// charges its record to it.
pub fn open_child(parent: u64, id: u64, pages: u64) -> Result<(), Error> {
    if pages < ENV_RECORD_PAGES {
        return Err(Error::OutOfMemory);
    }
    ACCOUNTS.lock()[env_index(id)] = Account { id, parent, ..EMPTY };
    let opened = with_pair_any(parent, id, |p, c| {
        arith::give(&mut p.budget, &mut c.budget, pages).map_err(out_of_memory)?;
        c.budget.charge(ENV_RECORD_PAGES).map_err(out_of_memory)
    });
    if opened.is_err() {
        let index = env_index(id);
        let mut accounts = ACCOUNTS.lock();
        accounts[index] = EMPTY;
        publish(index, &EMPTY);
    }
    opened
}

/// Environment `id` ended and returned everything it held: its budget goes back to its creator.
/// Page-table pages it paid for that still serve mappings elsewhere are now its creator's to pay
/// for (or nobody's, for a boot program).
pub fn close(id: u64) {
    let index = env_index(id);
    let account = {
        let mut accounts = ACCOUNTS.lock();
        let Some(account) = accounts.get_mut(index).filter(|a| a.id == id && id != 0) else { return };
        let mut closed = core::mem::replace(account, EMPTY);
        publish(index, &EMPTY);
        let consistent = closed.budget.refund(ENV_RECORD_PAGES);
        if !consistent || closed.records != 0 || closed.budget.used() != closed.tables {
            // A bookkeeping error (the test runs fail on this line).
            crate::kprintln!("exo: LEAK: env {id} ended with {} pages charged ({} tables, {} mapping records)", closed.budget.used(), closed.tables, closed.records);
        }
        closed
    };
    let tables = account.tables;
    let parent = account.parent;
    let heir = with(parent, |p| {
        arith::end(&mut p.budget, account.budget);
        p.tables += tables;
        Ok(parent)
    })
    .unwrap_or(0);
    if tables > 0 {
        reassign_tables(id, heir);
    }
}

/// Moves every page-table charge of `from` to `to` (0: nobody). A scan of the charge table:
/// bounded by the machine's frames, and rare (only tables shared with another payer's mappings
/// outlive their payer).
fn reassign_tables(from: u64, to: u64) {
    let payers = PAYERS.load(Ordering::Acquire);
    for frame in 0..FRAMES.load(Ordering::Relaxed) {
        if u64::from(phys::read_u32(payers + frame * 4)) == from {
            phys::write_u32(payers + frame * 4, to as u32);
        }
    }
}

/// Charges `pages` to environment `id`'s budget.
#[inline]
pub fn charge(id: u64, pages: u64) -> Result<(), Error> {
    with(id, |a| a.budget.charge(pages).map_err(out_of_memory))
}

/// Returns `pages` charged to environment `id` (ignored if it has ended: its budget already went
/// back to its creator).
#[inline]
pub fn refund(id: u64, pages: u64) {
    let _ = with(id, |a| {
        if !a.budget.refund(pages) {
            crate::kprintln!("exo: LEAK: {pages} pages refunded to env {id} that were never charged");
        }
        Ok(())
    });
}

/// Moves `pages` of `parent`'s free budget to its child `child`.
pub fn give(parent: u64, child: u64, pages: u64) -> Result<(), Error> {
    with_pair_any(parent, child, |p, c| {
        if c.parent != parent {
            return Err(Error::NoRights);
        }
        arith::give(&mut p.budget, &mut c.budget, pages).map_err(out_of_memory)
    })
}

/// Moves `pages` of child `child`'s free budget back to `parent`.
pub fn take(parent: u64, child: u64, pages: u64) -> Result<(), Error> {
    with_pair_any(parent, child, |p, c| {
        if c.parent != parent {
            return Err(Error::NoRights);
        }
        arith::take(&mut p.budget, &mut c.budget, pages).map_err(out_of_memory)
    })
}

/// What [`move_page`] did, for [`unmove_page`].
#[derive(Clone, Copy)]
pub struct Moved {
    /// Budget given to the receiver with the page (0 unless it is the giver's child).
    funded: u64,
}

/// A page changes hands (`GIVE_MAP`): its charge moves from `giver` to `receiver`, which will also
/// pay for `tables` new page-table pages and the mapping's record. A child of the giver gets the
/// budget for all of that from the giver; any other receiver needs room. All or nothing, under one
/// lock.
pub fn move_page(giver: u64, receiver: u64, tables: u64) -> Result<Moved, Error> {
    with_pair_any(giver, receiver, |g, r| {
        let funded = if r.parent == giver {
            let cost = 1 + tables + u64::from(r.records.is_multiple_of(RECORDS_PER_PAGE));
            arith::give(&mut g.budget, &mut r.budget, cost).map_err(out_of_memory)?;
            cost
        } else {
            0
        };
        if let Err(e) = arith::transfer(&mut g.budget, &mut r.budget, 1) {
            let back = arith::take(&mut g.budget, &mut r.budget, funded);
            debug_assert!(back.is_ok(), "a child's budget for a given page could not go back");
            return Err(out_of_memory(e));
        }
        Ok(Moved { funded })
    })
}

/// Undoes a [`move_page`] whose mapping could not be made (the receiver's charges for it were
/// already refunded).
pub fn unmove_page(giver: u64, receiver: u64, moved: Moved) {
    let _ = with_pair_any(giver, receiver, |g, r| {
        let back = arith::transfer(&mut r.budget, &mut g.budget, 1).and_then(|()| arith::take(&mut g.budget, &mut r.budget, moved.funded));
        debug_assert!(back.is_ok(), "a given page's charge could not go back");
        Ok(())
    });
}

/// Free pages of `id`'s budget (0 if it does not exist).
pub fn free(id: u64) -> u64 {
    with(id, |a| Ok(a.budget.free())).unwrap_or(0)
}

/// Charges `payer` for one more mapping record (a page for every `RECORDS_PER_PAGE`).
#[inline]
pub fn charge_record(payer: u64) -> Result<(), Error> {
    with(payer, |a| {
        if a.records.is_multiple_of(RECORDS_PER_PAGE) {
            a.budget.charge(1).map_err(out_of_memory)?;
        }
        a.records += 1;
        Ok(())
    })
}

/// One mapping record `payer` paid for went.
#[inline]
pub fn refund_record(payer: u64) {
    let _ = with(payer, |a| {
        debug_assert!(a.records > 0, "a mapping record refunded twice");
        a.records = a.records.saturating_sub(1);
        if a.records.is_multiple_of(RECORDS_PER_PAGE) {
            a.budget.refund(1);
        }
        Ok(())
    });
}

/// Charges `payer` for `count` page-table pages about to be created (see [`note_table`]).
#[inline]
pub fn charge_tables(payer: u64, count: u64) -> Result<(), Error> {
    if count == 0 {
        return Ok(());
    }
    with(payer, |a| {
        a.budget.charge(count).map_err(out_of_memory)?;
        a.tables += count;
        Ok(())
    })
}

/// Returns `count` page-table pages charged with [`charge_tables`] that were not created after all.
pub fn uncharge_tables(payer: u64, count: u64) {
    if count > 0 {
        let _ = with(payer, |a| {
            a.budget.refund(count);
            a.tables = a.tables.saturating_sub(count);
            Ok(())
        });
    }
}

/// The page-table page `frame` was created for a mapping `payer` pays for.
pub fn note_table(payer: u64, frame: u64) {
    let payers = PAYERS.load(Ordering::Acquire);
    if payers != 0 && frame / PAGE_SIZE < FRAMES.load(Ordering::Relaxed) {
        phys::write_u32(payers + frame / PAGE_SIZE * 4, payer as u32);
    }
}

/// Whether page-table page `frame` of environment `owner`'s address space, once empty, is freed
/// at once ([`table_freed`] then gives its payer the page back): yes when another environment paid
/// for it (a mapper gets its tables back when its mappings go); an environment's own tables stay
/// for its next mappings (still charged to it, freed with its address space), so unmapping and
/// mapping again in one place does not make and zero tables each time.
#[inline]
pub fn paid_by_other(owner: u64, frame: u64) -> bool {
    let payers = PAYERS.load(Ordering::Acquire);
    if payers == 0 || frame / PAGE_SIZE >= FRAMES.load(Ordering::Relaxed) {
        return false;
    }
    let payer = u64::from(phys::read_u32(payers + frame / PAGE_SIZE * 4));
    payer != 0 && payer != owner
}

/// The page-table page `frame` is being freed: its payer, if any, gets the page back.
pub fn table_freed(frame: u64) {
    let payers = PAYERS.load(Ordering::Acquire);
    if payers == 0 || frame / PAGE_SIZE >= FRAMES.load(Ordering::Relaxed) {
        return;
    }
    let at = payers + frame / PAGE_SIZE * 4;
    let payer = u64::from(phys::read_u32(at));
    if payer != 0 {
        phys::write_u32(at, 0);
        let _ = with(payer, |a| {
            a.budget.refund(1);
            a.tables = a.tables.saturating_sub(1);
            Ok(())
        });
    }
}
