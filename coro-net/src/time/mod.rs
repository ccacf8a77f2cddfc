//! Time: [`sleep`], [`sleep_until`], [`timeout`] (and the [`timeout!`](crate::timeout!) macro for coroutine
//! calls), [`interval`].
//!
//! ```
//! use std::time::{Duration, Instant};
//! use coro_net::time::{interval, sleep, timeout};
//!
//! let rt = coro_net::Runtime::builder().workers(1).build().unwrap();
//! rt.block_on(async {
//!     let start = Instant::now();
//!     sleep(Duration::from_millis(5)).await;
//!     assert!(start.elapsed() >= Duration::from_millis(5));
//!
//!     let slow = sleep(Duration::from_secs(10));
//!     assert!(timeout(Duration::from_millis(5), slow).await.is_err());
//!
//!     let mut ticker = interval(Duration::from_millis(2));
//!     for _ in 0..3 {
//!         ticker.tick().await; // in a coroutine: `ticker.tick();`
//!     }
//! });
//! ```
//!
//! # Design
//!
//! Each runtime has one timer store (`coro_core`'s `TimerStore`, whose module header has its design), in
//! its reactor's `Driver`, under one mutex. A timer is inserted on its first poll (creating a [`Sleep`]
//! costs nothing and needs no runtime) and removed when it fires or when it is dropped. The worker parked
//! in the reactor sleeps until the earliest deadline, and inserting an earlier one wakes it. A busy runtime
//! fires expired timers from its workers' periodic non-blocking polls (see the reactor).
//!
//! The driver is installed as the runtime's `coro_core::rt_internal::Timer`, and a [`Sleep`] is a
//! `coro_core::rt_internal::Deadline` (the same wait that bounds `chan`'s `recv_timeout`) plus a budget
//! unit; on a thread outside any coro runtime (a plain `block_on`), `coro-core`'s fallback timer thread
//! serves it instead.
//!
//! All operations ([`Sleep`], [`Timeout`], [`Tick`]) implement [`Suspend`], so a coroutine calling them
//! suspends in place; the [`Interval`] handle is a plain value.

use crate::reactor::{Driver, lock};
use coro_core::Suspend;
use coro_core::rt_internal::Deadline;
use coro_core::rt_internal::{Timer, TimerStore, coop};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker, ready};
use std::time::{Duration, Instant};

/// Suspends the current coroutine for at least `duration`.
///
/// Waits at least `duration`, with millisecond resolution. The timer starts when the returned operation is
/// created (so `sleep(d)` stored and awaited later ends `d` after its creation, as in tokio) and is
/// registered on its first poll; dropping it cancels it. Outside a runtime with the coro reactor (a plain
/// thread under `block_on`), a process-wide timer thread serves it.
///
/// # Panics
///
/// When polled after the runtime it was first polled on shut down.
pub fn sleep(duration: Duration) -> Sleep {
    let now = Instant::now();
    sleep_until(now.checked_add(duration).unwrap_or_else(far_future))
}

/// Suspends the current coroutine until `deadline` (at once if it has passed). See [`sleep`].
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep { timer: Deadline::new(deadline) }
}

/// About 30 years from now: "never", for durations that overflow an `Instant`.
fn far_future() -> Instant {
    let now = Instant::now();
    now.checked_add(Duration::from_secs(86400 * 365 * 30)).unwrap_or(now)
}

/// The operation returned by [`sleep`] and [`sleep_until`]; completes at its deadline.
#[must_use = "a sleep does nothing unless awaited (call it from a coroutine)"]
pub struct Sleep {
    timer: Deadline,
}

impl Sleep {
    /// The instant this sleep ends.
    pub fn deadline(&self) -> Instant {
        self.timer.deadline()
    }

    /// Whether the deadline was reached (as observed by a poll).
    pub fn is_elapsed(&self) -> bool {
        self.timer.is_elapsed()
    }

    /// Moves the deadline (before or after completion): the sleep is pending again until `deadline`.
    pub fn reset(&mut self, deadline: Instant) {
        self.timer.reset(deadline);
    }

    /// Completes the sleep if its deadline has passed, without a budget unit (a timeout's check when the
    /// task is out of budget: the task was already woken to yield, the timer stays registered meanwhile).
    fn elapsed_now(&mut self) -> bool {
        self.timer.elapsed_now()
    }

    fn poll_sleep(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.timer.is_elapsed() {
            return Poll::Ready(());
        }
        let coop = ready!(coop::poll_proceed(cx));
        ready!(self.timer.poll(cx));
        coop.made_progress();
        Poll::Ready(())
    }
}

