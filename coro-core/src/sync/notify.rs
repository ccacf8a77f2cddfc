//! Waking tasks without passing data: tokio's `Notify`.
//!
//! # Design
//!
//! A stored permit (a bool) and a [`WaitList`] of registered [`Notified`] futures live under one mutex.
//! `notify_one` releases the waiter at the front, marking it notified, or stores the permit when nobody
//! waits; a `Notified` consumes the permit on its first poll. A `Notified` that is dropped after it was
//! picked by `notify_one` but before it completed passes the notification on to the next waiter (or back to
//! the permit), so a cancelled waiter never swallows it.
//!
//! `notify_waiters` must reach exactly the `Notified` futures created before it, even those never polled.
//! A counter of its calls does that: each `Notified` reads it when created and completes when, at its first
//! poll, the counter has moved; registered waiters carry the count they read, and `notify_waiters` releases,
//! batch by batch, every waiter with an older count, which waiters registering in between do not have.

use super::wait_list::{WaitList, WakeList, wake_batched};
use crate::Suspend;
use crate::loom::{AtomicUsize, Mutex, Ordering::SeqCst, lock};
use crate::runtime::coop;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// Notifies one task or all waiting tasks of an event.
///
/// ```
/// use coro_core::sync::Notify;
///
/// let ready = Notify::new();
/// ready.notify_one(); // nobody waits: the permit is stored...
/// coro_core::block_on(ready.notified()); // ...and consumed here without waiting
/// ```
///
/// Inside a `#[coro::coroutine]` the operation suspends without `.await`: `ready.notified();`.
///
/// - [`notify_one`](Notify::notify_one) wakes the longest-waiting task, or, if none waits, stores one
///   permit (at most one) that the next [`notified`](Notify::notified) consumes at once.
/// - [`notify_waiters`](Notify::notify_waiters) wakes every task waiting now, which includes each `Notified`
///   created before the call even if it was not polled yet, and stores no permit.
pub struct Notify {
    /// Calls of `notify_waiters` so far (wrapping); changed under the lock.
    waiters_calls: AtomicUsize,
    state: Mutex<State>,
}

struct State {
    permit: bool,
    waiters: WaitList<Waiter>,
}

struct Waiter {
    /// `notify_waiters` calls counted when the `Notified` was created.
    calls: usize,
    /// What released it.
    by: Option<Notification>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Notification {
    One,
    All,
}

impl State {
    fn notify_one(&mut self, wakers: &mut WakeList) {
        match self.waiters.pop_front(wakers) {
            Some(waiter) => waiter.by = Some(Notification::One),
            None => self.permit = true,
        }
    }
}

impl Notify {
    /// Creates a `Notify` without a stored permit.
    pub fn new() -> Notify {
        Notify {
            waiters_calls: AtomicUsize::new(0),
            state: Mutex::new(State { permit: false, waiters: WaitList::new() }),
        }
    }

    /// Waits for a notification: the operation completes on a `notify_one` aimed at it (or a permit stored
    /// before), or on a `notify_waiters` called after it was created.
    pub fn notified(&self) -> Notified<'_> {
        Notified { notify: self, calls: self.waiters_calls.load(SeqCst), state: NotifiedState::Init }
    }

    /// Wakes the task that has waited longest, or stores a permit for the next `notified()` if none waits.
    pub fn notify_one(&self) {
        wake_batched(&self.state, State::notify_one, |_, _| {});
    }

    /// Wakes every task waiting now and every `Notified` already created; stores no permit.
    #[doc(alias = "notify_all")]
    pub fn notify_waiters(&self) {
        let bump = |_: &mut State, _: &mut WakeList| {
            self.waiters_calls.fetch_add(1, SeqCst);
        };
        wake_batched(&self.state, bump, |state, wakers| {
            // Every waiter that read an older count. (Read again for each batch: a later call in between
            // releases everyone before it too.)
            let calls = self.waiters_calls.load(SeqCst);
            state.waiters.release_front(wakers, |waiter| {
                let older = waiter.calls != calls;
                if older {
                    waiter.by = Some(Notification::All);
                }
                older
            })
        });
    }
}

impl Default for Notify {
    fn default() -> Self {
        Notify::new()
    }
}

/// The operation returned by [`Notify::notified`].
#[must_use = "notified does nothing unless awaited"]
pub struct Notified<'a> {
    notify: &'a Notify,
    /// `notify_waiters` calls counted at creation.
    calls: usize,
    state: NotifiedState,
}

enum NotifiedState {
    Init,
    /// Registered: the waiter's key.
    Waiting(usize),
    Done,
}

