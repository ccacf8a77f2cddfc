//! The per-worker run queue: a fixed-capacity, single-producer, multi-stealer ring.
//!
//! # Design
//!
//! Modeled on the Chase-Lev-style queue of tokio's multi-thread scheduler (itself after Go's `runqput` /
//! `runqsteal`). The ring has [`CAPACITY`] (512) slots. Only the owning worker pushes (at `tail`) and pops (at
//! `head`); any other worker may steal half of the queue at once.
//!
//! `head` is one `AtomicU64` packing two `u32` positions, `(steal, real)`:
//! - `real` is the first slot not yet claimed; pops and steals advance it with a CAS.
//! - `steal` lags behind `real` while a stealer copies the slots `steal..real` it claimed; the owner must not
//!   overwrite them, so it counts free space from `steal`. When the copy is done the stealer sets
//!   `steal = real`. Only one steal is in flight at a time (a stealer that sees `steal != real` backs off).
//!
//! `tail` is written only by the owner; its `Release` store publishes the slot just written.
//!
//! When the ring is full, the owner moves half of it (256 tasks) plus the new one to the injector in one
//! batch (one lock), as Go's `runqputslow` does; if a steal is in progress it sends just the new task there.
//! A stealer copies straight into its own ring (which must have room for half a queue) and runs the last task
//! it took without queueing it.
//!
//! Positions are `u32` and wrap; every comparison uses wrapping arithmetic.
//!
//! The queue is generic over the element so that the loom models can drive it with plain values.

use crate::loom::{Arc, AtomicU32, AtomicU64, Ordering::*, UnsafeCell};
use std::fmt;
use std::mem::MaybeUninit;

/// Slots in a worker's ring (4 under loom, so that the models can fill it). Twice tokio's and Go's 256: the
/// wakes a worker's I/O driver dispatches are queued here only while the injector is empty (see
/// `worker::dispatching`), so a worker serving a few hundred busy connections with 256 slots spilled a batch
/// into the injector, and every later batch followed it there to keep its turn; at 512 connections that
/// cost about 5% more CPU per echo request, in the kernel, than serving the same order from the ring
/// (BENCHMARKS.md, "The run queue's capacity").
pub(crate) const CAPACITY: usize = if cfg!(loom) { 4 } else { 512 };
const MASK: u32 = CAPACITY as u32 - 1;

/// Where a full queue sends its overflow.
pub(crate) trait Overflow<T> {
    /// Pushes a batch (one lock acquisition for all of them).
    fn push_batch(&self, iter: impl Iterator<Item = T>);
}

struct Inner<T> {
    /// `(steal, real)` packed as `steal << 32 | real`.
    head: AtomicU64,
    tail: AtomicU32,
    buffer: Box<[UnsafeCell<MaybeUninit<T>>]>,
}

// SAFETY: slots are handed from thread to thread by the head/tail protocol, so `T: Send` suffices.
unsafe impl<T: Send> Send for Inner<T> {}
// SAFETY: as above; concurrent access to a slot is excluded by the protocol.
unsafe impl<T: Send> Sync for Inner<T> {}

/// The owner's side: push and pop. Not `Clone`; one per queue.
pub(crate) struct Local<T> {
    inner: Arc<Inner<T>>,
}

/// The stealers' side.
pub(crate) struct Steal<T>(Arc<Inner<T>>);

fn pack(steal: u32, real: u32) -> u64 {
    (u64::from(steal) << 32) | u64::from(real)
}

fn unpack(head: u64) -> (u32, u32) {
    ((head >> 32) as u32, head as u32)
}

/// Creates a queue.
pub(crate) fn new<T>() -> (Local<T>, Steal<T>) {
    let buffer = (0..CAPACITY).map(|_| UnsafeCell::new(MaybeUninit::uninit())).collect();
    let inner = Arc::new(Inner { head: AtomicU64::new(0), tail: AtomicU32::new(0), buffer });
    (Local { inner: inner.clone() }, Steal(inner))
}

impl<T> Inner<T> {
    fn len(&self) -> u32 {
        let (_, real) = unpack(self.head.load(Acquire));
        let tail = self.tail.load(Acquire);
        tail.wrapping_sub(real)
    }

    /// # Safety
    /// The slot at `pos` was claimed by the caller and holds a value.
    unsafe fn read(&self, pos: u32) -> T {
        // SAFETY: forwarded contract: nobody else reads or writes a claimed slot.
        self.buffer[(pos & MASK) as usize].with(|ptr| unsafe { (*ptr).assume_init_read() })
    }

