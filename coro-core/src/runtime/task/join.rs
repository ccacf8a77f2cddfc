//! `JoinHandle`, the `join()` operation, and `JoinError`.

use super::raw::{self, Header};
use crate::Suspend;
use crate::runtime::coop;
use std::any::Any;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, ready};

/// An owned permission to join a task: await its output, abort it, or ask whether it is finished.
///
/// The handle is a plain value (it is not [`Suspend`]); [`join`](JoinHandle::join) is the operation that
/// suspends. Dropping the handle detaches the task: it keeps running, and its output is dropped when it
/// completes.
///
/// ```
/// # use coro_core as coro;
/// coro::run(async {
///     let task = coro::spawn(async { 6 * 7 });
///     assert_eq!(task.join().await.unwrap(), 42); // in a coroutine: `task.join().unwrap()`
///
///     let stuck = coro::spawn(std::future::pending::<()>());
///     stuck.abort();
///     assert!(stuck.join().await.unwrap_err().is_cancelled());
/// });
/// ```
pub struct JoinHandle<T> {
    ptr: NonNull<Header>,
    _output: PhantomData<T>,
}

// SAFETY: the handle only touches the task through the atomic state word and the join protocol; the output
// crosses threads only if `T: Send`.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: the `&self` methods (`abort`, `is_finished`) are atomic operations on the state word.
unsafe impl<T: Send> Sync for JoinHandle<T> {}

impl<T> Unpin for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    /// # Safety
    /// `ptr` is a task whose output is `T`, and the caller transfers the join reference.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> JoinHandle<T> {
        JoinHandle { ptr, _output: PhantomData }
    }

    fn header(&self) -> &Header {
        // SAFETY: the handle's reference keeps the task alive.
        unsafe { self.ptr.as_ref() }
    }

    /// Waits for the task to finish and returns its output, or why it has none: it panicked, or it was
    /// cancelled (by [`abort`](JoinHandle::abort) or by the runtime shutting down).
    ///
    /// The returned operation is [`Suspend`]: inside a `#[coro::coroutine]` a plain `handle.join()`
    /// suspends.
    pub fn join(self) -> Join<T> {
        Join { handle: self }
    }

    /// Asks the task to stop. If it is idle it is cancelled the next time the scheduler gets to it; if it is
    /// running it is cancelled when its current poll returns. A finished task is unaffected.
    ///
    /// The future is always dropped by the runtime, on the worker that owns it (for `spawn_local` tasks, the
    /// thread that spawned it), never by the caller.
    pub fn abort(&self) {
        let header = self.header();
        if header.state.transition_to_notified_and_cancel() {
            // SAFETY: the transition counted a new reference for the `Runnable` the scheduler receives.
            unsafe { (header.vtable.schedule)(self.ptr) };
        }
    }

    /// Whether the task has finished: returned, panicked, or been cancelled. `join()` will not suspend.
    pub fn is_finished(&self) -> bool {
        self.header().state.load().is_complete()
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let header = self.header();
        // SAFETY: gives up the handle's reference exactly once.
        unsafe { (header.vtable.drop_join_handle)(self.ptr) };
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle").field("state", &self.header().state).finish()
    }
}

/// The operation returned by [`JoinHandle::join`].
#[must_use = "join does nothing unless awaited"]
pub struct Join<T> {
    handle: JoinHandle<T>,
}

impl<T> Join<T> {
    /// The handle being joined (to abort the task while waiting, for instance).
    pub fn handle(&self) -> &JoinHandle<T> {
        &self.handle
    }
}

impl<T> Future for Join<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut().handle.poll_join(cx)
    }
}

