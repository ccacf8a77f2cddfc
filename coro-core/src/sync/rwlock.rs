//! A fair reader-writer lock whose guards may be held across suspension points.
//!
//! # Design
//!
//! As in tokio, a [`Semaphore`] with `MAX_READS` permits guards an `UnsafeCell<T>`: a reader takes one
//! permit, a writer takes them all. The semaphore serves its queue in arrival order and assigns returning
//! permits to the waiter at the front, so a queued writer collects the permits of the readers that leave
//! while every reader arriving after it queues behind it: writers never starve, and the readers queued behind
//! a writer all get in together once it is done.

use super::mutex::TryLockError;
use super::semaphore::{RawAcquire, Semaphore, SemaphoreRef};
use crate::Suspend;
use crate::loom::UnsafeCell;
use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

/// How many readers may hold the lock at once (536,870,911); more wait for one to leave.
const MAX_READS: usize = (u32::MAX >> 3) as usize;

/// A reader-writer lock: many readers or one writer at a time, granted in arrival order.
///
/// ```
/// use coro_core::sync::RwLock;
///
/// let config = RwLock::new(String::from("v1"));
/// coro_core::block_on(async {
///     {
///         let a = config.read().await;
///         let b = config.read().await; // readers share the lock
///         assert_eq!((a.as_str(), b.as_str()), ("v1", "v1"));
///         assert!(config.try_write().is_err());
///     }
///     config.write().await.push_str("+patch");
/// });
/// assert_eq!(*config.try_read().unwrap(), "v1+patch");
/// ```
///
/// Inside a `#[coro::coroutine]` the operations suspend without `.await`: `let cfg = config.read();`.
pub struct RwLock<T: ?Sized> {
    semaphore: Semaphore,
    data: UnsafeCell<T>,
}

// SAFETY: readers on several threads share `&T` (`T: Sync`); a writer's guard may move to another thread and
// be the one to drop or replace the data (`T: Send`). The semaphore keeps writers exclusive.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

impl<T> RwLock<T> {
    /// Creates an unlocked lock holding `value`.
    pub fn new(value: T) -> RwLock<T> {
        RwLock { semaphore: Semaphore::new(MAX_READS), data: UnsafeCell::new(value) }
    }

    /// Consumes the lock, returning the data.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Waits until no writer holds or waits for the lock ahead of this call, and takes shared access.
    pub fn read(&self) -> Read<'_, T> {
        Read { lock: self, acquire: self.semaphore.acquire_raw(1) }
    }

    /// Waits until every earlier reader and writer is done, and takes exclusive access.
    pub fn write(&self) -> Write<'_, T> {
        Write { lock: self, acquire: self.semaphore.acquire_raw(MAX_READS) }
    }

    /// Takes shared access if no writer holds the lock and nobody is queued.
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        self.semaphore.try_acquire_raw(1).map_err(|_| TryLockError)?;
        Ok(RwLockReadGuard { lock: self })
    }

    /// Takes exclusive access if nobody holds the lock or is queued for it.
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        self.semaphore.try_acquire_raw(MAX_READS).map_err(|_| TryLockError)?;
        Ok(RwLockWriteGuard { lock: self })
    }

    /// Waits for shared access, as [`read`](RwLock::read), through an `Arc`: the guard owns its reference to
    /// the lock, so it can be moved into a spawned task.
    pub fn read_owned(self: Arc<Self>) -> ReadOwned<T> {
        ReadOwned { acquire: RawAcquire::new(self, 1) }
    }

    /// Waits for exclusive access, as [`write`](RwLock::write), through an `Arc`: the guard owns its
    /// reference to the lock, so it can be moved into a spawned task.
    ///
    /// ```
    /// use coro_core::sync::RwLock;
    /// use std::sync::Arc;
    ///
    /// coro_core::run(async {
    ///     let config = Arc::new(RwLock::new(1));
    ///     let mut writer = config.clone().write_owned().await;
    ///     coro_core::spawn(async move { *writer = 2 }).join().await.unwrap();
    ///     assert_eq!(*config.clone().read_owned().await, 2);
    /// });
    /// ```
    pub fn write_owned(self: Arc<Self>) -> WriteOwned<T> {
        WriteOwned { acquire: RawAcquire::new(self, MAX_READS) }
    }

    /// The data, through a unique borrow of the lock (no locking needed).
    pub fn get_mut(&mut self) -> &mut T {
        // SAFETY: `&mut self` proves that no guard exists.
        self.data.with_mut(|data| unsafe { &mut *data })
    }

    fn data(&self) -> &T {
        // SAFETY: called by guards only; a guard holds at least one permit, so no writer's guard exists
        // (a writer holds all of them) unless it is this one.
        self.data.with(|data| unsafe { &*data })
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> Self {
        RwLock::new(value)
    }
}

