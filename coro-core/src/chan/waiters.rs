//! The operations parked on one side of a channel, in arrival order.
//!
//! # Design
//!
//! A parked operation (a `recv` or `send` future) owns a key into a [`Slab`] of entries. An entry holds only
//! the operation's waker: the channel never moves a value into or out of a parked operation, so dropping
//! one can lose nothing (see the channel's module docs). The entries that are still waiting form a FIFO
//! list, linked through the slab by index, so parking, waking the first and removing any one are `O(1)`,
//! and the slab reuses its vacant entries: in steady state nothing is allocated.
//!
//! Waking an entry takes it off the list and marks it *notified*: its operation has been told to try again
//! and has not yet done so. The entry stays in the slab until its operation completes, parks again (back at
//! the head of the list, the place it had), or is dropped; the channel uses the mark to pass a notification
//! on when a notified operation is dropped without acting on it.

use crate::loom::{Mutex, lock};
use slab::Slab;
use std::task::Waker;

/// "No entry" in the links.
const NIL: usize = usize::MAX;

pub(super) struct Waiters {
    entries: Slab<Entry>,
    /// The first and last waiting entries, `NIL` when none waits.
    head: usize,
    tail: usize,
    /// The number of waiting (linked, not notified) entries.
    waiting: usize,
}

struct Entry {
    /// `Some` while waiting; taken by the wake.
    waker: Option<Waker>,
    prev: usize,
    next: usize,
    notified: bool,
}

impl Waiters {
    pub(super) const fn new() -> Waiters {
        Waiters { entries: Slab::new(), head: NIL, tail: NIL, waiting: 0 }
    }

    /// The number of operations waiting (parked and not yet woken).
    pub(super) fn waiting(&self) -> usize {
        self.waiting
    }

    /// Parks the operation whose entry is `*key` (a new entry, at the tail, when `None`), to be woken by
    /// `waker`. An operation that was notified goes back to the head. Returns whether it joined the list;
    /// `false` if it was waiting already (then its waker is replaced only if it would not wake the same
    /// task).
    pub(super) fn park(&mut self, key: &mut Option<usize>, waker: &Waker) -> bool {
        let Some(k) = *key else {
            let entry = Entry { waker: Some(waker.clone()), prev: NIL, next: NIL, notified: false };
            let k = self.entries.insert(entry);
            self.link_back(k);
            *key = Some(k);
            return true;
        };
        let entry = &mut self.entries[k];
        if entry.notified {
            entry.notified = false;
            entry.waker = Some(waker.clone());
            self.link_front(k);
            return true;
        }
        match &entry.waker {
            Some(current) if current.will_wake(waker) => {}
            _ => entry.waker = Some(waker.clone()),
        }
        false
    }

    /// Notifies the first waiting operation; returns its waker, to be woken once the lock is released.
    pub(super) fn notify_one(&mut self) -> Option<Waker> {
        let k = self.head;
        if k == NIL {
            return None;
        }
        self.unlink(k);
        let entry = &mut self.entries[k];
        entry.notified = true;
        entry.waker.take()
    }

    /// Forgets operation `key` (it completed or was dropped); returns whether it had been notified and not
    /// acted on it since.
    pub(super) fn remove(&mut self, key: usize) -> bool {
        if !self.entries[key].notified {
            self.unlink(key);
        }
        self.entries.remove(key).notified
    }

    fn link_back(&mut self, k: usize) {
        let entry = &mut self.entries[k];
        entry.prev = self.tail;
        entry.next = NIL;
        match self.tail {
            NIL => self.head = k,
            tail => self.entries[tail].next = k,
        }
        self.tail = k;
        self.waiting += 1;
    }

    fn link_front(&mut self, k: usize) {
        let entry = &mut self.entries[k];
        entry.prev = NIL;
        entry.next = self.head;
        match self.head {
            NIL => self.tail = k,
            head => self.entries[head].prev = k,
        }
        self.head = k;
        self.waiting += 1;
    }

    fn unlink(&mut self, k: usize) {
        let Entry { prev, next, .. } = self.entries[k];
        match prev {
            NIL => self.head = next,
            prev => self.entries[prev].next = next,
        }
        match next {
            NIL => self.tail = prev,
            next => self.entries[next].prev = prev,
        }
        self.waiting -= 1;
    }
}

/// Wakers collected under a lock, to be woken once it is released; a fixed array, so waking many
/// operations allocates nothing (it takes several rounds of the lock instead).
pub(super) struct WakeBatch {
    wakers: [Option<Waker>; BATCH],
    len: usize,
}

