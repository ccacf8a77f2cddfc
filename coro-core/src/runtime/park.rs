//! Putting an idle worker to sleep, and waking it.
//!
//! # Design
//!
//! A worker with nothing to run calls [`Park::park`]; anyone who gives it work calls [`Unpark::unpark`] on its
//! unparker. The pair is a trait so that the I/O reactor can take over a worker's sleep: its `park` becomes
//! "poll the OS for events (with a timeout), dispatch the wakers" and its `unpark` writes to a wake-up
//! descriptor (mio's `Waker`). The scheduler only relies on the token semantics below.
//!
//! **Token semantics** (as `std::thread::park`): an `unpark` stores a token; `park` consumes it and returns at
//! once if one is present, otherwise sleeps until one arrives. An `unpark` that happens before the `park` is
//! therefore never lost, which is what lets the scheduler publish work, then unpark, without holding a lock
//! across both. `park` may also return spuriously; callers re-check their condition.
//!
//! A busy worker never parks, so every `GLOBAL_INTERVAL` (`worker.rs`) ticks it calls [`Park::maintain`]
//! instead: a driver polls the OS without blocking there (if no other worker is polling it), so that I/O
//! readiness and timers are dispatched even while every worker has work (as tokio's `maintenance`). Wakes
//! during `park` or `maintain` may schedule into the worker's own queues: the worker checks them when `park`
//! returns.
//!
//! The default [`Parker`] is a mutex and condition variable guarded by an atomic three-state word (`EMPTY`,
//! `PARKED`, `NOTIFIED`) so that an `unpark` of a running thread is a single atomic swap, and the mutex is
//! only taken when the thread is actually asleep.

use crate::loom::{AtomicUsize, Condvar, Mutex, Ordering::*, lock};
use std::fmt;
use std::time::Duration;

/// How a worker sleeps. Implemented by [`Parker`], and by the I/O driver when there is one.
pub trait Park: Send + 'static {
    /// Sleeps until unparked; returns at once if an unpark already happened since the last `park`.
    fn park(&mut self);

    /// As [`park`](Park::park), but returns after `timeout` at the latest.
    fn park_timeout(&mut self, timeout: Duration);

    /// The handle that wakes this parker, from any thread.
    fn unparker(&self) -> std::sync::Arc<dyn Unpark>;

    /// Called by a worker that has work, every few dozen ticks: a driver polls for events without blocking.
    /// Must not sleep, and must not consume an unpark token. The default does nothing.
    fn maintain(&mut self) {}
}

/// Wakes a [`Park`].
pub trait Unpark: Send + Sync + 'static {
    /// Stores a wake-up token and wakes the parked thread if it sleeps.
    fn unpark(&self);
}

const EMPTY: usize = 0;
const PARKED: usize = 1;
const NOTIFIED: usize = 2;

/// The default [`Park`]: a condition variable.
pub struct Parker {
    inner: std::sync::Arc<Inner>,
}

struct Inner {
    state: AtomicUsize,
    lock: Mutex<()>,
    cvar: Condvar,
}

impl Parker {
    /// A parker with no token.
    pub fn new() -> Parker {
        Parker {
            inner: std::sync::Arc::new(Inner {
                state: AtomicUsize::new(EMPTY),
                lock: Mutex::new(()),
                cvar: Condvar::new(),
            }),
        }
    }
}

impl Default for Parker {
    fn default() -> Self {
        Parker::new()
    }
}

