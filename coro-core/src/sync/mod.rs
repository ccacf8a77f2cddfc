//! Synchronization between tasks.
//!
//! As everywhere in coro, handles are plain values and operations suspend: a [`Mutex`] or a
//! [`oneshot::Receiver`] can be stored and moved; `m.lock()` or `rx.recv()` is the operation that suspends
//! inside a `#[coro::coroutine]` (and that plain `async` code awaits). Guards are plain values too, and may
//! be held across suspension points.
//!
//! - [`Semaphore`]: fair counting semaphore; the base of [`Mutex`] and [`RwLock`], which are fair too.
//! - [`Notify`]: wake one or all waiting tasks, with tokio's semantics.
//! - [`WaitGroup`] (Go's) and [`Barrier`]: wait for a number of tasks.
//! - [`OnceCell`]: a value initialized once by a coroutine.
//! - [`oneshot`]: a channel for one value.
//!
//! Every waiting operation is cancel-safe in the sense that matters: dropping it leaves the queue, and what
//! it had been handed (permits, the lock, a notification) goes to the next waiter instead of being lost.

mod barrier;
mod mutex;
mod notify;
mod once_cell;
pub mod oneshot;
mod rwlock;
mod semaphore;
mod wait_group;
mod wait_list;

pub use barrier::{Barrier, BarrierWait, BarrierWaitResult};
pub use mutex::{Lock, Mutex, MutexGuard, TryLockError};
pub use notify::{Notified, Notify};
pub use once_cell::{GetOrInit, OnceCell};
pub use rwlock::{Read, RwLock, RwLockReadGuard, RwLockWriteGuard, Write};
pub use semaphore::{Acquire, AcquireError, Semaphore, SemaphorePermit, TryAcquireError};
pub use wait_group::{Wait, WaitGroup};
