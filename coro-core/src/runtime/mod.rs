//! The runtime: tasks, the work-stealing scheduler, the blocking pool.
//!
//! # Overview
//!
//! ```text
//!             spawn / wake from outside            overflow (half a queue)
//!   anyone ─────────────────────────────▶ Injector ◀──────────────────────┐
//!                                            │  every 61 ticks, or idle     │
//!                                            ▼                              │
//!   worker i:  LIFO slot ─▶ run queue (512, stealable) ◀── steal half ── worker j
//!              pinned queue (spawn_local) ◀── inbox ◀── wakes from other threads
//!              nothing to do ─▶ search (≤ half the workers) ─▶ park (Park trait)
//! ```
//!
//! - [`task`]: one allocation per task, its state machine, wakers, `JoinHandle`, the owned-tasks list.
//! - [`queue`]: the per-worker lock-free ring; [`inject`]: the global queue.
//! - [`worker`]: the loop that finds, runs and steals tasks; [`idle`]: who sleeps and who searches.
//! - [`park`]: how an idle worker sleeps (the I/O driver's hook).
//! - [`coop`]: the per-poll operation budget.
//! - [`blocking`]: the thread pool behind [`spawn_blocking`].
//! - [`handle`]: [`Handle`], the way into a runtime from any thread; [`metrics`]: its always-on counters.
//! - [`timer`]: the hook through which a driver's timers serve this crate's timed operations.
//!
//! Every module opens with its design notes.

pub(crate) mod blocking;
mod builder;
pub mod coop;
mod handle;
pub(crate) mod idle;
pub(crate) mod inject;
pub(crate) mod metrics;
pub mod park;
pub(crate) mod queue;
mod scoped;
pub(crate) mod task;
pub mod timer;
pub(crate) mod worker;

pub use builder::{Builder, Extension, Runtime};
pub use handle::Handle;
pub use metrics::RuntimeMetrics;
pub use task::{Join, JoinError, JoinHandle};
pub(crate) use timer::Timer;

use std::future::Future;

const OUTSIDE: &str = "must be called from inside a coro runtime (a task, or the future given to `coro::run` / \
                       `Runtime::block_on`); start one with `coro::run(..)` or `Runtime::new()?.block_on(..)`";

/// Starts a runtime with the default configuration, runs `future` to completion on the current thread
/// (which works as one of the runtime's workers meanwhile), then shuts the runtime down, cancelling the
/// tasks still alive, and returns the output.
///
/// # Panics
///
/// If the runtime cannot start (an invalid `CORO_WORKERS`, or no thread could be spawned), if called
/// inside a runtime, or if `future` panics.
pub fn run<F: Future>(future: F) -> F::Output {
    let rt = Runtime::new().unwrap_or_else(|err| panic!("failed to start the coro runtime: {err}"));
    rt.block_on(future)
}

/// The [extension](Builder::extension) of the runtime the current thread belongs to, if it has one of
/// type `T`. `None` outside a runtime.
pub fn extension<T: std::any::Any + Send + Sync>() -> Option<std::sync::Arc<T>> {
    worker::with_current(|cx| cx?.shared.extension.clone()?.downcast::<T>().ok())
}

/// What [`spawn`] and [`spawn_local`] take: any future. The trait exists for its error message, which
/// explains the usual mistake of passing a coroutine's *result* (inside a coroutine, `spawn(f(x))` awaits
/// `f(x)` first).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a future, so it cannot be spawned",
    label = "expected a future or a coroutine here",
    note = "inside a `#[coro::coroutine]` fn, `coro::spawn(f(x))` awaits `f(x)` and passes its result: write `coro::spawn!(f(x))`, whose argument is spawned as it is",
    note = "outside coroutines, `coro::spawn` takes any `Future + Send + 'static`"
)]
pub trait Spawnable<T>: Future<Output = T> {}

#[diagnostic::do_not_recommend]
impl<F: Future> Spawnable<F::Output> for F {}

/// Spawns a task on the current runtime. It starts running at once on some worker; the returned handle
/// joins or aborts it, and dropping the handle detaches the task.
///
/// It takes any future; inside a `#[coro::coroutine]`, `coro::spawn!(f(x))` spawns a coroutine call.
///
/// ```
/// # use coro_core as coro;
/// let sum = coro::run(async {
///     let tasks: Vec<_> = (1..=3).map(|i| coro::spawn(async move { i * 10 })).collect();
///     let mut sum = 0;
///     for task in tasks {
///         sum += task.join().await.unwrap();
///     }
///     sum
/// });
/// assert_eq!(sum, 60);
/// ```
///
/// # Panics
///
/// If called outside a runtime.
pub fn spawn<F, T>(future: F) -> JoinHandle<T>
where
    F: Spawnable<T> + Send + 'static,
    T: Send + 'static,
{
    worker::with_current(|cx| match cx {
        Some(cx) => cx.spawn(future),
        None => panic!("`coro::spawn` {OUTSIDE}"),
    })
}

/// Spawns a `!Send` task pinned to the current worker: it is polled and dropped only on this thread.
///
/// # Panics
///
/// If called outside a runtime's worker thread (for instance on a `spawn_blocking` thread).
pub fn spawn_local<F, T>(future: F) -> JoinHandle<T>
where
    F: Spawnable<T> + 'static,
    T: 'static,
{
    worker::with_current(|cx| match cx {
        Some(cx) => cx.spawn_local(future),
        None => panic!("`coro::spawn_local` {OUTSIDE}"),
    })
}

/// Runs a blocking or CPU-heavy closure on the runtime's blocking pool, off the workers.
///
/// The pool starts threads on demand, up to its maximum (512 by default), and lets idle ones exit. The
/// closure cannot be interrupted: `abort()` only cancels it if it has not started yet.
///
/// # Panics
///
/// If called outside a runtime.
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    worker::with_current(|cx| match cx {
        Some(cx) => cx.shared.blocking.spawn(f),
        None => panic!("`coro::spawn_blocking` {OUTSIDE}"),
    })
}

#[cfg(all(test, not(loom)))]
mod tests;
