//! The timer store: the one structure behind every coro timer, the reactor's (`coro-net`) and the fallback
//! thread's (`fallback.rs`).
//!
//! # Design
//!
//! An ordered set of `(deadline, key)` and a slab of entries (the deadline, the waiting task's waker,
//! whether it fired), kept under its owner's mutex. A timer is inserted on the first poll that has to wait
//! and removed when its wait ends or is dropped, so cancelled timers never pile up: insert, remove and
//! firing the expired ones are `O(log n)`.
//!
//! Deadlines are whole milliseconds since the store's start, rounded up, so a timer never fires early (the
//! reactor's `epoll_wait` rounds its timeout up to the millisecond too).
//!
//! One thread at a time sleeps until the store's next deadline (the reactor's polling worker, or the
//! fallback thread). It says so with [`sleep_until`](TimerStore::sleep_until), so that
//! [`insert`](TimerStore::insert) can tell whether a new timer is due before that thread would wake and it
//! must be woken; firing the expired timers means that the thread is awake again.

use slab::Slab;
use std::collections::BTreeSet;
use std::fmt;
use std::task::Waker;
use std::time::{Duration, Instant};

/// The timers of a runtime (or of the fallback thread); its design is in the header of `timer/store.rs`.
///
/// The reactor calls into it on every turn, from another crate: its methods are `#[inline]` so that they
/// can still be inlined there, as when the reactor had its own copy.
pub struct TimerStore {
    start: Instant,
    /// Pending timers by deadline (ms since `start`), then key.
    queue: BTreeSet<(u64, usize)>,
    entries: Slab<Entry>,
    /// The deadline (ms) until which a thread sleeps on this store, if one does: an earlier timer wakes it.
    sleeping_until: Option<u64>,
    closed: bool,
}

struct Entry {
    deadline: u64,
    waker: Option<Waker>,
    fired: bool,
}

impl TimerStore {
    /// An empty store, counting milliseconds from now.
    pub fn new() -> TimerStore {
        TimerStore::starting_at(Instant::now())
    }

    fn starting_at(start: Instant) -> TimerStore {
        TimerStore {
            start,
            queue: BTreeSet::new(),
            entries: Slab::new(),
            sleeping_until: None,
            closed: false,
        }
    }

    /// `instant` in whole milliseconds since the start, rounded up (a timer must not fire early).
    #[inline]
    fn deadline_ms(&self, instant: Instant) -> u64 {
        let since = instant.saturating_duration_since(self.start);
        let ms = since.as_millis() + u128::from(!since.subsec_nanos().is_multiple_of(1_000_000));
        u64::try_from(ms).unwrap_or(u64::MAX)
    }

    /// Milliseconds elapsed since the start, rounded down.
    #[inline]
    fn now_ms(&self, now: Instant) -> u64 {
        u64::try_from(now.saturating_duration_since(self.start).as_millis()).unwrap_or(u64::MAX)
    }

    /// Registers a timer due at `deadline` that will wake `waker`. Returns its key, and whether the thread
    /// sleeping on the store must be woken (the timer is due before it would wake); `None` (nothing
    /// registered) if the deadline has already passed.
    #[inline]
    pub fn insert(&mut self, deadline: Instant, waker: &Waker) -> Option<(usize, bool)> {
        let deadline = self.deadline_ms(deadline);
        if deadline <= self.now_ms(Instant::now()) {
            return None;
        }
        let key = self.entries.insert(Entry { deadline, waker: Some(waker.clone()), fired: false });
        self.queue.insert((deadline, key));
        let wake = self.sleeping_until.is_some_and(|until| deadline < until);
        Some((key, wake))
    }

    /// Whether timer `key` is due (fired, or its deadline passed); if not, it will wake `waker` (which
    /// replaces the previous one).
    #[inline]
    pub fn poll_due(&mut self, key: usize, waker: &Waker) -> bool {
        let now = self.now_ms(Instant::now());
        let entry = &mut self.entries[key];
        if entry.fired || entry.deadline <= now {
            return true;
        }
        match &entry.waker {
            Some(current) if current.will_wake(waker) => {}
            _ => entry.waker = Some(waker.clone()),
        }
        false
    }

    /// Removes timer `key`, due or not.
    #[inline]
    pub fn remove(&mut self, key: usize) {
        let entry = self.entries.remove(key);
        if !entry.fired {
            self.queue.remove(&(entry.deadline, key));
        }
    }

    /// The earliest pending deadline.
    #[inline]
    pub fn next_deadline(&self) -> Option<Instant> {
        let &(ms, _) = self.queue.first()?;
        Some(self.start + Duration::from_millis(ms))
    }