    /// # Safety
    /// The slot at `pos` is free and owned by the caller.
    unsafe fn write(&self, pos: u32, value: T) {
        // SAFETY: forwarded contract.
        self.buffer[(pos & MASK) as usize].with_mut(|ptr| unsafe { (*ptr).write(value) });
    }
}

impl<T> Local<T> {
    /// Tasks in the queue (may be stale by the time it returns if stealers are active).
    pub(crate) fn len(&self) -> usize {
        self.inner.len() as usize
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Free slots, counting those a stealer is still copying out as taken.
    pub(crate) fn remaining(&self) -> usize {
        let (steal, _) = unpack(self.inner.head.load(Acquire));
        let tail = self.inner.tail.load(Relaxed);
        CAPACITY - tail.wrapping_sub(steal) as usize
    }

    /// Pushes at the back; on overflow moves half the queue and `value` to `overflow`.
    pub(crate) fn push_back(&mut self, mut value: T, overflow: &impl Overflow<T>) {
        let tail = loop {
            let (steal, real) = unpack(self.inner.head.load(Acquire));
            // Only this thread writes `tail`.
            let tail = self.inner.tail.load(Relaxed);
            if tail.wrapping_sub(steal) < CAPACITY as u32 {
                break tail;
            }
            if steal != real {
                // A stealer is making room right now; don't wait for it.
                overflow.push_batch(std::iter::once(value));
                return;
            }
            match self.push_overflow(value, real, tail, overflow) {
                Ok(()) => return,
                // A stealer took some in between: there is room now.
                Err(v) => value = v,
            }
        };
        // SAFETY: `tail - steal < CAPACITY`, so the slot at `tail` is neither queued nor being stolen, and
        // only the owner writes slots.
        unsafe { self.inner.write(tail, value) };
        self.inner.tail.store(tail.wrapping_add(1), Release);
    }

    /// Pushes every task of `batch`, in order, if all of them fit, publishing them at once; otherwise
    /// leaves `batch` as it is and returns `false`.
    pub(crate) fn push_all(&mut self, batch: &mut Vec<T>) -> bool {
        let (steal, _) = unpack(self.inner.head.load(Acquire));
        // Only this thread writes `tail`.
        let tail = self.inner.tail.load(Relaxed);
        if CAPACITY - (tail.wrapping_sub(steal) as usize) < batch.len() {
            return false;
        }
        let mut end = tail;
        for value in batch.drain(..) {
            // SAFETY: the batch fits, so every slot from `tail` on is neither queued nor being stolen (stealers
            // only free slots), and only the owner writes slots.
            unsafe { self.inner.write(end, value) };
            end = end.wrapping_add(1);
        }
        self.inner.tail.store(end, Release);
        true
    }

    fn push_overflow(
        &mut self,
        value: T,
        head: u32,
        tail: u32,
        overflow: &impl Overflow<T>,
    ) -> Result<(), T> {
        const HALF: u32 = CAPACITY as u32 / 2;
        debug_assert_eq!(tail.wrapping_sub(head), CAPACITY as u32);
        // Claim the older half with a CAS: fails if a stealer moved `head` meanwhile.
        let prev = pack(head, head);
        let next = pack(head.wrapping_add(HALF), head.wrapping_add(HALF));
        if self.inner.head.compare_exchange(prev, next, Release, Relaxed).is_err() {
            return Err(value);
        }
        let inner = &self.inner;
        // SAFETY: the CAS claimed the slots `head..head + HALF` for this thread; each is read exactly once.
        let taken = (0..HALF).map(|i| unsafe { inner.read(head.wrapping_add(i)) });
        overflow.push_batch(taken.chain(std::iter::once(value)));
        Ok(())
    }

    /// Pops from the front.
    pub(crate) fn pop(&mut self) -> Option<T> {
        let mut head = self.inner.head.load(Acquire);
        let pos = loop {
            let (steal, real) = unpack(head);
            let tail = self.inner.tail.load(Relaxed);
            if real == tail {
                return None;
            }
            let next_real = real.wrapping_add(1);
            // With no steal in flight both halves move together; otherwise only `real` does.
            let next = if steal == real { pack(next_real, next_real) } else { pack(steal, next_real) };
            match self.inner.head.compare_exchange_weak(head, next, AcqRel, Acquire) {
                Ok(_) => break real,
                Err(actual) => head = actual,
            }
        };
        // SAFETY: the CAS claimed the slot at `pos`, which was published by a push.
        Some(unsafe { self.inner.read(pos) })
    }
}

impl<T> Steal<T> {
    /// Tasks in the queue, as seen from another thread (stale as soon as it returns).
    pub(crate) fn len(&self) -> usize {
        self.0.len() as usize
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Steals about half of this queue into `dst` (the thief's own queue) and returns one of the stolen
    /// values to run now. Returns `None` if there was nothing to take, another steal is in flight, or `dst`
    /// has less room than half a queue.
    pub(crate) fn steal_into(&self, dst: &mut Local<T>) -> Option<T> {
        let dst_tail = dst.inner.tail.load(Relaxed);
        let (dst_steal, _) = unpack(dst.inner.head.load(Acquire));
        if dst_tail.wrapping_sub(dst_steal) > CAPACITY as u32 / 2 {
            return None;
        }
        let n = self.claim_half(dst, dst_tail);
        if n == 0 {
            return None;
        }
        // Hand back the last one instead of queueing it.
        let n = n - 1;
        // SAFETY: `claim_half` wrote `n + 1` values at `dst_tail..`, not yet published: they are ours.
        let ret = unsafe { dst.inner.read(dst_tail.wrapping_add(n)) };
        if n > 0 {
            dst.inner.tail.store(dst_tail.wrapping_add(n), Release);
        }
        Some(ret)
    }

    /// Claims half of this queue, copies it to `dst` at `dst_tail` (unpublished) and returns how many.
    fn claim_half(&self, dst: &mut Local<T>, dst_tail: u32) -> u32 {
        let mut prev = self.0.head.load(Acquire);
        let (first, n, mut claimed) = loop {
            let (steal, real) = unpack(prev);
            if steal != real {
                // Another thief is copying.
                return 0;
            }
            let tail = self.0.tail.load(Acquire);
            let len = tail.wrapping_sub(real);
            let n = len - len / 2;
            if n == 0 || len > CAPACITY as u32 {
                return 0;
            }
            // Advance `real` only: `steal` keeps the claimed slots from being overwritten until copied.
            let next = pack(steal, real.wrapping_add(n));
            match self.0.head.compare_exchange_weak(prev, next, AcqRel, Acquire) {
                Ok(_) => break (real, n, next),
                Err(actual) => prev = actual,
            }
        };
        for i in 0..n {
            // SAFETY: the CAS claimed `first..first + n` in the source; the destination slots past `dst_tail`
            // are free (checked by the caller: it has room for half a queue) and unpublished, and only this
            // thread (the owner of `dst`) writes there.
            unsafe {
                let value = self.0.read(first.wrapping_add(i));
                dst.inner.write(dst_tail.wrapping_add(i), value);
            }
        }
        // Release the claimed slots: `steal = real`. The owner may have popped meanwhile (moving `real`).
        loop {
            let (_, real) = unpack(claimed);
            match self.0.head.compare_exchange_weak(claimed, pack(real, real), AcqRel, Acquire) {
                Ok(_) => return n,
                Err(actual) => {
                    debug_assert_ne!(unpack(actual).0, unpack(actual).1);
                    claimed = actual;
                }
            }
        }
    }
}

impl<T> Clone for Steal<T> {
    fn clone(&self) -> Self {
        Steal(self.0.clone())
    }
}

impl<T> Drop for Local<T> {
    fn drop(&mut self) {
        // The owner drains its queue before dropping it (shutdown drops every task); a leftover means a bug,
        // except while already unwinding.
        if !std::thread::panicking() {
            debug_assert!(self.pop().is_none(), "run queue dropped while not empty");
        }
    }
}

impl<T> fmt::Debug for Local<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Local").field("len", &self.len()).finish()
    }
}

impl<T> fmt::Debug for Steal<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Steal").field("len", &self.0.len()).finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[derive(Default)]
    struct VecOverflow(RefCell<Vec<usize>>);

