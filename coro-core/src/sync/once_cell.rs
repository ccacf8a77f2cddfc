//! A cell written once, by a coroutine initializer that concurrent callers wait for.
//!
//! # Design
//!
//! As in tokio, the value lives in a `std::sync::OnceLock` and a [`Semaphore`] with one permit elects the
//! initializer. A caller that finds the cell empty queues for the permit; the holder runs its initializer,
//! stores the value and closes the semaphore, which releases every queued caller to read the value. If the
//! initializer is cancelled, panics or (for [`get_or_try_init`](OnceCell::get_or_try_init)) fails, dropping
//! the permit hands it to the next caller in line, which runs its own initializer: the cell is never left
//! stuck. [`set`](OnceCell::set) stores a value directly and closes the semaphore too.
//!
//! The returned future is a small enum: when the cell is already initialized it holds the value and allocates
//! nothing; otherwise it boxes the `async` block that waits and initializes, which keeps the code free of
//! `unsafe` pin projections at the cost of one allocation per caller during initialization only.

use super::semaphore::Semaphore;
use crate::Suspend;
use crate::runtime::coop;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll, ready};

/// A thread-safe cell initialized once, possibly by a coroutine.
///
/// ```
/// use coro_core::sync::OnceCell;
///
/// async fn load_config() -> String {
///     coro_core::yield_now().await; // stands in for reading a file
///     String::from("port = 80")
/// }
///
/// let config = OnceCell::new();
/// coro_core::block_on(async {
///     assert_eq!(config.get_or_init(load_config).await, "port = 80");
///     // Initialized: later initializers do not run.
///     assert_eq!(config.get_or_init(|| async { unreachable!() }).await, "port = 80");
/// });
/// ```
///
/// Inside a `#[coro::coroutine]` the operation suspends without `.await`, and the initializer may be a
/// closure calling a coroutine: `let cfg = config.get_or_init(|| load_config());`.
///
/// Concurrent callers of `get_or_init` wait for the first one's initializer instead of running their own,
/// unless it is cancelled or panics: then the next caller in line runs its initializer.
pub struct OnceCell<T> {
    value: OnceLock<T>,
    /// One permit: the right to run an initializer. Closed once the value is set.
    init: Semaphore,
}

impl<T> OnceCell<T> {
    /// Creates an empty cell.
    pub fn new() -> OnceCell<T> {
        OnceCell { value: OnceLock::new(), init: Semaphore::new(1) }
    }

    /// The value, if the cell is initialized.
    pub fn get(&self) -> Option<&T> {
        self.value.get()
    }

    /// The value, through a unique borrow, if the cell is initialized.
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.value.get_mut()
    }

    /// Consumes the cell, returning the value if it was initialized.
    pub fn into_inner(self) -> Option<T> {
        self.value.into_inner()
    }

    /// Stores `value` if the cell is empty, releasing the callers waiting in `get_or_init`; gives `value`
    /// back if the cell was already initialized.
    ///
    /// If an initializer is running meanwhile, the value set here wins: the initializer's is dropped when it
    /// finishes, and every caller gets this one.
    pub fn set(&self, value: T) -> Result<(), T> {
        self.value.set(value)?;
        self.init.close();
        Ok(())
    }

    /// The value, running `init` to produce it if the cell is empty. The operation is [`Suspend`].
    ///
    /// If another caller is initializing, waits for it. If that initializer is cancelled or panics, the
    /// first waiting caller runs its own `init` instead.
    pub fn get_or_init<F, Fut>(&self, init: F) -> GetOrInit<impl Future<Output = &T>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        let slow = async move {
            match self.initialize(move || async move { Ok::<T, Infallible>(init().await) }).await {
                Ok(value) => value,
                Err(never) => match never {},
            }
        };
        GetOrInit::new(self.get(), slow)
    }

    /// The value, running the fallible `init` to produce it if the cell is empty. The operation is
    /// [`Suspend`].
    ///
    /// If `init` fails, its error is returned and the cell stays empty: the next caller in line runs its own
    /// initializer.
    pub fn get_or_try_init<E, F, Fut>(&self, init: F) -> GetOrInit<impl Future<Output = Result<&T, E>>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        GetOrInit::new(self.get().map(Ok), self.initialize(init))
    }

    async fn initialize<E, F, Fut>(&self, init: F) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        // Closed: the value is set. Otherwise our turn to initialize, unless someone `set` it meanwhile.
        let permit = match self.init.acquire().await {
            Ok(permit) => permit,
            Err(_closed) => return Ok(self.initialized()),
        };
        if self.get().is_none() {
            // Cancelled or panicking here, `permit` is dropped and the next caller in line takes over.
            let value = init().await?;
            // Fails only if `set` won the race; then its value stands.
            let _ = self.value.set(value);
        }
        permit.forget();
        self.init.close();
        Ok(self.initialized())
    }

    fn initialized(&self) -> &T {
        self.get().expect("the initializer semaphore is closed only once the value is set")
    }
}