    /// A thread is about to sleep on the store until `until` (`None`: until woken), so that an earlier
    /// timer inserted meanwhile asks to wake it.
    #[inline]
    pub fn sleep_until(&mut self, until: Option<Instant>) {
        self.sleeping_until = Some(until.map_or(u64::MAX, |t| self.deadline_ms(t)));
    }

    /// Marks every timer due at `now` as fired and collects their wakers. The sleeping thread, if any, is
    /// awake: nobody sleeps on the store any more.
    #[inline]
    pub fn fire_expired(&mut self, now: Instant, wakers: &mut Vec<Waker>) {
        self.sleeping_until = None;
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

    /// Closes the store (its runtime shut down): no timer will fire any more, and every waiting one's waker
    /// is collected, so that its task sees the shutdown.
    pub fn close(&mut self, wakers: &mut Vec<Waker>) {
        self.closed = true;
        self.queue.clear();
        for (_, entry) in self.entries.iter_mut() {
            wakers.extend(entry.waker.take());
        }
    }

    /// Whether [`close`](TimerStore::close) was called.
    #[inline]
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The timers alive: pending, or fired and not yet removed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no timer is alive.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Default for TimerStore {
    fn default() -> Self {
        TimerStore::new()
    }
}

impl fmt::Debug for TimerStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerStore")
            .field("pending", &self.queue.len())
            .field("alive", &self.entries.len())
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::test_util::counting_waker;

    #[test]
    fn deadlines_round_up_to_the_millisecond() {
        let start = Instant::now();
        let store = TimerStore::starting_at(start);
        assert_eq!(store.deadline_ms(start), 0);
        assert_eq!(store.deadline_ms(start + Duration::from_nanos(1)), 1);
        assert_eq!(store.deadline_ms(start + Duration::from_millis(2)), 2);
        assert_eq!(store.now_ms(start + Duration::from_micros(2999)), 2);
    }

    #[test]
    fn expired_timers_fire_in_deadline_order_and_removed_ones_leave_nothing() {
        let start = Instant::now() - Duration::from_secs(1);
        let mut store = TimerStore::starting_at(start);
        let now = Instant::now();
        let (first, first_waker) = counting_waker();
        let (second, second_waker) = counting_waker();
        let (a, _) = store.insert(now + Duration::from_secs(10), &first_waker).unwrap();
        let (b, _) = store.insert(now + Duration::from_secs(20), &second_waker).unwrap();
        let (gone, _) = store.insert(now + Duration::from_secs(15), Waker::noop()).unwrap();
        store.remove(gone);
        assert_eq!(store.len(), 2);
        assert!(store.next_deadline().unwrap() >= now + Duration::from_secs(10));

        let mut wakers = Vec::new();
        store.fire_expired(now + Duration::from_secs(15), &mut wakers);
        assert_eq!(wakers.len(), 1);
        wakers.drain(..).for_each(Waker::wake);
        assert_eq!((first.woken(), second.woken()), (1, 0));
        assert!(store.poll_due(a, Waker::noop()));
        assert!(!store.poll_due(b, Waker::noop()));
        store.remove(a);
        store.remove(b);
        assert!(store.is_empty());
        assert_eq!(store.next_deadline(), None);
        assert!(store.insert(start, Waker::noop()).is_none(), "a past deadline registers nothing");
    }

    #[test]
    fn only_a_timer_due_before_the_sleeper_wakes_asks_to_wake_it() {
        let mut store = TimerStore::new();
        let now = Instant::now();
        let (_, wake) = store.insert(now + Duration::from_secs(5), Waker::noop()).unwrap();
        assert!(!wake, "nobody sleeps on the store");
        store.sleep_until(store.next_deadline());
        let (_, wake) = store.insert(now + Duration::from_secs(9), Waker::noop()).unwrap();
        assert!(!wake, "due after the sleeper wakes anyway");
        let (_, wake) = store.insert(now + Duration::from_secs(1), Waker::noop()).unwrap();
        assert!(wake, "due before the sleeper would wake");
        store.sleep_until(None);
        let (_, wake) = store.insert(now + Duration::from_secs(60), Waker::noop()).unwrap();
        assert!(wake, "the sleeper waits for no deadline");
        store.fire_expired(now, &mut Vec::new());
        let (_, wake) = store.insert(now + Duration::from_secs(1), Waker::noop()).unwrap();
        assert!(!wake, "the sleeper is awake");
    }

    #[test]
    fn closing_wakes_every_waiting_timer() {
        let mut store = TimerStore::new();
        let (woken, waker) = counting_waker();
        store.insert(Instant::now() + Duration::from_secs(60), &waker).unwrap();
        let mut wakers = Vec::new();
        store.close(&mut wakers);
        wakers.into_iter().for_each(Waker::wake);
        assert_eq!(woken.woken(), 1);
        assert!(store.is_closed());
        assert_eq!(store.next_deadline(), None);
    }
}