    impl Overflow<usize> for VecOverflow {
        fn push_batch(&self, iter: impl Iterator<Item = usize>) {
            self.0.borrow_mut().extend(iter);
        }
    }

    #[test]
    fn fifo_push_pop() {
        let (mut local, _steal) = new();
        let inj = VecOverflow::default();
        for i in 0..10 {
            local.push_back(i, &inj);
        }
        assert_eq!(local.len(), 10);
        for i in 0..10 {
            assert_eq!(local.pop(), Some(i));
        }
        assert_eq!(local.pop(), None);
    }

    #[test]
    fn wraps_around_many_times() {
        let (mut local, _steal) = new();
        let inj = VecOverflow::default();
        for round in 0..1000 {
            for i in 0..200 {
                local.push_back(round * 1000 + i, &inj);
            }
            for i in 0..200 {
                assert_eq!(local.pop(), Some(round * 1000 + i));
            }
        }
        assert!(inj.0.borrow().is_empty());
    }

    #[test]
    fn push_all_pushes_a_batch_that_fits_and_leaves_one_that_does_not() {
        let (mut local, _steal) = new::<usize>();
        let mut batch: Vec<usize> = (0..CAPACITY - 1).collect();
        assert!(local.push_all(&mut batch));
        assert!(batch.is_empty());
        let mut two = vec![CAPACITY, CAPACITY + 1];
        assert!(!local.push_all(&mut two), "only one slot is free");
        assert_eq!(two, [CAPACITY, CAPACITY + 1]);
        assert!(local.push_all(&mut vec![CAPACITY - 1]));
        assert_eq!(local.remaining(), 0);
        let popped: Vec<usize> = std::iter::from_fn(|| local.pop()).collect();
        assert_eq!(popped, (0..CAPACITY).collect::<Vec<_>>());
    }

