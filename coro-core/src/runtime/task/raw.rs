//! The task allocation and the type-erased functions that drive it.
//!
//! ```text
//! TaskCell<F, S>, #[repr(C)], allocated with TaskCell::LAYOUT
//! +--------------------------------------------------------------+
//! | Header (48 bytes on 64-bit targets)                          |
//! |   state       AtomicUsize: flags + refcount (see `state.rs`) |
//! |   vtable      &'static Vtable for this <F, S>                |
//! |   owned       prev/next: the owned-tasks list (`list.rs`)    |
//! |   join_waker  Option<Waker> of the `JoinHandle`'s joiner     |
//! +--------------------------------------------------------------+
//! | Body                                                         |
//! |   scheduler   S                                              |
//! |   stage       Running(F) | Finished(Result<Output>) | Consumed|
//! +--------------------------------------------------------------+
//! ```
//!
//! The future and its output share the `stage` enum, so a task is exactly one allocation whose size is the
//! header plus the scheduler handle plus the larger of the future and the output. Everything outside the
//! task knows it only as a `NonNull<Header>`; the vtable's functions are monomorphized for `<F, S>` and cast
//! the pointer back to the `TaskCell`.
//!
//! The header holds only what every task needs for its whole life. Queue links live in the queues (the run
//! queues' rings, the injector's `VecDeque`), and the owned-tasks list finds a task's shard from its address
//! and whether it is linked from the links themselves, so neither needs a field here. A task parked on a
//! oneshot with a small future (48 + 8 for the scheduler + 24 for the future) fits glibc's 96-byte chunk;
//! `tests.rs` asserts the sizes this depends on. A cell of [`LARGE_CELL`] bytes or more starts on a pair of
//! cache lines instead of the allocator's 16 bytes ([`TaskCell::LAYOUT`]): the header, the scheduler and the
//! stage's tag then share one line, and the future's fields lie at the same place in their lines in every task.
//!
//! Who may touch what:
//! - `stage`: the thread that set `RUNNING` (poll, cancel, complete), then, once `COMPLETE` is set, the
//!   `JoinHandle` if `JOIN_INTEREST` was set at completion, else the completing thread.
//! - `join_waker`: the `JoinHandle` while `JOIN_WAKER` is clear; readers (the completing thread) while set.
//! - `owned`: the owned-tasks list, under the shard's lock (a task is linked by its poller, at the end of its
//!   first `Pending` poll).

use super::state::{Snapshot, State, ToIdle, ToRunning};
use super::{JoinError, Placement, Runnable, Schedule, Task, waker};
use crate::loom::{AtomicU64, UnsafeCell};
use crate::runtime::metrics::bump;
use crossbeam_utils::CachePadded;
use std::alloc::{self, Layout};
use std::any::Any;
use std::future::Future;
use std::marker::PhantomData;
use std::mem::{self, ManuallyDrop};
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::{self, NonNull};
use std::task::{Context, Poll, Waker};

/// The type-independent part of a task, at the start of its allocation.
#[repr(C)]
pub(crate) struct Header {
    pub(crate) state: State,
    pub(crate) vtable: &'static Vtable,
    /// Owned-tasks list links, guarded by the list shard's lock; both `None` while the task is not linked.
    pub(crate) owned_prev: UnsafeCell<Option<NonNull<Header>>>,
    pub(crate) owned_next: UnsafeCell<Option<NonNull<Header>>>,
    /// The waker of whoever awaits the `JoinHandle`; see the module docs for its access rules.
    pub(crate) join_waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: every field is either atomic or an `UnsafeCell` whose access discipline (see the module docs) is
// enforced by the state word or by a lock; the `Waker` in `join_waker` is `Send + Sync`.
unsafe impl Send for Header {}
// SAFETY: as above.
unsafe impl Sync for Header {}

/// The functions that know a task's concrete `<F, S>`.
pub(crate) struct Vtable {
    /// Runs the task (consumes a `Runnable`'s reference); returns it if its scheduler hands a yield back. A
    /// completion is counted in the runner's counter, the second argument.
    pub(crate) poll: unsafe fn(NonNull<Header>, &AtomicU64) -> Option<Runnable>,
    /// Hands a new `Runnable` (whose reference is already counted) to the task's scheduler.
    pub(crate) schedule: unsafe fn(NonNull<Header>),
    /// Frees the allocation (the reference count is zero).
    pub(crate) dealloc: unsafe fn(NonNull<Header>),
    /// Moves the output of a complete task into `*mut Result<F::Output, JoinError>` (uninitialized).
    pub(crate) read_output: unsafe fn(NonNull<Header>, *mut ()),
    /// The `JoinHandle` is dropped (consumes its reference).
    pub(crate) drop_join_handle: unsafe fn(NonNull<Header>),
    /// Cancels the task if it is idle, else marks it cancelled (consumes one reference).
    pub(crate) shutdown: unsafe fn(NonNull<Header>),
}

impl std::fmt::Debug for Vtable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vtable")
    }
}