impl Inner {
    fn park(&self, timeout: Option<Duration>) {
        // Fast path: consume a pending token without locking.
        if self.state.compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst).is_ok() {
            return;
        }
        let mut guard = lock(&self.lock);
        match self.state.compare_exchange(EMPTY, PARKED, SeqCst, SeqCst) {
            Ok(_) => {}
            Err(NOTIFIED) => {
                // Unparked between the fast path and the lock.
                self.state.store(EMPTY, SeqCst);
                return;
            }
            Err(actual) => unreachable!("parker in state {actual} while parking"),
        }
        match timeout {
            None => loop {
                guard = self.cvar.wait(guard).unwrap_or_else(|e| e.into_inner());
                if self.state.compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst).is_ok() {
                    return;
                }
                // Spurious wake-up: keep sleeping.
            },
            Some(timeout) => {
                let (_guard, _) = self.cvar.wait_timeout(guard, timeout).unwrap_or_else(|e| e.into_inner());
                // Whether notified or timed out, leave the parker empty (consuming the token if any).
                self.state.swap(EMPTY, SeqCst);
            }
        }
    }

    fn unpark(&self) {
        match self.state.swap(NOTIFIED, SeqCst) {
            EMPTY | NOTIFIED => {}
            PARKED => {
                // Take the lock so the notification cannot fall between the sleeper's CAS and its wait.
                drop(lock(&self.lock));
                self.cvar.notify_one();
            }
            actual => unreachable!("parker in state {actual} while unparking"),
        }
    }
}

impl Park for Parker {
    fn park(&mut self) {
        self.inner.park(None);
    }

    fn park_timeout(&mut self, timeout: Duration) {
        self.inner.park(Some(timeout));
    }

    fn unparker(&self) -> std::sync::Arc<dyn Unpark> {
        self.inner.clone()
    }
}

impl Unpark for Inner {
    fn unpark(&self) {
        Inner::unpark(self);
    }
}

impl fmt::Debug for Parker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parker").field("state", &self.inner.state.load(Relaxed)).finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    fn state(parker: &Parker) -> usize {
        parker.inner.state.load(SeqCst)
    }

    #[test]
    fn unpark_before_park_is_not_lost_and_park_consumes_it() {
        let mut parker = Parker::new();
        let unparker = parker.unparker();
        unparker.unpark();
        unparker.unpark(); // tokens do not accumulate
        assert_eq!(state(&parker), NOTIFIED);
        parker.park(); // returns at once: the token was stored (a lost token would hang here)
        assert_eq!(state(&parker), EMPTY, "park consumed the token");
        // No token left: a timed park sleeps until its timeout and leaves the parker empty.
        parker.park_timeout(Duration::from_millis(1));
        assert_eq!(state(&parker), EMPTY);
        unparker.unpark();
        parker.park_timeout(Duration::from_secs(3600)); // returns at once: the token is there
        assert_eq!(state(&parker), EMPTY, "a timed park consumes the token too");
    }

    #[test]
    fn unpark_from_another_thread() {
        let mut parker = Parker::new();
        let unparker = parker.unparker();
        let flag = std::sync::Arc::new(AtomicBool::new(false));
        let flag2 = flag.clone();
        let t = std::thread::spawn(move || {
            flag2.store(true, SeqCst);
            unparker.unpark();
        });
        while !flag.load(SeqCst) {
            parker.park();
        }
        t.join().unwrap();
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::{Arc, AtomicBool, thread};

    /// A flag published then unparked is always seen by the parker: no lost wake-up.
    #[test]
    fn loom_park_unpark_no_lost_wakeup() {
        loom::model(|| {
            let mut parker = Parker::new();
            let unparker = parker.unparker();
            let flag = Arc::new(AtomicBool::new(false));
            let flag2 = flag.clone();
            let t = thread::spawn(move || {
                flag2.store(true, SeqCst);
                unparker.unpark();
            });
            while !flag.load(SeqCst) {
                parker.park();
            }
            t.join().unwrap();
        });
    }

    /// Two unparks racing a park: the parker wakes, and a token left over is consumed by the next park.
    #[test]
    fn loom_park_double_unpark() {
        loom::model(|| {
            let mut parker = Parker::new();
            let u1 = parker.unparker();
            let u2 = parker.unparker();
            let t1 = thread::spawn(move || u1.unpark());
            let t2 = thread::spawn(move || u2.unpark());
            parker.park();
            t1.join().unwrap();
            t2.join().unwrap();
        });
    }
}