    #[test]
    fn overflow_moves_half_plus_one() {
        let (mut local, _steal) = new();
        let inj = VecOverflow::default();
        for i in 0..CAPACITY + 1 {
            local.push_back(i, &inj);
        }
        let moved = inj.0.borrow().clone();
        assert_eq!(moved.len(), CAPACITY / 2 + 1);
        assert_eq!(&moved[..CAPACITY / 2], &(0..CAPACITY / 2).collect::<Vec<_>>()[..]);
        assert_eq!(moved[CAPACITY / 2], CAPACITY);
        assert_eq!(local.len(), CAPACITY / 2);
        let rest: Vec<_> = std::iter::from_fn(|| local.pop()).collect();
        assert_eq!(rest, (CAPACITY / 2..CAPACITY).collect::<Vec<_>>());
    }

    #[test]
    fn steal_takes_half() {
        let (mut a, steal_a) = new();
        let (mut b, _steal_b) = new();
        let inj = VecOverflow::default();
        for i in 0..100 {
            a.push_back(i, &inj);
        }
        let first = steal_a.steal_into(&mut b).expect("stole");
        // 50 taken: 0..49 land in b, the last (49) is returned.
        assert_eq!(first, 49);
        assert_eq!(b.len(), 49);
        assert_eq!(a.len(), 50);
        assert_eq!(b.pop(), Some(0));
        assert_eq!(a.pop(), Some(50));
        // An empty queue yields nothing; a full destination refuses.
        let (mut c, steal_c) = new::<usize>();
        assert!(steal_c.steal_into(&mut a).is_none());
        for i in 0..CAPACITY / 2 + 1 {
            c.push_back(i, &inj);
        }
        assert!(steal_a.steal_into(&mut c).is_none());
        while a.pop().is_some() {}
        while b.pop().is_some() {}
        while c.pop().is_some() {}
    }

