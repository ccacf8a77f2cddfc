//! The blocking pool: threads for closures that block or burn CPU, off the workers.
//!
//! # Design
//!
//! `spawn_blocking(f)` wraps `f` in a future that calls it on its first poll, and makes that a regular task
//! (so `JoinHandle`, panics and cancellation work exactly as for async tasks) whose scheduler is this pool:
//! the task is queued here and polled once by a pool thread.
//!
//! The pool grows on demand: a new closure is handed to an idle thread if there is one, else a new thread is
//! started, up to `max_threads` (default 512); beyond that closures wait in the queue. A thread idle for
//! `keep_alive` (default 10 s) exits. At shutdown, queued closures that have not started are cancelled (their
//! `join()` reports cancellation); closures already running are waited for, as they cannot be interrupted.
//!
//! The pool also counts the closures in flight (queued or running) in an atomic, outside its lock, for the
//! workers: a searching worker stops spinning while one is in flight ([`Pool::is_busy`]).

use super::task::{self, JoinHandle, Placement, Runnable, Schedule, Task};
use super::worker::{Shared, ThreadCx};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

pub(crate) struct Pool {
    inner: Arc<PoolInner>,
}

struct PoolInner {
    state: Mutex<PoolState>,
    /// Closures queued or running: a hint for the workers, read without the lock (see [`Pool::is_busy`]).
    in_flight: AtomicUsize,
    /// Signalled when a closure is queued (and at shutdown).
    work: Condvar,
    /// Signalled when the last thread exits after shutdown.
    exited: Condvar,
    max_threads: usize,
    keep_alive: Duration,
    thread_name: String,
}

struct PoolState {
    queue: VecDeque<Runnable>,
    num_threads: usize,
    num_idle: usize,
    /// Idle threads already signalled for queued work.
    num_notified: usize,
    shutdown: bool,
    /// The runtime, for the context of the pool threads (a `Weak`: the runtime owns the pool).
    runtime: Weak<Shared>,
}

/// The scheduler of a blocking task. A blocking task is polled once and never waits, so it is never
/// rescheduled by a wake; an `abort()` before it runs finds it already queued.
struct BlockingSchedule;

impl Schedule for BlockingSchedule {
    fn schedule(&self, task: Runnable, _: Placement) {
        // Only reachable if a blocking task were idle, which it never is; cancel rather than lose it.
        task.shutdown();
    }

    fn yielded(&self, task: Runnable) -> Option<Runnable> {
        // Only reachable if a blocking task woke itself and waited, which it never does; as above.
        task.shutdown();
        None
    }

    fn bind(&self, task: Task) -> Result<(), Task> {
        // Only reachable if a blocking task waited, which it never does; it could never be woken: cancel it.
        Err(task)
    }

    fn release(&self, _task: &Task) -> Option<Task> {
        None
    }
}

/// Calls the closure on the first poll.
struct BlockingTask<F>(Option<F>);

impl<F> Unpin for BlockingTask<F> {}