/// A task's allocation.
#[repr(C)]
pub(crate) struct TaskCell<F: Future, S> {
    pub(crate) header: Header,
    body: Body<F, S>,
}

struct Body<F: Future, S> {
    scheduler: S,
    stage: UnsafeCell<Stage<F>>,
}

enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, JoinError>),
    Consumed,
}

struct VtableOf<F, S>(PhantomData<(F, S)>);

impl<F: Future, S: Schedule> VtableOf<F, S> {
    const VTABLE: Vtable = Vtable {
        poll: poll::<F, S>,
        schedule: schedule::<F, S>,
        dealloc: dealloc::<F, S>,
        read_output: read_output::<F, S>,
        drop_join_handle: drop_join_handle::<F, S>,
        shutdown: shutdown::<F, S>,
    };
}

/// Cells at least this large are allocated at [`LARGE_CELL_ALIGN`] (see [`TaskCell::LAYOUT`]).
pub(crate) const LARGE_CELL: usize = 1024;
/// A pair of cache lines on the targets whose prefetchers fetch lines in pairs (`CachePadded`'s alignment).
pub(crate) const LARGE_CELL_ALIGN: usize = align_of::<CachePadded<u8>>();

impl<F: Future, S> TaskCell<F, S> {
    /// Whether this cell is allocated at [`LARGE_CELL_ALIGN`] rather than at its own alignment: a large cell
    /// (a future that holds a buffer, say). The allocator's 16 bytes would otherwise put the header, the
    /// scheduler and the stage's tag, which every poll and wake reads, across two cache lines three times out
    /// of four, and the future's own fields at different offsets in every task; a large task is rarely in
    /// cache when it runs (one of hundreds of connections), so each line costs a miss (BENCHMARKS.md, "Cache
    /// misses per echo request at 512 connections"). Small cells keep the plain `Box`: they fit a few lines
    /// whatever their start, and the padding would grow them by a third.
    const OVERALIGNED: bool = size_of::<Self>() >= LARGE_CELL && align_of::<Self>() < LARGE_CELL_ALIGN;

    /// The allocation's layout (see [`OVERALIGNED`](Self::OVERALIGNED)).
    pub(crate) const LAYOUT: Layout = match Self::OVERALIGNED {
        false => Layout::new::<Self>(),
        true => match Layout::from_size_align(size_of::<Self>(), LARGE_CELL_ALIGN) {
            Ok(layout) => layout,
            Err(_) => panic!("task cell too large"),
        },
    };
}

impl<F: Future, S: Schedule> TaskCell<F, S> {
    /// Allocates a task; the returned pointer carries the three initial references.
    pub(crate) fn allocate(future: F, scheduler: S, bound: bool) -> NonNull<Header> {
        let cell = TaskCell {
            header: Header {
                state: State::new(bound),
                vtable: &VtableOf::<F, S>::VTABLE,
                owned_prev: UnsafeCell::new(None),
                owned_next: UnsafeCell::new(None),
                join_waker: UnsafeCell::new(None),
            },
            body: Body { scheduler, stage: UnsafeCell::new(Stage::Running(future)) },
        };
        // `TaskCell` is `repr(C)` with the header first, so the cell pointer is a header pointer.
        if !Self::OVERALIGNED {
            return NonNull::from(Box::leak(Box::new(cell))).cast();
        }
        let layout = Self::LAYOUT;
        // SAFETY: the layout is a `TaskCell`'s, whose size is never zero (the header alone is not).
        let Some(ptr) = NonNull::new(unsafe { alloc::alloc(layout) }.cast::<TaskCell<F, S>>()) else {
            alloc::handle_alloc_error(layout)
        };
        // SAFETY: `ptr` is a fresh allocation of a `TaskCell`'s size, at least as aligned.
        unsafe { ptr.write(cell) };
        ptr.cast()
    }
}