/// The operation returned by [`RwLock::read`].
#[must_use = "read does nothing unless awaited"]
pub struct Read<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    acquire: RawAcquire<&'a Semaphore>,
}

/// The operation returned by [`RwLock::write`].
#[must_use = "write does nothing unless awaited"]
pub struct Write<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    acquire: RawAcquire<&'a Semaphore>,
}

impl<'a, T: ?Sized> Future for Read<'a, T> {
    type Output = RwLockReadGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match ready!(Pin::new(&mut self.acquire).poll(cx)) {
            Ok(()) => Poll::Ready(RwLockReadGuard { lock: self.lock }),
            Err(_) => unreachable!("a lock's semaphore is never closed"),
        }
    }
}

impl<'a, T: ?Sized> Future for Write<'a, T> {
    type Output = RwLockWriteGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match ready!(Pin::new(&mut self.acquire).poll(cx)) {
            Ok(()) => Poll::Ready(RwLockWriteGuard { lock: self.lock }),
            Err(_) => unreachable!("a lock's semaphore is never closed"),
        }
    }
}

impl<T: ?Sized> Suspend for Read<'_, T> {}
impl<T: ?Sized> Suspend for Write<'_, T> {}

impl<T: ?Sized> SemaphoreRef for Arc<RwLock<T>> {
    fn semaphore(&self) -> &Semaphore {
        &self.semaphore
    }
}

/// The operation returned by [`RwLock::read_owned`].
#[must_use = "read_owned does nothing unless awaited"]
pub struct ReadOwned<T: ?Sized> {
    acquire: RawAcquire<Arc<RwLock<T>>>,
}

/// The operation returned by [`RwLock::write_owned`].
#[must_use = "write_owned does nothing unless awaited"]
pub struct WriteOwned<T: ?Sized> {
    acquire: RawAcquire<Arc<RwLock<T>>>,
}

impl<T: ?Sized> Future for ReadOwned<T> {
    type Output = OwnedRwLockReadGuard<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match ready!(Pin::new(&mut self.acquire).poll(cx)) {
            Ok(()) => Poll::Ready(OwnedRwLockReadGuard { lock: self.acquire.owner().clone() }),
            Err(_) => unreachable!("a lock's semaphore is never closed"),
        }
    }
}

impl<T: ?Sized> Future for WriteOwned<T> {
    type Output = OwnedRwLockWriteGuard<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match ready!(Pin::new(&mut self.acquire).poll(cx)) {
            Ok(()) => Poll::Ready(OwnedRwLockWriteGuard { lock: self.acquire.owner().clone() }),
            Err(_) => unreachable!("a lock's semaphore is never closed"),
        }
    }
}

impl<T: ?Sized> Suspend for ReadOwned<T> {}
impl<T: ?Sized> Suspend for WriteOwned<T> {}

/// Shared access to the data of a [`RwLock`] reached through an `Arc` ([`RwLock::read_owned`]); dropping it
/// releases it.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedRwLockReadGuard<T: ?Sized> {
    lock: Arc<RwLock<T>>,
}

