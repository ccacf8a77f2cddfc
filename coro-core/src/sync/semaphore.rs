//! A fair counting semaphore, and the base of [`Mutex`](super::Mutex) and [`RwLock`](super::RwLock).
//!
//! # Design
//!
//! The free permits and a [`WaitList`] of waiters live under one mutex. Waiters are served strictly in
//! arrival order: released permits go to the waiter at the front of the queue, even partially (a waiter for
//! five permits collects them as they come back, and nobody behind it or arriving later can take them), and
//! an acquire succeeds at once only when nobody is queued. That is what makes the locks built on it fair:
//! unlocking a contended [`Mutex`](super::Mutex) hands the lock to the longest waiter, which cannot starve.
//!
//! Cancellation never loses permits. A waiter's slot records how many permits it still needs; the future,
//! when dropped, frees the slot and gives back whatever it was assigned (all of them if it had been served
//! but not yet polled), which goes straight to the next waiter. Closing releases every waiter with an error.
//!
//! The owned forms ([`Semaphore::acquire_owned`], and the locks' `lock_owned`, `read_owned`, `write_owned`)
//! run the same acquisition ([`RawAcquire`]) through an `Arc` instead of a borrow ([`SemaphoreRef`]), so
//! their guards borrow nothing and can move into a spawned task.
//!
//! Waking happens outside the lock, in batches ([`wake_batched`]), so `add_permits(1000)` with a thousand
//! waiters never holds the lock while wakers run.

use crate::Suspend;
use crate::loom::{Mutex, lock};
use crate::runtime::coop;
use crate::wait_list::{WaitList, WakeList, wake_batched};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker, ready};

/// A counting semaphore with fair (FIFO) acquisition.
///
/// Limits how many tasks do something at once: each holds a [`SemaphorePermit`] while it does, and the
/// permit goes back when the guard is dropped.
///
/// ```
/// use coro_core::sync::Semaphore;
///
/// let connections = Semaphore::new(2);
/// coro_core::block_on(async {
///     let first = connections.acquire().await.unwrap();
///     let _second = connections.acquire().await.unwrap();
///     assert!(connections.try_acquire().is_err()); // both permits are out
///     drop(first);
///     assert!(connections.try_acquire().is_ok());
/// });
/// ```
///
/// Inside a `#[coro::coroutine]` the operation suspends without `.await`: `let _permit = sem.acquire()?;`.
///
/// Waiters acquire in the order they started waiting; a waiter that needs more permits than are free holds
/// back everyone behind it. Dropping an [`Acquire`] that was waiting (cancelling it) passes on any permits it
/// had been given.
pub struct Semaphore {
    state: Mutex<State>,
}

struct State {
    /// Free permits, assigned to nobody.
    permits: usize,
    closed: bool,
    /// Each waiter's slot holds the number of permits it still needs.
    waiters: WaitList<usize>,
}

impl State {
    /// Serves the queue from the front with the free permits (or, once closed, releases everyone).
    fn assign(&mut self, wakers: &mut WakeList) {
        let State { permits, closed, waiters } = self;
        if *closed {
            waiters.release_front(wakers, |_| true);
            return;
        }
        waiters.release_front(wakers, |needed| {
            let take = (*needed).min(*permits);
            *needed -= take;
            *permits -= take;
            *needed == 0
        });
    }

    /// Takes `n` permits if nobody queued before.
    fn try_take(&mut self, n: usize) -> Result<(), TryAcquireError> {
        if self.closed {
            Err(TryAcquireError::Closed)
        } else if self.waiters.is_empty() && self.permits >= n {
            self.permits -= n;
            Ok(())
        } else {
            Err(TryAcquireError::NoPermits)
        }
    }

    fn add(&mut self, n: usize) {
        self.permits = self.permits.checked_add(n).expect("Semaphore permits overflow `usize`");
    }
}

/// The semaphore was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcquireError;