/// Recovers the cell of a header pointer.
///
/// # Safety
/// `ptr` must point to a live `TaskCell<F, S>` of exactly these types.
unsafe fn cell<'a, F: Future, S>(ptr: NonNull<Header>) -> &'a TaskCell<F, S> {
    // SAFETY: the caller guarantees the pointer came from `TaskCell::<F, S>::allocate` and is still alive;
    // the header is the first field of the `repr(C)` cell.
    unsafe { ptr.cast::<TaskCell<F, S>>().as_ref() }
}

impl<F: Future, S> Body<F, S> {
    /// Replaces the stage: drops the previous one in place, then writes the new one, also when that drop
    /// panics (so a panicking drop leaves a consistent stage).
    ///
    /// Dropping in place rather than moving the old stage out (`mem::replace`) matters on the spawn path: the
    /// copy reads back the future's state just written by its poll, in wider loads than the stores, which
    /// stalls on store forwarding.
    ///
    /// # Safety
    /// The caller has exclusive access to the stage (see the module docs).
    unsafe fn set_stage(&self, stage: Stage<F>) {
        /// Writes the new stage on drop: after the old one's drop, returned or unwound.
        struct Write<F: Future> {
            ptr: *mut Stage<F>,
            stage: ManuallyDrop<Stage<F>>,
        }
        impl<F: Future> Drop for Write<F> {
            fn drop(&mut self) {
                // SAFETY: the old stage at `ptr` has been dropped, so this overwrites no live value; `stage`
                // is taken exactly once, here.
                unsafe { self.ptr.write(ManuallyDrop::take(&mut self.stage)) };
            }
        }
        self.stage.with_mut(|ptr| {
            let write = Write { ptr, stage: ManuallyDrop::new(stage) };
            // SAFETY: exclusive access is the caller's contract; the stage is live, dropped once here, and
            // overwritten by `write` right after (or while unwinding).
            unsafe { ptr::drop_in_place(ptr) };
            drop(write);
        });
    }

    /// # Safety
    /// The caller has exclusive access to the stage, and the stage is `Running`.
    unsafe fn poll(&self, cx: &mut Context<'_>) -> Poll<F::Output> {
        let res = self.stage.with_mut(|ptr| {
            // SAFETY: exclusive access is the caller's contract.
            match unsafe { &mut *ptr } {
                Stage::Running(future) => {
                    // SAFETY: the future lives in the heap-allocated task and is never moved out of the stage
                    // until it is dropped in place by `set_stage`, so it is pinned.
                    unsafe { Pin::new_unchecked(future) }.poll(cx)
                }
                _ => unreachable!("polled a task whose future is gone"),
            }
        });
        if res.is_ready() {
            // Drop the future right away, on this thread and while the stage is still ours.
            // SAFETY: as above.
            unsafe { self.set_stage(Stage::Consumed) };
        }
        res
    }

    /// # Safety
    /// The caller has exclusive access to the stage, and the stage is `Finished`.
    unsafe fn take_output(&self) -> Result<F::Output, JoinError> {
        // SAFETY: exclusive access is the caller's contract.
        match self.stage.with_mut(|ptr| unsafe { mem::replace(&mut *ptr, Stage::Consumed) }) {
            Stage::Finished(output) => output,
            _ => panic!("JoinHandle polled after it returned its output"),
        }
    }
}

/// Drops the stage (future or output), catching a panic from its `Drop`.
///
/// # Safety
/// As `Body::set_stage`.
unsafe fn drop_stage<F: Future, S>(body: &Body<F, S>) -> Result<(), Box<dyn Any + Send>> {
    // SAFETY: forwarded contract.
    panic::catch_unwind(AssertUnwindSafe(|| unsafe { body.set_stage(Stage::Consumed) }))
}

