//! The task state word: lifecycle flags and the reference count in one atomic `usize`.
//!
//! ```text
//!  usize::BITS-1             7   6      5         4          3            2        1          0
//! +----------------------------+-------+---------+----------+------------+--------+----------+---------+
//! |       reference count      | BOUND |CANCELLED|JOIN_WAKER|JOIN_INTEREST|NOTIFIED|COMPLETE  | RUNNING |
//! +----------------------------+-------+---------+----------+------------+--------+----------+---------+
//! ```
//!
//! - `RUNNING`: a thread owns the future's stage (it polls or cancels it). Only one thread at a time.
//! - `COMPLETE`: the future is gone and the output (or the error) is stored. Never cleared.
//! - `NOTIFIED`: the task is or will be in a run queue. A wake that finds the task idle sets it and hands the
//!   scheduler a new reference (a `Runnable`); a wake that finds it running only sets it, and the worker
//!   reschedules the task once when the poll returns. So a task is never in two queues at once.
//! - `JOIN_INTEREST`: the `JoinHandle` is alive and owns the output once `COMPLETE` is set.
//! - `JOIN_WAKER`: the join waker slot holds a waker the runtime may read (to wake the joiner). While it is
//!   clear, the `JoinHandle` has exclusive access to the slot.
//! - `CANCELLED`: `abort()` or shutdown asked for the task to be cancelled; whoever runs it next drops the
//!   future instead of polling it.
//! - `BOUND`: the task went into its scheduler's owned-tasks list (see `list.rs`), at the end of its first
//!   `Pending` poll, in the same transition that makes it idle. A task that completes in its first poll
//!   never joins the list. Only a poller sets it, and no `Runnable` exists while a task's first poll runs,
//!   so whoever holds a `Runnable` reads a settled value: an unbound task's only `Runnable` is its only way
//!   to run, and dropping it must cancel the task.
//!
//! Every transition is a single compare-and-swap (or `fetch_*`), so the flags and the count always change
//! together. References are held by: the owned-tasks list (until completion), the `JoinHandle`, each
//! `Runnable` (one per queue entry, turned into the right to poll), and each `Waker`. A new task starts with
//! three: the list's (reserved until the task is bound, dropped at completion if it never is), the
//! `JoinHandle`, and the `Runnable` of its first schedule.

use crate::loom::{AtomicUsize, Ordering::*};
use std::fmt;

const RUNNING: usize = 1 << 0;
const COMPLETE: usize = 1 << 1;
const LIFECYCLE: usize = RUNNING | COMPLETE;
const NOTIFIED: usize = 1 << 2;
const JOIN_INTEREST: usize = 1 << 3;
const JOIN_WAKER: usize = 1 << 4;
const CANCELLED: usize = 1 << 5;
const BOUND: usize = 1 << 6;
const REF_SHIFT: u32 = 7;
const REF_ONE: usize = 1 << REF_SHIFT;
const REF_MASK: usize = !(REF_ONE - 1);

/// Three references (owned list, `JoinHandle`, first `Runnable`), join interest, already notified, not bound.
const INITIAL: usize = (REF_ONE * 3) | JOIN_INTEREST | NOTIFIED;

pub(crate) struct State {
    val: AtomicUsize,
}

/// A copy of the state word at one point in time.
#[derive(Copy, Clone, PartialEq, Eq)]
pub(crate) struct Snapshot(usize);

/// What `transition_to_running` found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToRunning {
    /// The caller owns the future and must poll it.
    Success,
    /// The caller owns the future and must cancel it.
    Cancelled,
    /// Someone else runs it or it is complete; the caller's reference was dropped.
    Failed,
    /// As `Failed`, and that was the last reference: the caller must deallocate.
    Dealloc,
}

/// What `transition_to_idle` found after a `Pending` poll.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToIdle {
    /// Idle; the caller's reference was dropped.
    Ok,
    /// Idle, but woken during the poll: the caller's reference is kept and must be rescheduled.
    OkNotified,
    /// Idle, and the caller's reference was the last.
    OkDealloc,
    /// Cancelled during the poll: still running, the caller must cancel it.
    Cancelled,
}

/// What a wake must do after setting `NOTIFIED`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToNotified {
    /// Nothing: already notified, running, or complete.
    DoNothing,
    /// Submit a new `Runnable` (the reference is accounted for).
    Submit,
    /// Nothing to submit, and the waker's reference was the last: deallocate.
    Dealloc,
}