    #[test]
    fn concurrent_steal_loses_nothing() {
        use std::sync::Mutex;
        use std::sync::atomic::AtomicBool;
        struct MutexOverflow(Mutex<Vec<usize>>);
        impl Overflow<usize> for MutexOverflow {
            fn push_batch(&self, iter: impl Iterator<Item = usize>) {
                self.0.lock().unwrap().extend(iter);
            }
        }
        const N: usize = 100_000;
        let (mut local, steal) = new::<usize>();
        let inj = MutexOverflow(Mutex::new(Vec::new()));
        let done = AtomicBool::new(false);
        let seen = std::thread::scope(|s| {
            let thief = s.spawn(|| {
                let (mut mine, _) = new::<usize>();
                let mut got = Vec::new();
                loop {
                    let finished = done.load(SeqCst);
                    if let Some(v) = steal.steal_into(&mut mine) {
                        got.push(v);
                    }
                    while let Some(v) = mine.pop() {
                        got.push(v);
                    }
                    if finished && steal.is_empty() {
                        return got;
                    }
                }
            });
            let mut got = Vec::new();
            for i in 0..N {
                local.push_back(i, &inj);
                if i % 3 == 0 {
                    got.extend(local.pop());
                }
            }
            while let Some(v) = local.pop() {
                got.push(v);
            }
            done.store(true, SeqCst);
            let mut stolen = thief.join().unwrap();
            while let Some(v) = local.pop() {
                got.push(v);
            }
            got.append(&mut stolen);
            got.append(&mut inj.0.lock().unwrap());
            got
        });
        let mut seen = seen;
        seen.sort_unstable();
        assert_eq!(seen, (0..N).collect::<Vec<_>>());
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::{Mutex, thread};

    struct MutexOverflow(Mutex<Vec<usize>>);

    /// One steal into a queue of the thief's own, and everything it got.
    fn steal_all(steal: &Steal<usize>) -> Vec<usize> {
        let (mut mine, _) = new::<usize>();
        let mut got = Vec::new();
        got.extend(steal.steal_into(&mut mine));
        while let Some(v) = mine.pop() {
            got.push(v);
        }
        got
    }

    /// For pushes that fit: an overflow fails the model.
    struct NoOverflow;

    impl Overflow<usize> for NoOverflow {
        fn push_batch(&self, _: impl Iterator<Item = usize>) {
            panic!("the queue overflowed");
        }
    }

    impl Overflow<usize> for MutexOverflow {
        fn push_batch(&self, iter: impl Iterator<Item = usize>) {
            crate::loom::lock(&self.0).extend(iter);
        }
    }

    /// The owner pushes a batch with `push_all` while a thief steals: every value comes out exactly once, and
    /// the owner's pops keep the batch's order.
    #[test]
    fn loom_queue_push_all_vs_steal() {
        loom::model(|| {
            let (mut local, steal) = new::<usize>();
            let thief = thread::spawn(move || steal_all(&steal));
            local.push_back(0, &NoOverflow);
            assert!(local.push_all(&mut vec![1, 2, 3]));
            let mut mine = Vec::new();
            while let Some(v) = local.pop() {
                mine.push(v);
            }
            assert!(mine.is_sorted(), "the owner pops in order: {mine:?}");
            let mut got = thief.join().unwrap();
            got.extend(mine);
            got.sort_unstable();
            assert_eq!(got, vec![0, 1, 2, 3]);
        });
    }

    /// The owner pushes and pops while a thief steals: every value comes out exactly once.
    #[test]
    fn loom_queue_push_pop_steal() {
        loom::model(|| {
            let (mut local, steal) = new::<usize>();
            let inj = Arc::new(MutexOverflow(Mutex::new(Vec::new())));
            let thief = thread::spawn(move || steal_all(&steal));
            let mut got = Vec::new();
            for i in 0..3 {
                local.push_back(i, &*inj);
            }
            got.extend(local.pop());
            local.push_back(3, &*inj);
            while let Some(v) = local.pop() {
                got.push(v);
            }
            got.extend(thief.join().unwrap());
            got.extend(crate::loom::lock(&inj.0).drain(..));
            got.sort_unstable();
            assert_eq!(got, vec![0, 1, 2, 3]);
        });
    }

    /// Two thieves race each other and the owner.
    #[test]
    fn loom_queue_two_stealers() {
        loom::model(|| {
            let (mut local, steal) = new::<usize>();
            let inj = MutexOverflow(Mutex::new(Vec::new()));
            for i in 0..4 {
                local.push_back(i, &inj);
            }
            let thieves: Vec<_> = (0..2)
                .map(|_| {
                    let steal = steal.clone();
                    thread::spawn(move || steal_all(&steal))
                })
                .collect();
            let mut got = Vec::new();
            got.extend(local.pop());
            for t in thieves {
                got.extend(t.join().unwrap());
            }
            while let Some(v) = local.pop() {
                got.push(v);
            }
            got.sort_unstable();
            assert_eq!(got, vec![0, 1, 2, 3]);
        });
    }

    /// Overflow while a thief holds part of the ring.
    #[test]
    fn loom_queue_overflow_with_stealer() {
        loom::model(|| {
            let (mut local, steal) = new::<usize>();
            let inj = Arc::new(MutexOverflow(Mutex::new(Vec::new())));
            for i in 0..CAPACITY {
                local.push_back(i, &*inj);
            }
            let thief = thread::spawn(move || {
                let (mut mine, _) = new::<usize>();
                let mut n = usize::from(steal.steal_into(&mut mine).is_some());
                while mine.pop().is_some() {
                    n += 1;
                }
                n
            });
            local.push_back(CAPACITY, &*inj);
            let mut n = 0;
            while local.pop().is_some() {
                n += 1;
            }
            n += thief.join().unwrap();
            n += crate::loom::lock(&inj.0).len();
            assert_eq!(n, CAPACITY + 1);
        });
    }
}