unsafe fn poll<F: Future, S: Schedule>(ptr: NonNull<Header>, completed: &AtomicU64) -> Option<Runnable> {
    // SAFETY: the vtable of a `TaskCell<F, S>` is only ever called with a pointer to that cell, and the
    // caller's `Runnable` reference keeps it alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    match cell.header.state.transition_to_running() {
        ToRunning::Success => {}
        ToRunning::Cancelled => {
            // SAFETY: `RUNNING` is ours.
            unsafe { cancel_and_complete::<F, S>(ptr, || bump(completed)) };
            return None;
        }
        ToRunning::Failed => return None,
        ToRunning::Dealloc => {
            // SAFETY: that was the last reference.
            unsafe { dealloc::<F, S>(ptr) };
            return None;
        }
    }

    // The poller's reference keeps the task alive for the whole poll: the waker borrows it.
    // SAFETY: `ptr` is a live task; the `ManuallyDrop` keeps the borrowed waker from dropping a reference.
    let waker = ManuallyDrop::new(unsafe { waker::from_header(ptr) });
    let mut cx = Context::from_waker(&waker);
    // SAFETY: `RUNNING` gives this thread exclusive access to the stage, which holds the future.
    let res = panic::catch_unwind(AssertUnwindSafe(|| unsafe { cell.body.poll(&mut cx) }));
    match res {
        Ok(Poll::Ready(output)) => {
            // SAFETY: the stage is still ours; then complete with it.
            unsafe {
                cell.body.set_stage(Stage::Finished(Ok(output)));
                complete::<F, S>(ptr, || bump(completed));
            }
            None
        }
        // SAFETY: `RUNNING` and the poller's reference are handed over.
        Ok(Poll::Pending) => unsafe { idle::<F, S>(ptr, completed) },
        Err(payload) => {
            // SAFETY: the stage is still ours. The future panicked: drop it (catching a panic in its drop).
            unsafe {
                let _ = drop_stage(&cell.body);
                cell.body.set_stage(Stage::Finished(Err(JoinError::panic(payload))));
                complete::<F, S>(ptr, || bump(completed));
            }
            None
        }
    }
}

/// After a `Pending` poll: binds the task to its owned list if this was its first wait, then makes it idle,
/// or reschedules or cancels it (see [`ToIdle`]). Returns the task if its scheduler hands a yield back to the
/// runner.
///
/// # Safety
/// The caller set `RUNNING` and gives up its reference.
unsafe fn idle<F: Future, S: Schedule>(ptr: NonNull<Header>, completed: &AtomicU64) -> Option<Runnable> {
    // SAFETY: the caller's reference keeps the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    // Only pollers set `BOUND`, so this reads what the previous one left.
    let bind = !cell.header.state.load().is_bound();
    if bind {
        // About to wait: join the owned list, so that shutdown finds the task.
        // SAFETY: the list's reference, reserved in the state while the task is not bound.
        let list_ref = unsafe { Task::from_raw(ptr) };
        if let Err(list_ref) = cell.body.scheduler.bind(list_ref) {
            // The list is closed (shutdown): cancel instead of waiting. The reference goes back to being
            // reserved: the completion of an unbound task drops it.
            mem::forget(list_ref);
            // SAFETY: the task is still `RUNNING`, so the stage is ours.
            unsafe { cancel_and_complete::<F, S>(ptr, || bump(completed)) };
            return None;
        }
    }
    match cell.header.state.transition_to_idle(bind) {
        ToIdle::Ok => {}
        ToIdle::OkNotified => {
            // Woken during its own poll: rescheduled exactly once, behind the others.
            // SAFETY: the poller's reference was kept by the transition and becomes the `Runnable`.
            let notified = unsafe { Runnable::from_raw(ptr) };
            return cell.body.scheduler.yielded(notified);
        }
        ToIdle::OkDealloc => {
            // SAFETY: that was the last reference.
            unsafe { dealloc::<F, S>(ptr) }
        }
        ToIdle::Cancelled => {
            // SAFETY: the task is still `RUNNING`, so the stage is ours.
            unsafe { cancel_and_complete::<F, S>(ptr, || bump(completed)) }
        }
    }
    None
}

