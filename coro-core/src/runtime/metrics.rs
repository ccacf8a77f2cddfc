//! Counters behind [`RuntimeMetrics`]: always on, so they must cost next to nothing on the hot paths.
//!
//! # Design
//!
//! Each worker counts its own events (task polls, steals, parks, spawns, and the completions of the tasks it
//! runs) in a [`WorkerCounters`] that only the thread driving that worker writes: an increment is a plain
//! load and store (no locked instruction), on a cache line of its own, so workers never contend and readers
//! only ever share the line. Readers (a [`RuntimeMetrics`] on any thread) load the counters without stopping
//! anyone, so a snapshot is a little stale, never torn. A worker hands its completion counter to the task it
//! polls, so a completion costs one increment and no look-up of the thread's context; the rare completions
//! outside a poll (cancellations by a shutdown) find their worker through that context. A spawn is counted
//! where the new task is queued, in the worker's core (so the spawning code, inlined into every spawning
//! task, stays as small as it was without counters). Spawns and completions on threads that drive no worker
//! of the runtime (a plain thread holding a [`Handle`](super::Handle), the blocking pool), and the rare
//! spawns on a worker whose core is out, go to two shared atomic counters instead; those paths are not hot.
//!
//! Live tasks are counted as spawns minus completions. The counters of completions are read before those of
//! spawns, each with `Acquire`, and every completion is stored with `Release` after its task was handed
//! over (through a queue) from its spawner, who stored the spawn first: so a completion that is seen has
//! its spawn seen too, and the difference never underflows.

use super::worker::Shared;
use crate::loom::{AtomicU64, Ordering::*};
use crossbeam_utils::CachePadded;
use std::fmt;
use std::sync::Arc;

/// One worker's counters, written only by the thread that drives that worker.
#[derive(Default)]
pub(crate) struct WorkerCounters {
    pub(crate) polls: AtomicU64,
    pub(crate) steals: AtomicU64,
    pub(crate) parks: AtomicU64,
    pub(crate) spawned: AtomicU64,
    pub(crate) completed: AtomicU64,
}

/// Adds one to a counter that only the calling thread writes (see the module docs).
#[inline]
pub(crate) fn bump(counter: &AtomicU64) {
    counter.store(counter.load(Relaxed).wrapping_add(1), Release);
}

/// The counters of a runtime: one padded [`WorkerCounters`] per worker, and the shared fallback for threads
/// that drive no worker.
pub(crate) struct Counters {
    pub(crate) workers: Box<[CachePadded<WorkerCounters>]>,
    pub(crate) spawned_elsewhere: AtomicU64,
    pub(crate) completed_elsewhere: AtomicU64,
}

impl Counters {
    pub(crate) fn new(workers: usize) -> Counters {
        Counters {
            workers: (0..workers).map(|_| CachePadded::new(WorkerCounters::default())).collect(),
            spawned_elsewhere: AtomicU64::new(0),
            completed_elsewhere: AtomicU64::new(0),
        }
    }

    /// Tasks spawned and not yet completed (their futures not yet dropped).
    pub(crate) fn live_tasks(&self) -> usize {
        // Completions first: see the module docs.
        let completed = self.completed_elsewhere.load(Acquire)
            + self.workers.iter().map(|w| w.completed.load(Acquire)).sum::<u64>();
        let spawned = self.spawned_elsewhere.load(Acquire)
            + self.workers.iter().map(|w| w.spawned.load(Acquire)).sum::<u64>();
        spawned.saturating_sub(completed) as usize
    }
}

/// A view of a runtime's counters and queues, from [`Runtime::metrics`](super::Runtime::metrics) or
/// [`Handle::metrics`](super::Handle::metrics). Every read is live (a little stale under load, never
/// torn); the names are tokio's.
///
/// ```
/// let rt = coro_core::Runtime::builder().workers(2).build().unwrap();
/// rt.block_on(async { coro_core::spawn(async {}).join().await.unwrap() });
/// let metrics = rt.metrics();
/// assert_eq!(metrics.num_workers(), 2);
/// assert_eq!(metrics.num_alive_tasks(), 0);
/// assert!((0..2).map(|i| metrics.worker_poll_count(i)).sum::<u64>() >= 1);
/// ```
///
/// The counters are always on: each worker counts its own events on a cache line of its own, with no locked
/// instruction: a few instructions per poll and per spawn (BENCHMARKS.md has the measurements).
#[derive(Clone)]
pub struct RuntimeMetrics {
    shared: Arc<Shared>,
}

impl RuntimeMetrics {
    pub(crate) fn new(shared: Arc<Shared>) -> RuntimeMetrics {
        RuntimeMetrics { shared }
    }

    fn worker(&self, worker: usize) -> &WorkerCounters {
        &self.shared.counters.workers[worker]
    }

    /// The number of workers.
    pub fn num_workers(&self) -> usize {
        self.shared.remotes.len()
    }

    /// Tasks spawned and not finished yet (their futures not yet dropped); `spawn_blocking` closures are
    /// not counted (see [`num_blocking_threads`](RuntimeMetrics::num_blocking_threads)).
    pub fn num_alive_tasks(&self) -> usize {
        self.shared.counters.live_tasks()
    }

    /// The tasks waiting in worker `worker`'s run queue.
    ///
    /// # Panics
    ///
    /// If `worker >= num_workers()`, as the other per-worker methods.
    pub fn worker_local_queue_depth(&self, worker: usize) -> usize {
        self.shared.remotes[worker].queue_depth()
    }

    /// The tasks waiting in the global queue (spawned or woken from outside the workers, or overflowed).
    pub fn injection_queue_depth(&self) -> usize {
        self.shared.inject.len()
    }

    /// How many times worker `worker` took tasks from another worker's queue.
    pub fn worker_steal_count(&self, worker: usize) -> u64 {
        self.worker(worker).steals.load(Relaxed)
    }

    /// How many times worker `worker` went to sleep for lack of work.
    pub fn worker_park_count(&self, worker: usize) -> u64 {
        self.worker(worker).parks.load(Relaxed)
    }

    /// How many task polls worker `worker` made.
    pub fn worker_poll_count(&self, worker: usize) -> u64 {
        self.worker(worker).polls.load(Relaxed)
    }

    /// The threads of the blocking pool, busy or idle.
    pub fn num_blocking_threads(&self) -> usize {
        self.shared.blocking.num_threads()
    }
}

impl fmt::Debug for RuntimeMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.num_workers();
        f.debug_struct("RuntimeMetrics")
            .field("workers", &n)
            .field("alive_tasks", &self.num_alive_tasks())
            .field("injection_queue_depth", &self.injection_queue_depth())
            .field(
                "local_queue_depths",
                &(0..n).map(|i| self.worker_local_queue_depth(i)).collect::<Vec<_>>(),
            )
            .field("polls", &(0..n).map(|i| self.worker_poll_count(i)).collect::<Vec<_>>())
            .field("steals", &(0..n).map(|i| self.worker_steal_count(i)).collect::<Vec<_>>())
            .field("parks", &(0..n).map(|i| self.worker_park_count(i)).collect::<Vec<_>>())
            .field("blocking_threads", &self.num_blocking_threads())
            .finish()
    }
}