impl<F: FnOnce() -> R, R> Future for BlockingTask<F> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        let f = self.0.take().expect("blocking task polled after completion");
        Poll::Ready(f())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Pool {
    pub(crate) fn new(max_threads: usize, keep_alive: Duration, thread_name: String) -> Pool {
        Pool {
            inner: Arc::new(PoolInner {
                state: Mutex::new(PoolState {
                    queue: VecDeque::new(),
                    num_threads: 0,
                    num_idle: 0,
                    num_notified: 0,
                    shutdown: false,
                    runtime: Weak::new(),
                }),
                in_flight: AtomicUsize::new(0),
                work: Condvar::new(),
                exited: Condvar::new(),
                max_threads: max_threads.max(1),
                keep_alive,
                thread_name,
            }),
        }
    }

    pub(crate) fn set_runtime(&self, runtime: &Arc<Shared>) {
        lock(&self.inner.state).runtime = Arc::downgrade(runtime);
    }

    pub(crate) fn spawn<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        // SAFETY: the closure and its output are `Send`; any pool thread may run and drop them.
        // Blocking tasks are not in an owned list: the queue (and the running thread) keep them alive.
        let (notified, join) = unsafe { task::new_task(BlockingTask(Some(f)), BlockingSchedule) };
        let mut state = lock(&self.inner.state);
        if state.shutdown {
            drop(state);
            notified.shutdown();
            return join;
        }
        state.queue.push_back(notified);
        self.inner.in_flight.fetch_add(1, Relaxed);
        if state.num_idle > state.num_notified {
            state.num_notified += 1;
            drop(state);
            // After unlocking: woken while the lock is held, the thread would block on it again at once (a
            // futex round trip per closure more, BENCHMARKS.md "Files").
            self.inner.work.notify_one();
        } else if state.num_threads < self.inner.max_threads {
            state.num_threads += 1;
            let inner = self.inner.clone();
            let spawned =
                std::thread::Builder::new().name(self.inner.thread_name.clone()).spawn(move || inner.run());
            if let Err(err) = spawned {
                state.num_threads -= 1;
                // Nothing can run it now; existing threads may later. With none, fail loudly.
                if state.num_threads == 0 {
                    let task = state.queue.pop_back();
                    drop(state);
                    if let Some(task) = task {
                        self.inner.in_flight.fetch_sub(1, Relaxed);
                        task.shutdown();
                    }
                    panic!("failed to start a blocking-pool thread: {err}");
                }
            }
        }
        join
    }

    /// Cancels the queued closures and waits for the running ones.
    pub(crate) fn shutdown(&self) {
        let queued = {
            let mut state = lock(&self.inner.state);
            state.shutdown = true;
            self.inner.work.notify_all();
            std::mem::take(&mut state.queue)
        };
        self.inner.in_flight.fetch_sub(queued.len(), Relaxed);
        for task in queued {
            task.shutdown();
        }
        let mut state = lock(&self.inner.state);
        while state.num_threads > 0 {
            state = self.inner.exited.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    pub(crate) fn num_threads(&self) -> usize {
        lock(&self.inner.state).num_threads
    }

    /// Whether a closure is queued or running. Its completion will wake a worker through the injector,
    /// and its thread may need the CPU that a worker spinning for work would hold: on a machine with no
    /// spare CPU, such a spin delays the very hand-off it waits for (BENCHMARKS.md, "Files"). A hint,
    /// read with a relaxed load: a stale answer costs a spin or a futex round trip, never correctness.
    pub(crate) fn is_busy(&self) -> bool {
        self.inner.in_flight.load(Relaxed) > 0
    }
}

impl PoolInner {
    fn run(self: Arc<Self>) {
        let runtime = lock(&self.state).runtime.upgrade();
        let cx = runtime.map(|shared| ThreadCx::new(shared, None, None));
        match &cx {
            Some(cx) => cx.enter(|| self.work_loop()),
            None => self.work_loop(),
        }
        drop(cx);
    }

    fn work_loop(&self) {
        let mut state = lock(&self.state);
        loop {
            if let Some(task) = state.queue.pop_front() {
                drop(state);
                // A blocking task never waits, and this scheduler's `yielded` keeps nothing to hand back.
                let handed_back = task.run();
                debug_assert!(handed_back.is_none());
                self.in_flight.fetch_sub(1, Relaxed);
                state = lock(&self.state);
                continue;
            }
            if state.shutdown {
                break;
            }
            state.num_idle += 1;
            let (guard, timeout) =
                self.work.wait_timeout(state, self.keep_alive).unwrap_or_else(|e| e.into_inner());
            state = guard;
            state.num_idle -= 1;
            if state.num_notified > 0 {
                state.num_notified -= 1;
            } else if timeout.timed_out() && state.queue.is_empty() && !state.shutdown {
                break;
            }
        }
        state.num_threads -= 1;
        if state.num_threads == 0 {
            self.exited.notify_all();
        }
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.inner.state);
        f.debug_struct("Pool")
            .field("threads", &state.num_threads)
            .field("idle", &state.num_idle)
            .field("queued", &state.queue.len())
            .finish()
    }
}
