//! Tasks: one allocation per spawned future, driven through a type-erased pointer.
//!
//! # Design
//!
//! A task is a single heap allocation (see [`raw`]): a 48-byte `Header` (the atomic state word with the
//! lifecycle flags and the reference count, the vtable, the owned-list links and the join waker slot), then
//! the scheduler handle, then a `stage` enum holding the future and, once it is ready, its output (or the
//! one-pointer [`JoinError`]) in the same space. Queues hold tasks by pointer; the header has no queue link.
//! The runtime handles tasks only through typed wrappers around a `NonNull<Header>`:
//!
//! - [`Task`]: a counted reference (held by the owned-tasks list);
//! - [`Runnable`]: a counted reference that is also the right to run the task (one per queue entry);
//! - [`JoinHandle`]: the join reference and the right to the output;
//! - `Waker`: a raw waker over the same pointer (see `waker.rs`); cloning increments the count, nothing
//!   allocates.
//!
//! All synchronization goes through the state word (see [`state`]): a wake either finds the task idle and
//! submits it to its scheduler, or finds it running (only sets `NOTIFIED`; the poller reschedules it when the
//! poll returns, behind the other runnable tasks), or finds it queued or complete (does nothing). A task
//! therefore is in at most one queue at a time and is polled by at most one thread at a time.
//!
//! Cancellation (abort, shutdown) sets `CANCELLED`; whoever next owns the `RUNNING` bit drops the future
//! instead of polling it, so a future is always dropped by a thread that may poll it (for `spawn_local`
//! tasks, their own worker). Panics while polling or dropping are caught and stored as the
//! [`JoinError`].
//!
//! Every live, incomplete task that has ever waited is reachable from an owned-tasks list
//! ([`list::OwnedList`]) so that shutdown can cancel tasks nobody will ever wake. A task joins its list at
//! the end of its first `Pending` poll (the poller binds it, see the `BOUND` flag in [`state`]) and leaves
//! it when it completes. A task that completes in its first poll, as most short tasks do, never touches the
//! list (two lock round trips saved per task). Until its first poll a task is reachable only through its one
//! `Runnable`, which therefore cancels it when dropped unrun (as shutdown drops the queues): an unpolled
//! task is cancelled either way, by the list or by its queue entry.
//!
//! The scheduler is a type parameter ([`Schedule`]): the runtime's workers, the worker-pinned local
//! scheduler, the blocking pool, and the test schedulers of the loom models all drive the same task code.

pub(crate) mod join;
pub(crate) mod list;
pub(crate) mod raw;
pub(crate) mod state;
mod waker;

pub use join::{Join, JoinError, JoinHandle};

use crate::loom::AtomicU64;
use raw::{Header, TaskCell};
use std::fmt;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::ptr::NonNull;

/// What a task needs from whoever runs it.
pub(crate) trait Schedule: Send + Sync + Sized + 'static {
    /// Submits a task that became runnable, to run at `placement` in the current worker's queues.
    fn schedule(&self, task: Runnable, placement: Placement);

    /// Takes a task that woke itself during its poll (a yield, an exhausted budget), to run again behind the
    /// tasks already waiting, with nobody woken for it: its runner is free the moment the poll returns (as
    /// Go's `Gosched` does not `wakep`; waking a sleeper for a lone yielding task would only make two workers
    /// trade it back and forth). Either queues it and returns `None`, or returns it for the runner to queue
    /// (see [`Runnable::run`]): a worker polling a task of its own runtime does that without looking up the
    /// thread's context again.
    fn yielded(&self, task: Runnable) -> Option<Runnable>;

    /// Links a task that is about to wait into the owned-tasks list, taking the list's reference. Fails,
    /// returning it, if the list is closed (the runtime is shutting down): the poller then cancels the task.
    fn bind(&self, task: Task) -> Result<(), Task>;

    /// Unlinks a completed task from the owned-tasks list; returns the list's reference if it was linked.
    fn release(&self, task: &Task) -> Option<Task>;

    /// Counts a task that completed (its future dropped) outside a poll, cancelled by a shutdown; a poll
    /// counts it in its runner's counter (see [`Runnable::run_counted`]).
    fn completed(&self) {}
}

/// Where a runnable task goes in the current worker's queues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placement {
    /// Woken by the task running now: run it next (the LIFO slot), while what it touches is in cache.
    Next,
    /// Spawned: behind the tasks already waiting, in the run queue, where an idle worker can steal it; a
    /// sleeping worker is woken to come and do so, since the spawner goes on running. The scheduler counts
    /// the spawn where it queues the task (see `runtime::metrics`).
    Back,
}

/// A counted reference to a task.
pub(crate) struct Task {
    ptr: NonNull<Header>,
}

// SAFETY: a `Task` only touches the task through its atomic state word and the lock-guarded list links; the
// future is only accessed by whoever holds `RUNNING`, which the schedulers grant on the right thread (for a
// dropped `Runnable` too: see `new_task`).
unsafe impl Send for Task {}
// SAFETY: as above; `&Task` exposes nothing but the header.
unsafe impl Sync for Task {}

/// A reference to a task that is in (or on its way to) a run queue, carrying the right to run it.
///
/// Dropped without running, it cancels the task if the task is not bound to an owned list (it was never
/// polled: nothing else can run or cancel it), on the dropping thread; a bound task's list cancels it.
pub(crate) struct Runnable(ManuallyDrop<Task>);

// The right to poll is what makes `Runnable` special: a `spawn_local` task's `Runnable` is only ever handed
// to its own worker's queues by its scheduler, so moving it between threads cannot poll it elsewhere.

