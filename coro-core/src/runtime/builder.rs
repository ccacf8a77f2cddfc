//! `Runtime`, its `Builder`, and `block_on`.

use super::blocking::Pool;
use super::handle::Handle;
use super::metrics::RuntimeMetrics;
use super::park::{Park, Parker};
use super::task::JoinHandle;
use super::timer::{Deadline, Timer};
use super::worker::{self, Core, MainWaker, Shared, ThreadCx};
use crate::loom::AtomicBool;
use std::any::Any;
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// The environment variable that overrides the default number of workers.
const WORKERS_ENV: &str = "CORO_WORKERS";

type ParkFactory = Arc<dyn Fn(usize) -> Box<dyn Park> + Send + Sync>;

/// A value that the runtime carries for a driver built on it; see `Builder::extension`.
pub type Extension = Arc<dyn Any + Send + Sync>;

/// Configures a [`Runtime`].
///
/// ```
/// let rt = coro_core::Runtime::builder().workers(2).build().unwrap();
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// ```
pub struct Builder {
    workers: Option<usize>,
    max_blocking_threads: usize,
    keep_alive: Duration,
    thread_name: String,
    park: Option<ParkFactory>,
    extension: Option<Extension>,
    timer: Option<Arc<dyn Timer>>,
}

impl Builder {
    /// The defaults: one worker per CPU (or `CORO_WORKERS`), up to 512 blocking threads kept 10 s.
    pub fn new() -> Builder {
        Builder {
            workers: None,
            max_blocking_threads: 512,
            keep_alive: Duration::from_secs(10),
            thread_name: "coro".to_owned(),
            park: None,
            extension: None,
            timer: None,
        }
    }

    /// The number of workers, including the thread that calls `block_on`. Overrides `CORO_WORKERS`.
    pub fn workers(mut self, n: usize) -> Builder {
        self.workers = Some(n);
        self
    }

    /// The most threads the blocking pool starts (default 512).
    pub fn max_blocking_threads(mut self, n: usize) -> Builder {
        self.max_blocking_threads = n;
        self
    }

    /// How long an idle blocking thread waits for work before it exits (default 10 s).
    pub fn blocking_keep_alive(mut self, keep_alive: Duration) -> Builder {
        self.keep_alive = keep_alive;
        self
    }

    /// The name prefix of the runtime's threads (default `coro`).
    pub fn thread_name(mut self, name: impl Into<String>) -> Builder {
        self.thread_name = name.into();
        self
    }

    /// Internal (see [`rt_internal`](crate::rt_internal)): how each worker sleeps (default: [`Parker`]).
    /// Called once per worker index at `build`. This is the hook an I/O driver uses to take over a worker's
    /// idle time.
    #[doc(hidden)]
    pub fn park_with(mut self, factory: impl Fn(usize) -> Box<dyn Park> + Send + Sync + 'static) -> Builder {
        self.park = Some(Arc::new(factory));
        self
    }

    /// Internal (see [`rt_internal`](crate::rt_internal)): a value the runtime carries, found from any of its
    /// threads (workers, the `block_on` thread, the blocking pool) with [`extension`](super::extension). This
    /// is how an I/O driver installed with [`park_with`](Builder::park_with) lets sockets and timers created
    /// inside the runtime find it.
    #[doc(hidden)]
    pub fn extension(mut self, value: Extension) -> Builder {
        self.extension = Some(value);
        self
    }

    /// Internal (see [`rt_internal`](crate::rt_internal)): the timers behind the runtime's timed operations
    /// of this crate (such as [`recv_timeout`](crate::chan::Receiver::recv_timeout)); without one they fall
    /// back to a process-wide timer thread. `coro::Runtime` installs its reactor's timers here.
    #[doc(hidden)]
    pub fn timer(mut self, timer: Arc<dyn Timer>) -> Builder {
        self.timer = Some(timer);
        self
    }

    fn worker_count(&self) -> io::Result<usize> {
        let n = match self.workers {
            Some(n) => n,
            None => match std::env::var(WORKERS_ENV) {
                Ok(value) => value.trim().parse().map_err(|_| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("{WORKERS_ENV}={value:?} is not a number of workers"),
                    )
                })?,
                Err(_) => std::thread::available_parallelism().map_or(1, |n| n.get()),
            },
        };
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "a runtime needs at least one worker"));
        }
        Ok(n)
    }

    /// Starts the worker threads (all but worker 0, which is the thread calling `block_on`).
    pub fn build(self) -> io::Result<Runtime> {
        let n = self.worker_count()?;
        let parks: Vec<Box<dyn Park>> = (0..n)
            .map(|i| match &self.park {
                Some(factory) => factory(i),
                None => Box::new(Parker::new()) as Box<dyn Park>,
            })
            .collect();
        let pool =
            Pool::new(self.max_blocking_threads, self.keep_alive, format!("{}-blocking", self.thread_name));
        let (shared, mut cores) = Shared::new(parks, pool, self.extension.clone(), self.timer.clone());
        shared.blocking.set_runtime(&shared);
        let rest = cores.split_off(1);
        let core0 = cores.pop();
        let mut rt =
            Runtime { shared, core0: RefCell::new(core0), threads: Vec::new(), _not_send: PhantomData };
        for (i, core) in rest.into_iter().enumerate() {
            let index = i + 1;
            let shared = rt.shared.clone();
            let thread = std::thread::Builder::new()
                .name(format!("{}-worker-{index}", self.thread_name))
                .spawn(move || worker_main(shared, index, core))?;
            rt.threads.push(thread);
        }
        Ok(rt)
    }
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("workers", &self.workers)
            .field("max_blocking_threads", &self.max_blocking_threads)
            .field("keep_alive", &self.keep_alive)
            .finish_non_exhaustive()
    }
}