/// Exclusive access to the data of a [`RwLock`] reached through an `Arc` ([`RwLock::write_owned`]);
/// dropping it releases it.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedRwLockWriteGuard<T: ?Sized> {
    lock: Arc<RwLock<T>>,
}

impl<T: ?Sized> Deref for OwnedRwLockReadGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.lock.data()
    }
}

impl<T: ?Sized> Deref for OwnedRwLockWriteGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.lock.data()
    }
}

impl<T: ?Sized> DerefMut for OwnedRwLockWriteGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds every permit, so it is the only guard, and `&mut self` the only borrow.
        self.lock.data.with_mut(|data| unsafe { &mut *data })
    }
}

impl<T: ?Sized> Drop for OwnedRwLockReadGuard<T> {
    fn drop(&mut self) {
        self.lock.semaphore.release(1);
    }
}

impl<T: ?Sized> Drop for OwnedRwLockWriteGuard<T> {
    fn drop(&mut self) {
        self.lock.semaphore.release(MAX_READS);
    }
}

impl<T: ?Sized> fmt::Debug for ReadOwned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadOwned").finish_non_exhaustive()
    }
}

impl<T: ?Sized> fmt::Debug for WriteOwned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteOwned").finish_non_exhaustive()
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockReadGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockWriteGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Shared access to the data of a [`RwLock`]; dropping it releases it.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

/// Exclusive access to the data of a [`RwLock`]; dropping it releases it.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

// SAFETY: `&RwLockWriteGuard` only gives `&T`; the `Send + Sync` bound on `T` is what `&RwLock<T>` needs to
// cross threads at all.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLockWriteGuard<'_, T> {}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.lock.data()
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.lock.data()
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds every permit, so it is the only guard, and `&mut self` the only borrow.
        self.lock.data.with_mut(|data| unsafe { &mut *data })
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.semaphore.release(1);
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.semaphore.release(MAX_READS);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

impl<T: ?Sized> fmt::Debug for Read<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Read").finish_non_exhaustive()
    }
}

impl<T: ?Sized> fmt::Debug for Write<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Write").finish_non_exhaustive()
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::task::Waker;

    #[test]
    fn a_queued_writer_holds_back_later_readers() {
        let lock = RwLock::new(0);
        let mut cx = Context::from_waker(Waker::noop());
        let reader = lock.try_read().unwrap();
        let mut writer = lock.write();
        assert!(Pin::new(&mut writer).poll(&mut cx).is_pending());
        // A reader arriving after the writer waits behind it, although the lock is only read-held.
        assert!(lock.try_read().is_err());
        let mut late_reader = lock.read();
        assert!(Pin::new(&mut late_reader).poll(&mut cx).is_pending());
        drop(reader);
        let Poll::Ready(mut w) = Pin::new(&mut writer).poll(&mut cx) else { panic!("writer starved") };
        *w = 1;
        assert!(Pin::new(&mut late_reader).poll(&mut cx).is_pending());
        drop(w);
        let Poll::Ready(r) = Pin::new(&mut late_reader).poll(&mut cx) else { panic!("reader not let in") };
        assert_eq!(*r, 1);
    }

    #[test]
    fn get_mut_into_inner_and_debug() {
        let mut lock = RwLock::new(1);
        *lock.get_mut() += 1;
        let w = lock.try_write().unwrap();
        assert_eq!(format!("{lock:?}"), "RwLock { data: <locked> }");
        drop(w);
        assert_eq!(format!("{lock:?}"), "RwLock { data: 2 }");
        assert_eq!(lock.into_inner(), 2);
    }

    #[test]
    fn guards_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<RwLock<Vec<u8>>>();
        check::<RwLockReadGuard<'_, Vec<u8>>>();
        check::<RwLockWriteGuard<'_, Vec<u8>>>();
    }
}
