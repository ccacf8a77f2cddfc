//! The workers' [`Park`]: sleep in the driver if it is free, else on a condition variable.
//!
//! # Design
//!
//! The token semantics are those of `coro_core`'s default parker (an `unpark` before the `park` is never
//! lost; `park` may return spuriously), with two ways to sleep, recorded in the state word so that
//! [`ParkInner::unpark`] knows how to wake the thread:
//!
//! - `PARKED_DRIVER`: the thread holds the [`Driver`] and is (about to be) in `epoll_wait`; `unpark` writes
//!   to the runtime's `mio::Waker`. A wake that lands before `epoll_wait` leaves the eventfd readable, so
//!   `epoll_wait` returns at once: nothing is lost.
//! - `PARKED_CONDVAR`: another worker holds the driver; `unpark` notifies the condition variable, under its
//!   mutex so the notification cannot fall between the sleeper's state change and its wait.
//!
//! A worker that fails to take the driver is listed as waiting for it (under the same lock that says the
//! driver is held), so the holder, when it leaves, always sees it and hands the driver over with an
//! `unpark`; the woken worker's `park` returns, the scheduler finds it still idle and parks it again, and
//! this time it takes the driver.

use super::{Driver, lock};
use coro_core::rt_internal::park::{Park, Unpark};
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

const EMPTY: usize = 0;
const NOTIFIED: usize = 1;
const PARKED_CONDVAR: usize = 2;
const PARKED_DRIVER: usize = 3;

/// How often a busy worker polls the driver without blocking, at most (see [`Park::maintain`]). The
/// scheduler asks every 61 ticks, which for tasks that yield back to back is every couple of microseconds: an
/// `epoll_wait` that often is a cost every yield pays (BENCHMARKS.md, "Measurements behind design
/// choices"). Events and timers reach a busy worker at most this late; an idle one polls the driver as it
/// parks, at once.
const MAINTAIN_INTERVAL: Duration = Duration::from_micros(100);

/// One worker's parker.
pub(crate) struct Parker {
    index: usize,
    inner: Arc<ParkInner>,
    driver: Arc<Driver>,
    /// When `maintain` last polled the driver.
    maintained: Instant,
}

/// What `unpark` needs: the state word, the condition variable, and the driver's waker.
pub(crate) struct ParkInner {
    state: AtomicUsize,
    mutex: Mutex<()>,
    cvar: Condvar,
    waker: Arc<mio::Waker>,
}

impl Parker {
    /// The parker of worker `index` (the scheduler calls the factory once per index, in order).
    pub(crate) fn new(driver: &Arc<Driver>, index: usize) -> Parker {
        let inner = Arc::new(ParkInner {
            state: AtomicUsize::new(EMPTY),
            mutex: Mutex::new(()),
            cvar: Condvar::new(),
            waker: driver.waker.clone(),
        });
        let mut parkers = lock(&driver.parkers);
        if parkers.len() <= index {
            parkers.resize_with(index + 1, || inner.clone());
        }
        parkers[index] = inner.clone();
        drop(parkers);
        Parker { index, inner, driver: driver.clone(), maintained: Instant::now() }
    }

    fn park_inner(&self, timeout: Option<Duration>) {
        let inner = &*self.inner;
        if inner.state.compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst).is_ok() {
            return;
        }
        if let Some(mut poll) = self.driver.try_acquire(Some(self.index)) {
            match inner.state.compare_exchange(EMPTY, PARKED_DRIVER, SeqCst, SeqCst) {
                Ok(_) => {
                    self.driver.turn(&mut poll, timeout);
                    // Woken or not, leave the parker empty (consuming the token if any).
                    inner.state.swap(EMPTY, SeqCst);
                }
                Err(NOTIFIED) => inner.state.store(EMPTY, SeqCst),
                Err(actual) => unreachable!("parker in state {actual} while parking"),
            }
            self.driver.release(poll);
            return;
        }
        let mut guard = lock(&inner.mutex);
        match inner.state.compare_exchange(EMPTY, PARKED_CONDVAR, SeqCst, SeqCst) {
            Ok(_) => {}
            Err(NOTIFIED) => {
                inner.state.store(EMPTY, SeqCst);
                drop(guard);
                self.driver.unwait(self.index);
                return;
            }
            Err(actual) => unreachable!("parker in state {actual} while parking"),
        }
        match timeout {
            None => loop {
                guard = inner.cvar.wait(guard).unwrap_or_else(|e| e.into_inner());
                if inner.state.compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst).is_ok() {
                    break;
                }
            },
            Some(timeout) => {
                guard = inner.cvar.wait_timeout(guard, timeout).unwrap_or_else(|e| e.into_inner()).0;
                inner.state.swap(EMPTY, SeqCst);
            }
        }
        drop(guard);
        // Handed the driver, we are off the list already; woken for work, take ourselves off it.
        self.driver.unwait(self.index);
    }
}

impl Park for Parker {
    fn park(&mut self) {
        self.park_inner(None);
    }

    fn park_timeout(&mut self, timeout: Duration) {
        self.park_inner(Some(timeout));
    }

    fn unparker(&self) -> Arc<dyn Unpark> {
        self.inner.clone()
    }

    fn maintain(&mut self) {
        let now = Instant::now();
        if now.duration_since(self.maintained) < MAINTAIN_INTERVAL {
            return;
        }
        self.maintained = now;
        // Not listed as waiting: a busy worker does not want the driver handed to it.
        if let Some(mut poll) = self.driver.try_acquire(None) {
            self.driver.turn(&mut poll, Some(Duration::ZERO));
            self.driver.release(poll);
        }
    }
}

impl ParkInner {
    pub(crate) fn unpark(&self) {
        match self.state.swap(NOTIFIED, SeqCst) {
            EMPTY | NOTIFIED => {}
            PARKED_CONDVAR => {
                drop(lock(&self.mutex));
                self.cvar.notify_one();
            }
            // Interrupt `epoll_wait`; an error means the runtime is being torn down.
            PARKED_DRIVER => drop(self.waker.wake()),
            actual => unreachable!("parker in state {actual} while unparking"),
        }
    }
}

impl Unpark for ParkInner {
    fn unpark(&self) {
        ParkInner::unpark(self);
    }
}

impl fmt::Debug for Parker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parker")
            .field("index", &self.index)
            .field("state", &self.inner.state.load(SeqCst))
            .finish_non_exhaustive()
    }
}
