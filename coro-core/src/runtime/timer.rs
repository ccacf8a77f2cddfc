//! The timer hook: how operations of this crate wait for a deadline, with timers that live elsewhere.
//!
//! # Design
//!
//! `coro-core` has no timers of its own: they live in `coro-net`'s reactor, which sleeps until the earliest
//! deadline. An operation here that needs one (`chan::Receiver::recv_timeout`) reaches the runtime's
//! [`Timer`], set with [`Builder::timer`](super::Builder::timer); `coro::Runtime` installs its reactor there.
//! Where there is none (a plain thread under `block_on`, a `coro_core::Runtime` built without one), a
//! process-wide fallback timer thread serves the wait (`fallback.rs`). Both keep their timers in a
//! [`TimerStore`] (`store.rs`).
//!
//! The trait works on keys rather than returning a boxed future, so a timed wait allocates nothing of its
//! own: `Deadline` inserts its timer on the first poll that has to wait (a wait that completes at once
//! touches no timer), asks the store on later polls, and removes it when done or dropped.

mod fallback;
mod store;

pub use store::TimerStore;

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

/// A runtime's timer store, as seen by the operations of `coro-core` (see [`Builder::timer`](super::Builder::timer)).
///
/// Each key returned by [`insert`](Timer::insert) is passed to [`remove`](Timer::remove) exactly once.
pub trait Timer: Send + Sync + 'static {
    /// Registers a timer due at `deadline` that will wake `waker`, and returns its key; `None` (nothing
    /// registered) if the deadline has already passed.
    fn insert(&self, deadline: Instant, waker: &Waker) -> Option<usize>;

    /// Whether timer `key` is due; if not, it will wake `waker` (which replaces the previous one).
    fn poll_due(&self, key: usize, waker: &Waker) -> bool;

    /// Removes timer `key`, due or not.
    fn remove(&self, key: usize);
}

/// The [`Timer`] of the runtime the current thread belongs to.
pub(crate) fn current() -> Option<Arc<dyn Timer>> {
    super::worker::with_current(|cx| cx?.shared.timer.clone())
}

/// A wait for an instant: on the current runtime's [`Timer`], or on the fallback timer thread where the
/// thread belongs to no runtime with timers. The building block of timed operations (`chan`'s
/// `recv_timeout`, `coro::sleep`): it spends no cooperative budget, the operation it bounds does.
///
/// Creating one costs nothing; the timer is inserted on the first poll that has to wait, and removed when the
/// wait ends, is [`reset`](Deadline::reset) or dropped.
pub struct Deadline {
    deadline: Instant,
    /// The store and this timer's key, once inserted.
    registered: Option<(Arc<dyn Timer>, usize)>,
    done: bool,
}

impl Deadline {
    /// A wait until `deadline`.
    pub fn new(deadline: Instant) -> Deadline {
        Deadline { deadline, registered: None, done: false }
    }

    /// The instant this wait ends.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether a poll (or [`elapsed_now`](Deadline::elapsed_now)) has seen the deadline pass.
    pub fn is_elapsed(&self) -> bool {
        self.done
    }

    /// Moves the deadline (before or after it passed): the wait is pending again until `deadline`.
    pub fn reset(&mut self, deadline: Instant) {
        self.cancel();
        self.deadline = deadline;
        self.done = false;
    }

    /// Whether the deadline has passed, checked against the clock without registering anything (for a check
    /// that must not wait, such as a timeout's when its task is out of budget).
    pub fn elapsed_now(&mut self) -> bool {
        if !self.done && self.deadline <= Instant::now() {
            self.cancel();
            self.done = true;
        }
        self.done
    }

    /// Ready once the deadline has passed.
    pub fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.done {
            return Poll::Ready(());
        }
        let due = match &self.registered {
            Some((timer, key)) => timer.poll_due(*key, cx.waker()),
            None => {
                let timer = current().unwrap_or_else(fallback::timer);
                match timer.insert(self.deadline, cx.waker()) {
                    Some(key) => {
                        self.registered = Some((timer, key));
                        false
                    }
                    None => true,
                }
            }
        };
        if !due {
            return Poll::Pending;
        }
        self.cancel();
        self.done = true;
        Poll::Ready(())
    }

    fn cancel(&mut self) {
        if let Some((timer, key)) = self.registered.take() {
            timer.remove(key);
        }
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        self.cancel();
    }
}

impl fmt::Debug for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deadline").field("deadline", &self.deadline).field("done", &self.done).finish()
    }
}
