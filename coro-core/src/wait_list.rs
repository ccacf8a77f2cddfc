//! The queue of waiting operations behind the channels ([`chan`](crate::chan)) and the primitives of
//! [`sync`](crate::sync) (all but `oneshot`, which has one waiter at most and needs no queue).
//!
//! # Design
//!
//! A [`WaitList`] lives under its user's mutex, next to the state it guards, so every transition is one
//! short critical section that a loom model checks easily, and there is no `unsafe`. A waiter is a node in
//! a [`Slab`], linked into a FIFO by the slab keys of its neighbours: queueing, releasing the first and
//! leaving from the middle are `O(1)`, and the slab reuses its vacant nodes, so in steady state nothing is
//! allocated.
//!
//! The future that waits **owns its node**: it holds the key, and only it frees the node (when it completes
//! or is dropped), so a key is never reused while a future still holds it. The other side *releases* a
//! waiter: it unlinks it and takes its waker, which is what marks it released, and leaves the node, with a
//! value the releaser may update to say what it handed the waiter (the permits it was granted, the kind of
//! notification; the channels hand over nothing and use `()`). A future dropped after its release thus
//! learns that it was released and what it was given, which is how the users pass on what a cancelled
//! waiter received instead of losing it. A released waiter may also queue again, at the front, the place it
//! was released from ([`WaitList::wait_again`]): a channel operation that was woken but found its value
//! taken by another parks again without losing its turn.
//!
//! Wakers are never woken under the lock (a waker may run arbitrary code, even poll the same operation
//! again): the releaser takes them out ([`WaitList::pop_front`]) to wake after unlocking, or, to release
//! many, collects them in a [`WakeList`], a fixed batch on the stack, and [`wake_batched`] wakes each batch
//! after unlocking and re-locks for the next. A waiter clones its waker once per wait, and again only when
//! it is polled with a waker that would not wake the same task.

use crate::loom::{Mutex, lock};
use slab::Slab;
use std::task::{Poll, Waker};

/// No neighbour.
const NIL: usize = usize::MAX;

/// A FIFO of waiters, each carrying a `T` its releaser may update.
pub(crate) struct WaitList<T> {
    nodes: Slab<Node<T>>,
    /// The first and last queued waiters, `NIL` when none is queued.
    head: usize,
    tail: usize,
}

struct Node<T> {
    value: T,
    /// `Some` while queued; taking it releases the waiter.
    waker: Option<Waker>,
    /// Neighbours in the queue, meaningful while queued.
    prev: usize,
    next: usize,
}

impl<T> WaitList<T> {
    pub(crate) const fn new() -> Self {
        WaitList { nodes: Slab::new(), head: NIL, tail: NIL }
    }

    /// Whether no waiter is queued (released waiters whose futures have not looked yet do not count).
    pub(crate) fn is_empty(&self) -> bool {
        self.head == NIL
    }

    /// Queues a waiter at the back and returns its key, which its future keeps until it frees the node.
    pub(crate) fn push_back(&mut self, value: T, waker: &Waker) -> usize {
        let node = Node { value, waker: Some(waker.clone()), prev: self.tail, next: NIL };
        let key = self.nodes.insert(node);
        match self.tail {
            NIL => self.head = key,
            tail => self.nodes[tail].next = key,
        }
        self.tail = key;
        key
    }

    /// Keeps waiter `key` waiting, to be woken by `waker`. A released waiter queues again at the front, the
    /// place it was released from, with the value it has; returns `true`. A queued one keeps its place, and
    /// its waker is replaced only if it would not wake the same task; returns `false`.
    pub(crate) fn wait_again(&mut self, key: usize, waker: &Waker) -> bool {
        let node = &mut self.nodes[key];
        if node.waker.is_some() {
            update(&mut node.waker, waker);
            return false;
        }
        node.waker = Some(waker.clone());
        node.prev = NIL;
        node.next = self.head;
        match self.head {
            NIL => self.tail = key,
            head => self.nodes[head].prev = key,
        }
        self.head = key;
        true
    }

