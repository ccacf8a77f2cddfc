//! The runtime users get: `coro_core`'s scheduler with the reactor and timers installed.
//!
//! `coro-core` cannot depend on this crate, so its [`Runtime`](coro_core::Runtime) knows nothing of I/O;
//! [`Builder::build`] creates the runtime's [`Driver`](crate::reactor::Driver), makes it every worker's
//! parker (`park_with`), the runtime's extension (how sockets and timers created on the runtime's threads
//! find it) and its timer store (`timer`, for `coro-core`'s timed operations such as
//! `chan::Receiver::recv_timeout`), and shuts it down after the scheduler when the [`Runtime`] is dropped.
//! The `coro` facade exports these as `coro::Runtime`, `coro::Builder` and `coro::run`, so `#[coro::main]`
//! and `#[coro::test]` get the reactor too.

use crate::reactor::Driver;
use crate::reactor::park::Parker;
use coro_core::{Handle, JoinHandle, RuntimeMetrics};
use std::fmt;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

/// Configures a [`Runtime`]: its workers, its blocking pool, the names of its threads.
///
/// ```
/// let rt = coro_net::Runtime::builder().workers(2).build().unwrap();
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// ```
pub struct Builder {
    inner: coro_core::Builder,
}

impl Builder {
    /// The defaults: one worker per CPU (or `CORO_WORKERS`), up to 512 blocking threads kept 10 s.
    pub fn new() -> Builder {
        Builder { inner: coro_core::Builder::new() }
    }

    /// The number of workers, including the thread that calls `block_on`. Overrides `CORO_WORKERS`.
    pub fn workers(self, n: usize) -> Builder {
        Builder { inner: self.inner.workers(n) }
    }

    /// The most threads the blocking pool starts (default 512).
    pub fn max_blocking_threads(self, n: usize) -> Builder {
        Builder { inner: self.inner.max_blocking_threads(n) }
    }

    /// How long an idle blocking thread waits for work before it exits (default 10 s).
    pub fn blocking_keep_alive(self, keep_alive: Duration) -> Builder {
        Builder { inner: self.inner.blocking_keep_alive(keep_alive) }
    }

    /// The name prefix of the runtime's threads (default `coro`).
    pub fn thread_name(self, name: impl Into<String>) -> Builder {
        Builder { inner: self.inner.thread_name(name) }
    }

    /// Creates the reactor and starts the worker threads.
    pub fn build(self) -> io::Result<Runtime> {
        let driver = Driver::new()?;
        let for_parkers = driver.clone();
        let inner = self
            .inner
            .extension(driver.clone())
            .timer(driver.clone())
            .park_with(move |index| Box::new(Parker::new(&for_parkers, index)))
            .build()?;
        Ok(Runtime { inner: Some(inner), driver })
    }
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Builder").field(&self.inner).finish()
    }
}

/// A work-stealing, multi-threaded runtime with the I/O reactor and timers.
///
/// ```
/// let rt = coro_net::Runtime::new().unwrap();
/// let answer = rt.block_on(async {
///     let task = coro_core::spawn(async { 6 * 7 });
///     task.join().await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
///
/// The thread that builds it is worker 0: it runs tasks while inside [`block_on`](Runtime::block_on), and
/// only then (tasks queued on it meanwhile are stolen by the other workers; its `spawn_local` tasks wait for
/// the next `block_on`). That is why a `Runtime` is not `Send`: its worker 0 and the `!Send` tasks pinned to
/// it belong to the thread that built it (moving it would run or drop those `spawn_local` futures on another
/// thread). To use a runtime from other threads, give them a [`Handle`] ([`Runtime::handle`]): it is
/// `Clone + Send + Sync`, spawns from any thread, and runs futures on threads that are not workers with
/// [`Handle::block_on`], sockets and timers included. With `workers(1)` the runtime starts no thread at all.
///
/// [`shutdown_timeout`](Runtime::shutdown_timeout) shuts it down gracefully: no new tasks, a grace period
/// for the running ones, then the rest are cancelled.
///
/// Dropping the runtime shuts it down: every task still alive is cancelled (its future dropped, on its own
/// worker for `spawn_local` tasks), `join()` on it reports cancellation, and the drop waits for the worker
/// threads and for blocking closures that already started. The reactor shuts down last: sockets that
/// outlive the runtime fail their operations, timers that outlive it panic when polled.
pub struct Runtime {
    /// `Some` until dropped: the scheduler must shut down before the reactor.
    inner: Option<coro_core::Runtime>,
    driver: Arc<Driver>,
}

impl Runtime {
    /// A runtime with the default configuration.
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// Configures a runtime.
    pub fn builder() -> Builder {
        Builder::new()
    }

    fn inner(&self) -> &coro_core::Runtime {
        self.inner.as_ref().expect("runtime used during its drop")
    }

    /// The number of workers.
    pub fn workers(&self) -> usize {
        self.inner().workers()
    }

    /// Runs `future` to completion on the current thread, which meanwhile works as worker 0.
    ///
    /// # Panics
    ///
    /// If called from inside a coro runtime, or if `future` panics (the runtime stays usable).
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.inner().block_on(future)
    }

    /// Spawns a task from outside the runtime.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.inner().spawn(future)
    }

    /// A handle to this runtime, to spawn onto it or run futures with it from any thread; sockets and timers
    /// created through it use this runtime's reactor. See [`coro_core::Handle`].
    pub fn handle(&self) -> Handle {
        self.inner().handle()
    }

    /// The runtime's counters and queue depths (see [`RuntimeMetrics`]).
    pub fn metrics(&self) -> RuntimeMetrics {
        self.inner().metrics()
    }

    /// Shuts the runtime down gracefully: no new tasks, the tasks alive get until `timeout` to finish (their
    /// sockets and timers keep working meanwhile), then the rest are cancelled; returns once every task is
    /// dropped, then shuts the reactor down. See [`coro_core::Runtime::shutdown_timeout`].
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        if let Some(inner) = self.inner.take() {
            inner.shutdown_timeout(timeout);
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        drop(self.inner.take());
        self.driver.shutdown();
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime").field("inner", &self.inner).finish_non_exhaustive()
    }
}

/// Starts a runtime with the default configuration (reactor included), runs `future` to completion on the
/// current thread, then shuts the runtime down and returns the output.
///
/// # Panics
///
/// If the runtime cannot start, if called inside a runtime, or if `future` panics.
pub fn run<F: Future>(future: F) -> F::Output {
    let rt = Runtime::new().unwrap_or_else(|err| panic!("failed to start the coro runtime: {err}"));
    rt.block_on(future)
}
