//! A broadcast channel: every receiver sees every value sent after it subscribed.
//!
//! ```
//! use coro_core::chan::broadcast;
//!
//! let (tx, mut a) = broadcast::channel(2);
//! let mut b = tx.subscribe();
//! assert_eq!(tx.send("hi"), Ok(2)); // never suspends; says how many receivers there are
//! assert_eq!(a.try_recv(), Ok("hi"));
//! assert_eq!(b.try_recv(), Ok("hi"));
//!
//! // `b` falls behind by more than the capacity: it is told how many values it missed, then goes on
//! // from the oldest one kept.
//! for msg in ["1", "2", "3"] {
//!     tx.send(msg).unwrap();
//! }
//! assert_eq!(b.try_recv(), Err(broadcast::TryRecvError::Lagged(1)));
//! assert_eq!(b.try_recv(), Ok("2"));
//!
//! drop(tx);
//! assert_eq!(b.try_recv(), Ok("3"));
//! assert_eq!(b.try_recv(), Err(broadcast::TryRecvError::Closed));
//! ```
//!
//! [`Sender::send`] never suspends: it overwrites the oldest value when the buffer is full, so a slow
//! receiver cannot hold the others back; it learns what it missed from [`RecvError::Lagged`]. Receivers
//! get clones ([`Receiver::recv`] requires `T: Clone`), so share large values through an `Arc`. The channel
//! closes when the last sender is dropped (receivers get what is left, then [`RecvError::Closed`]); a send
//! with no receiver fails and gives the value back.
//!
//! # Design
//!
//! A ring of `cap` slots under one mutex, with the sequence number of the next value (`tail`); each receiver
//! keeps the sequence number it reads next, so the values kept are the last `cap` ones and a receiver whose
//! number is older than those has lagged. A value stays in its slot until it is overwritten. Parked
//! receivers wait in a `WaitList` whose entries record the number each one waits for; a send wakes those
//! waiting for a number it made available (in batches, outside the lock), so a receiver that has already
//! read the value and parked again is not woken a second time by the same send's later batches. A receive
//! clones the value under the lock: `Clone` is the only user code that runs under it.

use super::error::SendError;
use crate::Suspend;
use crate::loom::{Arc, Mutex, lock};
use crate::runtime::coop;
use crate::wait_list::{WaitList, wake_batched};
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// Creates a broadcast channel that keeps the last `cap` values for slow receivers.
///
/// # Panics
///
/// If `cap` is 0.
pub fn channel<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    assert!(cap > 0, "a broadcast channel needs a capacity of at least 1");
    let state = State {
        ring: (0..cap).map(|_| None).collect(),
        tail: 0,
        senders: 1,
        receivers: 1,
        waiters: WaitList::new(),
    };
    let shared = Arc::new(Mutex::new(state));
    (Sender { shared: shared.clone() }, Receiver { shared, next: 0 })
}

struct State<T> {
    /// The value numbered `n` is in slot `n % cap`.
    ring: Box<[Option<T>]>,
    /// The number of the next value sent.
    tail: u64,
    senders: usize,
    receivers: usize,
    /// Parked receivers, each with the number of the value it waits for.
    waiters: WaitList<u64>,
}

impl<T: Clone> State<T> {
    /// The value numbered `*next`, if sent and still kept.
    fn read(&self, next: &mut u64) -> Result<T, TryRecvError> {
        if *next == self.tail {
            return Err(if self.senders == 0 { TryRecvError::Closed } else { TryRecvError::Empty });
        }
        let oldest = self.tail.saturating_sub(self.ring.len() as u64);
        if *next < oldest {
            let missed = oldest - *next;
            *next = oldest;
            return Err(TryRecvError::Lagged(missed));
        }
        let slot = (*next % self.ring.len() as u64) as usize;
        let value = self.ring[slot].clone().expect("a value numbered below `tail` is in its slot");
        *next += 1;
        Ok(value)
    }
}

/// The sending half; clone it for more senders, [`subscribe`](Sender::subscribe) for more receivers.
pub struct Sender<T> {
    shared: Arc<Mutex<State<T>>>,
}

/// A receiving half: it sees every value sent after it was created.
pub struct Receiver<T> {
    shared: Arc<Mutex<State<T>>>,
    /// The number of the next value it reads.
    next: u64,
}