impl<T> JoinHandle<T> {
    /// Polls for the task's output (what [`Join`] does); after `Ready`, must not be called again. Takes
    /// `&mut self`: only the handle's owner touches the join waker slot.
    pub(crate) fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        let header = self.header();
        let snapshot = header.state.load();
        if !snapshot.is_complete() && !raw::register_join_waker(header, snapshot, cx.waker()) {
            // A pending operation spends no budget: only a completed join asks for it.
            return Poll::Pending;
        }
        ready!(coop::poll_proceed(cx)).made_progress();
        let mut out = MaybeUninit::<Result<T, JoinError>>::uninit();
        // SAFETY: the task is complete and the handle has join interest, so the output is ours to read; `out`
        // has the task's output type, as the vtable expects, and is initialized by the call (which panics
        // before writing if the output was already taken).
        unsafe {
            (header.vtable.read_output)(self.ptr, out.as_mut_ptr().cast());
            Poll::Ready(out.assume_init())
        }
    }
}

impl<T> Suspend for Join<T> {}

impl<T> fmt::Debug for Join<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Join").field("handle", &self.handle).finish()
    }
}

/// Why a task produced no output.
///
/// One pointer wide, so that a task's `Result<T, JoinError>` output takes no more room than its future: a
/// cancellation allocates nothing, a panic boxes its payload.
pub struct JoinError {
    /// `None`: cancelled.
    panic: Option<Panic>,
}

type Payload = Box<dyn Any + Send + 'static>;

/// A panic payload, boxed once more so that the error is one (non-null) pointer. The `Mutex` makes the error
/// `Sync`, as error types should be, although the payload is only `Send`; it is never contended.
///
/// Its drop is out of line and cold: every task's stage may hold a `Result<T, JoinError>`, and the inlined
/// drop of a payload would weigh on the drop glue of every task type (on the spawn path) for the rare panic.
struct Panic(ManuallyDrop<Box<Mutex<Payload>>>);

impl Panic {
    fn new(payload: Payload) -> Panic {
        Panic(ManuallyDrop::new(Box::new(Mutex::new(payload))))
    }

    fn into_payload(self) -> Payload {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so the box is taken out of it exactly once.
        let boxed = unsafe { ManuallyDrop::take(&mut this.0) };
        boxed.into_inner().unwrap_or_else(|e| e.into_inner())
    }

    fn lock(&self) -> MutexGuard<'_, Payload> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Panic {
    fn drop(&mut self) {
        #[cold]
        #[inline(never)]
        fn drop_box(boxed: Box<Mutex<Payload>>) {
            drop(boxed);
        }
        // SAFETY: `drop` runs once, and the field is not touched after it.
        drop_box(unsafe { ManuallyDrop::take(&mut self.0) });
    }
}

impl JoinError {
    pub(crate) fn cancelled() -> JoinError {
        JoinError { panic: None }
    }

    pub(crate) fn panic(payload: Payload) -> JoinError {
        JoinError { panic: Some(Panic::new(payload)) }
    }

    /// The task was cancelled: aborted, or dropped by the runtime's shutdown.
    pub fn is_cancelled(&self) -> bool {
        self.panic.is_none()
    }

    /// The task panicked.
    pub fn is_panic(&self) -> bool {
        self.panic.is_some()
    }

    /// The panic payload; panics if the task was cancelled. Resume it with `std::panic::resume_unwind`.
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic().expect("`JoinError::into_panic` on a cancelled task")
    }

    /// The panic payload, or the error itself if the task was cancelled.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.panic {
            Some(panic) => Ok(panic.into_payload()),
            None => Err(self),
        }
    }

    fn panic_message(&self) -> Option<String> {
        let payload = self.panic.as_ref()?.lock();
        if let Some(s) = payload.downcast_ref::<&'static str>() {
            Some((*s).to_owned())
        } else {
            payload.downcast_ref::<String>().cloned()
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.is_panic(), self.panic_message()) {
            (false, _) => f.write_str("task was cancelled"),
            (true, Some(msg)) => write!(f, "task panicked with message {msg:?}"),
            (true, None) => f.write_str("task panicked"),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.is_panic(), self.panic_message()) {
            (false, _) => f.write_str("JoinError::Cancelled"),
            (true, Some(msg)) => write!(f, "JoinError::Panic({msg:?})"),
            (true, None) => f.write_str("JoinError::Panic(..)"),
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for std::io::Error {
    fn from(err: JoinError) -> std::io::Error {
        std::io::Error::other(err.to_string())
    }
}