/// The runtime's timers, also serving `coro-core`'s timed operations (`chan::Receiver::recv_timeout`): the
/// runtime installs its driver with `coro_core::Builder::timer`.
impl Timer for Driver {
    fn insert(&self, deadline: Instant, waker: &Waker) -> Option<usize> {
        let (key, wake_driver) = lock_live(self).insert(deadline, waker)?;
        if wake_driver {
            self.wake();
        }
        Some(key)
    }

    fn poll_due(&self, key: usize, waker: &Waker) -> bool {
        lock_live(self).poll_due(key, waker)
    }

    fn remove(&self, key: usize) {
        lock(&self.timers).remove(key);
    }
}

/// Locks the timers of a driver that has not shut down.
///
/// # Panics
///
/// If it has: a timer outlived its runtime.
fn lock_live(driver: &Driver) -> std::sync::MutexGuard<'_, TimerStore> {
    let timers = lock(&driver.timers);
    if timers.is_closed() {
        drop(timers);
        panic!("a coro timer was polled after its runtime shut down");
    }
    timers
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.get_mut().poll_sleep(cx)
    }
}

impl Suspend for Sleep {}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline())
            .field("elapsed", &self.is_elapsed())
            .finish()
    }
}

/// The error of a [`timeout`] whose deadline passed first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(_: Elapsed) -> std::io::Error {
        std::io::ErrorKind::TimedOut.into()
    }
}

/// Runs `future` for at most `duration`: `Ok(output)` if it completes first, `Err(Elapsed)` otherwise, in
/// which case `future` is dropped (cancelled).
///
/// Inside a coroutine, a coroutine call given as the argument would be awaited before `timeout` sees it:
/// write [`timeout!`](crate::timeout!)`(d, call())`, or `timeout(d, coro::nowait!(call()))`.
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout { future, sleep: sleep(duration) }
}

/// As [`timeout`], with a deadline.
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout { future, sleep: sleep_until(deadline) }
}

/// The operation returned by [`timeout`].
#[must_use = "a timeout does nothing unless awaited (call it from a coroutine)"]
pub struct Timeout<F> {
    future: F,
    sleep: Sleep,
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is structurally pinned: it is never moved out of `self` (no method hands it out
        // by value or by `&mut`), and `Timeout` has no `Drop` impl that could move it. `sleep` is `Unpin`.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above; `this.future` stays where it is until `Timeout` is dropped.
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        if let Poll::Ready(output) = future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        // The deadline is checked even when the task's budget is spent, or a future that always has work
        // ready (and spends the budget) could never time out.
        let elapsed = match coop::has_budget_remaining() {
            true => this.sleep.poll_sleep(cx).is_ready(),
            false => this.sleep.elapsed_now(),
        };
        if elapsed { Poll::Ready(Err(Elapsed(()))) } else { Poll::Pending }
    }
}

impl<F: Future> Suspend for Timeout<F> {}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout").field("sleep", &self.sleep).finish_non_exhaustive()
    }
}

/// A Go-style ticker: [`tick`](Interval::tick) suspends until the next tick, every `period` after the
/// first, which is immediate. Ticks missed because the caller was late are not piled up: the next tick is
/// scheduled a whole period after the late one.
///
/// # Panics
///
/// If `period` is zero.
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// As [`interval`], with the first tick at `start`.
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(!period.is_zero(), "`coro::time::interval` needs a non-zero period");
    Interval { sleep: sleep_until(start), period }
}

/// A ticker (see [`interval`]); a plain handle, its [`tick`](Interval::tick) suspends.
#[derive(Debug)]
pub struct Interval {
    sleep: Sleep,
    period: Duration,
}

impl Interval {
    /// Suspends until the next tick; returns the instant it was scheduled for.
    pub fn tick(&mut self) -> Tick<'_> {
        Tick { interval: self }
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Restarts the ticker: the next tick is a period from now.
    pub fn reset(&mut self) {
        self.sleep.reset(Instant::now() + self.period);
    }

    fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        ready!(self.sleep.poll_sleep(cx));
        let scheduled = self.sleep.deadline();
        let now = Instant::now();
        // Skip missed ticks: the next one is a period after the later of schedule and now.
        let mut next = scheduled + self.period;
        if next <= now {
            next = now + self.period;
        }
        self.sleep.reset(next);
        Poll::Ready(scheduled)
    }
}

/// The operation returned by [`Interval::tick`].
#[must_use = "a tick does nothing unless awaited (call it from a coroutine)"]
#[derive(Debug)]
pub struct Tick<'a> {
    interval: &'a mut Interval,
}

impl Future for Tick<'_> {
    type Output = Instant;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Instant> {
        self.get_mut().interval.poll_tick(cx)
    }
}

impl Suspend for Tick<'_> {}

#[cfg(test)]
mod tests;
