//! A fair mutex whose guard may be held across suspension points.
//!
//! # Design
//!
//! A [`Semaphore`] with one permit guards an `UnsafeCell<T>`: holding the permit is holding the lock. The
//! semaphore's FIFO queue makes the lock fair: unlocking while tasks wait hands the permit straight to the
//! longest waiter, and neither `try_lock` nor a newcomer can barge in between, so no waiter starves. Because
//! the guard is a plain value owning nothing thread-bound, it is `Send` (when `T` is), and a coroutine may
//! hold it while it suspends and resumes on another worker.
//!
//! Use it when the guard must live across a suspension point; for short critical sections that never
//! suspend, `std::sync::Mutex` is cheaper.

use super::semaphore::{RawAcquire, Semaphore, SemaphoreRef};
use crate::Suspend;
use crate::loom::UnsafeCell;
use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

/// A mutual-exclusion lock for data shared between coroutines; `lock()` suspends until it is free.
///
/// ```
/// use coro_core::sync::Mutex;
/// use std::sync::Arc;
///
/// let log = Arc::new(Mutex::new(Vec::new()));
/// coro_core::block_on(async {
///     let mut entries = log.lock().await;
///     entries.push("first");
///     coro_core::yield_now().await; // the guard may be held across a suspension point
///     entries.push("second");
/// });
/// assert_eq!(*log.try_lock().unwrap(), ["first", "second"]);
/// ```
///
/// Inside a `#[coro::coroutine]` the operation suspends without `.await`: `let mut entries = log.lock();`.
///
/// The lock is fair: waiters get it in the order they asked for it. A `lock()` that is dropped while waiting
/// leaves the queue (and passes the lock on if it had just been handed it).
pub struct Mutex<T: ?Sized> {
    semaphore: Semaphore,
    data: UnsafeCell<T>,
}

// SAFETY: the data is reached only through a guard, and the semaphore's single permit makes the guard unique;
// the guard may be sent to and used on another thread, hence `T: Send`.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

/// The lock is taken (in a conflicting mode, for a [`RwLock`](super::RwLock)), or other tasks are queued for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TryLockError;

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the lock is taken")
    }
}

impl std::error::Error for TryLockError {}

impl<T> Mutex<T> {
    /// Creates an unlocked mutex holding `value`.
    pub fn new(value: T) -> Mutex<T> {
        Mutex { semaphore: Semaphore::new(1), data: UnsafeCell::new(value) }
    }

    /// Consumes the mutex, returning the data.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits until the lock is free and takes it.
    pub fn lock(&self) -> Lock<'_, T> {
        Lock { mutex: self, acquire: self.semaphore.acquire_raw(1) }
    }

    /// Takes the lock if it is free and nobody is queued for it.
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        match self.semaphore.try_acquire_raw(1) {
            Ok(()) => Ok(MutexGuard { mutex: self }),
            Err(_) => Err(TryLockError),
        }
    }

    /// Waits until the lock is free and takes it, through an `Arc`: the guard owns its reference to the
    /// mutex, so it can be moved into a spawned task.
    ///
    /// ```
    /// use coro_core::sync::Mutex;
    /// use std::sync::Arc;
    ///
    /// coro_core::run(async {
    ///     let counter = Arc::new(Mutex::new(0));
    ///     let mut guard = counter.clone().lock_owned().await;
    ///     let task = coro_core::spawn(async move { *guard += 1 }); // the guard moves into the task
    ///     task.join().await.unwrap();
    ///     assert_eq!(*counter.lock().await, 1);
    /// });
    /// ```
    pub fn lock_owned(self: Arc<Self>) -> LockOwned<T> {
        LockOwned { acquire: RawAcquire::new(self, 1) }
    }

    /// Takes the lock if it is free and nobody is queued for it, through an `Arc`.
    pub fn try_lock_owned(self: Arc<Self>) -> Result<OwnedMutexGuard<T>, TryLockError> {
        match self.semaphore.try_acquire_raw(1) {
            Ok(()) => Ok(OwnedMutexGuard { mutex: self }),
            Err(_) => Err(TryLockError),
        }
    }

    /// The data, through a unique borrow of the mutex (no locking needed).
    pub fn get_mut(&mut self) -> &mut T {
        // SAFETY: `&mut self` proves that no guard exists.
        self.data.with_mut(|data| unsafe { &mut *data })
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

/// The operation returned by [`Mutex::lock`].
#[must_use = "lock does nothing unless awaited"]
pub struct Lock<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    acquire: RawAcquire<&'a Semaphore>,
}