/// Drops the future, stores a `cancelled` error (or the panic of the future's drop), completes (counted by
/// `count`, see [`complete`]).
///
/// # Safety
/// The caller set `RUNNING` and its reference is consumed by the completion.
unsafe fn cancel_and_complete<F: Future, S: Schedule>(ptr: NonNull<Header>, count: impl FnOnce()) {
    // SAFETY: the caller's reference keeps the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    // SAFETY: `RUNNING` gives exclusive access to the stage.
    let err = match unsafe { drop_stage(&cell.body) } {
        Ok(()) => JoinError::cancelled(),
        Err(payload) => JoinError::panic(payload),
    };
    // SAFETY: as above.
    unsafe {
        cell.body.set_stage(Stage::Finished(Err(err)));
        complete::<F, S>(ptr, count);
    }
}

/// Counts the completion with `count` (in the runner's counter, or, outside a poll, through the scheduler),
/// publishes the stored output, notifies the joiner, leaves the owned list, drops the runner's reference
/// (and the list's). Generic over `count`, so that the poll's copy is a bare increment.
///
/// # Safety
/// The caller set `RUNNING`, stored the output, and gives up its reference.
unsafe fn complete<F: Future, S: Schedule>(ptr: NonNull<Header>, count: impl FnOnce()) {
    // SAFETY: the caller's reference keeps the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    // Counted before the completion is published, so that whoever sees the task complete sees it counted.
    count();
    let snapshot = cell.header.state.transition_to_complete();
    let _ = panic::catch_unwind(AssertUnwindSafe(|| {
        if !snapshot.is_join_interested() {
            // Nobody will read the output: drop it here, on the thread that ran the task.
            // SAFETY: with `JOIN_INTEREST` clear at completion, the output belongs to this thread.
            unsafe { cell.body.set_stage(Stage::Consumed) };
        } else if snapshot.is_join_waker_set() {
            // SAFETY: `JOIN_WAKER` was set at completion, so the slot holds a waker and the `JoinHandle` can
            // no longer modify it (its transitions fail once `COMPLETE` is set).
            cell.header.join_waker.with(|waker| {
                // SAFETY: as above: shared read access to the slot.
                if let Some(waker) = unsafe { &*waker } {
                    waker.wake_by_ref();
                }
            });
        }
    }));
    // The runner's reference, and the list's: reserved if the task was never bound, else the list's to give
    // back if shutdown did not unlink the task first.
    let refs = if snapshot.is_bound() {
        // SAFETY: a temporary handle that owns no reference (hence `ManuallyDrop`), to name the task.
        let this = ManuallyDrop::new(unsafe { Task::from_raw(ptr) });
        match cell.body.scheduler.release(&this) {
            Some(list_ref) => {
                mem::forget(list_ref);
                2
            }
            None => 1,
        }
    } else {
        2
    };
    if cell.header.state.transition_to_terminal(refs) {
        // SAFETY: those were the last references.
        unsafe { dealloc::<F, S>(ptr) };
    }
}

unsafe fn schedule<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the new `Runnable`'s reference keeps the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    // SAFETY: the caller counted a reference for this `Runnable`.
    let notified = unsafe { Runnable::from_raw(ptr) };
    cell.body.scheduler.schedule(notified, Placement::Next);
}

unsafe fn dealloc<F: Future, S>(ptr: NonNull<Header>) {
    /// Frees an over-aligned allocation when dropped: after the cell's drop, returned or unwound.
    struct Free(*mut u8, Layout);
    impl Drop for Free {
        fn drop(&mut self) {
            // SAFETY: `allocate` allocated this pointer with this layout, and the cell in it has been dropped.
            unsafe { alloc::dealloc(self.0, self.1) };
        }
    }
    let cell = ptr.cast::<TaskCell<F, S>>().as_ptr();
    if !TaskCell::<F, S>::OVERALIGNED {
        // SAFETY: the reference count is zero: nobody else can reach the cell, which `allocate` boxed.
        drop(unsafe { Box::from_raw(cell) });
        return;
    }
    let _free = Free(cell.cast(), TaskCell::<F, S>::LAYOUT);
    // SAFETY: the reference count is zero: nobody else can reach the cell, which `allocate` initialized and
    // which is dropped exactly once, here.
    unsafe { ptr::drop_in_place(cell) };
}

