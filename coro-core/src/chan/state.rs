//! The shared part of an MPMC channel: the buffer, the two lists of parked operations, and every transition
//! between them, each under the channel's lock. The rules these transitions keep are in the module docs of
//! [`chan`](super).

use super::error::{RecvError, SendError, TryRecvError, TrySendError};
use super::waiters::{Waiters, notify_all};
use crate::loom::{AtomicUsize, Mutex, Ordering::*, lock};
use std::collections::VecDeque;
use std::task::{Poll, Waker};

/// `cap` of an unbounded channel.
pub(super) const UNBOUNDED: usize = usize::MAX;

/// Slots a bounded channel allocates up front (a larger one grows its buffer as it fills).
const PREALLOCATED: usize = 1024;

pub(super) struct Chan<T> {
    state: Mutex<State<T>>,
    /// Live handles of each side; the last one of either closes the channel.
    senders: AtomicUsize,
    receivers: AtomicUsize,
}

struct State<T> {
    /// Sent values not yet received.
    queue: VecDeque<T>,
    /// The capacity: 0 for a rendezvous channel, [`UNBOUNDED`] for an unbounded one.
    cap: usize,
    closed: bool,
    recvs: Waiters,
    sends: Waiters,
}

/// Wakes the operation a transition notified, once the lock is released.
fn wake(waker: Option<Waker>) {
    if let Some(waker) = waker {
        waker.wake();
    }
}

impl<T> State<T> {
    /// Whether a send may complete now. A rendezvous channel has room for one value per waiting receiver.
    fn has_room(&self) -> bool {
        match self.cap {
            0 => self.recvs.waiting() > 0,
            cap => self.queue.len() < cap,
        }
    }

    /// Enqueues `value` if the channel is open and has room; returns the receiver to wake.
    fn push(&mut self, value: T) -> Result<Option<Waker>, TrySendError<T>> {
        if self.closed {
            return Err(TrySendError::Closed(value));
        }
        if !self.has_room() {
            return Err(TrySendError::Full(value));
        }
        self.queue.push_back(value);
        Ok(self.recvs.notify_one())
    }

    /// Dequeues the first value; returns it and the sender to wake (one more value fits now).
    fn pop(&mut self) -> Result<(T, Option<Waker>), TryRecvError> {
        match self.queue.pop_front() {
            // A rendezvous channel's room comes from waiting receivers, not from its buffer.
            Some(value) => Ok((value, if self.cap == 0 { None } else { self.sends.notify_one() })),
            None if self.closed => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }
}

impl<T> Chan<T> {
    /// A channel with one sender and one receiver.
    pub(super) fn new(cap: usize) -> Chan<T> {
        let queue = match cap {
            UNBOUNDED => VecDeque::new(),
            cap => VecDeque::with_capacity(cap.min(PREALLOCATED)),
        };
        let state = State { queue, cap, closed: false, recvs: Waiters::new(), sends: Waiters::new() };
        Chan { state: Mutex::new(state), senders: AtomicUsize::new(1), receivers: AtomicUsize::new(1) }
    }

    pub(super) fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let waker = lock(&self.state).push(value)?;
        wake(waker);
        Ok(())
    }

    /// Sends `value` (taken from `*value`) or parks the operation `*key` until it may try again.
    pub(super) fn poll_send(
        &self,
        value: &mut Option<T>,
        key: &mut Option<usize>,
        waker: &Waker,
    ) -> Poll<Result<(), SendError<T>>> {
        let mut state = lock(&self.state);
        let pushed = state.push(value.take().expect("`send` polled after it completed"));
        let result = match pushed {
            Ok(waker) => Ok(waker),
            Err(TrySendError::Closed(back)) => Err(SendError(back)),
            Err(TrySendError::Full(back)) => {
                *value = Some(back);
                state.sends.park(key, waker);
                return Poll::Pending;
            }
        };
        if let Some(k) = key.take() {
            state.sends.remove(k);
        }
        drop(state);
        Poll::Ready(result.map(wake))
    }

    /// Forgets the parked send `key`, dropped before it completed. If it had been notified, the room it was
    /// told of goes to the next waiting sender.
    pub(super) fn cancel_send(&self, key: usize) {
        let mut state = lock(&self.state);
        let notified = state.sends.remove(key);
        let next =
            if notified && !state.closed && state.has_room() { state.sends.notify_one() } else { None };
        drop(state);
        wake(next);
    }

    pub(super) fn try_recv(&self) -> Result<T, TryRecvError> {
        let (value, waker) = lock(&self.state).pop()?;
        wake(waker);
        Ok(value)
    }

    /// Receives a value or parks the operation `*key` until it may try again.
    pub(super) fn poll_recv(&self, key: &mut Option<usize>, waker: &Waker) -> Poll<Result<T, RecvError>> {
        let mut state = lock(&self.state);
        let result = match state.pop() {
            Ok(popped) => Ok(popped),
            Err(TryRecvError::Closed) => Err(RecvError),
            Err(TryRecvError::Empty) => {
                let joined = state.recvs.park(key, waker);
                // A receiver that starts waiting on a rendezvous channel is room for one sender.
                let sender = if joined && state.cap == 0 { state.sends.notify_one() } else { None };
                drop(state);
                wake(sender);
                return Poll::Pending;
            }
        };
        if let Some(k) = key.take() {
            state.recvs.remove(k);
        }
        drop(state);
        Poll::Ready(result.map(|(value, sender)| {
            wake(sender);
            value
        }))
    }

    /// Forgets the parked receive `key`, dropped before it completed. If it had been notified, the value it
    /// was told of goes to the next waiting receiver.
    pub(super) fn cancel_recv(&self, key: usize) {
        let mut state = lock(&self.state);
        let notified = state.recvs.remove(key);
        let next = if notified && !state.queue.is_empty() { state.recvs.notify_one() } else { None };
        drop(state);
        wake(next);
    }

    /// Closes the channel, waking every parked operation; returns whether it was open. With `drain` (the
    /// last receiver is gone) the values still buffered are dropped, outside the lock.
    fn shut(&self, drain: bool) -> bool {
        let (was_open, drained) = notify_all(
            &self.state,
            |state| {
                let was_open = !state.closed;
                state.closed = true;
                (was_open, if drain { std::mem::take(&mut state.queue) } else { VecDeque::new() })
            },
            |state, batch| batch.notify(&mut state.recvs) || batch.notify(&mut state.sends),
        );
        drop(drained);
        was_open
    }

    pub(super) fn close(&self) -> bool {
        self.shut(false)
    }

    pub(super) fn add_sender(&self) {
        self.senders.fetch_add(1, Relaxed);
    }

    pub(super) fn add_receiver(&self) {
        self.receivers.fetch_add(1, Relaxed);
    }

    /// A sender handle was dropped; the last one closes the channel (receivers drain what is left).
    pub(super) fn drop_sender(&self) {
        if self.senders.fetch_sub(1, AcqRel) == 1 {
            self.shut(false);
        }
    }

    /// A receiver handle was dropped; the last one closes the channel and drops what nobody can receive.
    pub(super) fn drop_receiver(&self) {
        if self.receivers.fetch_sub(1, AcqRel) == 1 {
            self.shut(true);
        }
    }

    pub(super) fn len(&self) -> usize {
        lock(&self.state).queue.len()
    }

    pub(super) fn cap(&self) -> usize {
        lock(&self.state).cap
    }

    pub(super) fn is_closed(&self) -> bool {
        lock(&self.state).closed
    }
}
