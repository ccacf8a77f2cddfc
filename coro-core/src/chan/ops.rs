//! The suspending operations of a channel: [`Send`], [`Recv`], [`RecvTimeout`].
//!
//! Each is a future that borrows its handle, implements [`Suspend`] (so a `#[coro::coroutine]` awaits it in
//! place) and charges the coop budget when it completes. Dropping one before it completes is always safe:
//! it consumed nothing (see the module docs of [`chan`](super)).

use super::error::{RecvError, RecvTimeoutError, SendError};
use super::state::Chan;
use crate::Suspend;
use crate::runtime::coop;
use crate::runtime::timer::Deadline;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// The operation returned by [`Sender::send`](super::Sender::send).
#[must_use = "a send does nothing unless awaited (call it from a coroutine)"]
pub struct Send<'a, T> {
    chan: &'a Chan<T>,
    /// `None` once sent.
    value: Option<T>,
    /// Its entry among the channel's parked senders, while it has one.
    key: Option<usize>,
}

/// The operation returned by [`Receiver::recv`](super::Receiver::recv).
#[must_use = "a recv does nothing unless awaited (call it from a coroutine)"]
pub struct Recv<'a, T> {
    chan: &'a Chan<T>,
    /// Its entry among the channel's parked receivers, while it has one.
    key: Option<usize>,
}

/// The operation returned by [`Receiver::recv_timeout`](super::Receiver::recv_timeout) and
/// [`Receiver::recv_deadline`](super::Receiver::recv_deadline).
#[must_use = "a recv does nothing unless awaited (call it from a coroutine)"]
pub struct RecvTimeout<'a, T> {
    recv: Recv<'a, T>,
    /// `None`: a deadline too far to represent, never reached.
    deadline: Option<Deadline>,
}

impl<'a, T> Send<'a, T> {
    pub(super) fn new(chan: &'a Chan<T>, value: T) -> Self {
        Send { chan, value: Some(value), key: None }
    }
}

impl<'a, T> Recv<'a, T> {
    pub(super) fn new(chan: &'a Chan<T>) -> Self {
        Recv { chan, key: None }
    }

    /// Leaves the channel's parked receivers, passing a notification on if it had one.
    fn cancel(&mut self) {
        if let Some(key) = self.key.take() {
            self.chan.cancel_recv(key);
        }
    }
}

impl<'a, T> RecvTimeout<'a, T> {
    pub(super) fn new(recv: Recv<'a, T>, deadline: Option<Deadline>) -> Self {
        RecvTimeout { recv, deadline }
    }
}

// None of them is structurally pinned: the value is moved in and out freely.
impl<T> Unpin for Send<'_, T> {}
impl<T> Unpin for Recv<'_, T> {}
impl<T> Unpin for RecvTimeout<'_, T> {}

impl<T> Future for Send<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let coop = ready!(coop::poll_proceed(cx));
        let res = this.chan.poll_send(&mut this.value, &mut this.key, cx.waker());
        if res.is_ready() {
            coop.made_progress();
        }
        res
    }
}

impl<T> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let coop = ready!(coop::poll_proceed(cx));
        let res = this.chan.poll_recv(&mut this.key, cx.waker());
        if res.is_ready() {
            coop.made_progress();
        }
        res
    }
}

impl<T> Future for RecvTimeout<'_, T> {
    type Output = Result<T, RecvTimeoutError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Poll::Ready(res) = Pin::new(&mut this.recv).poll(cx) {
            return Poll::Ready(res.map_err(RecvTimeoutError::from));
        }
        // Checked even when the budget is spent (the receive then answered `Pending`), so that a task that
        // always has work ready still times out.
        let Some(deadline) = &mut this.deadline else { return Poll::Pending };
        ready!(deadline.poll(cx));
        this.recv.cancel();
        Poll::Ready(Err(RecvTimeoutError::Timeout))
    }
}

impl<T> Drop for Send<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.chan.cancel_send(key);
        }
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        self.cancel();
    }
}

impl<T> Suspend for Send<'_, T> {}
impl<T> Suspend for Recv<'_, T> {}
impl<T> Suspend for RecvTimeout<'_, T> {}

impl<T> fmt::Debug for Send<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Send").field("sent", &self.value.is_none()).finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv").field("parked", &self.key.is_some()).finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for RecvTimeout<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvTimeout").field("deadline", &self.deadline).finish_non_exhaustive()
    }
}
