//! Which workers are asleep, and how many are looking for work.
//!
//! # Design
//!
//! As tokio's `idle.rs` (after Go's `nmspinning`): one atomic word counts the workers that are awake
//! (`unparked`) and, among them, those searching for work to steal (`searching`); a mutex-guarded list holds
//! the sleepers.
//!
//! - A worker that runs out of local work becomes a searcher only if fewer than half the workers already
//!   are: more thieves would just contend on the same queues.
//! - Making a task stealable wakes **one** sleeper, and only if nobody is searching (a searcher will find the
//!   task) and someone sleeps. The woken worker starts as a searcher.
//! - A searcher that finds work stops searching; if it was the last one it wakes another sleeper, so that
//!   work left behind is found (a chain of wake-ups instead of a thundering herd).
//! - The last searcher to park re-checks every queue after announcing itself parked, which closes the race
//!   with a spawner that saw it searching and therefore woke nobody. The notifier's check is a
//!   read-modify-write (`fetch_add(0)`) so that it synchronizes with the parker's decrement.
//!
//! A worker removed from the sleepers list by whoever wakes it is counted as unparked and searching by the
//! waker; a worker that sees it is still listed when its `park` returns treats the wake-up as spurious.

use crate::loom::{AtomicUsize, Mutex, Ordering::*, lock};
use std::fmt;

const UNPARK_SHIFT: usize = 16;
const SEARCH_MASK: usize = (1 << UNPARK_SHIFT) - 1;
const ONE_UNPARKED: usize = 1 << UNPARK_SHIFT;

pub(crate) struct Idle {
    state: AtomicUsize,
    num_workers: usize,
    sleepers: Mutex<Vec<usize>>,
}

fn searching(state: usize) -> usize {
    state & SEARCH_MASK
}

fn unparked(state: usize) -> usize {
    state >> UNPARK_SHIFT
}

impl Idle {
    /// All workers start awake and not searching.
    pub(crate) fn new(num_workers: usize) -> Idle {
        assert!(num_workers < SEARCH_MASK, "too many workers");
        Idle {
            state: AtomicUsize::new(num_workers << UNPARK_SHIFT),
            num_workers,
            sleepers: Mutex::new(Vec::with_capacity(num_workers)),
        }
    }

    /// Picks a sleeper to wake for new stealable work, counting it as unparked and searching.
    pub(crate) fn worker_to_notify(&self) -> Option<usize> {
        if !self.should_wake_one() {
            return None;
        }
        let mut sleepers = lock(&self.sleepers);
        if !self.should_wake_one() {
            return None;
        }
        let worker = sleepers.pop()?;
        self.state.fetch_add(1 | ONE_UNPARKED, SeqCst);
        Some(worker)
    }

    fn should_wake_one(&self) -> bool {
        // A read-modify-write, not a load: see the module docs.
        let state = self.state.fetch_add(0, SeqCst);
        searching(state) == 0 && unparked(state) < self.num_workers
    }

    /// Whether a worker may start searching (fewer than half the workers are).
    pub(crate) fn transition_worker_to_searching(&self) -> bool {
        let state = self.state.load(SeqCst);
        if 2 * searching(state) >= self.num_workers {
            return false;
        }
        self.state.fetch_add(1, SeqCst);
        true
    }

    /// A searcher found work. Returns `true` if it was the last searcher (it should then wake another).
    pub(crate) fn transition_worker_from_searching(&self) -> bool {
        let prev = self.state.fetch_sub(1, SeqCst);
        debug_assert!(searching(prev) > 0);
        searching(prev) == 1
    }

    /// The worker goes to sleep. Returns `true` if it was the last searcher (it must then re-check for work).
    pub(crate) fn transition_worker_to_parked(&self, worker: usize, is_searching: bool) -> bool {
        let mut sleepers = lock(&self.sleepers);
        let dec = ONE_UNPARKED + usize::from(is_searching);
        let prev = self.state.fetch_sub(dec, SeqCst);
        sleepers.push(worker);
        is_searching && searching(prev) == 1
    }

    /// Wakes a specific sleeper (it has pinned work, or is the `block_on` thread). Returns `true` if it was
    /// asleep: the caller must then unpark it. It is counted as unparked and searching.
    pub(crate) fn unpark_worker_by_id(&self, worker: usize) -> bool {
        let mut sleepers = lock(&self.sleepers);
        match sleepers.iter().position(|&w| w == worker) {
            Some(pos) => {
                sleepers.swap_remove(pos);
                self.state.fetch_add(1 | ONE_UNPARKED, SeqCst);
                true
            }
            None => false,
        }
    }

    /// Whether the worker is still on the sleepers list (a wake-up was spurious).
    pub(crate) fn is_parked(&self, worker: usize) -> bool {
        lock(&self.sleepers).contains(&worker)
    }

    #[cfg(all(test, not(loom)))]
    fn counts(&self) -> (usize, usize) {
        let s = self.state.load(SeqCst);
        (searching(s), unparked(s))
    }
}

impl fmt::Debug for Idle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.state.load(Relaxed);
        f.debug_struct("Idle").field("searching", &searching(s)).field("unparked", &unparked(s)).finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn at_most_half_search() {
        let idle = Idle::new(4);
        assert!(idle.transition_worker_to_searching());
        assert!(idle.transition_worker_to_searching());
        assert!(!idle.transition_worker_to_searching());
        assert!(!idle.transition_worker_from_searching());
        assert!(idle.transition_worker_from_searching());
    }

    #[test]
    fn notify_wakes_one_and_only_when_nobody_searches() {
        let idle = Idle::new(3);
        assert_eq!(idle.worker_to_notify(), None, "nobody sleeps");
        assert!(!idle.transition_worker_to_parked(1, false));
        assert!(!idle.transition_worker_to_parked(2, false));
        assert_eq!(idle.counts(), (0, 1));
        let woken = idle.worker_to_notify().expect("one sleeper woken");
        assert_eq!(idle.counts(), (1, 2));
        // Someone is searching now: no second wake-up.
        assert_eq!(idle.worker_to_notify(), None);
        assert!(!idle.is_parked(woken));
        assert!(idle.transition_worker_from_searching());
        assert!(idle.unpark_worker_by_id(3 - woken));
        assert!(!idle.unpark_worker_by_id(3 - woken));
        assert_eq!(idle.counts(), (1, 3));
    }

    #[test]
    fn last_searcher_parking_is_reported() {
        let idle = Idle::new(2);
        assert!(idle.transition_worker_to_searching());
        assert!(idle.transition_worker_to_parked(0, true));
        assert_eq!(idle.counts(), (0, 1));
    }
}