unsafe fn read_output<F: Future, S: Schedule>(ptr: NonNull<Header>, dst: *mut ()) {
    // SAFETY: the `JoinHandle`'s reference keeps the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    // SAFETY: complete with join interest (the caller's contract): the output belongs to the `JoinHandle`,
    // our caller, which passes a `*mut Result<F::Output, JoinError>`.
    unsafe { dst.cast::<Result<F::Output, JoinError>>().write(cell.body.take_output()) };
}

/// For the `JoinHandle` of a task that was not complete at `snapshot`: leaves `waker` in the join waker slot
/// and returns `false`, or returns `true` if the task completed meanwhile.
pub(crate) fn register_join_waker(header: &Header, snapshot: Snapshot, waker: &Waker) -> bool {
    debug_assert!(!snapshot.is_complete());
    if snapshot.is_join_waker_set() {
        // SAFETY: `JOIN_WAKER` is set, so the slot holds a waker and nobody writes it.
        let same =
            header.join_waker.with(|slot| unsafe { &*slot }.as_ref().is_some_and(|w| w.will_wake(waker)));
        if same {
            return false;
        }
        // Take the slot back to replace the waker.
        if header.state.unset_join_waker().is_err() {
            return true;
        }
    }
    // `JOIN_WAKER` is clear: the slot is ours.
    // SAFETY: exclusive access while `JOIN_WAKER` is clear (only the `JoinHandle`, our caller, sets it).
    header.join_waker.with_mut(|slot| unsafe { *slot = Some(waker.clone()) });
    match header.state.set_join_waker() {
        Ok(()) => false,
        Err(snapshot) => {
            debug_assert!(snapshot.is_complete());
            // SAFETY: the transition failed, so `JOIN_WAKER` is still clear and the slot still ours.
            header.join_waker.with_mut(|slot| unsafe { *slot = None });
            true
        }
    }
}

unsafe fn drop_join_handle<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the `JoinHandle`'s reference keeps the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    // Complete (the common case once joined): no CAS needed, the output is ours and join interest no longer
    // read by anyone.
    if cell.header.state.load().is_complete() || cell.header.state.unset_join_interested().is_err() {
        // Complete with join interest: the output is ours to drop (a panic in its drop is swallowed, as the
        // handle is being dropped).
        // SAFETY: see `complete`: the output belongs to the `JoinHandle`.
        let _ = unsafe { drop_stage(&cell.body) };
    } else {
        // Join interest and `JOIN_WAKER` were cleared together: the slot is ours; free the waker early.
        // SAFETY: exclusive access while `JOIN_WAKER` is clear.
        let waker = cell.header.join_waker.with_mut(|slot| unsafe { (*slot).take() });
        drop(waker);
    }
    // SAFETY: the `JoinHandle`'s reference.
    unsafe { drop_reference::<F, S>(ptr) };
}

unsafe fn shutdown<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the caller's reference keeps the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    if cell.header.state.transition_to_shutdown() {
        // SAFETY: the transition made us the runner; our reference is consumed by the completion.
        unsafe { cancel_and_complete::<F, S>(ptr, || cell.body.scheduler.completed()) };
    } else {
        // Running elsewhere (its poller cancels it) or already complete.
        // SAFETY: the caller's reference.
        unsafe { drop_reference::<F, S>(ptr) };
    }
}

/// # Safety
/// The caller owns one reference to a live task and gives it up.
unsafe fn drop_reference<F: Future, S>(ptr: NonNull<Header>) {
    // SAFETY: the caller's reference keeps the cell alive until the decrement.
    if unsafe { ptr.as_ref() }.state.ref_dec() {
        // SAFETY: that was the last one.
        unsafe { dealloc::<F, S>(ptr) };
    }
}