impl<'a, T: ?Sized> Future for Lock<'a, T> {
    type Output = MutexGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<MutexGuard<'a, T>> {
        match ready!(Pin::new(&mut self.acquire).poll(cx)) {
            Ok(()) => Poll::Ready(MutexGuard { mutex: self.mutex }),
            Err(_) => unreachable!("a mutex's semaphore is never closed"),
        }
    }
}

impl<T: ?Sized> Suspend for Lock<'_, T> {}

impl<T: ?Sized> SemaphoreRef for Arc<Mutex<T>> {
    fn semaphore(&self) -> &Semaphore {
        &self.semaphore
    }
}

/// The operation returned by [`Mutex::lock_owned`].
#[must_use = "lock_owned does nothing unless awaited"]
pub struct LockOwned<T: ?Sized> {
    acquire: RawAcquire<Arc<Mutex<T>>>,
}

impl<T: ?Sized> Future for LockOwned<T> {
    type Output = OwnedMutexGuard<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<OwnedMutexGuard<T>> {
        match ready!(Pin::new(&mut self.acquire).poll(cx)) {
            Ok(()) => Poll::Ready(OwnedMutexGuard { mutex: self.acquire.owner().clone() }),
            Err(_) => unreachable!("a mutex's semaphore is never closed"),
        }
    }
}

impl<T: ?Sized> Suspend for LockOwned<T> {}

/// Exclusive access to the data of a [`Mutex`] reached through an `Arc` ([`Mutex::lock_owned`]); dropping
/// it unlocks. It borrows nothing, so it can move into a spawned task.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedMutexGuard<T: ?Sized> {
    mutex: Arc<Mutex<T>>,
}

// SAFETY: as for `MutexGuard`: `&OwnedMutexGuard` only gives `&T`. (Without this impl the guard would be
// `Sync` whenever `T: Send`, as `Arc<Mutex<T>>` is, sharing `&T` of a `!Sync` `T`.)
unsafe impl<T: ?Sized + Send + Sync> Sync for OwnedMutexGuard<T> {}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// The mutex this guard locks.
    pub fn mutex(&self) -> &Arc<Mutex<T>> {
        &self.mutex
    }
}

impl<T: ?Sized> Deref for OwnedMutexGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds the mutex's only permit: nobody else reaches the data while it lives.
        self.mutex.data.with(|data| unsafe { &*data })
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only borrow through the guard.
        self.mutex.data.with_mut(|data| unsafe { &mut *data })
    }
}

impl<T: ?Sized> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.mutex.semaphore.release(1);
    }
}

impl<T: ?Sized> fmt::Debug for LockOwned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockOwned").finish_non_exhaustive()
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Exclusive access to the data of a [`Mutex`]; dropping it unlocks.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
}

// SAFETY: `&MutexGuard` only gives `&T`, so sharing the guard shares `&T` (`T: Sync`); the guard itself may
// move to another thread (`T: Send`), which `Send` for the guard already requires.
unsafe impl<T: ?Sized + Send + Sync> Sync for MutexGuard<'_, T> {}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds the mutex's only permit: nobody else reaches the data while it lives.
        self.mutex.data.with(|data| unsafe { &*data })
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only borrow through the guard.
        self.mutex.data.with_mut(|data| unsafe { &mut *data })
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

