//! A registered function: one word holding a function pointer, set when a library layer
//! registers (at start, or when `fork` makes copy-on-write possible) and read with one load where
//! it is called. It lets a lower layer call a higher one without importing it (the exception
//! dispatcher calls copy-on-write, signals and reclaim; copy-on-write calls reclaim).
#![allow(unsafe_code)]

use crate::rt::fpu::FpuState;
use abi::ExceptionFrame;
use core::marker::PhantomData;
use core::sync::atomic::{AtomicUsize, Ordering};

/// A function-pointer type a [`Hook`] may hold.
///
/// # Safety
///
/// Implemented only for `fn` types: the size of a `usize`, no padding, never null, so a value
/// read as an integer and back is the same value.
pub unsafe trait FnPtr: Copy {}

// SAFETY: a `fn` type.
unsafe impl FnPtr for fn() {}
// SAFETY: a `fn` type.
unsafe impl FnPtr for fn() -> bool {}
// SAFETY: a `fn` type.
unsafe impl FnPtr for fn(u64) {}
// SAFETY: a `fn` type.
unsafe impl FnPtr for fn(u32) {}
// SAFETY: a `fn` type.
unsafe impl FnPtr for fn(u64, u64) {}
// SAFETY: a `fn` type.
unsafe impl FnPtr for fn(&mut ExceptionFrame) {}
// SAFETY: a `fn` type.
unsafe impl FnPtr for fn(&mut ExceptionFrame, &mut FpuState) {}
// SAFETY: a `fn` type.
unsafe impl FnPtr for fn(&mut ExceptionFrame) -> bool {}

/// A function pointer of type `F`, or nothing.
pub struct Hook<F> {
    raw: AtomicUsize,
    _f: PhantomData<F>,
}

impl<F: FnPtr> Hook<F> {
    /// Nothing registered.
    pub const fn new() -> Self {
        Hook { raw: AtomicUsize::new(0), _f: PhantomData }
    }

    /// Registers `f` (replacing what was there). Registering what is there already writes
    /// nothing: the word may sit on a copy-on-write page after a `fork`, and a write would copy it.
    pub fn set(&self, f: F) {
        const { assert!(size_of::<F>() == size_of::<usize>()) };
        // SAFETY: `F: FnPtr` is a `fn` type: a code address the size of a `usize` (checked above)
        // with no padding, so reading it as an integer reads initialized bytes only.
        let raw = unsafe { core::mem::transmute_copy::<F, usize>(&f) };
        if self.raw.load(Ordering::Relaxed) != raw {
            self.raw.store(raw, Ordering::Release);
        }
    }

    /// Registers nothing (writing only if something was registered).
    pub fn clear(&self) {
        if self.raw.load(Ordering::Relaxed) != 0 {
            self.raw.store(0, Ordering::Release);
        }
    }

    /// What was registered, if anything.
    #[inline(always)]
    pub fn get(&self) -> Option<F> {
        let raw = self.raw.load(Ordering::Acquire);
        // SAFETY: a non-zero `raw` was stored by `set` from a value of type `F: FnPtr` (a function
        // pointer, never null), so it is that value again.
        (raw != 0).then(|| unsafe { core::mem::transmute_copy::<usize, F>(&raw) })
    }
}

impl<F: FnPtr> Default for Hook<F> {
    fn default() -> Self {
        Self::new()
    }
}
