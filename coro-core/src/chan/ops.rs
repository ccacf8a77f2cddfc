//! The suspending operations of a channel: [`SendFut`], [`RecvFut`], [`RecvTimeoutFut`].
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
pub struct SendFut<'a, T> {
    chan: &'a Chan<T>,
    /// `None` once sent.
    value: Option<T>,
    /// Its entry among the channel's parked senders, while it has one.
    key: Option<usize>,
}

/// The operation returned by [`Receiver::recv`](super::Receiver::recv).
#[must_use = "a recv does nothing unless awaited (call it from a coroutine)"]
pub struct RecvFut<'a, T> {
    chan: &'a Chan<T>,
    /// Its entry among the channel's parked receivers, while it has one.
    key: Option<usize>,
}

/// The operation returned by [`Receiver::recv_timeout`](super::Receiver::recv_timeout) and
/// [`Receiver::recv_deadline`](super::Receiver::recv_deadline).
#[must_use = "a recv does nothing unless awaited (call it from a coroutine)"]
pub struct RecvTimeoutFut<'a, T> {
    recv: RecvFut<'a, T>,
    /// `None`: a deadline too far to represent, never reached.
    deadline: Option<Deadline>,
}

impl<'a, T> SendFut<'a, T> {
    pub(super) fn new(chan: &'a Chan<T>, value: T) -> Self {
        SendFut { chan, value: Some(value), key: None }
    }
}

impl<'a, T> RecvFut<'a, T> {
    pub(super) fn new(chan: &'a Chan<T>) -> Self {
        RecvFut { chan, key: None }
    }

    /// Leaves the channel's parked receivers, passing a notification on if it had one.
    fn cancel(&mut self) {
        if let Some(key) = self.key.take() {
            self.chan.cancel_recv(key);
        }
    }
}

impl<'a, T> RecvTimeoutFut<'a, T> {
    pub(super) fn new(recv: RecvFut<'a, T>, deadline: Option<Deadline>) -> Self {
        RecvTimeoutFut { recv, deadline }
    }
}

// None of them is structurally pinned: the value is moved in and out freely.
impl<T> Unpin for SendFut<'_, T> {}
impl<T> Unpin for RecvFut<'_, T> {}
impl<T> Unpin for RecvTimeoutFut<'_, T> {}

impl<T> Future for SendFut<'_, T> {
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

impl<T> Future for RecvFut<'_, T> {
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

impl<T> Future for RecvTimeoutFut<'_, T> {
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

impl<T> Drop for SendFut<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.chan.cancel_send(key);
        }
    }
}

impl<T> Drop for RecvFut<'_, T> {
    fn drop(&mut self) {
        self.cancel();
    }
}

impl<T> Suspend for SendFut<'_, T> {}
impl<T> Suspend for RecvFut<'_, T> {}
impl<T> Suspend for RecvTimeoutFut<'_, T> {}

impl<T> fmt::Debug for SendFut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFut").field("sent", &self.value.is_none()).finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for RecvFut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvFut").field("parked", &self.key.is_some()).finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for RecvTimeoutFut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvTimeoutFut").field("deadline", &self.deadline).finish_non_exhaustive()
    }
}
