//! A watch channel: one latest value, seen by many receivers (configuration reloads, a shutdown broadcast).
//!
//! ```
//! use coro_core::chan::watch;
//!
//! coro_core::run(async {
//!     let (tx, mut rx) = watch::channel("v1");
//!     let reader = coro_core::spawn(async move {
//!         rx.changed().await.unwrap(); // in a coroutine: `rx.changed().unwrap();`
//!         *rx.borrow_and_update()
//!     });
//!     tx.send("v2").unwrap();
//!     assert_eq!(reader.join().await.unwrap(), "v2");
//! });
//! ```
//!
//! Unlike [`broadcast`](super::broadcast), a receiver does not see every value: a slow one sees the latest
//! when it looks, and values sent in between are simply replaced. The names and semantics are tokio's.
//!
//! # Design
//!
//! The value, a version number (bumped by every send), the counts of handles and the queue of waiting
//! [`Changed`] operations (the crate's `WaitList`) live under one mutex. A receiver remembers the version it
//! last saw; `changed()` completes once the channel's version differs, and marks it seen. A send replaces the
//! value and releases every waiter, in batches, waking them after unlocking. [`Ref`] holds the lock: it is
//! meant for a quick look, not to be kept across a suspension point.

use super::error::{RecvError, SendError};
use crate::Suspend;
use crate::loom::{Mutex, MutexGuard, lock};
use crate::runtime::coop;
use crate::wait_list::{WaitList, WakeList, wake_batched};
use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

/// Creates a watch channel holding `init`; the receiver starts having seen it.
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            value: init,
            version: 0,
            senders: 1,
            receivers: 1,
            waiters: WaitList::new(),
        }),
    });
    (Sender { shared: shared.clone() }, Receiver { shared, seen: 0, stream_key: None })
}

struct Shared<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    value: T,
    version: u64,
    senders: usize,
    receivers: usize,
    waiters: WaitList<()>,
}

impl<T> State<T> {
    fn release_all(&mut self, wakers: &mut WakeList) {
        self.waiters.release_front(wakers, |_| true);
    }
}

/// The sending half: replaces the value. Cloneable; the channel closes when the last sender is dropped.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// A receiving half: looks at the latest value and waits for changes. Cloneable: a clone has seen what the
/// original has seen.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The version this receiver has seen.
    seen: u64,
    /// Its waiter's slot while it is polled as a `Stream` and waits.
    stream_key: Option<usize>,
}

/// A look at the value, holding the channel's lock: drop it soon, and never keep it across a suspension
/// point (a send would wait for it, and it is not `Send`).
pub struct Ref<'a, T> {
    guard: MutexGuard<'a, State<T>>,
    has_changed: bool,
}

impl<T> Ref<'_, T> {
    /// Whether the value was new to the receiver that borrowed it (always `false` from a sender's
    /// [`borrow`](Sender::borrow)).
    pub fn has_changed(&self) -> bool {
        self.has_changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl<T> Sender<T> {
    /// Replaces the value and wakes every receiver waiting in [`changed`](Receiver::changed). Fails, handing
    /// the value back, if every receiver is gone.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if lock(&self.shared.state).receivers == 0 {
            return Err(SendError(value));
        }
        self.send_replace(value);
        Ok(())
    }

    /// Replaces the value even if no receiver is left (a later [`subscribe`](Sender::subscribe) sees it),
    /// wakes the waiting receivers, and returns the previous value.
    pub fn send_replace(&self, value: T) -> T {
        wake_batched(
            &self.shared.state,
            |state, _: &mut WakeList| {
                state.version = state.version.wrapping_add(1);
                std::mem::replace(&mut state.value, value)
            },
            State::release_all,
        )
    }

    /// Looks at the current value.
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref { guard: lock(&self.shared.state), has_changed: false }
    }

    /// A new receiver, which has seen the current value.
    pub fn subscribe(&self) -> Receiver<T> {
        let mut state = lock(&self.shared.state);
        state.receivers += 1;
        Receiver { shared: self.shared.clone(), seen: state.version, stream_key: None }
    }

    /// The number of receivers.
    pub fn receiver_count(&self) -> usize {
        lock(&self.shared.state).receivers
    }

    /// Whether every receiver is gone.
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        lock(&self.shared.state).senders += 1;
        Sender { shared: self.shared.clone() }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        wake_batched(
            &self.shared.state,
            |state, _: &mut WakeList| state.senders -= 1,
            // The last sender: waiters learn that no change will come.
            |state, wakers| {
                if state.senders == 0 {
                    state.release_all(wakers);
                }
            },
        );
    }
}

