//! `JoinSet`: a collection of spawned tasks, joined in the order they finish.
//!
//! # Design
//!
//! The set keeps its tasks' [`JoinHandle`]s in a slab. Each entry has a waker of its own, which the entry's
//! task wakes (as a joiner) when it completes: waking pushes the entry's key onto the set's *ready list*, a
//! queue under a mutex shared with the wakers, and wakes whoever waits in [`JoinSet::join_next`]. So
//! `join_next` polls only the entries that were woken, in the order they were, which is the order their
//! tasks finished: `O(1)` per result, however many tasks are pending. A new entry starts on the ready list,
//! so that its first poll registers its waker.
//!
//! A key can be queued after its entry left (a handle dropped by `detach_all` whose task completed
//! meanwhile) and then be reused by a new entry: the new entry is polled once more than needed, which is
//! harmless (it registers the same waker again).

use crate::Suspend;
use crate::loom::{Mutex, lock};
use crate::runtime::{JoinError, JoinHandle, Spawnable, coop};
use slab::Slab;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker, ready};

/// A set of tasks spawned on the current runtime, awaited in the order they finish.
///
/// ```
/// use coro_core::task::JoinSet;
///
/// coro_core::run(async {
///     let mut set = JoinSet::new();
///     for i in 0..3u64 {
///         set.spawn(async move { i * 10 });
///     }
///     let mut sum = 0;
///     while let Some(result) = set.join_next().await {
///         sum += result.unwrap();
///     }
///     assert_eq!(sum, 30);
/// });
/// ```
///
/// Inside a `#[coro::coroutine]`, spawn into a set with `coro::spawn!(in set, f(x))` (or
/// `coro::spawn!(in set, move || { .. })`): like `spawn!`, the macro passes the coroutine `f(x)` to
/// [`spawn`](JoinSet::spawn) instead of awaiting it, as a plain `set.spawn(f(x))` would. `set.join_next()`
/// suspends, as every operation does.
///
/// Dropping the set aborts the tasks still in it ([`abort_all`](JoinSet::abort_all)); to let them run on
/// unjoined, [`detach_all`](JoinSet::detach_all) first.
pub struct JoinSet<T> {
    entries: Slab<Entry<T>>,
    ready: Arc<ReadyList>,
}

struct Entry<T> {
    handle: JoinHandle<T>,
    waker: Waker,
}

/// The keys of the entries whose tasks woke the set, and the waker of its `join_next`.
struct ReadyList {
    state: Mutex<ReadyState>,
}

struct ReadyState {
    keys: VecDeque<usize>,
    waker: Option<Waker>,
}

/// An entry's waker: queues the entry's key on the ready list.
struct EntryWaker {
    ready: Arc<ReadyList>,
    key: usize,
}

impl Wake for EntryWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let waker = {
            let mut state = lock(&self.ready.state);
            state.keys.push_back(self.key);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> JoinSet<T> {
    /// An empty set.
    pub fn new() -> JoinSet<T> {
        JoinSet {
            entries: Slab::new(),
            ready: Arc::new(ReadyList {
                state: Mutex::new(ReadyState { keys: VecDeque::new(), waker: None }),
            }),
        }
    }

    /// The number of tasks in the set: running, or finished and not yet returned by
    /// [`join_next`](JoinSet::join_next).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the set holds no task.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds a task already spawned, by its handle.
    fn insert(&mut self, handle: JoinHandle<T>) {
        let entry = self.entries.vacant_entry();
        let key = entry.key();
        let waker = Waker::from(Arc::new(EntryWaker { ready: self.ready.clone(), key }));
        entry.insert(Entry { handle, waker });
        // Polled once by `join_next`, which registers the entry's waker with the task.
        lock(&self.ready.state).keys.push_back(key);
    }

    /// Spawns `future` on the current runtime, as [`spawn`](crate::spawn) does, into the set.
    ///
    /// Inside a `#[coro::coroutine]`, write `coro::spawn!(in set, f(x))`: a plain `set.spawn(f(x))` would
    /// await `f(x)` and pass its result.
    ///
    /// # Panics
    ///
    /// If called outside a runtime.
    pub fn spawn<F>(&mut self, future: F)
    where
        F: Spawnable<T> + Send + 'static,
        T: Send + 'static,
    {
        self.insert(crate::spawn(future));
    }

    /// Spawns a `!Send` future pinned to the current worker, as [`spawn_local`](crate::spawn_local) does,
    /// into the set (`coro::spawn_local!(in set, f(x))` inside a coroutine).
    ///
    /// # Panics
    ///
    /// If called outside a runtime's worker thread.
    pub fn spawn_local<F>(&mut self, future: F)
    where
        F: Spawnable<T> + 'static,
        T: 'static,
    {
        self.insert(crate::spawn_local(future));
    }

    /// Spawns `future` on the runtime of `handle`, from any thread, into the set.
    pub fn spawn_on<F>(&mut self, future: F, handle: &crate::Handle)
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.insert(handle.spawn(future));
    }

    /// Waits for the next task of the set to finish and returns its result, in the order the tasks finish;
    /// `None` once the set is empty. A task that panicked or was aborted gives its [`JoinError`].
    ///
    /// Dropping the operation before it completes loses nothing: the finished task stays in the set.
    pub fn join_next(&mut self) -> JoinNext<'_, T> {
        JoinNext { set: self }
    }

    /// Aborts every task of the set (see [`JoinHandle::abort`]). They stay in the set: `join_next` returns
    /// their results, cancellation errors for those that had not finished.
    pub fn abort_all(&mut self) {
        for (_, entry) in &self.entries {
            entry.handle.abort();
        }
    }

    /// Removes every task from the set without aborting it: they run on, detached.
    pub fn detach_all(&mut self) {
        self.entries.clear();
        lock(&self.ready.state).keys.clear();
    }

    fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        // One unit of budget for the whole operation; the joins it polls inside spend none (with the budget
        // spent, a join would wake the entry's waker rather than this task's, and return `Pending`).
        let coop = ready!(coop::poll_proceed(cx));
        loop {
            let key = {
                let mut state = lock(&self.ready.state);
                match state.keys.pop_front() {
                    Some(key) => key,
                    None if self.entries.is_empty() => return Poll::Ready(None),
                    None => {
                        state.waker = Some(cx.waker().clone());
                        return Poll::Pending;
                    }
                }
            };
            let Some(entry) = self.entries.get_mut(key) else { continue };
            let mut entry_cx = Context::from_waker(&entry.waker);
            if let Poll::Ready(res) = coop::unconstrained(|| entry.handle.poll_join(&mut entry_cx)) {
                self.entries.remove(key);
                coop.made_progress();
                return Poll::Ready(Some(res));
            }
        }
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> Self {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len()).finish()
    }
}

/// The operation returned by [`JoinSet::join_next`].
#[must_use = "join_next does nothing unless awaited"]
pub struct JoinNext<'a, T> {
    set: &'a mut JoinSet<T>,
}

impl<T> Future for JoinNext<'_, T> {
    type Output = Option<Result<T, JoinError>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut().set.poll_join_next(cx)
    }
}

impl<T> Suspend for JoinNext<'_, T> {}

impl<T> fmt::Debug for JoinNext<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinNext").field("set", &self.set).finish()
    }
}
