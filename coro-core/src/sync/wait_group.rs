//! Go's `sync.WaitGroup`: wait until a counter of outstanding work drops to zero.
//!
//! # Design
//!
//! The counter, an epoch and a [`WaitList`] live under one mutex. Each waiter carries the epoch it started
//! waiting in; every time the counter drops to zero the epoch moves on, and the waiters of older epochs are
//! released, batch by batch. So a waiter that saw the counter at zero once completes even if `add` raised it
//! again before the waiter ran, and waiters that arrive after such an `add` wait for the next zero.

use super::wait_list::{WaitList, WakeList, wake_batched};
use crate::Suspend;
use crate::loom::{Mutex, lock};
use crate::runtime::coop;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// Waits for a collection of tasks to finish, as Go's `sync.WaitGroup`.
///
/// `add(n)` before starting `n` pieces of work, `done()` as each finishes, and `wait()` suspends until the
/// counter is zero. Share it by reference, or in an `Arc` with spawned tasks:
///
/// ```
/// use coro_core::sync::WaitGroup;
/// use std::sync::Arc;
///
/// let wg = Arc::new(WaitGroup::new());
/// wg.add(2);
/// for _ in 0..2 {
///     let wg = wg.clone();
///     std::thread::spawn(move || wg.done()); // any thread or task may call `done`
/// }
/// coro_core::block_on(wg.wait());
/// assert_eq!(wg.count(), 0);
/// ```
///
/// Inside a `#[coro::coroutine]` the operation suspends without `.await`: `wg.wait();`.
pub struct WaitGroup {
    state: Mutex<State>,
}

struct State {
    count: usize,
    epoch: u64,
    /// Each waiter's slot holds the epoch it started waiting in.
    waiters: WaitList<u64>,
}

impl State {
    /// Releases the waiters of past epochs.
    fn release(&mut self, wakers: &mut WakeList) {
        let epoch = self.epoch;
        self.waiters.release_front(wakers, |&mut started| started != epoch);
    }
}

impl WaitGroup {
    /// Creates a wait group with a counter of zero.
    pub fn new() -> WaitGroup {
        WaitGroup { state: Mutex::new(State { count: 0, epoch: 0, waiters: WaitList::new() }) }
    }

    /// Adds `n` to the counter.
    ///
    /// # Panics
    ///
    /// If the counter would overflow `usize`.
    pub fn add(&self, n: usize) {
        let mut state = lock(&self.state);
        state.count = state.count.checked_add(n).expect("WaitGroup counter overflows `usize`");
    }

    /// Subtracts one from the counter, releasing the waiters when it reaches zero.
    ///
    /// # Panics
    ///
    /// If the counter is already zero (`done` called more often than `add` allowed for).
    pub fn done(&self) {
        let done = |state: &mut State, _: &mut WakeList| {
            state.count =
                state.count.checked_sub(1).expect("WaitGroup::done called with the counter at zero");
            if state.count == 0 {
                state.epoch = state.epoch.wrapping_add(1);
            }
        };
        wake_batched(&self.state, done, State::release);
    }

    /// The current value of the counter.
    pub fn count(&self) -> usize {
        lock(&self.state).count
    }

    /// Waits until the counter is zero (completes at once if it is).
    pub fn wait(&self) -> Wait<'_> {
        Wait { wait_group: self, key: None }
    }
}

impl Default for WaitGroup {
    fn default() -> Self {
        WaitGroup::new()
    }
}

/// The operation returned by [`WaitGroup::wait`].
#[must_use = "wait does nothing unless awaited"]
pub struct Wait<'a> {
    wait_group: &'a WaitGroup,
    /// The waiter's slot, once queued.
    key: Option<usize>,
}

impl Wait<'_> {
    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = lock(&self.wait_group.state);
        match self.key {
            None if state.count == 0 => Poll::Ready(()),
            None => {
                let epoch = state.epoch;
                self.key = Some(state.waiters.push_back(epoch, cx.waker()));
                Poll::Pending
            }
            Some(key) => {
                ready!(state.waiters.poll_waiter(key, cx.waker()));
                self.key = None;
                Poll::Ready(())
            }
        }
    }
}

impl Future for Wait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let coop = ready!(coop::poll_proceed(cx));
        let res = self.poll_wait(cx);
        if res.is_ready() {
            coop.made_progress();
        }
        res
    }
}

impl Suspend for Wait<'_> {}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            lock(&self.wait_group.state).waiters.remove(key);
        }
    }
}

impl fmt::Debug for WaitGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitGroup").field("count", &self.count()).finish()
    }
}

impl fmt::Debug for Wait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait").finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::task::Waker;

    fn poll(wait: &mut Wait<'_>) -> bool {
        Pin::new(wait).poll(&mut Context::from_waker(Waker::noop())).is_ready()
    }

    #[test]
    fn a_zero_releases_the_waiters_of_its_epoch_only() {
        let wg = WaitGroup::new();
        assert!(poll(&mut wg.wait()));
        wg.add(1);
        let mut early = wg.wait();
        assert!(!poll(&mut early));
        wg.done();
        wg.add(1); // raised again before `early` ran: it still completes
        let mut late = wg.wait();
        assert!(!poll(&mut late));
        assert!(poll(&mut early));
        assert!(!poll(&mut late));
        wg.done();
        assert!(poll(&mut late));
    }

    #[test]
    #[should_panic(expected = "WaitGroup::done called with the counter at zero")]
    fn done_below_zero_panics() {
        WaitGroup::new().done();
    }
}
