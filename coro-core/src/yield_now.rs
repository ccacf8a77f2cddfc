//! Giving other coroutines a turn.

use crate::Suspend;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Suspends the current coroutine once, letting the executor run others before it resumes.
///
/// Inside a `#[coro::coroutine]` body a plain `coro::yield_now();` suspends; elsewhere, `.await` it.
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The operation returned by [`yield_now`].
#[derive(Debug)]
#[must_use = "yield_now does nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl Suspend for YieldNow {}
