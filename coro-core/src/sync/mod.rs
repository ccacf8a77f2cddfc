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
//! - [`CancellationToken`]: tell a tree of tasks to stop.
//!
//! Every waiting operation is cancel-safe in the sense that matters: dropping it leaves the queue, and what
//! it had been handed (permits, the lock, a notification) goes to the next waiter instead of being lost.
//!
//! # Design
//!
//! Every primitive but `oneshot` (a lock-free state machine of its own, see its module docs) keeps its state
//! and a queue of waiting operations (the crate's `WaitList`, which the channels use too) under one mutex.
//! The operations are rare enough to contend (a waiter only queues when the primitive is taken) that a
//! lock-free queue would buy little, and the mutex makes every transition one critical section that a loom
//! model checks easily. The only `unsafe` is in the locks ([`Mutex`], [`RwLock`]), which hand out
//! references to the data they guard (each access explained where it is made), and in `oneshot`.
//!
//! A waiter's slot holds what its primitive hands it: the permits it still needs ([`Semaphore`], and so the
//! locks), how it was notified ([`Notify`]), the generation or epoch it waits for ([`Barrier`],
//! [`WaitGroup`]). Releasing a waiter unlinks it and updates that value; the waiter's future, not the
//! releaser, frees the slot, so a future dropped after its release finds out what it was given and passes
//! it on. Wakers run after the lock is released, in batches when a transition releases many
//! (`add_permits`, `notify_waiters`, a barrier's last arrival), and waking many allocates nothing.

mod barrier;
mod cancel;
mod mutex;
mod notify;
mod once_cell;
pub mod oneshot;
mod rwlock;
mod semaphore;
mod wait_group;

pub use barrier::{Barrier, BarrierWait, BarrierWaitResult};
pub use cancel::{CancellationToken, Cancelled, DropGuard};
pub use mutex::{Lock, LockOwned, Mutex, MutexGuard, OwnedMutexGuard, TryLockError};
pub use notify::{Notified, Notify};
pub use once_cell::{GetOrInit, OnceCell};
pub use rwlock::{
    OwnedRwLockReadGuard, OwnedRwLockWriteGuard, Read, ReadOwned, RwLock, RwLockReadGuard, RwLockWriteGuard,
    Write, WriteOwned,
};
pub use semaphore::{
    Acquire, AcquireError, AcquireOwned, OwnedSemaphorePermit, Semaphore, SemaphorePermit, TryAcquireError,
};
pub use wait_group::{Wait, WaitGroup};