/// Why [`Semaphore::try_acquire`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryAcquireError {
    /// The semaphore was closed.
    Closed,
    /// Not enough free permits, or other tasks are queued first.
    NoPermits,
}

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("semaphore closed")
    }
}

impl std::error::Error for AcquireError {}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryAcquireError::Closed => f.write_str("semaphore closed"),
            TryAcquireError::NoPermits => f.write_str("no permits available"),
        }
    }
}

impl std::error::Error for TryAcquireError {}

impl Semaphore {
    /// Creates a semaphore with `permits` free permits.
    pub fn new(permits: usize) -> Semaphore {
        Semaphore { state: Mutex::new(State { permits, closed: false, waiters: WaitList::new() }) }
    }

    /// The number of free permits (permits already promised to a queued waiter are not free).
    pub fn available_permits(&self) -> usize {
        lock(&self.state).permits
    }

    /// Waits for one permit. Fails if the semaphore is closed.
    pub fn acquire(&self) -> Acquire<'_> {
        self.acquire_many(1)
    }

    /// Waits for `n` permits, taken all at once. Fails if the semaphore is closed.
    ///
    /// A request for more permits than the semaphore will ever have waits forever (and holds back the
    /// waiters behind it).
    pub fn acquire_many(&self, n: usize) -> Acquire<'_> {
        Acquire { raw: self.acquire_raw(n) }
    }

    /// Takes one permit if one is free and nobody is queued for it.
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if they are free and nobody is queued for them.
    pub fn try_acquire_many(&self, n: usize) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_raw(n)?;
        Ok(SemaphorePermit { semaphore: self, permits: n })
    }

    /// Adds `n` permits, waking the waiters they serve.
    ///
    /// # Panics
    ///
    /// If the number of free permits would overflow `usize`.
    pub fn add_permits(&self, n: usize) {
        wake_batched(&self.state, |state, _| state.add(n), State::assign);
    }

    /// Closes the semaphore: every waiting and future `acquire` fails with [`AcquireError`], every
    /// `try_acquire` with [`TryAcquireError::Closed`]. Permits already held stay valid.
    pub fn close(&self) {
        wake_batched(&self.state, |state, _| state.closed = true, State::assign);
    }

    /// Whether [`close`](Semaphore::close) was called.
    pub fn is_closed(&self) -> bool {
        lock(&self.state).closed
    }

    /// Waits for one permit, through an `Arc`: the permit owns its reference to the semaphore, so it can be
    /// moved into a spawned task. Fails if the semaphore is closed.
    ///
    /// ```
    /// use coro_core::sync::Semaphore;
    /// use std::sync::Arc;
    ///
    /// coro_core::run(async {
    ///     let limit = Arc::new(Semaphore::new(2));
    ///     let permit = limit.clone().acquire_owned().await.unwrap();
    ///     let task = coro_core::spawn(async move {
    ///         let _permit = permit; // held until the task ends
    ///     });
    ///     task.join().await.unwrap();
    ///     assert_eq!(limit.available_permits(), 2);
    /// });
    /// ```
    pub fn acquire_owned(self: Arc<Self>) -> AcquireOwned {
        self.acquire_many_owned(1)
    }

    /// Waits for `n` permits, taken all at once, through an `Arc` (see
    /// [`acquire_owned`](Semaphore::acquire_owned)).
    pub fn acquire_many_owned(self: Arc<Self>, n: usize) -> AcquireOwned {
        AcquireOwned { raw: RawAcquire::new(self, n) }
    }

    /// Takes one permit if one is free and nobody is queued for it, through an `Arc`.
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_raw(1)?;
        Ok(OwnedSemaphorePermit { semaphore: self, permits: 1 })
    }

    pub(crate) fn acquire_raw(&self, n: usize) -> RawAcquire<&Semaphore> {
        RawAcquire::new(self, n)
    }

    pub(crate) fn try_acquire_raw(&self, n: usize) -> Result<(), TryAcquireError> {
        lock(&self.state).try_take(n)
    }

    /// Gives back `n` permits taken by a guard.
    pub(crate) fn release(&self, n: usize) {
        self.add_permits(n);
    }
}