const BATCH: usize = 32;

impl WakeBatch {
    pub(super) fn new() -> WakeBatch {
        WakeBatch { wakers: [const { None }; BATCH], len: 0 }
    }

    /// Notifies the operations waiting in `waiters` until the batch is full; returns whether some are left.
    pub(super) fn notify(&mut self, waiters: &mut Waiters) -> bool {
        while self.len < BATCH {
            let Some(waker) = waiters.notify_one() else { return false };
            self.wakers[self.len] = Some(waker);
            self.len += 1;
        }
        waiters.waiting() > 0
    }

    fn wake(&mut self) {
        for waker in &mut self.wakers[..self.len] {
            waker.take().expect("batched waker").wake();
        }
        self.len = 0;
    }
}

/// Runs `first` under the lock of `mutex`, then notifies every operation `notify` finds waiting in the
/// state (it fills the batch, returning whether some are left), waking them with the lock released, in as
/// many rounds as it takes. Returns what `first` returned, for the caller to drop outside the lock.
pub(super) fn notify_all<S, R>(
    mutex: &Mutex<S>,
    first: impl FnOnce(&mut S) -> R,
    notify: impl Fn(&mut S, &mut WakeBatch) -> bool,
) -> R {
    let mut batch = WakeBatch::new();
    let mut state = lock(mutex);
    let out = first(&mut state);
    loop {
        let more = notify(&mut state, &mut batch);
        drop(state);
        batch.wake();
        if !more {
            return out;
        }
        state = lock(mutex);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::task::Wake;

    struct Id(usize);
    impl Wake for Id {
        fn wake(self: Arc<Self>) {}
    }

    /// A waker that knows its id (by pointer identity of the `Arc`).
    fn wakers(n: usize) -> Vec<(Arc<Id>, Waker)> {
        (0..n)
            .map(|i| {
                let id = Arc::new(Id(i));
                (id.clone(), Waker::from(id))
            })
            .collect()
    }

    fn which(w: &Waker, all: &[(Arc<Id>, Waker)]) -> usize {
        all.iter().find(|(_, x)| x.will_wake(w)).map(|(id, _)| id.0).unwrap()
    }

    #[test]
    fn fifo_with_removal_and_requeue() {
        let all = wakers(4);
        let mut w = Waiters::new();
        let mut keys = [None; 4];
        for (i, key) in keys.iter_mut().enumerate() {
            assert!(w.park(key, &all[i].1));
        }
        // Parking again with the same waker keeps the place and clones nothing.
        assert!(!w.park(&mut keys[0], &all[0].1));
        assert_eq!(Arc::strong_count(&all[0].0), 3);
        assert_eq!(w.waiting(), 4);
        // Remove one in the middle.
        assert!(!w.remove(keys[1].take().unwrap()));
        let first = w.notify_one().unwrap();
        assert_eq!(which(&first, &all), 0);
        assert_eq!(w.waiting(), 2);
        // The notified one parks again: back at the head.
        assert!(w.park(&mut keys[0], &all[0].1));
        let order: Vec<_> = std::iter::from_fn(|| w.notify_one()).map(|x| which(&x, &all)).collect();
        assert_eq!(order, [0, 2, 3]);
        assert_eq!(w.waiting(), 0);
        for key in [0, 2, 3] {
            assert!(w.remove(keys[key].take().unwrap()), "notified");
        }
        assert!(w.entries.is_empty());
    }

    #[test]
    fn notify_all_in_batches_and_reuse() {
        let all = wakers(BATCH * 2 + 1);
        let w = Mutex::new(Waiters::new());
        let mut keys = vec![None; all.len()];
        for (i, key) in keys.iter_mut().enumerate() {
            lock(&w).park(key, &all[i].1);
        }
        let first = notify_all(&w, |w| w.waiting(), |w, batch| batch.notify(w));
        assert_eq!(first, all.len());
        assert_eq!(lock(&w).waiting(), 0);
        // Every waker was taken out of the list and woken (dropped): only `all` holds each one now.
        assert!(all.iter().all(|(id, _)| Arc::strong_count(id) == 2));
        let mut w = w.into_inner().unwrap();
        for key in &mut keys {
            assert!(w.remove(key.take().unwrap()));
        }
        // A new waiter reuses a vacant entry.
        let mut key = None;
        w.park(&mut key, &all[0].1);
        assert!(key.unwrap() < all.len());
    }
}
