//! The injector: the runtime-wide queue for tasks scheduled from outside a worker and for run-queue overflow.
//!
//! An intrusive singly linked FIFO through the tasks' `queue_next` field behind one mutex, so pushing never
//! allocates and a batch of 129 overflowing tasks is linked outside the lock and spliced in with one
//! acquisition. `len` is mirrored in an atomic so idle workers can check for work without locking. Once
//! closed (at shutdown), pushes drop their task reference instead of queueing it.

use super::queue::Overflow;
use super::task::Notified;
use super::task::raw::Header;
use crate::loom::{AtomicUsize, Mutex, Ordering::*, lock};
use std::fmt;
use std::ptr::NonNull;

pub(crate) struct Inject {
    list: Mutex<List>,
    len: AtomicUsize,
}

struct List {
    head: Option<NonNull<Header>>,
    tail: Option<NonNull<Header>>,
    closed: bool,
}

// SAFETY: the pointers are `Notified` references (which are `Send`) owned by the list.
unsafe impl Send for List {}

impl Inject {
    pub(crate) fn new() -> Inject {
        Inject { list: Mutex::new(List { head: None, tail: None, closed: false }), len: AtomicUsize::new(0) }
    }

    pub(crate) fn len(&self) -> usize {
        self.len.load(Acquire)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn push(&self, task: Notified) {
        self.push_batch(std::iter::once(task));
    }

    /// Pops up to `max` tasks with one lock acquisition, handing each to `f` after the lock is released.
    pub(crate) fn pop_batch(&self, max: usize, mut f: impl FnMut(Notified)) {
        if self.is_empty() || max == 0 {
            return;
        }
        let first = {
            let mut list = lock(&self.list);
            let first = list.head;
            let mut last = None;
            let mut cur = list.head;
            let mut n = 0;
            while n < max {
                let Some(ptr) = cur else { break };
                last = Some(ptr);
                // SAFETY: linked tasks' links are guarded by the lock.
                cur = unsafe { ptr.as_ref() }.queue_next.with(|p| unsafe { *p });
                n += 1;
            }
            list.head = cur;
            if cur.is_none() {
                list.tail = None;
            }
            if let Some(last) = last {
                // SAFETY: as above; this detaches the popped run from the list.
                unsafe { last.as_ref() }.queue_next.with_mut(|p| unsafe { *p = None });
            }
            self.len.fetch_sub(n, Release);
            first
        };
        let mut next = first;
        while let Some(ptr) = next {
            // SAFETY: the detached run is ours: its links and the `Notified` reference of each task.
            next = unsafe { ptr.as_ref() }.queue_next.with_mut(|p| unsafe { (*p).take() });
            // SAFETY: as above.
            f(unsafe { Notified::from_raw(ptr) });
        }
    }

    pub(crate) fn pop(&self) -> Option<Notified> {
        let mut out = None;
        self.pop_batch(1, |t| out = Some(t));
        out
    }

    /// Closes the injector: later pushes drop their task. Returns `false` if it was already closed.
    pub(crate) fn close(&self) -> bool {
        let mut list = lock(&self.list);
        !std::mem::replace(&mut list.closed, true)
    }
}

impl Overflow<Notified> for Inject {
    fn push_batch(&self, iter: impl Iterator<Item = Notified>) {
        // Link the batch outside the lock.
        let mut head: Option<NonNull<Header>> = None;
        let mut tail: Option<NonNull<Header>> = None;
        let mut n = 0;
        for task in iter {
            let ptr = task.into_raw();
            match tail {
                // SAFETY: `tail` is a task of this batch, whose `Notified` we hold, so its link is ours.
                Some(t) => unsafe { t.as_ref() }.queue_next.with_mut(|p| unsafe { *p = Some(ptr) }),
                None => head = Some(ptr),
            }
            tail = Some(ptr);
            n += 1;
        }
        let (Some(head), Some(tail)) = (head, tail) else { return };
        // SAFETY: as above.
        unsafe { tail.as_ref() }.queue_next.with_mut(|p| unsafe { *p = None });
        let mut list = lock(&self.list);
        if list.closed {
            drop(list);
            // Shutting down: the tasks are (being) cancelled through the owned list; drop the references.
            let mut next = Some(head);
            while let Some(ptr) = next {
                // SAFETY: the batch is still ours.
                next = unsafe { ptr.as_ref() }.queue_next.with_mut(|p| unsafe { (*p).take() });
                // SAFETY: each linked task carries one `Notified` reference.
                drop(unsafe { Notified::from_raw(ptr) });
            }
            return;
        }
        match list.tail {
            // SAFETY: the list's tail is linked and guarded by the lock.
            Some(t) => unsafe { t.as_ref() }.queue_next.with_mut(|p| unsafe { *p = Some(head) }),
            None => list.head = Some(head),
        }
        list.tail = Some(tail);
        self.len.fetch_add(n, Release);
    }
}

impl Drop for Inject {
    fn drop(&mut self) {
        self.close();
        while let Some(task) = self.pop() {
            drop(task);
        }
    }
}

impl fmt::Debug for Inject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inject").field("len", &self.len()).finish()
    }
}
