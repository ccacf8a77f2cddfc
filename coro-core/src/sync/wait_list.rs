//! The queue of waiting futures behind every primitive of `coro::sync` except `oneshot`.
//!
//! # Design
//!
//! Each primitive keeps its state and a [`WaitList`] under one mutex. The operations are rare enough to
//! contend (a waiter only queues when the primitive is taken) that a lock-free queue would buy little, and the
//! mutex makes every transition one critical section that a loom model checks easily. No `unsafe`.
//!
//! A waiter is a slot in a slab, linked into a FIFO by the slab keys of its neighbours, so a waiter leaves the
//! middle of the queue in O(1). The future that waits **owns its slot**: it holds the key, and only it frees
//! the slot (when it completes or is dropped). The other side *releases* a waiter by unlinking it and taking
//! its waker, leaving in the slot whatever the waiter was handed (the permits it was granted, the kind of
//! notification). So a key is never reused while a future still holds it, and a future that is dropped after
//! its release finds out what it was given, which is how the primitives pass on what a cancelled waiter
//! received instead of losing it.
//!
//! Wakers are never woken under the lock (a waker may run arbitrary code, even poll the primitive again):
//! the releasing side collects them in a [`WakeList`], a fixed batch on the stack, and wakes it after
//! unlocking, re-locking for the next batch if there are more ([`wake_batched`]). The slab keeps its capacity,
//! so in steady state an operation allocates nothing beyond the waker clone when a waiter's waker changes.

use crate::loom::{Mutex, lock};
use slab::Slab;
use std::task::{Poll, Waker};

/// No neighbour.
const NIL: usize = usize::MAX;

/// A FIFO of waiters, each carrying a `T` its releaser may update.
pub(crate) struct WaitList<T> {
    nodes: Slab<Node<T>>,
    head: usize,
    tail: usize,
}

struct Node<T> {
    value: T,
    /// Taken by whoever releases the waiter.
    waker: Option<Waker>,
    /// Neighbours in the queue, meaningful while `queued`.
    prev: usize,
    next: usize,
    /// In the queue, not yet released.
    queued: bool,
}

impl<T> WaitList<T> {
    pub(crate) const fn new() -> Self {
        WaitList { nodes: Slab::new(), head: NIL, tail: NIL }
    }

    /// Whether no waiter is queued (released waiters whose futures have not looked yet do not count).
    pub(crate) fn is_empty(&self) -> bool {
        self.head == NIL
    }

    /// Queues a waiter at the back and returns its key, which its future keeps until it frees the slot.
    pub(crate) fn push_back(&mut self, value: T, waker: &Waker) -> usize {
        let node = Node { value, waker: Some(waker.clone()), prev: self.tail, next: NIL, queued: true };
        let key = self.nodes.insert(node);
        match self.tail {
            NIL => self.head = key,
            tail => self.nodes[tail].next = key,
        }
        self.tail = key;
        key
    }

    /// The value of the waiter at the front.
    pub(crate) fn front_mut(&mut self) -> Option<&mut T> {
        match self.head {
            NIL => None,
            head => Some(&mut self.nodes[head].value),
        }
    }

    /// Releases the waiter at the front: unlinks it and adds its waker to `wakers`. Returns its value, for
    /// the releaser to say what the waiter was given.
    pub(crate) fn pop_front(&mut self, wakers: &mut WakeList) -> Option<&mut T> {
        let key = self.head;
        if key == NIL {
            return None;
        }
        self.unlink(key);
        let node = &mut self.nodes[key];
        if let Some(waker) = node.waker.take() {
            wakers.push(waker);
        }
        Some(&mut node.value)
    }

    /// Releases waiters from the front while `release` accepts them and `wakers` has room.
    pub(crate) fn release_front(&mut self, wakers: &mut WakeList, mut release: impl FnMut(&mut T) -> bool) {
        while !wakers.is_full() && self.front_mut().is_some_and(&mut release) {
            self.pop_front(wakers);
        }
    }

    /// Polls the waiter `key`: once it was released, frees its slot and returns its value; until then keeps
    /// its waker up to date (cloning only a waker that would not wake the same task).
    pub(crate) fn poll_waiter(&mut self, key: usize, waker: &Waker) -> Poll<T> {
        let node = &mut self.nodes[key];
        if !node.queued {
            return Poll::Ready(self.nodes.remove(key).value);
        }
        match &mut node.waker {
            Some(old) if old.will_wake(waker) => {}
            slot => *slot = Some(waker.clone()),
        }
        Poll::Pending
    }

