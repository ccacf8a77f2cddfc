//! The concurrency behind `join!` and `try_join!`.
//!
//! # Design
//!
//! Like `select!`, `join!` pins its operations in the coroutine's own frame, next to one `Option` per
//! operation for its output, and awaits a [`JoinAll`] built on one closure that polls operation `i` by index:
//!
//! ```text
//! {
//!     let mut f0 = pin!(op0);
//!     let mut o0 = None;
//!     ..
//!     match JoinAll::<_, 2>::new(|i, cx| match i { 0 => poll_join(f0.as_mut(), &mut o0, cx), .. }).await {
//!         Ok(()) => (output(o0), output(o1)),
//!     }
//! }                                               // the operations are dropped here
//! ```
//!
//! [`poll_join`] and [`poll_try_join`] poll an operation until it completes, move its output into its slot
//! and answer `Ready(Ok(()))` from then on without polling it again. `try_join!`'s answer is `Ready(Err(e))`
//! for an operation that failed, and [`JoinAll`] returns that error at once: the block ends and drops the
//! other operations, finished or not. `join!` uses the same machinery with `Infallible` errors.
//!
//! Every poll of a [`JoinAll`] polls all the unfinished operations (they share the task's waker, so a wake
//! does not say which one is ready; a poll of a pending coro operation is cheap), starting one further each
//! time: an operation that always spends the task's coop budget cannot starve the ones after it.

use super::operation::{Operation, poll};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// Awaits `N` operations polled by index: `Ok(())` once every one answered `Ready(Ok(()))`, or the first
/// error one answered.
#[must_use = "a join does nothing unless awaited"]
pub struct JoinAll<P, const N: usize> {
    poll: P,
    /// The operation the next poll starts with.
    start: usize,
}

impl<P, const N: usize> JoinAll<P, N> {
    pub fn new<E>(poll: P) -> Self
    where
        P: FnMut(usize, &mut Context<'_>) -> Poll<Result<(), E>>,
    {
        JoinAll { poll, start: 0 }
    }
}

impl<P, E, const N: usize> Future for JoinAll<P, N>
where
    P: FnMut(usize, &mut Context<'_>) -> Poll<Result<(), E>> + Unpin,
{
    type Output = Result<(), E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), E>> {
        let this = self.get_mut();
        let mut pending = false;
        for k in 0..N {
            match (this.poll)((this.start + k) % N, cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => pending = true,
            }
        }
        this.start = (this.start + 1) % N;
        if pending { Poll::Pending } else { Poll::Ready(Ok(())) }
    }
}

/// Polls one operation of `join!` until it completes, keeping its output in `slot`.
#[inline]
pub fn poll_join<T, F: Operation<T>>(
    operation: Pin<&mut F>,
    slot: &mut Option<T>,
    cx: &mut Context<'_>,
) -> Poll<Result<(), Infallible>> {
    if slot.is_none() {
        *slot = Some(ready!(poll(operation, cx)));
    }
    Poll::Ready(Ok(()))
}

/// Polls one operation of `try_join!` until it completes, keeping its `Ok` value in `slot` and answering its
/// error.
#[inline]
pub fn poll_try_join<T, E, R: Fallible<T, E>, F: Operation<R>>(
    operation: Pin<&mut F>,
    slot: &mut Option<T>,
    cx: &mut Context<'_>,
) -> Poll<Result<(), E>> {
    if slot.is_none() {
        *slot = Some(ready!(poll(operation, cx)).into_result()?);
    }
    Poll::Ready(Ok(()))
}

/// The output of an operation of `try_join!`: a `Result<T, E>`. (`T` and `E` are parameters, not associated
/// types, for the reason given in `operation`: an output that is not a `Result` gets one error, on the
/// operation.)
#[diagnostic::on_unimplemented(
    message = "`try_join!` takes operations whose output is a `Result`, but this one's is `{Self}`",
    label = "its output is not a `Result`",
    note = "use `join!` for operations that cannot fail"
)]
pub trait Fallible<T, E> {
    fn into_result(self) -> Result<T, E>;
}

impl<T, E> Fallible<T, E> for Result<T, E> {
    #[inline(always)]
    fn into_result(self) -> Result<T, E> {
        self
    }
}

/// The output an operation left in its slot; `JoinAll` resolves `Ok` only once every slot is filled.
#[inline(always)]
pub fn output<T>(slot: Option<T>) -> T {
    slot.expect("`join!` reads an output only after its operation completed")
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::{block_on, yield_now};

    #[test]
    fn polls_every_operation_and_keeps_outputs() {
        let mut a = Box::pin(async {
            yield_now().await;
            1
        });
        let mut b = Box::pin(async { "b" });
        let (mut slot_a, mut slot_b) = (None, None);
        let result: Result<(), Infallible> = block_on(JoinAll::<_, 2>::new(|i, cx| match i {
            0 => poll_join(a.as_mut(), &mut slot_a, cx),
            _ => poll_join(b.as_mut(), &mut slot_b, cx),
        }));
        assert!(result.is_ok());
        assert_eq!((output(slot_a), output(slot_b)), (1, "b"));
    }

    #[test]
    fn try_join_returns_the_first_error() {
        let mut ok = Box::pin(async {
            yield_now().await;
            Ok::<u8, &str>(1)
        });
        let mut failing = Box::pin(async { Err::<u8, &str>("failed") });
        let (mut slot_ok, mut slot_failing) = (None, None);
        let result = block_on(JoinAll::<_, 2>::new(|i, cx| match i {
            0 => poll_try_join(ok.as_mut(), &mut slot_ok, cx),
            _ => poll_try_join(failing.as_mut(), &mut slot_failing, cx),
        }));
        assert_eq!(result, Err("failed"));
        assert_eq!(slot_ok, None, "the pending operation did not complete");
    }
}
