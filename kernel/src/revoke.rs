//! Visible revocation and the abort protocol.
//!
//! When an environment asks for a page and none is left (the machine is out of pages, or all
//! environments together hold their budget, `user_pages=`), the kernel picks the environment that
//! holds the most pages and asks it for `REVOKE_BATCH` of them back: a revocation upcall, delivered
//! like an exception (vector `abi::REVOKE_VECTOR`, the number of pages in `error_code`, the deadline
//! tick in `fault_address`) the next time it runs (one sleeping in `env_wait` is woken for it, its
//! wait returning 0). The library chooses which pages and frees them.
//! If it has not freed them when the deadline passes, or it cannot take the upcall, the kernel
//! repossesses pages itself (the abort protocol): highest capability slots first (a program's
//! image and stack hold its lowest slots), then whole extents if pages were not enough, never a
//! page the environment marked vital, each recorded in its repossession vector (`REPOSSESSED_BASE`).
//!
//! A request counts every page the environment lets go of (frees, or gives to another
//! environment) until `REVOKE_BATCH` are counted; then it is over (an upcall not yet delivered is
//! dropped, and the environment may be asked again). At the deadline the kernel takes what is
//! still owed. The request is also published in the environment's revocation page
//! (`REVOKE_PAGES`: pages still owed, `REVOKE_DEADLINE`), so a library that cannot take the upcall
//! now (it is inside its own handler, say waiting for memory in a page fault) sees it and answers
//! inline.
use crate::arch::x86_64::lapic;
use crate::env::{Env, Revocation};
use crate::{bind, cap, envs, kprintln, upcall, windows};
use abi::REVOKE_VECTOR;
use alloc::vec::Vec;

/// Pages asked back per revocation.
pub const REVOKE_BATCH: u64 = 16;
/// Timer ticks an environment has to give pages back.
pub const DEADLINE_TICKS: u64 = abi::REVOKE_DEADLINE_TICKS;

/// Memory pressure felt by `requester`: ask the environment holding the most pages (another one,
/// not already being asked) to give some back.
pub fn pressure(requester: u64) {
    let mut victim: Option<(u64, u64)> = None;
    envs::for_each_env(|env| {
        if env.id != requester && env.revoke.is_none() && env.pages > 0 && victim.is_none_or(|(_, p)| env.pages > p) {
            victim = Some((env.id, env.pages));
        }
    });
    if let Some((id, _)) = victim {
        envs::with_env(id, |env| {
            let revocation = Revocation { owed: REVOKE_BATCH.min(env.pages), deadline: lapic::ticks() + DEADLINE_TICKS, delivered: false };
            env.revoke = Some(revocation);
            env.publish_revocation();
            // A sleeper must run to answer: its wait ends with no event (result 0).
            crate::wait::interrupt(env);
            log::info!("env {} '{}' asked for {} pages by tick {}", env.id, env.name, revocation.owed, revocation.deadline);
        });
    }
}

/// Called when `env` is about to run: delivers a pending revocation upcall into its saved
/// registers if it can take one now (it has a handler and is not inside it). Returns whether it did.
pub fn deliver_pending(env: &mut Env) -> bool {
    let Some(revocation) = env.revoke.as_mut().filter(|r| !r.delivered) else { return false };
    let Some(handler) = env.exception_handler.filter(|h| !upcall::in_handler(env.frame.rsp, h)) else { return false };
    let request = upcall::frame_words(&env.frame, REVOKE_VECTOR, revocation.owed, revocation.deadline);
    // A stack the kernel cannot write is the library's problem: the deadline will pass.
    revocation.delivered = upcall::push(env.root, &handler, &mut env.frame, &request).is_ok();
    if revocation.delivered {
        crate::stats::count(abi::stats::Counter::RevocationUpcalls);
    }
    revocation.delivered
}

/// Timer tick: settles every revocation whose deadline has passed.
pub fn check_deadlines() {
    let now = lapic::ticks();
    let mut overdue: Vec<(u64, u64)> = Vec::new();
    envs::for_each_env(|env| {
        if let Some(r) = env.revoke.filter(|r| now >= r.deadline) {
            env.revoke = None;
            env.publish_revocation();
            overdue.push((env.id, r.owed));
        }
    });
    for (id, count) in overdue {
        repossess(id, count);
    }
}

/// The abort protocol: takes up to `count` non-vital pages from environment `id`.
fn repossess(id: u64, count: u64) {
    let vital = envs::with_env(id, |env| env.vital.clone()).unwrap_or_default();
    let victims: Vec<(usize, u64)> = cap::page_roots(id).into_iter().rev().filter(|(slot, _)| !vital.contains(&(*slot as u64))).take(count as usize).collect();
    let mut taken = 0;
    for &(slot, pa) in &victims {
        if bind::delete(id, slot as u64).is_ok() {
            crate::stats::count(abi::stats::Counter::PagesRepossessed);
            envs::with_env(id, |env| windows::record_repossessed(env.root, pa));
            taken += 1;
        }
    }
    // Still owed: whole extents, highest slots first (an extent is taken whole, never in part).
    for (slot, pa, pages) in cap::extent_roots(id).into_iter().rev().filter(|(slot, ..)| !vital.contains(&(*slot as u64))) {
        if taken >= count {
            break;
        }
        if bind::delete(id, slot as u64).is_ok() {
            crate::stats::add(abi::stats::Counter::PagesRepossessed, pages);
            envs::with_env(id, |env| windows::record_repossessed(env.root, pa));
            taken += pages;
        }
    }
    envs::with_env(id, |env| {
        kprintln!("exo: env {} '{}' missed its revocation deadline: repossessed {} pages", env.id, env.name, taken);
    });
}