impl<T> Default for OnceCell<T> {
    fn default() -> Self {
        OnceCell::new()
    }
}

impl<T> From<T> for OnceCell<T> {
    fn from(value: T) -> Self {
        let cell = OnceCell::new();
        let _ = cell.set(value);
        cell
    }
}

/// The operation returned by [`OnceCell::get_or_init`] and [`OnceCell::get_or_try_init`].
#[must_use = "get_or_init does nothing unless awaited"]
pub struct GetOrInit<Fut: Future> {
    state: Init<Fut>,
}

enum Init<Fut: Future> {
    /// Initialized already: the answer.
    Ready(Option<Fut::Output>),
    /// Waiting or initializing.
    Slow(Pin<Box<Fut>>),
}

impl<Fut: Future> GetOrInit<Fut> {
    fn new(ready: Option<Fut::Output>, slow: Fut) -> Self {
        let state = match ready {
            Some(value) => Init::Ready(Some(value)),
            None => Init::Slow(Box::pin(slow)),
        };
        GetOrInit { state }
    }
}

impl<Fut: Future> Unpin for GetOrInit<Fut> {}

impl<Fut: Future> Future for GetOrInit<Fut> {
    type Output = Fut::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Fut::Output> {
        match &mut self.state {
            Init::Ready(value) => {
                ready!(coop::poll_proceed(cx)).made_progress();
                Poll::Ready(value.take().expect("`GetOrInit` polled after it completed"))
            }
            // The semaphore's operations inside charge the budget.
            Init::Slow(fut) => fut.as_mut().poll(cx),
        }
    }
}

impl<Fut: Future> Suspend for GetOrInit<Fut> {}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceCell").field("value", &self.get()).finish()
    }
}

impl<Fut: Future> fmt::Debug for GetOrInit<Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GetOrInit").finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::block_on;
    use std::task::Waker;

    #[test]
    fn a_cancelled_initializer_hands_over_to_the_next_caller() {
        let cell = OnceCell::new();
        let mut cx = Context::from_waker(Waker::noop());
        let mut first = cell.get_or_init(std::future::pending::<u32>);
        let mut second = cell.get_or_init(|| async { 2 });
        assert!(Pin::new(&mut first).poll(&mut cx).is_pending());
        assert!(Pin::new(&mut second).poll(&mut cx).is_pending(), "second did not wait for first");
        drop(first);
        assert_eq!(Pin::new(&mut second).poll(&mut cx), Poll::Ready(&2));
        assert_eq!(cell.get(), Some(&2));
    }

    #[test]
    fn a_failed_initializer_leaves_the_cell_empty() {
        let cell = OnceCell::new();
        assert_eq!(block_on(cell.get_or_try_init(|| async { Err::<u8, _>("nope") })), Err("nope"));
        assert_eq!(cell.get(), None);
        assert_eq!(block_on(cell.get_or_try_init(|| async { Ok::<_, ()>(1) })), Ok(&1));
    }

    #[test]
    fn set_releases_waiters_and_wins_over_a_running_initializer() {
        let cell = OnceCell::new();
        let mut cx = Context::from_waker(Waker::noop());
        let mut initializing = cell.get_or_init(|| async {
            crate::yield_now().await;
            1
        });
        let mut waiting = cell.get_or_init(|| async { 2 });
        assert!(Pin::new(&mut initializing).poll(&mut cx).is_pending());
        assert!(Pin::new(&mut waiting).poll(&mut cx).is_pending());
        assert_eq!(cell.set(3), Ok(()));
        assert_eq!(cell.set(4), Err(4));
        assert_eq!(Pin::new(&mut waiting).poll(&mut cx), Poll::Ready(&3));
        assert_eq!(Pin::new(&mut initializing).poll(&mut cx), Poll::Ready(&3));
    }

    #[test]
    fn get_mut_into_inner_and_from() {
        let mut cell = OnceCell::from(5);
        *cell.get_mut().unwrap() += 1;
        assert_eq!(format!("{cell:?}"), "OnceCell { value: Some(6) }");
        assert_eq!(cell.into_inner(), Some(6));
    }
}
