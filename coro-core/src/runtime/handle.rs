//! `Handle`: a way into a runtime from any thread.
//!
//! A handle is an `Arc` of the runtime's shared state, so it is cheap to clone and may be sent anywhere (a
//! callback, an FFI or GUI thread). What it does needs no worker: [`spawn`](Handle::spawn) queues into the
//! injector (or into the current worker's queue on one of the runtime's workers), and
//! [`block_on`](Handle::block_on) polls the future on the calling thread, entered in the runtime's context
//! as the blocking pool's threads are (no worker, but the runtime's extension and timers are found: with
//! `coro::Runtime`, sockets and timers created there use its reactor), and parks that thread while the
//! future waits.

use super::metrics::RuntimeMetrics;
use super::task::JoinHandle;
use super::worker::{self, Shared, ThreadCx};
use std::fmt;
use std::future::Future;
use std::sync::Arc;

/// A handle to a runtime: spawn onto it, or run a future with it, from any thread.
///
/// Get one with [`Runtime::handle`](super::Runtime::handle), or [`Handle::current`] on a thread of the
/// runtime (a task, the future given to `block_on`, a `spawn_blocking` closure). A handle does not keep the
/// runtime running: once the runtime is dropped, tasks spawned through it are cancelled at once (their
/// `join()` reports it).
///
/// ```
/// let rt = coro_core::Runtime::builder().workers(2).build().unwrap();
/// let handle = rt.handle();
/// let from_thread = std::thread::spawn(move || {
///     let task = handle.spawn(async { 6 * 7 });
///     handle.block_on(task.join()).unwrap()
/// });
/// assert_eq!(from_thread.join().unwrap(), 42);
/// ```
#[derive(Clone)]
pub struct Handle {
    shared: Arc<Shared>,
}

impl Handle {
    pub(crate) fn new(shared: Arc<Shared>) -> Handle {
        Handle { shared }
    }

    /// The handle of the runtime the current thread belongs to.
    ///
    /// # Panics
    ///
    /// Outside a runtime; see [`try_current`](Handle::try_current).
    pub fn current() -> Handle {
        Handle::try_current().unwrap_or_else(|| panic!("`Handle::current` {}", super::OUTSIDE))
    }

    /// The handle of the runtime the current thread belongs to, if any.
    pub fn try_current() -> Option<Handle> {
        worker::with_current(|cx| Some(Handle::new(cx?.shared.clone())))
    }

    /// Spawns a task on the runtime, from any thread. It starts at once on some worker; the returned handle
    /// joins or aborts it, and dropping that handle detaches the task.
    ///
    /// Inside a `#[coro::coroutine]`, `handle.spawn(f(x))` would await `f(x)` first (it is a call's
    /// argument): write `coro::spawn!(in handle, f(x))`.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.shared.spawn(future)
    }

    /// Runs a blocking closure on the runtime's blocking pool (see [`spawn_blocking`](super::spawn_blocking)).
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.shared.blocking.spawn(f)
    }

    /// Runs `future` to completion on the current thread, which sleeps while it waits, and returns its
    /// output. The runtime's workers go on serving the other tasks meanwhile; inside `future`, `spawn`,
    /// [`Handle::current`] and (with `coro::Runtime`) sockets and timers work as they do in a task.
    ///
    /// # Panics
    ///
    /// If called on a worker thread of a coro runtime (in a task or in `Runtime::block_on`), where it would
    /// block the worker: spawn the future instead. A `spawn_blocking` closure may call it.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        if worker::with_current(|cx| cx.is_some_and(ThreadCx::is_worker)) {
            panic!(
                "`Handle::block_on` called on a worker thread of a coro runtime: it would block the worker; \
                 spawn the future or await it instead"
            );
        }
        let cx = ThreadCx::new(self.shared.clone(), None, None);
        cx.enter(|| crate::block_on(future))
    }

    /// The runtime's counters and queue depths.
    pub fn metrics(&self) -> RuntimeMetrics {
        RuntimeMetrics::new(self.shared.clone())
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle").field("shared", &self.shared).finish()
    }
}