/// How an acquisition reaches its semaphore: a borrow, or an `Arc` of the semaphore or of a lock built on
/// one (the owned forms).
pub(crate) trait SemaphoreRef {
    fn semaphore(&self) -> &Semaphore;
}

impl SemaphoreRef for &Semaphore {
    fn semaphore(&self) -> &Semaphore {
        self
    }
}

impl SemaphoreRef for Arc<Semaphore> {
    fn semaphore(&self) -> &Semaphore {
        self
    }
}

/// Acquisition without a guard: the locks build their own guards on it.
pub(crate) struct RawAcquire<S: SemaphoreRef> {
    owner: S,
    n: usize,
    /// The waiter's slot, once queued.
    key: Option<usize>,
}

impl<S: SemaphoreRef> RawAcquire<S> {
    pub(crate) fn new(owner: S, n: usize) -> RawAcquire<S> {
        RawAcquire { owner, n, key: None }
    }

    /// What the semaphore was reached through, to build a guard on.
    pub(crate) fn owner(&self) -> &S {
        &self.owner
    }

    fn poll_acquire(&mut self, waker: &Waker) -> Poll<Result<(), AcquireError>> {
        let mut state = lock(&self.owner.semaphore().state);
        let Some(key) = self.key else {
            return match state.try_take(self.n) {
                Ok(()) => Poll::Ready(Ok(())),
                Err(TryAcquireError::Closed) => Poll::Ready(Err(AcquireError)),
                Err(TryAcquireError::NoPermits) => {
                    // First in the queue: take what is free now, so that nobody behind can.
                    let take = if state.waiters.is_empty() { state.permits.min(self.n) } else { 0 };
                    state.permits -= take;
                    self.key = Some(state.waiters.push_back(self.n - take, waker));
                    Poll::Pending
                }
            };
        };
        let needed = ready!(state.waiters.poll_waiter(key, waker));
        self.key = None;
        if needed == 0 {
            return Poll::Ready(Ok(()));
        }
        // Released short of its permits: the semaphore was closed. Give back what it had been assigned.
        state.permits += self.n - needed;
        Poll::Ready(Err(AcquireError))
    }
}

impl<S: SemaphoreRef> Unpin for RawAcquire<S> {}

impl<S: SemaphoreRef> Future for RawAcquire<S> {
    type Output = Result<(), AcquireError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let coop = ready!(coop::poll_proceed(cx));
        let res = self.poll_acquire(cx.waker());
        if res.is_ready() {
            coop.made_progress();
        }
        res
    }
}

impl<S: SemaphoreRef> Drop for RawAcquire<S> {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        // Cancelled while queued, or served but never polled again: what it was assigned goes to the next.
        let n = self.n;
        let leave = |state: &mut State, _: &mut WakeList| {
            let (needed, _) = state.waiters.remove(key);
            state.permits += n - needed;
        };
        wake_batched(&self.owner.semaphore().state, leave, State::assign);
    }
}

/// The operation returned by [`Semaphore::acquire`] and [`Semaphore::acquire_many`].
#[must_use = "acquire does nothing unless awaited"]
pub struct Acquire<'a> {
    raw: RawAcquire<&'a Semaphore>,
}

impl<'a> Future for Acquire<'a> {
    type Output = Result<SemaphorePermit<'a>, AcquireError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        ready!(Pin::new(&mut self.raw).poll(cx))?;
        Poll::Ready(Ok(SemaphorePermit { semaphore: self.raw.owner, permits: self.raw.n }))
    }
}

impl Suspend for Acquire<'_> {}

/// The operation returned by [`Semaphore::acquire_owned`] and [`Semaphore::acquire_many_owned`].
#[must_use = "acquire_owned does nothing unless awaited"]
pub struct AcquireOwned {
    raw: RawAcquire<Arc<Semaphore>>,
}