impl Task {
    /// # Safety
    /// `ptr` is a live task, and the caller transfers one counted reference.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> Task {
        Task { ptr }
    }

    pub(crate) fn header_ptr(&self) -> NonNull<Header> {
        self.ptr
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: the reference keeps the task alive.
        unsafe { self.ptr.as_ref() }
    }

    /// Gives up the reference without dropping it.
    pub(crate) fn into_raw(self) -> NonNull<Header> {
        ManuallyDrop::new(self).ptr
    }

    /// Cancels the task (or marks it cancelled if it is running elsewhere), consuming this reference.
    pub(crate) fn shutdown(self) {
        let ptr = self.into_raw();
        // SAFETY: gives the vtable our reference.
        unsafe { (ptr.as_ref().vtable.shutdown)(ptr) };
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        let header = self.header();
        if header.state.ref_dec() {
            // SAFETY: that was the last reference.
            unsafe { (header.vtable.dealloc)(self.ptr) };
        }
    }
}

impl fmt::Debug for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task").field("ptr", &self.ptr).field("state", &self.header().state).finish()
    }
}

impl Runnable {
    /// # Safety
    /// As [`Task::from_raw`], and the task's `NOTIFIED` flag was set for this reference.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> Runnable {
        // SAFETY: forwarded contract.
        Runnable(ManuallyDrop::new(unsafe { Task::from_raw(ptr) }))
    }

    pub(crate) fn into_raw(self) -> NonNull<Header> {
        ManuallyDrop::new(self).0.ptr
    }

    /// The task's [`Id`](crate::task::Id): its address, unique among live tasks.
    pub(crate) fn id(&self) -> u64 {
        self.0.ptr.as_ptr() as usize as u64
    }

    /// Polls the task once (or cancels it, if it was cancelled), consuming this reference. Returns the task
    /// if it woke itself during the poll and its scheduler hands it back ([`Schedule::yielded`]): the caller
    /// must then queue it behind the tasks already waiting.
    ///
    /// Must be called on a thread the task may run on: any worker for a `Send` task, its own worker for a
    /// `spawn_local` one. The schedulers guarantee it by where they queue each `Runnable`.
    ///
    /// A completion in this poll is not counted: for the schedulers whose tasks are not counted as live (the
    /// blocking pool's); a worker runs tasks with [`run_counted`](Runnable::run_counted).
    #[must_use = "a task handed back by `Schedule::yielded` must be queued, or it never runs again"]
    pub(crate) fn run(self) -> Option<Runnable> {
        self.run_counted(&AtomicU64::new(0))
    }

    /// [`run`](Runnable::run), counting a completion in `completed`, the runner's own counter (a worker's:
    /// cheaper than finding it from the completing task through the thread's context).
    #[must_use = "a task handed back by `Schedule::yielded` must be queued, or it never runs again"]
    pub(crate) fn run_counted(self, completed: &AtomicU64) -> Option<Runnable> {
        let ptr = self.into_raw();
        // SAFETY: gives the vtable our reference and the right to run.
        unsafe { (ptr.as_ref().vtable.poll)(ptr, completed) }
    }

    /// Cancels the task instead of running it, consuming this reference.
    pub(crate) fn shutdown(self) {
        // SAFETY: gives the `Task` our reference.
        unsafe { Task::from_raw(self.into_raw()) }.shutdown();
    }
}

impl Drop for Runnable {
    fn drop(&mut self) {
        // SAFETY: `self.0` is not used after this.
        let task = unsafe { ManuallyDrop::take(&mut self.0) };
        // An unbound task's only `Runnable` is this one, so `BOUND` cannot change meanwhile (see `state.rs`).
        if !task.header().state.load().is_bound() {
            // Never polled: nobody else can cancel it, and any thread may (see `new_task`).
            task.shutdown();
        }
    }
}

impl fmt::Debug for Runnable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Runnable").field(&self.0).finish()
    }
}

/// Allocates a task, not yet bound to an owned list (its first `Pending` poll binds it). Returns the first
/// `Runnable`, and the `JoinHandle`.
///
/// Dropping the `Runnable` unrun cancels the task on the dropping thread, so the future must be `Send` (or
/// see [`new_bound_task`]).
///
/// # Safety
/// The caller must make sure the future is only polled and dropped on threads where that is sound.
pub(crate) unsafe fn new_task<F, S>(future: F, scheduler: S) -> (Runnable, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: 'static,
    S: Schedule,
{
    let ptr = TaskCell::allocate(future, scheduler, false);
    // SAFETY: `allocate` counted three references: one for each wrapper, and the owned list's, reserved in
    // the state until the poller binds the task; the task starts `NOTIFIED`.
    unsafe { (Runnable::from_raw(ptr), JoinHandle::from_raw(ptr)) }
}

/// Allocates a task already `BOUND`: the caller must bind the returned `Task` (the list's reference) to the
/// owned list at once, or, if that fails, drop the `Runnable` and shut the `Task` down. For `!Send` futures:
/// their `Runnable` may be dropped on another thread (an inbox outliving its worker), which must then not
/// cancel them there; the list, closed on their own thread, does.
///
/// # Safety
/// The caller must make sure the future is only polled and dropped on threads where that is sound: for a
/// `!Send` future, the scheduler `S` must only run it on the current thread.
pub(crate) unsafe fn new_bound_task<F, S>(future: F, scheduler: S) -> (Task, Runnable, JoinHandle<F::Output>)
where
    F: Future + 'static,
    F::Output: 'static,
    S: Schedule,
{
    let ptr = TaskCell::allocate(future, scheduler, true);
    // SAFETY: `allocate` counted three references, one for each wrapper; the task starts `NOTIFIED`.
    unsafe { (Task::from_raw(ptr), Runnable::from_raw(ptr), JoinHandle::from_raw(ptr)) }
}

#[cfg(all(test, not(loom)))]
mod tests;

#[cfg(all(test, loom))]
mod loom_tests;
