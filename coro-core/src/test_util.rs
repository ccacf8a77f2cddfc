//! What the crate's unit tests and loom models share: a waker that counts its wakes, a value that counts its
//! drops, and a one-shot `poll`. (Driving a future to completion in a loom model is
//! [`loom::block_on`](crate::loom::block_on).)
//!
//! The counters are `std` atomics even under loom: they are read only by the thread that owns the future, after
//! the model's threads were joined or after a wake loom already ordered, so loom has nothing to check there.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll, Wake, Waker};

/// The count behind a [`counting_waker`]; `Arc::strong_count` on it tells whether anyone still holds the
/// waker.
pub(crate) struct Count(AtomicUsize);

impl Count {
    /// How many times the waker was woken.
    pub(crate) fn woken(&self) -> usize {
        self.0.load(SeqCst)
    }
}

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A waker that counts its wakes, and its count.
pub(crate) fn counting_waker() -> (Arc<Count>, Waker) {
    let count = Arc::new(Count(AtomicUsize::new(0)));
    (count.clone(), Waker::from(count))
}

/// A value that counts its drops in the shared counter.
pub(crate) struct Drops(pub(crate) Arc<AtomicUsize>);

impl Drop for Drops {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Polls `future` once with `waker`.
pub(crate) fn poll<F: Future + Unpin>(future: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(waker))
}

/// Polls `future` once with a counting waker of its own and asserts that it parked (is pending); returns the
/// count and the waker, to poll it again with.
pub(crate) fn park<F: Future + Unpin>(future: &mut F) -> (Arc<Count>, Waker) {
    let (count, waker) = counting_waker();
    assert!(poll(future, &waker).is_pending(), "expected the operation to park");
    (count, waker)
}