impl State {
    /// A new task's state; `bound` when its spawner binds it to the owned list at once.
    pub(crate) fn new(bound: bool) -> State {
        State { val: AtomicUsize::new(if bound { INITIAL | BOUND } else { INITIAL }) }
    }

    pub(crate) fn load(&self) -> Snapshot {
        Snapshot(self.val.load(Acquire))
    }

    /// Runs `f` on the current value until its CAS succeeds; `f` returns the new value and a result, or
    /// `None` to leave the state unchanged.
    fn fetch_update<R>(&self, mut f: impl FnMut(Snapshot) -> (Option<Snapshot>, R)) -> R {
        let mut curr = self.val.load(Acquire);
        loop {
            let (next, res) = f(Snapshot(curr));
            let Some(next) = next else { return res };
            match self.val.compare_exchange_weak(curr, next.0, AcqRel, Acquire) {
                Ok(_) => return res,
                Err(actual) => curr = actual,
            }
        }
    }

    /// Takes the right to poll from a `Runnable`: idle → running, clearing `NOTIFIED`.
    pub(crate) fn transition_to_running(&self) -> ToRunning {
        self.fetch_update(|mut s| {
            debug_assert!(s.is_notified() || s.is_cancelled());
            if s.is_running() || s.is_complete() {
                s.ref_dec();
                let action = if s.ref_count() == 0 { ToRunning::Dealloc } else { ToRunning::Failed };
                return (Some(s), action);
            }
            s.0 |= RUNNING;
            s.0 &= !NOTIFIED;
            let action = if s.is_cancelled() { ToRunning::Cancelled } else { ToRunning::Success };
            (Some(s), action)
        })
    }

    /// After a `Pending` poll: running → idle, dropping the poller's reference unless the task was woken
    /// during the poll (then the reference becomes the new `Runnable`). With `bind`, the poller has just
    /// linked the task into its owned list: `BOUND` is set whatever the outcome, also when the task is to be
    /// cancelled (its completion then unlinks it, or finds shutdown did).
    pub(crate) fn transition_to_idle(&self, bind: bool) -> ToIdle {
        let bound = if bind { BOUND } else { 0 };
        self.fetch_update(|mut s| {
            debug_assert!(s.is_running());
            if s.is_cancelled() {
                let next = bind.then_some(Snapshot(s.0 | bound));
                return (next, ToIdle::Cancelled);
            }
            s.0 |= bound;
            s.0 &= !RUNNING;
            if s.is_notified() {
                (Some(s), ToIdle::OkNotified)
            } else {
                s.ref_dec();
                let action = if s.ref_count() == 0 { ToIdle::OkDealloc } else { ToIdle::Ok };
                (Some(s), action)
            }
        })
    }

    /// running → complete. Returns the state after the transition.
    pub(crate) fn transition_to_complete(&self) -> Snapshot {
        let prev = Snapshot(self.val.fetch_xor(LIFECYCLE, AcqRel));
        debug_assert!(prev.is_running() && !prev.is_complete());
        Snapshot(prev.0 ^ LIFECYCLE)
    }

    /// Drops `count` references after completion. Returns `true` when the task must be deallocated.
    pub(crate) fn transition_to_terminal(&self, count: usize) -> bool {
        let prev = Snapshot(self.val.fetch_sub(count * REF_ONE, AcqRel));
        assert!(prev.ref_count() >= count, "task reference count underflow");
        prev.ref_count() == count
    }

    /// A wake that consumes its reference (`Waker::wake`).
    pub(crate) fn transition_to_notified_by_val(&self) -> ToNotified {
        self.fetch_update(|mut s| {
            if s.is_running() {
                // The poller reschedules it; the waker's reference goes. The poller holds one, so this is
                // never the last.
                s.0 |= NOTIFIED;
                s.ref_dec();
                debug_assert!(s.ref_count() > 0);
                (Some(s), ToNotified::DoNothing)
            } else if s.is_complete() || s.is_notified() {
                s.ref_dec();
                let action = if s.ref_count() == 0 { ToNotified::Dealloc } else { ToNotified::DoNothing };
                (Some(s), action)
            } else {
                // The waker's reference becomes the `Runnable`.
                s.0 |= NOTIFIED;
                (Some(s), ToNotified::Submit)
            }
        })
    }

