//! Read and write timeouts: the `set_read_timeout` / `set_write_timeout` of `std::net`.
//!
//! A timeout is stored with the socket as nanoseconds in an atomic (0 = none), so halves of a split stream
//! share it and `set_*_timeout` takes `&self` as in std. An operation starts its timer only when it first
//! has to wait: one that completes at once (the common case) never touches the timer store, and the boxed
//! timer exists only for operations that actually wait under a timeout.

use crate::time::{Sleep, sleep};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::task::{Context, Poll};
use std::time::Duration;

/// An optional timeout, settable through `&self`.
#[derive(Debug, Default)]
pub(crate) struct AtomicTimeout(AtomicU64);

impl AtomicTimeout {
    /// Sets the timeout; like std, a zero duration is an `InvalidInput` error (use `None` for no timeout).
    pub(crate) fn set(&self, timeout: Option<Duration>) -> io::Result<()> {
        let nanos = match timeout {
            None => 0,
            Some(d) if d.is_zero() => {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, "cannot set a 0 duration timeout"));
            }
            Some(d) => u64::try_from(d.as_nanos()).unwrap_or(u64::MAX),
        };
        self.0.store(nanos, Relaxed);
        Ok(())
    }

    #[inline]
    pub(crate) fn get(&self) -> Option<Duration> {
        match self.0.load(Relaxed) {
            0 => None,
            nanos => Some(Duration::from_nanos(nanos)),
        }
    }
}

/// The timer of one waiting operation, started on its first wait.
///
/// Every stream operation carries one, and almost none has a timeout: the no-timeout path of
/// [`poll_elapsed`](WaitTimer::poll_elapsed) and the drop of a timer never started are inlined tests, with
/// the timer's own work out of line.
#[derive(Debug, Default)]
pub(crate) struct WaitTimer {
    timer: Option<Pin<Box<Sleep>>>,
}

impl WaitTimer {
    /// Called when the operation has to wait: `Ready(err)` once `timeout` has elapsed since the first wait.
    #[inline]
    pub(crate) fn poll_elapsed(
        &mut self,
        cx: &mut Context<'_>,
        timeout: Option<Duration>,
        what: &str,
    ) -> Poll<io::Error> {
        match timeout {
            None => Poll::Pending,
            Some(timeout) => self.poll_timer(cx, timeout, what),
        }
    }

    #[inline(never)]
    fn poll_timer(&mut self, cx: &mut Context<'_>, timeout: Duration, what: &str) -> Poll<io::Error> {
        let timer = self.timer.get_or_insert_with(|| Box::pin(sleep(timeout)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                Poll::Ready(io::Error::new(io::ErrorKind::TimedOut, format!("{what} timed out")))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for WaitTimer {
    #[inline]
    fn drop(&mut self) {
        if let Some(timer) = self.timer.take() {
            drop_timer(timer);
        }
    }
}

/// Cancels a started timer, out of line (see [`WaitTimer`]).
#[inline(never)]
fn drop_timer(timer: Pin<Box<Sleep>>) {
    drop(timer);
}