impl Notified<'_> {
    fn poll_notified(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = lock(&self.notify.state);
        match self.state {
            NotifiedState::Init => {
                // A `notify_waiters` since creation completes it (and leaves the permit alone).
                let missed_all = self.notify.waiters_calls.load(SeqCst) != self.calls;
                if missed_all || std::mem::take(&mut state.permit) {
                    self.state = NotifiedState::Done;
                    return Poll::Ready(());
                }
                let waiter = Waiter { calls: self.calls, by: None };
                self.state = NotifiedState::Waiting(state.waiters.push_back(waiter, cx.waker()));
                Poll::Pending
            }
            NotifiedState::Waiting(key) => {
                ready!(state.waiters.poll_waiter(key, cx.waker()));
                self.state = NotifiedState::Done;
                Poll::Ready(())
            }
            NotifiedState::Done => Poll::Ready(()),
        }
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let coop = ready!(coop::poll_proceed(cx));
        let res = self.poll_notified(cx);
        if res.is_ready() {
            coop.made_progress();
        }
        res
    }
}

impl Suspend for Notified<'_> {}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        let NotifiedState::Waiting(key) = self.state else { return };
        let leave = |state: &mut State, wakers: &mut WakeList| {
            let (waiter, released) = state.waiters.remove(key);
            if released && waiter.by == Some(Notification::One) {
                // Picked by `notify_one` but never completed: the notification goes to the next waiter.
                state.notify_one(wakers);
            }
        };
        wake_batched(&self.notify.state, leave, |_, _| {});
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("Notify").field("permit", &state.permit).finish_non_exhaustive()
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified").finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::block_on;
    use std::task::Waker;

    fn poll(notified: &mut Pin<&mut Notified<'_>>) -> bool {
        notified.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_ready()
    }

    #[test]
    fn notify_one_stores_one_permit() {
        let notify = Notify::new();
        notify.notify_one();
        notify.notify_one();
        block_on(notify.notified());
        let mut second = std::pin::pin!(notify.notified());
        assert!(!poll(&mut second), "more than one permit stored");
    }

    #[test]
    fn notify_one_wakes_in_fifo_order() {
        let notify = Notify::new();
        let mut first = std::pin::pin!(notify.notified());
        let mut second = std::pin::pin!(notify.notified());
        assert!(!poll(&mut first));
        assert!(!poll(&mut second));
        notify.notify_one();
        assert!(!poll(&mut second));
        assert!(poll(&mut first));
        notify.notify_one();
        assert!(poll(&mut second));
    }

    #[test]
    fn notify_waiters_reaches_created_futures_but_stores_nothing() {
        let notify = Notify::new();
        let mut polled = std::pin::pin!(notify.notified());
        let mut unpolled = std::pin::pin!(notify.notified());
        assert!(!poll(&mut polled));
        notify.notify_waiters();
        assert!(poll(&mut polled));
        assert!(poll(&mut unpolled), "created before notify_waiters");
        let mut later = std::pin::pin!(notify.notified());
        assert!(!poll(&mut later), "notify_waiters stored a permit");
    }

    #[test]
    fn dropped_notified_passes_notify_one_on() {
        let notify = Notify::new();
        let mut first = Box::pin(notify.notified());
        let mut second = std::pin::pin!(notify.notified());
        assert!(!poll(&mut first.as_mut()));
        assert!(!poll(&mut second));
        notify.notify_one(); // picks `first`...
        drop(first); // ...which is cancelled before it completes
        assert!(poll(&mut second));

        // With nobody else waiting, it goes back to the permit.
        let mut only = Box::pin(notify.notified());
        assert!(!poll(&mut only.as_mut()));
        notify.notify_one();
        drop(only);
        assert!(poll(&mut std::pin::pin!(notify.notified())));
    }

    #[test]
    fn dropped_notified_does_not_pass_notify_waiters_on() {
        let notify = Notify::new();
        let mut first = Box::pin(notify.notified());
        assert!(!poll(&mut first.as_mut()));
        notify.notify_waiters();
        drop(first);
        assert!(!poll(&mut std::pin::pin!(notify.notified())));
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::{Arc, block_on, thread};
    use std::task::Waker;

    /// `notify_one` races the registration of `notified`: the waiter completes either way (the permit or the
    /// wake-up is never lost).
    #[test]
    fn loom_notify_one_vs_notified() {
        loom::model(|| {
            let notify = Arc::new(Notify::new());
            let other = notify.clone();
            let t = thread::spawn(move || other.notify_one());
            block_on(notify.notified());
            t.join().unwrap();
        });
    }

    /// A registered waiter is cancelled while `notify_one` runs, and another task waits: the notification
    /// reaches the other task whichever of the two it picked.
    #[test]
    fn loom_notify_cancelled_notified_passes_it_on() {
        loom::model(|| {
            let notify = Arc::new(Notify::new());
            let mut cancelled = Box::pin(notify.notified());
            let mut cx = Context::from_waker(Waker::noop());
            assert!(cancelled.as_mut().poll(&mut cx).is_pending());
            let notifier = notify.clone();
            let t = thread::spawn(move || notifier.notify_one());
            let waiter = notify.clone();
            let w = thread::spawn(move || block_on(waiter.notified()));
            drop(cancelled);
            t.join().unwrap();
            w.join().unwrap();
        });
    }
}