    /// The value of the waiter at the front.
    fn front_mut(&mut self) -> Option<&mut T> {
        match self.head {
            NIL => None,
            head => Some(&mut self.nodes[head].value),
        }
    }

    /// Releases the waiter at the front: unlinks it and returns its waker, to be woken once the lock is
    /// released, and its value, for the releaser to say what the waiter was given.
    pub(crate) fn pop_front(&mut self) -> Option<(Waker, &mut T)> {
        let key = self.head;
        if key == NIL {
            return None;
        }
        self.unlink(key);
        let node = &mut self.nodes[key];
        let waker = node.waker.take().expect("a queued waiter has a waker");
        Some((waker, &mut node.value))
    }

    /// Releases waiters from the front, into `wakers`, while `release` accepts them and `wakers` has room.
    pub(crate) fn release_front(&mut self, wakers: &mut WakeList, mut release: impl FnMut(&mut T) -> bool) {
        while !wakers.is_full() && self.front_mut().is_some_and(&mut release) {
            let (waker, _) = self.pop_front().expect("the front was just seen");
            wakers.push(waker);
        }
    }

    /// Polls the waiter `key`: once it was released, frees its node and returns its value; until then keeps
    /// its waker up to date (cloning only a waker that would not wake the same task).
    pub(crate) fn poll_waiter(&mut self, key: usize, waker: &Waker) -> Poll<T> {
        let node = &mut self.nodes[key];
        if node.waker.is_none() {
            return Poll::Ready(self.nodes.remove(key).value);
        }
        update(&mut node.waker, waker);
        Poll::Pending
    }

    /// Frees the node of waiter `key` (its future completed or was dropped): returns its value and whether
    /// it had been released.
    pub(crate) fn remove(&mut self, key: usize) -> (T, bool) {
        let released = self.nodes[key].waker.is_none();
        if !released {
            self.unlink(key);
        }
        (self.nodes.remove(key).value, released)
    }