    /// A wake that keeps its reference (`Waker::wake_by_ref`).
    pub(crate) fn transition_to_notified_by_ref(&self) -> ToNotified {
        self.fetch_update(|mut s| {
            if s.is_complete() || s.is_notified() {
                (None, ToNotified::DoNothing)
            } else if s.is_running() {
                s.0 |= NOTIFIED;
                (Some(s), ToNotified::DoNothing)
            } else {
                s.0 |= NOTIFIED;
                s.ref_inc();
                (Some(s), ToNotified::Submit)
            }
        })
    }

    /// `abort()`: sets `CANCELLED`, and `NOTIFIED` so that whoever runs it next cancels it. Returns `true`
    /// when the caller must submit a new `Runnable` (a reference was added for it).
    pub(crate) fn transition_to_notified_and_cancel(&self) -> bool {
        self.fetch_update(|mut s| {
            if s.is_cancelled() || s.is_complete() {
                (None, false)
            } else if s.is_running() || s.is_notified() {
                // The poller sees CANCELLED when the poll returns; a queued `Runnable` sees it when run.
                s.0 |= NOTIFIED | CANCELLED;
                (Some(s), false)
            } else {
                s.0 |= NOTIFIED | CANCELLED;
                s.ref_inc();
                (Some(s), true)
            }
        })
    }

    /// Shutdown: sets `CANCELLED`, and if the task is idle also `RUNNING`, so the caller owns the future and
    /// must cancel it (returns `true`). A running task is cancelled by its poller when the poll returns.
    pub(crate) fn transition_to_shutdown(&self) -> bool {
        self.fetch_update(|mut s| {
            let idle = !s.is_running() && !s.is_complete();
            if idle {
                s.0 |= RUNNING;
            }
            s.0 |= CANCELLED;
            (Some(s), idle)
        })
    }

    /// `JoinHandle` dropped: clears `JOIN_INTEREST` and `JOIN_WAKER` (the handle then owns the waker slot).
    /// Fails when the task is complete: the handle then owns the output and must drop it.
    pub(crate) fn unset_join_interested(&self) -> Result<(), Snapshot> {
        self.fetch_update(|mut s| {
            debug_assert!(s.is_join_interested());
            if s.is_complete() {
                return (None, Err(s));
            }
            s.0 &= !(JOIN_INTEREST | JOIN_WAKER);
            (Some(s), Ok(()))
        })
    }

    /// Publishes the waker the `JoinHandle` just wrote. Fails when the task completed meanwhile.
    pub(crate) fn set_join_waker(&self) -> Result<(), Snapshot> {
        self.fetch_update(|mut s| {
            debug_assert!(s.is_join_interested() && !s.is_join_waker_set());
            if s.is_complete() {
                return (None, Err(s));
            }
            s.0 |= JOIN_WAKER;
            (Some(s), Ok(()))
        })
    }

    /// Takes the join waker slot back to replace the waker. Fails when the task completed meanwhile.
    pub(crate) fn unset_join_waker(&self) -> Result<(), Snapshot> {
        self.fetch_update(|mut s| {
            debug_assert!(s.is_join_interested() && s.is_join_waker_set());
            if s.is_complete() {
                return (None, Err(s));
            }
            s.0 &= !JOIN_WAKER;
            (Some(s), Ok(()))
        })
    }

    pub(crate) fn ref_inc(&self) {
        let prev = self.val.fetch_add(REF_ONE, Relaxed);
        // A count this large means leaked wakers; wrapping would free a live task.
        if prev > isize::MAX as usize {
            std::process::abort();
        }
    }

    /// Drops one reference; returns `true` if it was the last.
    pub(crate) fn ref_dec(&self) -> bool {
        let prev = Snapshot(self.val.fetch_sub(REF_ONE, AcqRel));
        assert!(prev.ref_count() >= 1, "task reference count underflow");
        prev.ref_count() == 1
    }
}