impl<T> Receiver<T> {
    /// Looks at the latest value, without marking it seen.
    pub fn borrow(&self) -> Ref<'_, T> {
        let guard = lock(&self.shared.state);
        let has_changed = guard.version != self.seen;
        Ref { guard, has_changed }
    }

    /// Looks at the latest value and marks it seen.
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let guard = lock(&self.shared.state);
        let has_changed = guard.version != self.seen;
        self.seen = guard.version;
        Ref { guard, has_changed }
    }

    /// Whether a value this receiver has not seen was sent. Fails once every sender is gone.
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        let state = lock(&self.shared.state);
        if state.senders == 0 {
            return Err(RecvError);
        }
        Ok(state.version != self.seen)
    }

    /// Marks the current value seen.
    pub fn mark_unchanged(&mut self) {
        self.seen = lock(&self.shared.state).version;
    }

    /// Waits for a value this receiver has not seen, and marks it seen (look at it with
    /// [`borrow`](Receiver::borrow)). Completes at once if there is one already; fails once every sender
    /// is gone with nothing new.
    ///
    /// Values sent while the receiver was not looking are not queued: it sees the latest.
    pub fn changed(&mut self) -> Changed<'_, T> {
        Changed { receiver: self, key: None }
    }

    /// Waits for an unseen version, queued as `*key` (see [`Changed`]) meanwhile.
    fn poll_changed(&mut self, key: &mut Option<usize>, cx: &mut Context<'_>) -> Poll<Result<(), RecvError>> {
        let coop = ready!(coop::poll_proceed(cx));
        let mut state = lock(&self.shared.state);
        if let Some(k) = *key {
            if state.waiters.poll_waiter(k, cx.waker()).is_pending() {
                return Poll::Pending;
            }
            *key = None;
        }
        let res = if state.version != self.seen {
            self.seen = state.version;
            Ok(())
        } else if state.senders == 0 {
            Err(RecvError)
        } else {
            *key = Some(state.waiters.push_back((), cx.waker()));
            return Poll::Pending;
        };
        drop(state);
        coop.made_progress();
        Poll::Ready(res)
    }

    /// Leaves the waiters, if `*key` is among them (a send releases every waiter: nothing to pass on).
    fn leave(&self, key: &mut Option<usize>) {
        if let Some(key) = key.take() {
            lock(&self.shared.state).waiters.remove(key);
        }
    }
}

/// The values this receiver has not seen, each time it changes (a clone of the latest; values replaced in
/// between are skipped, as with [`changed`](Receiver::changed)); ends once every sender is gone. A new
/// receiver has seen the current value: the stream starts with the next change.
///
/// ```
/// use coro_core::chan::watch;
/// use futures_lite::StreamExt;
///
/// let (tx, mut rx) = watch::channel(0);
/// tx.send(1).unwrap();
/// assert_eq!(coro_core::block_on(rx.next()), Some(1));
/// drop(tx);
/// assert_eq!(coro_core::block_on(rx.next()), None);
/// ```
impl<T: Clone> futures_core::Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        let mut key = this.stream_key.take();
        let changed = this.poll_changed(&mut key, cx);
        this.stream_key = key;
        match ready!(changed) {
            Ok(()) => Poll::Ready(Some(lock(&this.shared.state).value.clone())),
            Err(RecvError) => Poll::Ready(None),
        }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        lock(&self.shared.state).receivers += 1;
        Receiver { shared: self.shared.clone(), seen: self.seen, stream_key: None }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut key = self.stream_key.take();
        self.leave(&mut key);
        lock(&self.shared.state).receivers -= 1;
    }
}

