//! The `Suspend` marker and the two escape hatches around it.
//!
//! Inside a `#[coro::coroutine]` body every call is classified by the type of its value: a value whose type
//! implements [`Suspend`] is awaited in place, any other value is left alone. Which types are `Suspend` is
//! therefore a library decision, and coro makes it with one rule: **handles are plain, operations suspend**.
//! A `JoinHandle` or a channel `Sender` is a plain value you can store; `handle.join()` or `tx.send(v)` is an
//! operation and suspends. Anything that takes a coroutine *as a value* (`spawn!`, `select!`, `timeout!`) is a
//! macro, because macro arguments are not rewritten.

use std::future::Future;
use std::pin::Pin;

/// A future that a `#[coro::coroutine]` body awaits implicitly.
///
/// Implement it for your own futures to make calls that return them suspend inside coroutines:
///
/// ```
/// use std::future::Future;
/// use std::pin::Pin;
/// use std::task::{Context, Poll};
///
/// struct Ready(u32);
/// impl Future for Ready {
///     type Output = u32;
///     fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u32> {
///         Poll::Ready(self.0)
///     }
/// }
/// impl coro_core::Suspend for Ready {}
/// ```
///
/// Every coroutine call is `Suspend`, and so is `Pin<Box<F>>` for a `Suspend` `F`, which is how a recursive
/// coroutine reads: `Box::pin(coro::nowait!(walk(n - 1)))` is a call whose value is `Suspend`, so it is
/// awaited.
///
/// Only operations should implement it, never handles: a type that is `Suspend` can never be stored by
/// calling the function that makes it, only through [`nowait!`](crate::nowait).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a suspending operation (`coro::Suspend`)",
    label = "expected a suspending operation here",
    note = "inside a `#[coro::coroutine]` fn a call is awaited when its own type is `Suspend`, which is decided before the code around it is type-checked",
    note = "a call that never returns (`-> !`) must be written `coro::nowait!(call())`",
    note = "a call whose type the context decides (`fn make<T>() -> T`) needs it named: `make::<T>()`, `.parse::<u32>()` or `let x: T = call();`",
    note = "a coroutine call inside a coroutine is already awaited: to pass the coroutine itself, use the macro form (`spawn!(f(x))`) or `coro::nowait!(f(x))`"
)]
pub trait Suspend: Future {}

impl<F: Suspend + ?Sized> Suspend for Pin<Box<F>> {}
impl<F: Suspend + Unpin + ?Sized> Suspend for &mut F {}

/// Awaits a stored [`Suspend`] value inside a coroutine.
///
/// `wait(f)` is a call whose value is `f` itself, so the coroutine transform awaits it:
///
/// ```ignore
/// let pending = coro::nowait!(fetch(url)); // stored, not awaited
/// prepare();
/// let body = coro::wait(pending)?;         // awaited here
/// ```
#[inline(always)]
pub fn wait<F: Suspend>(suspend: F) -> F {
    suspend
}

/// Evaluates a call inside a coroutine without awaiting it.
///
/// Macro arguments are never rewritten by `#[coro::coroutine]`, so the call inside stays a value: store a
/// coroutine to await it later with [`wait`], box it for recursion, or call a function that returns `!`.
#[macro_export]
macro_rules! nowait {
    ($call:expr) => {
        $call
    };
}