fn worker_main(shared: Arc<Shared>, index: usize, core: Box<Core>) {
    let cx = ThreadCx::new(shared, Some(index), Some(core));
    cx.enter(|| worker::run(&cx, None));
    let mut core = cx.take_core().expect("worker core missing at shutdown");
    worker::shutdown_core(&cx, &mut core);
}

/// A work-stealing, multi-threaded runtime: the scheduler alone, without I/O.
///
/// Users get `coro::Runtime`, which is this scheduler with `coro-net`'s reactor and timers installed; its
/// documentation describes the threading model (the building thread is worker 0, so a `Runtime` is not
/// `Send`) and the shutdown (dropping it cancels the tasks still alive), which are this type's.
pub struct Runtime {
    shared: Arc<Shared>,
    core0: RefCell<Option<Box<Core>>>,
    threads: Vec<std::thread::JoinHandle<()>>,
    _not_send: PhantomData<*const ()>,
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

    /// The number of workers.
    pub fn workers(&self) -> usize {
        self.shared.remotes.len()
    }

    /// Runs `future` to completion on the current thread, which meanwhile works as worker 0: it runs
    /// spawned tasks too, and `spawn`, `spawn_local` and `spawn_blocking` work inside `future`.
    ///
    /// # Panics
    ///
    /// If called from inside a coro runtime (a task or another `block_on`), or if `future` panics (the
    /// runtime stays usable).
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        if worker::with_current(|cx| cx.is_some()) {
            panic!(
                "`Runtime::block_on` called from inside a coro runtime: it would block a worker; spawn the future or `.await` it instead"
            );
        }
        let core = self.core0.borrow_mut().take().expect("`Runtime::block_on` re-entered");
        let cx = ThreadCx::new(self.shared.clone(), Some(0), Some(core));

        // Gives worker 0's core back on every exit, panics included.
        struct Restore<'a> {
            cx: &'a ThreadCx,
            slot: &'a RefCell<Option<Box<Core>>>,
        }
        impl Drop for Restore<'_> {
            fn drop(&mut self) {
                if let Some(mut core) = self.cx.take_core() {
                    worker::release_core(&self.cx.shared, &mut core);
                    *self.slot.borrow_mut() = Some(core);
                }
            }
        }
        let _restore = Restore { cx: &cx, slot: &self.core0 };

        let main =
            Arc::new(MainWaker { woken: AtomicBool::new(true), shared: self.shared.clone(), index: 0 });
        let waker = Waker::from(main.clone());
        let mut future = pin!(future);
        let mut output = None;
        let mut poll_main = || {
            let mut task_cx = Context::from_waker(&waker);
            match future.as_mut().poll(&mut task_cx) {
                Poll::Ready(value) => {
                    output = Some(value);
                    true
                }
                Poll::Pending => false,
            }
        };
        cx.enter(|| worker::run(&cx, Some((&main, &mut poll_main))));
        output.expect("block_on returned before its future completed")
    }

    /// Spawns a task from outside the runtime (it goes to the injector).
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.shared.spawn(future)
    }

    /// A handle to this runtime, to spawn onto it or run futures with it from any thread.
    pub fn handle(&self) -> Handle {
        Handle::new(self.shared.clone())
    }

    /// The runtime's counters and queue depths (see [`RuntimeMetrics`]).
    pub fn metrics(&self) -> RuntimeMetrics {
        RuntimeMetrics::new(self.shared.clone())
    }

    /// Shuts the runtime down gracefully: new tasks are refused from now on (spawning returns a handle
    /// whose `join()` reports cancellation), the tasks alive get until `timeout` to finish (this thread
    /// runs them too, as worker 0), then those still alive are cancelled, as when the runtime is dropped.
    /// Returns once every task has finished or been dropped (it looks every millisecond), the worker
    /// threads have exited, and the blocking closures that had started have returned.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let rt = coro_core::Runtime::builder().workers(2).build().unwrap();
    /// let quick = rt.spawn(async { coro_core::yield_now().await; 1 });
    /// let stuck = rt.spawn(std::future::pending::<()>());
    /// rt.shutdown_timeout(Duration::from_millis(50));
    /// assert!(quick.is_finished() && stuck.is_finished());
    /// ```
    pub fn shutdown_timeout(self, timeout: Duration) {
        self.shared.begin_closing();
        // Completions are counted per worker without a fence or a wake-up, to keep them cheap; the count is
        // read every `RECHECK` until it reaches zero.
        const RECHECK: Duration = Duration::from_millis(1);
        let shared = self.shared.clone();
        let mut deadline = Deadline::new(Instant::now() + timeout);
        let mut recheck = Deadline::new(Instant::now() + RECHECK);
        self.block_on(std::future::poll_fn(|cx| {
            loop {
                if shared.is_drained() || deadline.poll(cx).is_ready() {
                    return Poll::Ready(());
                }
                if recheck.poll(cx).is_pending() {
                    return Poll::Pending;
                }
                recheck.reset(Instant::now() + RECHECK);
            }
        }));
    }

    #[cfg(all(test, not(loom)))]
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shared.begin_shutdown();
        let core0 = self.core0.borrow_mut().take();
        if let Some(mut core) = core0 {
            let cx = ThreadCx::new(self.shared.clone(), Some(0), None);
            worker::shutdown_core(&cx, &mut core);
        }
        let mut panicked = false;
        for thread in self.threads.drain(..) {
            panicked |= thread.join().is_err();
        }
        self.shared.blocking.shutdown();
        while let Some(task) = self.shared.inject.pop() {
            drop(task);
        }
        if panicked && !std::thread::panicking() {
            panic!("a coro worker thread panicked");
        }
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime").field("shared", &self.shared).finish_non_exhaustive()
    }
}
