//! [`futures_core::Stream`] for the channel receivers, so combinators and crates written against the
//! ecosystem's stream trait (`StreamExt::map`, `forward`, a websocket sink fed from a channel) take them.
//!
//! A receiver polled as a stream parks like a [`Recv`](super::Recv) whose state lives in the receiver
//! itself (its `stream_key`): it keeps its place among the parked receivers between polls, and leaves it
//! when it yields a value or is dropped. A notification it received and never acted on passes to the next
//! parked receiver when it is dropped, as a dropped `Recv`'s does.

use super::Receiver;
use crate::runtime::coop;
use futures_core::Stream;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// The values of the channel, in order; ends once the channel is closed and every buffered value was
/// received. Each value goes to one receiver, as with [`recv`](Receiver::recv).
///
/// ```
/// use futures_lite::StreamExt;
///
/// let (tx, rx) = coro_core::chan::unbounded();
/// for i in 1..=3 {
///     tx.try_send(i).unwrap();
/// }
/// drop(tx); // closes the channel: the stream ends after the buffered values
/// let sum = coro_core::block_on(rx.fold(0, |sum, i| sum + i));
/// assert_eq!(sum, 6);
/// ```
impl<T> Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        let coop = ready!(coop::poll_proceed(cx));
        let res = this.chan.poll_recv(&mut this.stream_key, cx.waker());
        if res.is_ready() {
            coop.made_progress();
        }
        res.map(Result::ok)
    }
}