impl<T: ?Sized> fmt::Debug for Lock<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock").finish_non_exhaustive()
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::block_on;
    use std::task::Waker;

    #[test]
    fn unlock_hands_off_to_the_first_waiter() {
        let mutex = Mutex::new(0);
        let guard = mutex.try_lock().unwrap();
        let mut cx = Context::from_waker(Waker::noop());
        let mut waiter = mutex.lock();
        assert!(Pin::new(&mut waiter).poll(&mut cx).is_pending());
        drop(guard);
        // Handed to the waiter: nobody can barge in before it runs.
        assert_eq!(mutex.try_lock().unwrap_err(), TryLockError);
        let Poll::Ready(mut guard) = Pin::new(&mut waiter).poll(&mut cx) else { panic!("not handed off") };
        *guard += 1;
        drop(guard);
        assert_eq!(*mutex.try_lock().unwrap(), 1);
    }

    #[test]
    fn cancelled_waiter_passes_the_lock_on() {
        let mutex = Mutex::new(());
        let guard = mutex.try_lock().unwrap();
        let mut cx = Context::from_waker(Waker::noop());
        let mut first = mutex.lock();
        let mut second = mutex.lock();
        assert!(Pin::new(&mut first).poll(&mut cx).is_pending());
        assert!(Pin::new(&mut second).poll(&mut cx).is_pending());
        drop(guard); // handed to `first`...
        drop(first); // ...which is cancelled before it looks
        assert!(Pin::new(&mut second).poll(&mut cx).is_ready());
    }

    #[test]
    fn get_mut_into_inner_and_debug() {
        let mut mutex = Mutex::new(vec![1]);
        mutex.get_mut().push(2);
        assert_eq!(format!("{mutex:?}"), "Mutex { data: [1, 2] }");
        let guard = block_on(mutex.lock());
        assert_eq!(format!("{mutex:?}"), "Mutex { data: <locked> }");
        drop(guard);
        assert_eq!(mutex.into_inner(), [1, 2]);
    }

    #[test]
    fn unsized_data() {
        let mutex: &Mutex<[u8]> = &Mutex::new([1u8, 2, 3]);
        block_on(mutex.lock())[0] = 9;
        assert_eq!(&*mutex.try_lock().unwrap(), &[9, 2, 3]);
    }

    #[test]
    fn guard_is_send_so_it_may_cross_suspension_points() {
        fn check<T: Send>() {}
        check::<MutexGuard<'_, Vec<u8>>>();
        check::<Lock<'_, Vec<u8>>>();
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::{Arc, block_on, thread};
    use std::task::Waker;

    /// Two tasks increment under the lock, one of them waiting for the other's hand-off: exclusive access
    /// (loom checks the data cell) and no lost wake-up.
    #[test]
    fn loom_mutex_lock_hand_off() {
        loom::model(|| {
            let mutex = Arc::new(Mutex::new(0));
            let other = mutex.clone();
            let t = thread::spawn(move || *block_on(other.lock()) += 1);
            *block_on(mutex.lock()) += 1;
            t.join().unwrap();
            assert_eq!(*mutex.try_lock().unwrap(), 2);
        });
    }

    /// A waiter is cancelled while the holder unlocks and another task waits: whether or not the lock was
    /// handed to the cancelled waiter, it reaches the other task and is free at the end.
    #[test]
    fn loom_mutex_cancelled_waiter() {
        loom::model(|| {
            let mutex = Arc::new(Mutex::new(()));
            let guard = mutex.try_lock().unwrap();
            let cancelling = mutex.clone();
            let t = thread::spawn(move || {
                let mut lock = cancelling.lock();
                let mut cx = Context::from_waker(Waker::noop());
                let _ = Pin::new(&mut lock).poll(&mut cx);
            });
            let waiting = mutex.clone();
            let w = thread::spawn(move || drop(block_on(waiting.lock())));
            drop(guard);
            t.join().unwrap();
            w.join().unwrap();
            assert!(mutex.try_lock().is_ok(), "lock lost with a cancelled waiter");
        });
    }
}