    /// Frees the slot of waiter `key` (its future was dropped): returns its value and whether it had been
    /// released.
    pub(crate) fn remove(&mut self, key: usize) -> (T, bool) {
        let released = !self.nodes[key].queued;
        if !released {
            self.unlink(key);
        }
        (self.nodes.remove(key).value, released)
    }

    fn unlink(&mut self, key: usize) {
        let node = &mut self.nodes[key];
        debug_assert!(node.queued);
        node.queued = false;
        let (prev, next) = (node.prev, node.next);
        match prev {
            NIL => self.head = next,
            prev => self.nodes[prev].next = next,
        }
        match next {
            NIL => self.tail = prev,
            next => self.nodes[next].prev = prev,
        }
    }
}

/// Wakers collected under a lock, to be woken after it is released.
pub(crate) struct WakeList {
    wakers: [Option<Waker>; WakeList::CAPACITY],
    len: usize,
}

impl WakeList {
    /// One batch: enough that bulk releases rarely re-lock, small enough to live on the stack.
    const CAPACITY: usize = 32;

    fn new() -> Self {
        WakeList { wakers: [const { None }; Self::CAPACITY], len: 0 }
    }

    pub(crate) fn is_full(&self) -> bool {
        self.len == Self::CAPACITY
    }

    fn push(&mut self, waker: Waker) {
        debug_assert!(!self.is_full());
        self.wakers[self.len] = Some(waker);
        self.len += 1;
    }

    fn wake_all(&mut self) {
        for slot in &mut self.wakers[..self.len] {
            if let Some(waker) = slot.take() {
                waker.wake();
            }
        }
        self.len = 0;
    }
}

/// Runs one transition of a primitive: `first` once under the lock, then `release`, in as many batches as it
/// takes; both collect the wakers of the waiters they release, and each batch is woken after unlocking.
///
/// `release` is called again, under a fresh lock, as long as it filled the batch; it must therefore decide
/// from the state alone whom to release (waiters that queued in between go to the back of the queue).
pub(crate) fn wake_batched<S>(
    mutex: &Mutex<S>,
    first: impl FnOnce(&mut S, &mut WakeList),
    mut release: impl FnMut(&mut S, &mut WakeList),
) {
    let mut wakers = WakeList::new();
    let mut first = Some(first);
    loop {
        {
            let mut state = lock(mutex);
            if let Some(first) = first.take() {
                first(&mut state, &mut wakers);
            }
            release(&mut state, &mut wakers);
        }
        let more = wakers.is_full();
        wakers.wake_all();
        if !more {
            return;
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn fifo_release_and_removal_from_the_middle() {
        let waker = Waker::noop();
        let mut list = WaitList::new();
        let a = list.push_back('a', waker);
        let b = list.push_back('b', waker);
        let c = list.push_back('c', waker);
        // A waiter leaves from the middle: the others keep their order.
        assert_eq!(list.remove(b), ('b', false));
        let mut wakers = WakeList::new();
        assert_eq!(list.pop_front(&mut wakers).copied(), Some('a'));
        assert_eq!(wakers.len, 1);
        assert_eq!(list.front_mut().copied(), Some('c'));
        // The released waiter's slot stays until its future looks.
        assert_eq!(list.poll_waiter(a, waker), Poll::Ready('a'));
        assert_eq!(list.poll_waiter(c, waker), Poll::Pending);
        assert_eq!(list.remove(c), ('c', false));
        assert!(list.is_empty());
    }

    #[test]
    fn release_front_stops_at_the_batch_size_and_at_the_predicate() {
        let mut list = WaitList::new();
        for i in 0..WakeList::CAPACITY + 5 {
            list.push_back(i, Waker::noop());
        }
        let mut wakers = WakeList::new();
        list.release_front(&mut wakers, |_| true);
        assert!(wakers.is_full());
        wakers.wake_all();
        list.release_front(&mut wakers, |&mut i| i < WakeList::CAPACITY + 2);
        assert_eq!(wakers.len, 2);
        assert_eq!(list.front_mut().copied(), Some(WakeList::CAPACITY + 2));
    }
}
