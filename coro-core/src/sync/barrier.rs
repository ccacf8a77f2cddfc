//! A reusable barrier: tasks wait until a fixed number of them arrived.
//!
//! # Design
//!
//! The count of arrivals, a generation number and a [`WaitList`] live under one mutex. Each waiter carries the
//! generation it arrived in. The arrival that completes a generation is the leader: it resets the count,
//! starts the next generation and releases, batch by batch, every waiter of an older generation (tasks of
//! the next generation may already queue behind them). A waiter completes once it has been released.
//!
//! A `wait()` that is cancelled before its generation completed takes its arrival back, so the barrier keeps
//! waiting for a full set of live tasks; after its generation completed, cancelling changes nothing.

use super::wait_list::{WaitList, WakeList, wake_batched};
use crate::Suspend;
use crate::loom::{Mutex, lock};
use crate::runtime::coop;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// Lets `n` tasks wait for each other; reusable, one generation after another.
///
/// ```
/// use coro_core::sync::Barrier;
///
/// let barrier = Barrier::new(1);
/// // One party: every wait completes a generation, and its caller leads it.
/// assert!(coro_core::block_on(barrier.wait()).is_leader());
/// assert!(coro_core::block_on(barrier.wait()).is_leader());
/// ```
///
/// Inside a `#[coro::coroutine]` the operation suspends without `.await`: `let result = barrier.wait();`.
/// Exactly one task per generation gets a result whose [`is_leader`](BarrierWaitResult::is_leader) is true.
pub struct Barrier {
    parties: usize,
    state: Mutex<State>,
}

struct State {
    arrived: usize,
    generation: u64,
    /// Each waiter's slot holds the generation it arrived in.
    waiters: WaitList<u64>,
}

impl State {
    /// Releases the waiters of completed generations.
    fn release(&mut self, wakers: &mut WakeList) {
        let generation = self.generation;
        self.waiters.release_front(wakers, |&mut arrived_in| arrived_in != generation);
    }
}

/// What [`Barrier::wait`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult {
    leader: bool,
}

impl BarrierWaitResult {
    /// Whether this task completed the generation; exactly one per generation is the leader.
    pub fn is_leader(&self) -> bool {
        self.leader
    }
}

impl Barrier {
    /// Creates a barrier for `parties` tasks (a barrier for 0 behaves as one for 1).
    pub fn new(parties: usize) -> Barrier {
        let state = State { arrived: 0, generation: 0, waiters: WaitList::new() };
        Barrier { parties: parties.max(1), state: Mutex::new(state) }
    }

    /// Arrives at the barrier and waits until `n` tasks have arrived in this generation.
    pub fn wait(&self) -> BarrierWait<'_> {
        BarrierWait { barrier: self, state: WaitState::Arrive }
    }
}

/// The operation returned by [`Barrier::wait`].
#[must_use = "wait does nothing unless awaited"]
pub struct BarrierWait<'a> {
    barrier: &'a Barrier,
    state: WaitState,
}

enum WaitState {
    Arrive,
    Waiting { key: usize, generation: u64 },
    Done,
}

impl BarrierWait<'_> {
    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<BarrierWaitResult> {
        match self.state {
            WaitState::Arrive => {
                let parties = self.barrier.parties;
                let arrive = |state: &mut State, _: &mut WakeList| {
                    state.arrived += 1;
                    if state.arrived < parties {
                        let key = state.waiters.push_back(state.generation, cx.waker());
                        self.state = WaitState::Waiting { key, generation: state.generation };
                    } else {
                        state.arrived = 0;
                        state.generation = state.generation.wrapping_add(1);
                        self.state = WaitState::Done;
                    }
                };
                wake_batched(&self.barrier.state, arrive, State::release);
                match self.state {
                    WaitState::Done => Poll::Ready(BarrierWaitResult { leader: true }),
                    _ => Poll::Pending,
                }
            }
            WaitState::Waiting { key, .. } => {
                ready!(lock(&self.barrier.state).waiters.poll_waiter(key, cx.waker()));
                self.state = WaitState::Done;
                Poll::Ready(BarrierWaitResult { leader: false })
            }
            WaitState::Done => panic!("`BarrierWait` polled after it completed"),
        }
    }
}

impl Future for BarrierWait<'_> {
    type Output = BarrierWaitResult;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<BarrierWaitResult> {
        let coop = ready!(coop::poll_proceed(cx));
        let res = self.poll_wait(cx);
        if res.is_ready() {
            coop.made_progress();
        }
        res
    }
}

impl Suspend for BarrierWait<'_> {}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        let WaitState::Waiting { key, generation } = self.state else { return };
        let mut state = lock(&self.barrier.state);
        state.waiters.remove(key);
        if state.generation == generation {
            // Its generation is still gathering: the arrival is taken back.
            state.arrived -= 1;
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("Barrier").field("parties", &self.parties).field("arrived", &state.arrived).finish()
    }
}

impl fmt::Debug for BarrierWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarrierWait").finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::task::Waker;

    fn poll(wait: &mut BarrierWait<'_>) -> Poll<BarrierWaitResult> {
        Pin::new(wait).poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn last_arrival_leads_and_releases_the_others() {
        let barrier = Barrier::new(3);
        let (mut a, mut b, mut c) = (barrier.wait(), barrier.wait(), barrier.wait());
        assert!(poll(&mut a).is_pending());
        assert!(poll(&mut b).is_pending());
        assert_eq!(poll(&mut c), Poll::Ready(BarrierWaitResult { leader: true }));
        assert_eq!(poll(&mut a), Poll::Ready(BarrierWaitResult { leader: false }));
        assert_eq!(poll(&mut b), Poll::Ready(BarrierWaitResult { leader: false }));
    }

    #[test]
    fn a_cancelled_wait_takes_its_arrival_back() {
        let barrier = Barrier::new(2);
        let mut cancelled = barrier.wait();
        assert!(poll(&mut cancelled).is_pending());
        drop(cancelled);
        let mut a = barrier.wait();
        assert!(poll(&mut a).is_pending(), "a cancelled arrival still counted");
        assert!(poll(&mut barrier.wait()).is_ready());
        assert!(poll(&mut a).is_ready());
        // Released, then dropped before it looked: the next generation is not affected.
        let mut released = barrier.wait();
        assert!(poll(&mut released).is_pending());
        assert!(poll(&mut barrier.wait()).is_ready());
        drop(released);
        let mut next = barrier.wait();
        assert!(poll(&mut next).is_pending());
        assert!(poll(&mut barrier.wait()).is_ready());
        assert!(poll(&mut next).is_ready());
    }
}