/// The operation returned by [`Receiver::changed`].
#[must_use = "changed does nothing unless awaited"]
pub struct Changed<'a, T> {
    receiver: &'a mut Receiver<T>,
    /// The waiter's slot, once queued.
    key: Option<usize>,
}

impl<T> Future for Changed<'_, T> {
    type Output = Result<(), RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.receiver.poll_changed(&mut this.key, cx)
    }
}

impl<T> Suspend for Changed<'_, T> {}

impl<T> Drop for Changed<'_, T> {
    fn drop(&mut self) {
        self.receiver.leave(&mut self.key);
    }
}

impl<T: fmt::Debug> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").field("value", &*self.borrow()).finish()
    }
}

impl<T: fmt::Debug> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").field("value", &*self.borrow()).field("seen", &self.seen).finish()
    }
}

impl<T> fmt::Debug for Changed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Changed").finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::task::Waker;

    fn poll<T>(changed: &mut Changed<'_, T>) -> Poll<Result<(), RecvError>> {
        Pin::new(changed).poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn a_waiter_sees_the_latest_value_once() {
        let (tx, mut rx) = channel(0);
        {
            let mut changed = rx.changed();
            assert!(poll(&mut changed).is_pending());
            tx.send(1).unwrap();
            tx.send(2).unwrap();
            assert_eq!(poll(&mut changed), Poll::Ready(Ok(())));
        }
        assert_eq!(*rx.borrow(), 2);
        assert!(poll(&mut rx.changed()).is_pending());
        drop(tx);
        assert_eq!(poll(&mut rx.changed()), Poll::Ready(Err(RecvError)));
    }

    /// `Stream`: each unseen value once (the latest, replaced ones skipped), then the end once the sender is
    /// gone, waking a parked stream.
    #[test]
    fn stream_yields_changes_and_ends_when_closed() {
        use futures_lite::StreamExt;
        let (tx, mut rx) = channel(0);
        let (count, waker) = crate::test_util::counting_waker();
        let next = |rx: &mut Receiver<i32>| Pin::new(&mut rx.next()).poll(&mut Context::from_waker(&waker));
        assert!(next(&mut rx).is_pending(), "a new receiver has seen the current value");
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        assert_eq!(count.woken(), 1);
        assert_eq!(next(&mut rx), Poll::Ready(Some(2)));
        assert!(next(&mut rx).is_pending());
        drop(tx);
        assert_eq!(count.woken(), 2);
        assert_eq!(next(&mut rx), Poll::Ready(None));
        drop(rx);
        assert_eq!(std::sync::Arc::strong_count(&count), 2, "no waker left behind");
    }

    #[test]
    fn send_fails_without_receivers_and_send_replace_does_not() {
        let (tx, rx) = channel(0);
        let rx2 = rx.clone();
        drop((rx, rx2));
        assert_eq!(tx.send(1), Err(SendError(1)));
        assert_eq!(tx.send_replace(2), 0);
        let rx = tx.subscribe();
        assert!(!rx.has_changed().unwrap());
        assert_eq!(*rx.borrow(), 2);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::{block_on, thread};

    /// A receiver waits for a change while the value is replaced and the sender dropped: it sees the
    /// change (never a lost wake-up), and then the close.
    #[test]
    fn loom_watch_send_wakes_the_waiter() {
        loom::model(|| {
            let (tx, mut rx) = channel(0);
            let t = thread::spawn(move || {
                tx.send(1).unwrap();
            });
            assert_eq!(block_on(rx.changed()), Ok(()));
            assert_eq!(*rx.borrow_and_update(), 1);
            assert_eq!(block_on(rx.changed()), Err(RecvError));
            t.join().unwrap();
        });
    }
}
