//! Counters behind [`RuntimeMetrics`]: always on, so they must cost next to nothing on the hot paths.
//!
//! # Design
//!
//! Each worker counts its own events in a [`WorkerCounters`] of its own, which its core reaches through an
//! `Arc` (no look-up by index) and only the thread driving that worker writes: an increment is a plain load
//! and store (no locked instruction), on a cache line of its own, so workers never contend and readers (a
//! [`RuntimeMetrics`] on any thread) only ever share the line. Reads stop nobody, and are never torn. The
//! counts come in two kinds, by what their readers need:
//!
//! - **Exact: spawns and completions.** Their difference is the number of live tasks, which
//!   [`Runtime::shutdown_timeout`](super::Runtime::shutdown_timeout) waits to see reach zero, and which must
//!   not count a task that a reader has just joined. A spawn is counted where the scheduler queues the new
//!   task, in the spawning worker's counters (out of the spawning code, which is inlined into every spawning
//!   task). A worker hands its completion counter to the task it polls, which counts its completion there
//!   before publishing it, so a completion costs one increment and no look-up of the thread's context; the
//!   rare completions outside a poll (cancellations by a shutdown) find their worker through that context.
//!   Spawns and completions on threads that drive no worker of the runtime (a plain thread holding a
//!   [`Handle`](super::Handle), the blocking pool), and the rare spawns on a worker whose core is out, go to
//!   two shared atomic counters instead; those paths are not hot.
//! - **Published: polls, steals and parks.** A poll is counted in a plain field of the worker's core (one
//!   instruction), and the total is published to its `WorkerCounters` when the worker lets its driver poll
//!   (every [`GLOBAL_INTERVAL`](super::worker::GLOBAL_INTERVAL) ticks), before it parks, when `block_on`
//!   hands worker 0's core back and when the worker stops. So a busy worker's poll count may lag by up to
//!   that many ticks; an idle or stopped worker's is exact (tokio batches its worker metrics the same way).
//!   Steals and parks happen off the hot path and are counted where they happen.
//!
//! Live tasks are counted as spawns minus completions. The counters of completions are read before those of
//! spawns, each with `Acquire`, and every completion is stored with `Release` after its task was handed
//! over (through a queue) from its spawner, who stored the spawn first: so a completion that is seen has
//! its spawn seen too, and the difference never underflows (`loom_tests` checks it).

use super::worker::Shared;
use crate::loom::{AtomicU64, Ordering::*};
use crossbeam_utils::CachePadded;
use std::fmt;
use std::sync::Arc;

/// One worker's counters, written only by the thread that drives that worker (see the module docs for
/// which are exact and which published).
#[derive(Default)]
pub(crate) struct WorkerCounters {
    /// Published from the core's own count (see the module docs).
    pub(crate) polls: AtomicU64,
    pub(crate) steals: AtomicU64,
    pub(crate) parks: AtomicU64,
    /// Exact: counted as they happen.
    pub(crate) spawned: AtomicU64,
    pub(crate) completed: AtomicU64,
}

/// Adds one to a counter that only the calling thread writes (see the module docs).
#[inline]
pub(crate) fn bump(counter: &AtomicU64) {
    counter.store(counter.load(Relaxed).wrapping_add(1), Release);
}

/// The counters of a runtime: one padded [`WorkerCounters`] per worker (each also held by that worker's
/// core), and the shared fallback for threads that drive no worker.
pub(crate) struct Counters {
    pub(crate) workers: Box<[Arc<CachePadded<WorkerCounters>>]>,
    pub(crate) spawned_elsewhere: AtomicU64,
    pub(crate) completed_elsewhere: AtomicU64,
}

impl Counters {
    pub(crate) fn new(workers: usize) -> Counters {
        Counters {
            workers: (0..workers).map(|_| Arc::new(CachePadded::new(WorkerCounters::default()))).collect(),
            spawned_elsewhere: AtomicU64::new(0),
            completed_elsewhere: AtomicU64::new(0),
        }
    }

    /// Tasks spawned and not yet completed (their futures not yet dropped).
    pub(crate) fn live_tasks(&self) -> usize {
        let (spawned, completed) = self.spawns_and_completions();
        spawned.saturating_sub(completed) as usize
    }

    /// The spawns and the completions, the completions read first (see the module docs): never fewer spawns
    /// than completions.
    fn spawns_and_completions(&self) -> (u64, u64) {
        let completed = self.completed_elsewhere.load(Acquire)
            + self.workers.iter().map(|w| w.completed.load(Acquire)).sum::<u64>();
        let spawned = self.spawned_elsewhere.load(Acquire)
            + self.workers.iter().map(|w| w.spawned.load(Acquire)).sum::<u64>();
        (spawned, completed)
    }
}

/// A view of a runtime's counters and queues, from [`Runtime::metrics`](super::Runtime::metrics) or
/// [`Handle::metrics`](super::Handle::metrics). Every read is live (a little stale under load, never
/// torn); the names are tokio's.
///
/// ```
/// let rt = coro_core::Runtime::builder().workers(1).build().unwrap();
/// let metrics = rt.metrics();
/// rt.block_on(async {
///     let task = coro_core::spawn(async { coro_core::yield_now().await });
///     assert_eq!(metrics.num_alive_tasks(), 1);
///     task.join().await.unwrap();
///     assert_eq!(metrics.num_alive_tasks(), 0);
/// });
/// assert_eq!(metrics.num_workers(), 1);
/// assert!(metrics.worker_poll_count(0) >= 2); // published when `block_on` returned
/// ```
///
/// The counters are always on: each worker counts its own events on a cache line of its own, with no locked
/// instruction: a few instructions per spawned task, one per poll (BENCHMARKS.md has the measurements).
/// The number of live tasks is exact; a worker's poll count is published by the worker when it parks, every
/// 61 tasks it runs and when it stops, so a busy worker's may lag a little.
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

    /// How many task polls worker `worker` made, as of its last publication (see the type's docs).
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

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::{AtomicBool, thread};

    /// Worker 0 spawns a task (counts it, then queues it: a `Release` store), worker 1 takes it and
    /// completes it (counts it, then publishes the completion: a `Release` store), and a reader reads the
    /// counters at any point meanwhile: it never sees more completions than spawns, and once it has seen
    /// the task complete (a join), it sees no task alive.
    #[test]
    fn loom_live_tasks_are_never_negative_and_exact_after_a_join() {
        loom::model(|| {
            let counters = Arc::new(Counters::new(2));
            let queued = Arc::new(AtomicBool::new(false));
            let complete = Arc::new(AtomicBool::new(false));
            let spawner = {
                let (counters, queued) = (counters.clone(), queued.clone());
                thread::spawn(move || {
                    bump(&counters.workers[0].spawned);
                    queued.store(true, Release);
                })
            };
            let runner = {
                let (counters, queued, complete) = (counters.clone(), queued.clone(), complete.clone());
                thread::spawn(move || {
                    while !queued.load(Acquire) {
                        thread::yield_now();
                    }
                    bump(&counters.workers[1].completed);
                    complete.store(true, Release);
                })
            };
            let joined = complete.load(Acquire);
            let (spawned, completed) = counters.spawns_and_completions();
            assert!(completed <= spawned, "{completed} completions, {spawned} spawns");
            if joined {
                assert_eq!((spawned, completed), (1, 1));
            }
            spawner.join().unwrap();
            runner.join().unwrap();
            assert_eq!(counters.live_tasks(), 0);
        });
    }
}
