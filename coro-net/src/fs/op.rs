//! [`Op`]: the future type of the operations of this module, a poll function made [`Suspend`].

use coro_core::Suspend;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// An operation of a file, directory listing or stdio stream: a poll function over it, as a [`Suspend`]
/// future. The state the operation changes lives in the object it borrows, so dropping it loses nothing.
#[must_use = "an operation does nothing unless awaited"]
pub(crate) struct Op<F>(pub(crate) F);

impl<T, F: FnMut(&mut Context<'_>) -> Poll<T> + Unpin> Future for Op<F> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        (self.0)(cx)
    }
}

impl<T, F: FnMut(&mut Context<'_>) -> Poll<T> + Unpin> Suspend for Op<F> {}

impl<F> fmt::Debug for Op<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Op { .. }")
    }
}
