//! Cooperative scheduling budget.
//!
//! # Design
//!
//! A task whose operations always complete immediately (a socket that always has data, a channel that is
//! always full) would never return `Pending` and would keep its worker forever. As in tokio, each poll of a
//! task gets a budget of [`BUDGET`] operations; every runtime operation (joining a task, receiving from a
//! channel, and later I/O) first asks [`poll_proceed`], which spends one unit, and once the budget is spent
//! answers `Pending` after waking the task. The task then goes to the back of the run queue (a wake during
//! its own poll reschedules it behind the others), and the operation completes on its next poll.
//!
//! An operation that turns out to be `Pending` anyway gives its unit back ([`Progress`] restores it on drop
//! unless [`Progress::made_progress`] is called), so only completed operations are counted.
//!
//! Outside the runtime (under `block_on`, or on a foreign executor) the budget is unconstrained.

use std::cell::Cell;
use std::fmt;
use std::task::{Context, Poll};

/// Operations a task may complete in one poll before it is made to yield.
pub const BUDGET: u8 = 128;

thread_local! {
    /// `None`: unconstrained.
    static CURRENT: Cell<Option<u8>> = const { Cell::new(None) };
}

/// Runs `f` (one task poll) with a fresh budget, restoring the previous one afterwards.
pub(crate) fn budget<R>(f: impl FnOnce() -> R) -> R {
    with_budget(Some(BUDGET), f)
}

/// Runs `f` without a budget: for an operation that already spent its unit and polls others inside (a
/// `JoinSet` polling its tasks' joins).
pub(crate) fn unconstrained<R>(f: impl FnOnce() -> R) -> R {
    with_budget(None, f)
}

fn with_budget<R>(budget: Option<u8>, f: impl FnOnce() -> R) -> R {
    super::scoped::set(&CURRENT, budget, f)
}

/// Whether the current task may still complete an operation without yielding.
pub fn has_budget_remaining() -> bool {
    CURRENT.with(|c| c.get() != Some(0))
}

/// Spends one unit of the current task's budget, or, if it is exhausted, wakes the task and returns
/// `Pending` so that it yields.
///
/// Call it at the start of an operation's `poll`; call [`Progress::made_progress`] when the operation
/// completes, or the unit is given back.
#[inline]
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<Progress> {
    CURRENT.with(|c| match c.get() {
        None => Poll::Ready(Progress { restore: None }),
        Some(0) => {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        Some(n) => {
            c.set(Some(n - 1));
            Poll::Ready(Progress { restore: Some(n) })
        }
    })
}

/// One unit of budget, spent; given back on drop unless the operation made progress.
#[must_use = "dropping it gives the unit back at once"]
pub struct Progress {
    restore: Option<u8>,
}

impl Progress {
    /// The operation completed: keep the unit spent.
    #[inline]
    pub fn made_progress(mut self) {
        self.restore = None;
    }
}

impl Drop for Progress {
    #[inline]
    fn drop(&mut self) {
        if let Some(n) = self.restore {
            let _ = CURRENT.try_with(|c| {
                if c.get().is_some() {
                    c.set(Some(n));
                }
            });
        }
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Progress").finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::task::Waker;

    #[test]
    fn unconstrained_outside_runtime() {
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..1000 {
            assert!(poll_proceed(&mut cx).is_ready());
        }
    }

    #[test]
    fn exhausts_after_budget_and_restores_on_pending() {
        let mut cx = Context::from_waker(Waker::noop());
        budget(|| {
            // Units given back are not counted.
            for _ in 0..1000 {
                let Poll::Ready(p) = poll_proceed(&mut cx) else { panic!("exhausted") };
                drop(p);
            }
            for _ in 0..BUDGET {
                let Poll::Ready(p) = poll_proceed(&mut cx) else { panic!("exhausted early") };
                p.made_progress();
            }
            assert!(!has_budget_remaining());
            assert!(poll_proceed(&mut cx).is_pending());
        });
        assert!(has_budget_remaining());
    }
}