    fn unlink(&mut self, key: usize) {
        let node = &self.nodes[key];
        debug_assert!(node.waker.is_some(), "unlinking a released waiter");
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

/// Replaces a queued waiter's waker with `waker`, unless it would wake the same task.
fn update(slot: &mut Option<Waker>, waker: &Waker) {
    match slot {
        Some(old) if old.will_wake(waker) => {}
        slot => *slot = Some(waker.clone()),
    }
}

/// Wakers collected under a lock, to be woken after it is released; a fixed array, so waking many waiters
/// allocates nothing (it takes several rounds of the lock instead).
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

    fn is_full(&self) -> bool {
        self.len == Self::CAPACITY
    }

    /// Adds `waker` to the batch, which must not be full.
    pub(crate) fn push(&mut self, waker: Waker) {
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

/// Runs one transition: `first` once under the lock, then `release`, in as many batches as it takes; both
/// collect the wakers of the waiters they release, and each batch is woken after unlocking. Returns what
/// `first` returned (for the caller to drop outside the lock, say).
///
/// `release` is called again, under a fresh lock, as long as it filled the batch; it must therefore decide
/// from the state alone whom to release (waiters that queued in between go to the back of the queue).
pub(crate) fn wake_batched<S, R>(
    mutex: &Mutex<S>,
    first: impl FnOnce(&mut S, &mut WakeList) -> R,
    mut release: impl FnMut(&mut S, &mut WakeList),
) -> R {
    let mut wakers = WakeList::new();
    let mut state = lock(mutex);
    let out = first(&mut state, &mut wakers);
    loop {
        release(&mut state, &mut wakers);
        drop(state);
        let more = wakers.is_full();
        wakers.wake_all();
        if !more {
            return out;
        }
        state = lock(mutex);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::test_util::counting_waker;
    use std::sync::Arc;

    /// Releases every queued waiter, returning their values in order.
    fn release_all<T: Copy>(list: &mut WaitList<T>) -> Vec<T> {
        std::iter::from_fn(|| list.pop_front().map(|(_, value)| *value)).collect()
    }

    #[test]
    fn fifo_release_and_removal_from_the_middle() {
        let waker = Waker::noop();
        let mut list = WaitList::new();
        let a = list.push_back('a', waker);
        let b = list.push_back('b', waker);
        let c = list.push_back('c', waker);
        // A waiter leaves from the middle: the others keep their order.
        assert_eq!(list.remove(b), ('b', false));
        let (_, first) = list.pop_front().unwrap();
        assert_eq!(*first, 'a');
        assert_eq!(list.front_mut().copied(), Some('c'));
        // The released waiter's node stays until its future looks.
        assert_eq!(list.poll_waiter(a, waker), Poll::Ready('a'));
        assert_eq!(list.poll_waiter(c, waker), Poll::Pending);
        assert_eq!(list.remove(c), ('c', false));
        assert!(list.is_empty());
        assert!(list.nodes.is_empty());
    }

    #[test]
    fn a_released_waiter_that_waits_again_goes_back_to_the_front() {
        let waker = Waker::noop();
        let mut list = WaitList::new();
        let keys: Vec<_> = (0..3).map(|i| list.push_back(i, waker)).collect();
        assert!(!list.wait_again(keys[0], waker), "still queued: keeps its place");
        let (_, first) = list.pop_front().unwrap();
        assert_eq!(*first, 0);
        assert!(list.wait_again(keys[0], waker), "released: queued again");
        assert_eq!(release_all(&mut list), [0, 1, 2]);
        // Released, so all of them report it when their futures leave; the slab is empty again.
        for key in keys {
            assert!(list.remove(key).1);
        }
        assert!(list.nodes.is_empty());
        // Waiting again into an empty list makes it the only waiter (head and tail).
        let key = list.push_back(7, waker);
        list.pop_front();
        assert!(list.wait_again(key, waker));
        let other = list.push_back(8, waker);
        assert_eq!(release_all(&mut list), [7, 8]);
        list.remove(key);
        list.remove(other);
    }

    #[test]
    fn a_waiter_clones_its_waker_once_per_wait() {
        let (count, waker) = counting_waker();
        let mut list = WaitList::new();
        let key = list.push_back((), &waker);
        assert_eq!(Arc::strong_count(&count), 3, "cloned to queue");
        // Polled with a waker that wakes the same task: nothing is cloned.
        assert!(list.poll_waiter(key, &waker).is_pending());
        assert!(!list.wait_again(key, &waker));
        assert_eq!(Arc::strong_count(&count), 3);
        // Another task's waker replaces it.
        let (other, other_waker) = counting_waker();
        assert!(list.poll_waiter(key, &other_waker).is_pending());
        assert_eq!((Arc::strong_count(&count), Arc::strong_count(&other)), (2, 3));
        // The released waiter's waker is handed over, not cloned.
        let (released, ()) = list.pop_front().unwrap();
        released.wake();
        assert_eq!((other.woken(), Arc::strong_count(&other)), (1, 2));
        assert_eq!(list.remove(key), ((), true));
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

    #[test]
    fn wake_batched_wakes_everyone_outside_the_lock_and_the_slab_is_reused() {
        let (count, waker) = counting_waker();
        let list = Mutex::new(WaitList::new());
        let n = WakeList::CAPACITY * 2 + 1;
        let keys: Vec<_> = (0..n).map(|i| lock(&list).push_back(i, &waker)).collect();
        let mut rounds = 0;
        let first = wake_batched(
            &list,
            |list, _| list.front_mut().copied(),
            |list, wakers| {
                list.release_front(wakers, |_| true);
                // Nothing of this batch was woken yet: wakers run only after the lock is released.
                assert_eq!(count.woken(), rounds * WakeList::CAPACITY);
                rounds += 1;
            },
        );
        assert_eq!(first, Some(0));
        assert_eq!((count.woken(), rounds), (n, 3));
        // Every waker was taken out of the list and woken (dropped): only the test holds one now.
        assert_eq!(Arc::strong_count(&count), 2);
        let mut list = list.into_inner().unwrap();
        assert!(list.is_empty());
        for key in keys {
            assert!(list.remove(key).1);
        }
        // A new waiter reuses a vacant node.
        assert!(list.push_back(0, &waker) < n);
    }
}
