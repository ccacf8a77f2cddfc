//! The timer for waits that no runtime's timers serve: on a plain thread under `block_on`, or on a
//! `coro_core::Runtime` built without a [`Timer`].
//!
//! # Design
//!
//! One [`TimerStore`] for the whole process, under one mutex, served by one thread started on first use. The
//! thread sleeps on a condvar until the earliest deadline (an earlier insert wakes it), fires what is due,
//! and wakes the wakers after unlocking. It is meant for the occasional timed wait outside a runtime: a
//! runtime's own timers (the reactor's, installed by `coro::Runtime`) cost no thread hop.

use super::{Timer, TimerStore};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::Waker;
use std::thread;
use std::time::Instant;

/// The process's fallback timer, its thread started on first use.
pub(crate) fn timer() -> Arc<dyn Timer> {
    static TIMER: OnceLock<Arc<Fallback>> = OnceLock::new();
    TIMER
        .get_or_init(|| {
            let timer = Arc::new(Fallback::default());
            let served = timer.clone();
            thread::Builder::new()
                .name("coro-timer".into())
                .spawn(move || served.serve())
                .expect("cannot start coro's fallback timer thread");
            timer
        })
        .clone()
}

#[derive(Default)]
struct Fallback {
    store: Mutex<TimerStore>,
    /// Signalled when a timer is inserted that is due before the thread would wake.
    changed: Condvar,
}

impl Fallback {
    fn lock(&self) -> MutexGuard<'_, TimerStore> {
        // No user code runs under this lock (wakers are woken after it): a poisoned lock is still consistent.
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The timer thread: fires each timer when its deadline passes.
    fn serve(&self) {
        let mut due = Vec::new();
        let mut store = self.lock();
        loop {
            store.fire_expired(Instant::now(), &mut due);
            if !due.is_empty() {
                drop(store);
                due.drain(..).for_each(Waker::wake);
                store = self.lock();
                continue;
            }
            let next = store.next_deadline();
            store.sleep_until(next);
            store = match next {
                None => self.changed.wait(store).unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let timeout = deadline.saturating_duration_since(Instant::now());
                    self.changed.wait_timeout(store, timeout).unwrap_or_else(PoisonError::into_inner).0
                }
            };
        }
    }
}

impl Timer for Fallback {
    fn insert(&self, deadline: Instant, waker: &Waker) -> Option<usize> {
        let (key, wake) = self.lock().insert(deadline, waker)?;
        if wake {
            self.changed.notify_one();
        }
        Some(key)
    }

    fn poll_due(&self, key: usize, waker: &Waker) -> bool {
        self.lock().poll_due(key, waker)
    }

    fn remove(&self, key: usize) {
        self.lock().remove(key);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::test_util::counting_waker;
    use std::time::Duration;

    #[test]
    fn a_timer_fires_after_its_deadline_and_a_removed_one_never_does() {
        let timer = timer();
        let (removed, other) = counting_waker();
        let start = Instant::now();
        let gone = timer.insert(start + Duration::from_millis(5), &other).expect("a future deadline");
        timer.remove(gone);
        let key = timer.insert(start + Duration::from_millis(20), Waker::noop()).expect("a future deadline");
        crate::block_on(std::future::poll_fn(|cx| match timer.poll_due(key, cx.waker()) {
            true => std::task::Poll::Ready(()),
            false => std::task::Poll::Pending,
        }));
        assert!(start.elapsed() >= Duration::from_millis(20));
        assert_eq!(removed.woken(), 0);
        timer.remove(key);
        assert!(timer.insert(start, Waker::noop()).is_none(), "a past deadline registers nothing");
    }
}
