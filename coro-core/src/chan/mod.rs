//! Go-style channels: [`bounded`] (with [`bounded(0)`](bounded) a rendezvous), [`unbounded`], and
//! [`broadcast`]; [`oneshot`] is re-exported here too; [`watch`] keeps one latest value for many receivers.
//!
//! ```
//! use coro_core::chan;
//!
//! coro_core::run(async {
//!     let (tx, rx) = chan::bounded(1);
//!     let producer = coro_core::spawn(async move {
//!         for i in 0..3 {
//!             tx.send(i).await.unwrap(); // in a coroutine: `tx.send(i).unwrap();`
//!         }
//!     }); // dropping the last sender closes the channel
//!     let mut sum = 0;
//!     while let Ok(i) = rx.recv().await {
//!         sum += i;
//!     }
//!     assert_eq!(sum, 3);
//!     producer.join().await.unwrap();
//! });
//! ```
//!
//! As everywhere in coro, handles are plain values and operations suspend: [`Sender`] and [`Receiver`]
//! are cloned, stored and moved (both are `Send + Sync` when `T: Send`, and any number of either may share
//! a channel); [`Sender::send`] and [`Receiver::recv`] return futures that a `#[coro::coroutine]` awaits in
//! place. Plain threads use [`Sender::send_blocking`] and [`Receiver::recv_blocking`].
//!
//! # Semantics
//!
//! - Values are received in the order they were sent. Parked operations are served in the order they
//!   parked.
//! - **Closing.** [`close`](Sender::close), on either half, closes the channel for everyone, as Go's
//!   `close`: sends fail from then on, handing their value back in the error, and receivers get the values
//!   still buffered, then [`RecvError`]. Dropping the last [`Sender`] closes the channel the same way;
//!   dropping the last [`Receiver`] closes it and drops the values nobody can receive any more.
//! - **Cancellation.** An operation that is dropped before it completes (the losing branch of a `select!`,
//!   a timed-out call) has done nothing: a dropped [`Recv`] took no value, a dropped [`Send`]
//!   delivered none (its value is dropped with it).
//! - **Rendezvous** (`bounded(0)`): a send completes only when a receiver is parked in `recv`. It hands its
//!   value over by putting it first in line and waking that receiver, which takes it when it runs. If that
//!   receiver is dropped before it runs, the value stays first in line for the next receiver (and a
//!   receiver that arrives first may take it), so a value is never lost or duplicated, and [`len`](Sender::len)
//!   counts such handed-over values. A parked sender keeps its value: while senders are parked and no value
//!   was handed over, [`try_recv`](Receiver::try_recv) reports [`Empty`](TryRecvError::Empty) (unlike Go,
//!   where a non-blocking receive would meet the parked sender); [`try_send`](Sender::try_send) succeeds
//!   only if a receiver is parked.
//!
//! # Design
//!
//! One allocation per channel (an `Arc`) holds the handle counts and, under one mutex, the buffer (a
//! `VecDeque`, the second allocation) and two lists of parked operations, one per side (the crate's
//! `WaitList`, which `sync` uses too, with nothing in a waiter's slot; each list's slab allocates on the
//! first park on its side and is reused from then on). A parked operation is registered by
//! its waker only; values move only inside an operation's own `poll`, under the lock. That is what makes
//! cancellation free: there is nothing to undo.
//!
//! A transition that makes an operation possible notifies one parked operation of the other side: a send
//! notifies the first parked receiver; a receive that frees a slot notifies the first parked sender; on a
//! rendezvous channel a receiver that starts waiting is the room, and notifies the first parked sender.
//! A notified operation leaves the list (the list *releases* it); when it runs it completes, or, if another
//! operation took what it was notified of, parks again at the head, the place it had. The rule that keeps values from being stranded: as long as
//! operations are parked, every buffered value (every free slot) has a notified operation on its way to
//! it. So a notified operation that is dropped before it runs passes its notification on to the next parked
//! one when its value (slot) is still there; closing notifies everyone. The loom models check this
//! (`loom_chan_*`).
//!
//! Wakers are woken after the lock is released, and the lock is held for a few instructions only (user
//! code never runs under it: dropped values are dropped outside). In steady state nothing is allocated per
//! operation: the lists reuse their slab entries, and a parked operation clones its waker once per wait
//! (again only if it is polled with a waker that would not wake the same task).

mod error;
mod ops;
mod state;
mod stream;

pub mod broadcast;
pub mod watch;

pub use crate::sync::oneshot;
pub use error::{RecvError, RecvTimeoutError, SendError, TryRecvError, TrySendError};
pub use ops::{Recv, RecvTimeout, Send};

use crate::loom::Arc;
use crate::runtime::timer::Deadline;
use state::{Chan, UNBOUNDED};
use std::fmt;
use std::time::{Duration, Instant};