impl Future for AcquireOwned {
    type Output = Result<OwnedSemaphorePermit, AcquireError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        ready!(Pin::new(&mut self.raw).poll(cx))?;
        Poll::Ready(Ok(OwnedSemaphorePermit { semaphore: self.raw.owner.clone(), permits: self.raw.n }))
    }
}

impl Suspend for AcquireOwned {}

/// Permits taken from a [`Semaphore`] through an `Arc` ([`Semaphore::acquire_owned`]); dropping it gives
/// them back. It borrows nothing, so it can move into a spawned task.
#[must_use = "the permits are given back as soon as the guard is dropped"]
pub struct OwnedSemaphorePermit {
    semaphore: Arc<Semaphore>,
    permits: usize,
}

impl OwnedSemaphorePermit {
    /// How many permits this guard holds.
    pub fn num_permits(&self) -> usize {
        self.permits
    }

    /// Keeps the permits out of the semaphore for good (it has that many fewer from now on).
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// The semaphore the permits came from.
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.semaphore
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        if self.permits > 0 {
            self.semaphore.release(self.permits);
        }
    }
}

impl fmt::Debug for AcquireOwned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcquireOwned").field("permits", &self.raw.n).finish_non_exhaustive()
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit").field("permits", &self.permits).finish()
    }
}

/// Permits taken from a [`Semaphore`]; dropping it gives them back.
#[must_use = "the permits are given back as soon as the guard is dropped"]
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
    permits: usize,
}

