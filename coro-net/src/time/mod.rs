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
//! Each runtime has one timer store, in its reactor's [`Driver`]: an ordered set of `(deadline, key)` and
//! a slab of entries (the deadline, the waiting task's waker, whether it fired), under one mutex. A timer
//! is inserted on its first poll (creating a [`Sleep`] costs nothing and needs no runtime), removed when
//! it fires or when it is dropped, so cancelled timers never pile up: insert, cancel and the driver's
//! pop-expired are `O(log n)`. Deadlines are kept in whole milliseconds since the store's start, rounded
//! up, so a timer never fires early; the worker parked in the reactor sleeps until the earliest deadline
//! (mio rounds its timeout up to the millisecond too), and inserting an earlier one wakes it. A busy
//! runtime fires expired timers from its workers' periodic non-blocking polls (see the reactor).
//!
//! The driver is installed as the runtime's `coro_core::runtime::Timer`, and a [`Sleep`] is a
//! `coro_core::runtime::timer::Deadline` (the same wait that bounds `chan`'s `recv_timeout`) plus a budget
//! unit; on a thread outside any coro runtime (a plain `block_on`), `coro-core`'s fallback timer thread
//! serves it instead.
//!
//! All operations ([`Sleep`], [`Timeout`], [`Tick`]) implement [`Suspend`], so a coroutine calling them
//! suspends in place; the [`Interval`] handle is a plain value.

use crate::reactor::{Driver, lock};
use coro_core::Suspend;
use coro_core::runtime::timer::Deadline;
use coro_core::runtime::{Timer, coop};
use slab::Slab;
use std::collections::BTreeSet;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker, ready};
use std::time::{Duration, Instant};

/// A runtime's timers (inside its [`Driver`]).
pub(crate) struct Timers {
    start: Instant,
    /// Pending timers by deadline (ms since `start`) then key.
    queue: BTreeSet<(u64, usize)>,
    entries: Slab<Entry>,
    /// The deadline (ms) up to which a worker blocks in the driver, if one does: an earlier timer wakes it.
    polling_until: Option<u64>,
    shutdown: bool,
}

struct Entry {
    deadline: u64,
    waker: Option<Waker>,
    fired: bool,
}

impl Timers {
    pub(crate) fn new(start: Instant) -> Timers {
        Timers { start, queue: BTreeSet::new(), entries: Slab::new(), polling_until: None, shutdown: false }
    }

    /// `instant` in whole milliseconds since the start, rounded up (a timer must not fire early).
    fn deadline_ms(&self, instant: Instant) -> u64 {
        let since = instant.saturating_duration_since(self.start);
        let ms = since.as_millis() + u128::from(!since.subsec_nanos().is_multiple_of(1_000_000));
        u64::try_from(ms).unwrap_or(u64::MAX)
    }

    /// Milliseconds elapsed since the start, rounded down.
    fn now_ms(&self, now: Instant) -> u64 {
        u64::try_from(now.saturating_duration_since(self.start).as_millis()).unwrap_or(u64::MAX)
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let &(ms, _) = self.queue.first()?;
        Some(self.start + Duration::from_millis(ms))
    }

    pub(crate) fn set_polling_until(&mut self, until: Option<Instant>) {
        self.polling_until = Some(until.map_or(u64::MAX, |t| self.deadline_ms(t)));
    }

    /// Marks every timer due at `now` as fired and collects their wakers; nobody is polling any more.
    pub(crate) fn fire_expired(&mut self, now: Instant, wakers: &mut Vec<Waker>) {
        self.polling_until = None;
        let now = self.now_ms(now);
        while let Some(&(deadline, key)) = self.queue.first() {
            if deadline > now {
                break;
            }
            self.queue.pop_first();
            let entry = &mut self.entries[key];
            entry.fired = true;
            wakers.extend(entry.waker.take());
        }
    }

    pub(crate) fn shutdown(&mut self, wakers: &mut Vec<Waker>) {
        self.shutdown = true;
        self.queue.clear();
        for (_, entry) in self.entries.iter_mut() {
            wakers.extend(entry.waker.take());
        }
    }

    /// Entries alive (pending, or fired and not yet seen by their `Sleep`).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

/// Suspends the current coroutine for at least `duration`.
///
/// Waits at least `duration`, with millisecond resolution. The timer starts when the returned operation is
/// created (so `sleep(d)` stored and awaited later ends `d` after its creation, as in tokio) and is
/// registered on its first poll; dropping it cancels it.
///
/// # Panics
///
/// When polled outside a runtime with the coro reactor (`coro::run`, `#[coro::main]`, `coro::Runtime`).
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

/// The timer store, also serving `coro-core`'s timed operations (`chan::Receiver::recv_timeout`): the
/// runtime installs its driver with `coro_core::Builder::timer`.
impl Timer for Driver {
    fn insert(&self, deadline: Instant, waker: &Waker) -> Option<usize> {
        let mut timers = lock_live(self);
        let deadline = timers.deadline_ms(deadline);
        if deadline <= timers.now_ms(Instant::now()) {
            return None;
        }
        let key = timers.entries.insert(Entry { deadline, waker: Some(waker.clone()), fired: false });
        timers.queue.insert((deadline, key));
        let wake_driver = timers.polling_until.is_some_and(|until| deadline < until);
        drop(timers);
        if wake_driver {
            self.wake();
        }
        Some(key)
    }

    fn poll_due(&self, key: usize, waker: &Waker) -> bool {
        let mut timers = lock_live(self);
        let now = timers.now_ms(Instant::now());
        let entry = &mut timers.entries[key];
        if entry.fired || entry.deadline <= now {
            return true;
        }
        match &entry.waker {
            Some(current) if current.will_wake(waker) => {}
            _ => entry.waker = Some(waker.clone()),
        }
        false
    }

    fn remove(&self, key: usize) {
        let mut timers = lock(&self.timers);
        let entry = timers.entries.remove(key);
        if !entry.fired {
            timers.queue.remove(&(entry.deadline, key));
        }
    }
}

/// Locks the timers of a driver that has not shut down.
///
/// # Panics
///
/// If it has: a timer outlived its runtime.
fn lock_live(driver: &Driver) -> std::sync::MutexGuard<'_, Timers> {
    let timers = lock(&driver.timers);
    if timers.shutdown {
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
