//! The race behind `select!`.
//!
//! # Design
//!
//! `select!` expands to a block that pins every operation in the coroutine's own frame (no allocation), then
//! awaits a [`Select`] built on one closure that polls branch `i` by index and wraps its output in an enum
//! generated for that `select!`, one variant per branch:
//!
//! ```text
//! match {
//!     let mut f0 = pin!(op0);                     // the operations, evaluated once, in order
//!     let mut f1 = pin!(op1);
//!     Select::<_, 2>::new(|i, cx| match i { 0 => poll(f0.as_mut(), cx).map(Out::B0), _ => .. }).await
//! } {                                             // the operations are dropped here, before any body runs
//!     Out::B0(v) => { let pattern0 = v; body0 }   // the bodies run in the enclosing coroutine
//!     ..
//! }
//! ```
//!
//! `Select` only decides the order: on every poll it polls the branches in a freshly shuffled order and the
//! first one that is ready wins, so among the branches ready at the same time each wins with the same
//! probability (Go's rule; a fixed order would starve the later branches of a busy `select!` loop). The
//! shuffle is an incremental Fisher-Yates over an index array that lives in the future: each step draws the
//! next branch uniformly among those not yet polled, so a poll that finds a winner early draws no more
//! numbers than it polled branches.
//!
//! A `select!` with a `default` branch never waits: when no branch is ready on its first poll, the closure is
//! called with the index `N`, which stands for `default`. One exception keeps cooperative scheduling
//! (`runtime::coop`) intact: if the task's budget is spent, coro's operations answer `Pending` whatever their
//! state, so "nothing is ready" would be a lie and a `select!` loop with a `default` would never receive
//! again. The `select!` then yields (waking itself) and decides on its next poll, with a fresh budget.

use super::rng;
use crate::runtime::coop;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Awaits the first of `N` branches to be ready, chosen at random among those ready together.
///
/// `poll(i, cx)` polls branch `i` (`0..N`); with a `default` branch, `poll(N, cx)` returns its `Ready`
/// value.
#[must_use = "a select does nothing unless awaited"]
pub struct Select<P, const N: usize> {
    poll: P,
    /// The branch indices, in the order of the last poll's shuffle.
    order: [usize; N],
    has_default: bool,
}

impl<P, const N: usize> Select<P, N> {
    /// A select that waits for one of its branches.
    pub fn new<T>(poll: P) -> Self
    where
        P: FnMut(usize, &mut Context<'_>) -> Poll<T>,
    {
        Select { poll, order: std::array::from_fn(|i| i), has_default: false }
    }

    /// A select that takes its `default` branch (index `N`) when no branch is ready on its first poll.
    pub fn with_default<T>(poll: P) -> Self
    where
        P: FnMut(usize, &mut Context<'_>) -> Poll<T>,
    {
        Select { has_default: true, ..Select::new(poll) }
    }
}

impl<P, T, const N: usize> Future for Select<P, N>
where
    P: FnMut(usize, &mut Context<'_>) -> Poll<T> + Unpin,
{
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.get_mut();
        for i in 0..N {
            let j = i + rng::below(N - i);
            this.order.swap(i, j);
            if let Poll::Ready(output) = (this.poll)(this.order[i], cx) {
                return Poll::Ready(output);
            }
        }
        if this.has_default {
            if coop::has_budget_remaining() {
                return (this.poll)(N, cx);
            }
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::block_on;
    use std::task::Waker;

    /// Polls `select` once with a waker that does nothing.
    fn poll_once<F: Future + Unpin>(select: &mut F) -> Poll<F::Output> {
        Pin::new(select).poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn the_only_ready_branch_wins() {
        for ready in 0..4 {
            let won =
                block_on(Select::<_, 4>::new(|i, _| if i == ready { Poll::Ready(i) } else { Poll::Pending }));
            assert_eq!(won, ready);
        }
    }

    #[test]
    fn ready_branches_win_in_equal_shares() {
        let mut wins = [0usize; 3];
        for _ in 0..9000 {
            // Branches 0 and 2 are ready, 1 never is.
            let mut select = Select::<_, 3>::new(|i, _| if i == 1 { Poll::Pending } else { Poll::Ready(i) });
            let Poll::Ready(i) = poll_once(&mut select) else { panic!("a branch was ready") };
            wins[i] += 1;
        }
        // Each ready branch is expected to win 4500 times; under 4000 has a probability below 1e-20.
        assert_eq!(wins[1], 0);
        assert!(wins[0] > 4000 && wins[2] > 4000, "{wins:?}");
    }

    #[test]
    fn stops_polling_at_the_winner() {
        let mut polled = 0;
        let mut select = Select::<_, 5>::new(|_, _| {
            polled += 1;
            Poll::Ready(())
        });
        assert!(poll_once(&mut select).is_ready());
        assert_eq!(polled, 1);
    }

    #[test]
    fn default_only_when_nothing_is_ready() {
        let mut select =
            Select::<_, 2>::with_default(|i, _| if i == 2 { Poll::Ready("default") } else { Poll::Pending });
        assert_eq!(poll_once(&mut select), Poll::Ready("default"));
        let mut select =
            Select::<_, 2>::with_default(|i, _| if i == 1 { Poll::Ready("one") } else { Poll::Pending });
        assert_eq!(poll_once(&mut select), Poll::Ready("one"));
    }

    #[test]
    fn default_waits_for_a_fresh_budget() {
        let mut cx = Context::from_waker(Waker::noop());
        coop::budget(|| {
            while let Poll::Ready(progress) = coop::poll_proceed(&mut cx) {
                progress.made_progress();
            }
            let mut select =
                Select::<_, 1>::with_default(|i, _| if i == 1 { Poll::Ready(()) } else { Poll::Pending });
            assert!(poll_once(&mut select).is_pending());
        });
    }
}
