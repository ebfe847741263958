//! Blocking synchronization for `exos::thread`: [`Mutex`] and [`Condvar`]. A thread that has to
//! wait is descheduled (it waits in `thread::wait_if`), never spinning, so a thread preempted
//! inside a critical section delays only the threads that need its lock.
//!
//! The mutex hands itself over: unlocking with waiters makes the first waiter the owner at once
//! (the lock word stays set), so waiters get it in the order they came. A condition variable has
//! no state of its own beyond its address, which is its wait-queue key; `wait` releases the mutex
//! and starts waiting in one step under the scheduler lock, so no notification is lost.
#![allow(unsafe_code)]

use crate::thread::uthread::{self as thread, Locked};
use core::cell::UnsafeCell;
use core::fmt;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicBool, AtomicU8, Ordering};

/// A mutual-exclusion lock protecting a `T`, for threads of one environment.
pub struct Mutex<T: ?Sized> {
    locked: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the mutex gives one thread at a time access to the value, so sharing it between threads
// only needs the value to be sendable between them.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}
// SAFETY: as above; moving the mutex moves the value.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}

impl<T> Mutex<T> {
    pub const fn new(value: T) -> Mutex<T> {
        Mutex { locked: AtomicBool::new(false), value: UnsafeCell::new(value) }
    }

    /// The protected value, taking the mutex apart.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// The wait-queue key: the address of the lock word, a byte no other object owns.
    fn key(&self) -> usize {
        &raw const self.locked as usize
    }

    /// Takes the lock, waiting (descheduled) while another thread holds it.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        // One CPU runs the environment's threads, so the swap is atomic against any of them.
        if self.locked.swap(true, Ordering::Acquire) {
            // Try again under the scheduler lock; if still held, wait: the unlocker hands the
            // lock to us (it stays set), so there is nothing to retry after waking.
            thread::wait_if(self.key(), |_| self.locked.swap(true, Ordering::Acquire));
        }
        MutexGuard { mutex: self }
    }

    /// Takes the lock if it is free.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        (!self.locked.swap(true, Ordering::Acquire)).then_some(MutexGuard { mutex: self })
    }

    /// Whether some thread holds the lock.
    pub fn is_locked(&self) -> bool {
        self.locked.load(Ordering::Relaxed)
    }

    /// The value, through an exclusive borrow (no locking needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    fn unlock(&self) {
        thread::wake(self.key(), 1, |woken| self.release_if_unclaimed(woken));
    }

    /// Unlocks from inside a scheduler decision (a condition variable's wait).
    fn unlock_locked(&self, locked: &mut Locked) {
        let woken = locked.wake(self.key(), 1);
        self.release_if_unclaimed(woken);
    }

    /// With the scheduler locked: a woken waiter now owns the lock; without one it is free.
    fn release_if_unclaimed(&self, woken: usize) {
        if woken == 0 {
            self.locked.store(false, Ordering::Release);
        }
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Mutex<T> {
        Mutex::new(T::default())
    }
}

impl<T: ?Sized> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mutex").field("locked", &self.is_locked()).finish_non_exhaustive()
    }
}

/// Access to a [`Mutex`]'s value; dropping it unlocks.
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while its thread holds the lock, so no other reference to
        // the value exists.
        unsafe { &*self.mutex.value.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as for `deref`; `&mut self` makes this the guard's only live borrow.
        unsafe { &mut *self.mutex.value.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.unlock();
    }
}

/// A condition variable: threads wait (descheduled) until another notifies them. Use it with one
/// [`Mutex`], re-checking the condition in a loop (or with [`Condvar::wait_while`]).
pub struct Condvar {
    /// Gives the condition variable an address of its own (its wait-queue key).
    _key: AtomicU8,
}

impl Default for Condvar {
    fn default() -> Condvar {
        Condvar::new()
    }
}

impl Condvar {
    pub const fn new() -> Condvar {
        Condvar { _key: AtomicU8::new(0) }
    }

    fn key(&self) -> usize {
        &raw const self._key as usize
    }

    /// Releases the guard's mutex and waits for a notification, then takes the mutex again.
    pub fn wait<'a, T: ?Sized>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        let mutex = guard.mutex;
        core::mem::forget(guard);
        thread::wait_if(self.key(), |locked| {
            mutex.unlock_locked(locked);
            true
        });
        mutex.lock()
    }

    /// Waits while `condition` holds for the protected value.
    pub fn wait_while<'a, T: ?Sized>(&self, mut guard: MutexGuard<'a, T>, mut condition: impl FnMut(&mut T) -> bool) -> MutexGuard<'a, T> {
        while condition(&mut guard) {
            guard = self.wait(guard);
        }
        guard
    }

    /// Wakes one waiting thread, if any.
    pub fn notify_one(&self) {
        thread::wake(self.key(), 1, drop);
    }

    /// Wakes every waiting thread.
    pub fn notify_all(&self) {
        thread::wake(self.key(), usize::MAX, drop);
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Condvar")
    }
}