/// Creates a channel that buffers at most `cap` values; `send` suspends while it is full. With `cap = 0`
/// it is a rendezvous channel: a send completes only when a receiver is waiting (see the
/// [module docs](self#semantics)).
///
/// ```
/// let (tx, rx) = coro_core::chan::bounded(1);
/// tx.try_send(1).unwrap();
/// assert!(tx.try_send(2).unwrap_err().is_full());
/// assert_eq!(rx.try_recv(), Ok(1));
/// ```
pub fn bounded<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    channel(cap)
}

/// Creates a channel with no limit on buffered values: `send` never suspends.
///
/// ```
/// let (tx, rx) = coro_core::chan::unbounded();
/// for i in 0..1000 {
///     tx.try_send(i).unwrap();
/// }
/// assert_eq!(rx.len(), 1000);
/// assert_eq!(rx.capacity(), None);
/// ```
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    channel(UNBOUNDED)
}

fn channel<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(Chan::new(cap));
    (Sender { chan: chan.clone() }, Receiver { chan, stream_key: None })
}

/// The sending half of a channel; clone it for more senders.
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

/// The receiving half of a channel; clone it for more receivers (each value goes to one of them).
///
/// It is also a [`futures_core::Stream`] of the values, which ends when the channel is closed and empty.
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
    /// Its entry among the parked receivers while it is polled as a `Stream` and waits.
    stream_key: Option<usize>,
}

/// The methods both halves share.
macro_rules! common_methods {
    () => {
        /// Closes the channel for every handle (see the [module docs](self#semantics)); returns whether this
        /// call closed it (`false` if it was closed already).
        pub fn close(&self) -> bool {
            self.chan.close()
        }

        /// Whether the channel is closed.
        pub fn is_closed(&self) -> bool {
            self.chan.is_closed()
        }

        /// The number of values buffered.
        pub fn len(&self) -> usize {
            self.chan.len()
        }

        /// Whether no value is buffered.
        pub fn is_empty(&self) -> bool {
            self.len() == 0
        }

        /// The capacity: `None` for an unbounded channel, `Some(0)` for a rendezvous one.
        pub fn capacity(&self) -> Option<usize> {
            match self.chan.cap() {
                UNBOUNDED => None,
                cap => Some(cap),
            }
        }
    };
}

impl<T> Sender<T> {
    /// Sends `value`, suspending while the channel is full. Fails, handing the value back, if the channel
    /// is closed.
    ///
    /// Dropping the operation before it completes sends nothing.
    pub fn send(&self, value: T) -> Send<'_, T> {
        Send::new(&self.chan, value)
    }

    /// Sends `value` if there is room now.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        self.chan.try_send(value)
    }

    /// Sends `value`, blocking the current thread while the channel is full: for plain threads, not for
    /// coroutines (it would block their worker).
    ///
    /// ```
    /// let (tx, rx) = coro_core::chan::bounded(0);
    /// let t = std::thread::spawn(move || tx.send_blocking("hi"));
    /// assert_eq!(rx.recv_blocking(), Ok("hi"));
    /// t.join().unwrap().unwrap();
    /// ```
    pub fn send_blocking(&self, value: T) -> Result<(), SendError<T>> {
        crate::block_on(self.send(value))
    }

    common_methods!();
}

impl<T> Receiver<T> {
    /// Receives a value, suspending while the channel is empty. Fails once the channel is closed and
    /// empty.
    ///
    /// Dropping the operation before it completes receives nothing.
    pub fn recv(&self) -> Recv<'_, T> {
        Recv::new(&self.chan)
    }

    /// Receives a value if one is there now.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.chan.try_recv()
    }

    /// Receives a value, suspending for at most `timeout` while the channel is empty.
    ///
    /// The wait uses the runtime's timers (`coro::Runtime`'s reactor); outside such a runtime (a plain
    /// thread under `block_on`, say) a process-wide fallback timer thread serves it.
    pub fn recv_timeout(&self, timeout: Duration) -> RecvTimeout<'_, T> {
        RecvTimeout::new(self.recv(), Instant::now().checked_add(timeout).map(Deadline::new))
    }

    /// Receives a value, suspending until `deadline` at most while the channel is empty. See
    /// [`recv_timeout`](Receiver::recv_timeout).
    pub fn recv_deadline(&self, deadline: Instant) -> RecvTimeout<'_, T> {
        RecvTimeout::new(self.recv(), Some(Deadline::new(deadline)))
    }

    /// Receives a value, blocking the current thread while the channel is empty: for plain threads, not for
    /// coroutines (it would block their worker).
    pub fn recv_blocking(&self) -> Result<T, RecvError> {
        crate::block_on(self.recv())
    }

    common_methods!();
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        Sender { chan: self.chan.clone() }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.chan.add_receiver();
        Receiver { chan: self.chan.clone(), stream_key: None }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if let Some(key) = self.stream_key.take() {
            self.chan.cancel_recv(key);
        }
        self.chan.drop_receiver();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").field("len", &self.len()).field("closed", &self.is_closed()).finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").field("len", &self.len()).field("closed", &self.is_closed()).finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests;

#[cfg(all(test, loom))]
mod loom_tests;