impl<T> Sender<T> {
    /// Sends `value` to every receiver, overwriting the oldest value kept if the buffer is full; never
    /// suspends. Returns the number of receivers, or fails, giving the value back, if there is none.
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let (sent, overwritten) = wake_batched(
            &self.shared,
            |state, _| {
                if state.receivers == 0 {
                    return (Err(SendError(value)), None);
                }
                let slot = (state.tail % state.ring.len() as u64) as usize;
                let overwritten = state.ring[slot].replace(value);
                state.tail += 1;
                (Ok(state.receivers), overwritten)
            },
            |state, wakers| {
                let tail = state.tail;
                state.waiters.release_front(wakers, |&mut waiting_for| waiting_for < tail)
            },
        );
        drop(overwritten);
        sent
    }

    /// A new receiver, which will see the values sent from now on.
    pub fn subscribe(&self) -> Receiver<T> {
        let mut state = lock(&self.shared);
        state.receivers += 1;
        Receiver { shared: self.shared.clone(), next: state.tail }
    }

    /// The number of receivers.
    pub fn receiver_count(&self) -> usize {
        lock(&self.shared).receivers
    }
}

impl<T: Clone> Receiver<T> {
    /// Receives the next value, suspending until one is sent. Fails with [`RecvError::Lagged`] if values
    /// were overwritten before this receiver read them (the next call returns the oldest value kept), and
    /// with [`RecvError::Closed`] once every sender is gone and every value was read.
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv { rx: self, key: None }
    }

    /// Receives the next value if there is one now; see [`recv`](Receiver::recv).
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        lock(&self.shared).read(&mut self.next)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        lock(&self.shared).senders += 1;
        Sender { shared: self.shared.clone() }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        wake_batched(
            &self.shared,
            |state, _| state.senders -= 1,
            // The last sender closes the channel: wake the parked receivers to tell them.
            |state, wakers| {
                if state.senders == 0 {
                    state.waiters.release_front(wakers, |_| true);
                }
            },
        );
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        lock(&self.shared).receivers -= 1;
    }
}

/// The operation returned by [`Receiver::recv`].
#[must_use = "a recv does nothing unless awaited (call it from a coroutine)"]
pub struct Recv<'a, T> {
    rx: &'a mut Receiver<T>,
    /// Its entry among the parked receivers, while it has one.
    key: Option<usize>,
}

impl<T> Unpin for Recv<'_, T> {}

impl<T: Clone> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let coop = ready!(coop::poll_proceed(cx));
        let mut state = lock(&this.rx.shared);
        let res = match state.read(&mut this.rx.next) {
            Ok(value) => Ok(value),
            Err(TryRecvError::Lagged(missed)) => Err(RecvError::Lagged(missed)),
            Err(TryRecvError::Closed) => Err(RecvError::Closed),
            Err(TryRecvError::Empty) => {
                // `next` is constant while this operation is parked (it only moves on a read, which ends
                // the operation), so the entry's number stays right when it parks again.
                match this.key {
                    Some(key) => {
                        state.waiters.wait_again(key, cx.waker());
                    }
                    None => this.key = Some(state.waiters.push_back(this.rx.next, cx.waker())),
                }
                return Poll::Pending;
            }
        };
        if let Some(key) = this.key.take() {
            state.waiters.remove(key);
        }
        coop.made_progress();
        Poll::Ready(res)
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        // A send wakes every receiver waiting for what it sent: there is no notification to pass on.
        if let Some(key) = self.key.take() {
            lock(&self.rx.shared).waiters.remove(key);
        }
    }
}

impl<T: Clone> Suspend for Recv<'_, T> {}

/// Why [`Receiver::recv`] returned no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecvError {
    /// Every sender is gone and every value was read.
    Closed,
    /// This many values were overwritten before the receiver read them; it goes on from the oldest kept.
    Lagged(u64),
}

/// Why [`Receiver::try_recv`] returned no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// No new value now.
    Empty,
    /// Every sender is gone and every value was read.
    Closed,
    /// This many values were overwritten before the receiver read them; it goes on from the oldest kept.
    Lagged(u64),
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Closed => f.write_str("receiving on a closed channel"),
            RecvError::Lagged(n) => write!(f, "receiver lagged behind by {n} values"),
        }
    }
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("receiving on an empty channel"),
            TryRecvError::Closed => f.write_str("receiving on a closed channel"),
            TryRecvError::Lagged(n) => write!(f, "receiver lagged behind by {n} values"),
        }
    }
}

impl Error for RecvError {}
impl Error for TryRecvError {}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").field("receivers", &self.receiver_count()).finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").field("next", &self.next).finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv").field("parked", &self.key.is_some()).finish_non_exhaustive()
    }
}