impl Snapshot {
    pub(crate) fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }
    pub(crate) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    pub(crate) fn is_notified(self) -> bool {
        self.0 & NOTIFIED != 0
    }
    pub(crate) fn is_join_interested(self) -> bool {
        self.0 & JOIN_INTEREST != 0
    }
    pub(crate) fn is_join_waker_set(self) -> bool {
        self.0 & JOIN_WAKER != 0
    }
    pub(crate) fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }
    pub(crate) fn is_bound(self) -> bool {
        self.0 & BOUND != 0
    }
    pub(crate) fn ref_count(self) -> usize {
        (self.0 & REF_MASK) >> REF_SHIFT
    }
    fn ref_inc(&mut self) {
        self.0 += REF_ONE;
    }
    fn ref_dec(&mut self) {
        debug_assert!(self.ref_count() > 0);
        self.0 -= REF_ONE;
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("running", &self.is_running())
            .field("complete", &self.is_complete())
            .field("notified", &self.is_notified())
            .field("join_interested", &self.is_join_interested())
            .field("join_waker", &self.is_join_waker_set())
            .field("cancelled", &self.is_cancelled())
            .field("bound", &self.is_bound())
            .field("refs", &self.ref_count())
            .finish()
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.load().fmt(f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn initial_state() {
        let s = State::new(false).load();
        assert_eq!(s.ref_count(), 3);
        assert!(s.is_notified() && s.is_join_interested());
        assert!(!s.is_running() && !s.is_complete() && !s.is_cancelled());
    }

    #[test]
    fn wake_while_running_reschedules_once() {
        let state = State::new(false);
        assert_eq!(state.transition_to_running(), ToRunning::Success);
        // Two wakes during the poll: neither submits.
        assert_eq!(state.transition_to_notified_by_ref(), ToNotified::DoNothing);
        assert_eq!(state.transition_to_notified_by_ref(), ToNotified::DoNothing);
        assert_eq!(state.transition_to_idle(false), ToIdle::OkNotified);
        // Already notified: a further wake does nothing.
        assert_eq!(state.transition_to_notified_by_ref(), ToNotified::DoNothing);
        assert_eq!(state.load().ref_count(), 3);
    }

    #[test]
    fn idle_wake_submits() {
        let state = State::new(false);
        assert_eq!(state.transition_to_running(), ToRunning::Success);
        assert_eq!(state.transition_to_idle(false), ToIdle::Ok);
        assert_eq!(state.load().ref_count(), 2);
        assert_eq!(state.transition_to_notified_by_ref(), ToNotified::Submit);
        assert_eq!(state.load().ref_count(), 3);
    }

    #[test]
    fn abort_idle_and_running() {
        let state = State::new(false);
        assert_eq!(state.transition_to_running(), ToRunning::Success);
        assert!(!state.transition_to_notified_and_cancel());
        assert_eq!(state.transition_to_idle(false), ToIdle::Cancelled);

        let state = State::new(false);
        assert_eq!(state.transition_to_running(), ToRunning::Success);
        assert_eq!(state.transition_to_idle(false), ToIdle::Ok);
        assert!(state.transition_to_notified_and_cancel());
        assert_eq!(state.transition_to_running(), ToRunning::Cancelled);
        // A second abort does nothing.
        assert!(!state.transition_to_notified_and_cancel());
    }

    #[test]
    fn join_interest_after_complete_fails() {
        let state = State::new(false);
        assert_eq!(state.transition_to_running(), ToRunning::Success);
        let s = state.transition_to_complete();
        assert!(s.is_complete() && !s.is_running());
        assert!(state.unset_join_interested().is_err());
        assert!(state.set_join_waker().is_err());
    }

    #[test]
    fn bound_is_set_with_the_first_idle_even_when_cancelled() {
        let state = State::new(false);
        assert_eq!(state.transition_to_running(), ToRunning::Success);
        assert_eq!(state.transition_to_idle(true), ToIdle::Ok);
        assert!(state.load().is_bound());

        let state = State::new(false);
        assert_eq!(state.transition_to_running(), ToRunning::Success);
        assert!(!state.transition_to_shutdown());
        assert_eq!(state.transition_to_idle(true), ToIdle::Cancelled);
        assert!(state.load().is_bound() && state.load().is_running());
        assert!(State::new(true).load().is_bound());
    }

    #[test]
    fn shutdown_claims_only_idle() {
        let state = State::new(false);
        assert!(state.transition_to_shutdown());
        let state = State::new(false);
        assert_eq!(state.transition_to_running(), ToRunning::Success);
        assert!(!state.transition_to_shutdown());
        assert_eq!(state.transition_to_idle(false), ToIdle::Cancelled);
    }
}
