//! An operation that is a single system call, retried when the source becomes ready: datagram sends and
//! receives, and `io::Async`'s `read_with`/`write_with`. The call is tried first; only a `WouldBlock` makes the operation wait (`Registration::poll_io`).

use crate::reactor::{Direction, Registration};
use coro_core::Suspend;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

pub(crate) struct IoOp<'a, F> {
    registration: &'a Registration,
    direction: Direction,
    call: F,
}

// The call is only ever called through `&mut`, never pinned: the operation is `Unpin` whatever it captures.
impl<F> Unpin for IoOp<'_, F> {}

/// `call` (a non-blocking system call), retried each time `registration` is ready in `direction`.
pub(crate) fn io_op<R, F: FnMut() -> io::Result<R>>(
    registration: &Registration,
    direction: Direction,
    call: F,
) -> IoOp<'_, F> {
    IoOp { registration, direction, call }
}

impl<R, F: FnMut() -> io::Result<R>> Future for IoOp<'_, F> {
    type Output = io::Result<R>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        let this = self.get_mut();
        this.registration.poll_io(cx, this.direction, &mut this.call)
    }
}

impl<R, F: FnMut() -> io::Result<R>> Suspend for IoOp<'_, F> {}