impl SemaphorePermit<'_> {
    /// How many permits this guard holds.
    pub fn num_permits(&self) -> usize {
        self.permits
    }

    /// Keeps the permits out of the semaphore for good (it has that many fewer from now on).
    pub fn forget(mut self) {
        self.permits = 0;
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        if self.permits > 0 {
            self.semaphore.release(self.permits);
        }
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("Semaphore")
            .field("permits", &state.permits)
            .field("closed", &state.closed)
            .field("queued", &!state.waiters.is_empty())
            .finish()
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire").field("permits", &self.raw.n).finish_non_exhaustive()
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit").field("permits", &self.permits).finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::block_on;
    use crate::test_util::counting_waker;

    fn poll(acquire: &mut Acquire<'_>, waker: &Waker) -> bool {
        match Pin::new(acquire).poll(&mut Context::from_waker(waker)) {
            Poll::Ready(permit) => {
                permit.unwrap().forget();
                true
            }
            Poll::Pending => false,
        }
    }

    #[test]
    fn waiters_are_served_in_order_and_partially() {
        let sem = Semaphore::new(1);
        let (count, waker) = counting_waker();
        let mut big = sem.acquire_many(3);
        let mut small = sem.acquire();
        assert!(!poll(&mut big, &waker));
        // The first waiter took the free permit; the second may not jump the queue.
        assert_eq!(sem.available_permits(), 0);
        assert!(!poll(&mut small, &waker));
        sem.add_permits(1);
        assert_eq!(count.woken(), 0);
        assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
        sem.add_permits(1); // `big` has its 3; `small` gets nothing yet
        assert_eq!(count.woken(), 1);
        assert!(!poll(&mut small, &waker));
        assert!(poll(&mut big, &waker));
        sem.add_permits(1);
        assert!(poll(&mut small, &waker));
    }

    #[test]
    fn cancelled_waiter_passes_its_permits_on() {
        let sem = Semaphore::new(0);
        let (count, waker) = counting_waker();
        let mut first = sem.acquire_many(2);
        let mut second = sem.acquire();
        assert!(!poll(&mut first, &waker));
        assert!(!poll(&mut second, &waker));
        sem.add_permits(1); // assigned to `first`, which still needs one
        drop(first);
        assert_eq!(count.woken(), 1);
        assert!(poll(&mut second, &waker));

        // Served but dropped before it looked: the permits come back whole.
        let mut third = sem.acquire_many(2);
        assert!(!poll(&mut third, &waker));
        sem.add_permits(2);
        drop(third);
        assert_eq!(sem.available_permits(), 2);
    }

    #[test]
    fn close_fails_waiters_and_keeps_permits() {
        let sem = Semaphore::new(1);
        let held = sem.try_acquire().unwrap();
        let mut waiting = sem.acquire();
        let (count, waker) = counting_waker();
        assert!(!poll(&mut waiting, &waker));
        sem.close();
        assert_eq!(count.woken(), 1);
        let res = Pin::new(&mut waiting).poll(&mut Context::from_waker(&waker));
        assert!(matches!(res, Poll::Ready(Err(AcquireError))));
        assert_eq!(block_on(sem.acquire()).unwrap_err(), AcquireError);
        assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::Closed);
        drop(held);
        assert_eq!(sem.available_permits(), 1);
    }

    #[test]
    fn forget_and_num_permits() {
        let sem = Semaphore::new(3);
        let permit = sem.try_acquire_many(2).unwrap();
        assert_eq!(permit.num_permits(), 2);
        permit.forget();
        assert_eq!(sem.available_permits(), 1);
    }

    #[test]
    fn bulk_release_wakes_more_than_a_batch() {
        let sem = Semaphore::new(0);
        let (count, waker) = counting_waker();
        let mut waiters: Vec<_> = (0..100).map(|_| sem.acquire()).collect();
        for w in &mut waiters {
            assert!(!poll(w, &waker));
        }
        sem.add_permits(100);
        assert_eq!(count.woken(), 100);
        assert!(waiters.iter_mut().all(|w| poll(w, &waker)));
    }

    #[test]
    fn futures_and_guards_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Semaphore>();
        check::<Acquire<'_>>();
        check::<SemaphorePermit<'_>>();
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::{Arc, block_on, thread};

    /// Two tasks contend for one permit with the holder releasing: both get it, none is left waiting.
    #[test]
    fn loom_semaphore_acquire_release() {
        loom::model(|| {
            let sem = Arc::new(Semaphore::new(1));
            let other = sem.clone();
            let t = thread::spawn(move || drop(block_on(other.acquire()).unwrap()));
            drop(block_on(sem.acquire()).unwrap());
            t.join().unwrap();
            assert_eq!(sem.available_permits(), 1);
        });
    }

    /// A queued waiter is cancelled while permits are added: whether it had been served or not, the
    /// permits reach the waiter behind it.
    #[test]
    fn loom_semaphore_cancelled_waiter_passes_permits_on() {
        loom::model(|| {
            let sem = Arc::new(Semaphore::new(0));
            let mut cancelled = sem.acquire();
            let mut cx = Context::from_waker(Waker::noop());
            assert!(Pin::new(&mut cancelled).poll(&mut cx).is_pending());
            let adder = sem.clone();
            let t = thread::spawn(move || adder.add_permits(1));
            let waiting = sem.clone();
            // Queued behind the cancelled waiter; deadlocks if the permit is lost with it.
            let w = thread::spawn(move || block_on(waiting.acquire()).unwrap().forget());
            drop(cancelled);
            t.join().unwrap();
            w.join().unwrap();
            assert_eq!(sem.available_permits(), 0);
        });
    }

    /// Acquire, release and a cancelled multi-permit waiter race: every permit is back at the end.
    #[test]
    fn loom_semaphore_no_permit_lost() {
        loom::model(|| {
            let sem = Arc::new(Semaphore::new(2));
            let held = sem.try_acquire_many(2).unwrap();
            let canceller = sem.clone();
            let t = thread::spawn(move || {
                let mut acquire = canceller.acquire_many(2);
                let mut cx = Context::from_waker(Waker::noop());
                let _ = Pin::new(&mut acquire).poll(&mut cx);
            });
            held.forget();
            sem.add_permits(2);
            t.join().unwrap();
            assert_eq!(sem.available_permits(), 2);
        });
    }
}
