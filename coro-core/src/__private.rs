//! The machinery behind the macros' expansions. Not a public API: only the macros name it.
//!
//! This module classifies calls for `#[coro::coroutine]`; `select`, `join` and `operation` hold the
//! runtime side of `select!`, `join!` and `try_join!`.
//!
//! # How a call is classified
//!
//! The macro sees tokens, not types, so it cannot know whether `stream.read(&mut buf)` suspends. It wraps
//! every call in [`__auto_await!`](crate::__auto_await), and the type checker decides with *autoref
//! specialization*: method resolution on `&&probe` tries the receiver types `&&Probe<T>`, `&Probe<T>`,
//! `Probe<T>` in that order, and three traits implemented at the three levels give three answers:
//!
//! | receiver          | trait         | when                                      | answer       |
//! |-------------------|---------------|-------------------------------------------|--------------|
//! | `&&TProbe<T, T>`  | `ViaExact`    | the annotated type is the value's type    | [`PlainTag`] |
//! | `&Probe<T>`       | `ViaSuspend`  | `T: Suspend`                              | [`SuspendTag`] |
//! | `Probe<T>`        | `ViaPlain`    | always                                    | [`PlainTag`] |
//!
//! (`ViaExact` is only consulted where the user annotated the type: `let x: T = call()`, `return call()` and
//! the tail call, so that `let f: ReadFuture = s.read(..)` stores the future instead of awaiting it.)
//!
//! # Why the "guard" shape
//!
//! Both branches of the expansion must type-check whatever the answer, so the value goes through
//! `tag.split(value)`, which returns [`Either`]`<F, Never<F::Output>>` for a suspending value and
//! `Either<Never<T>, T>` for a plain one; the impossible side is the uninhabited [`Never`]. For a plain value
//! the `Left` arm still contains an `.await` of `Never<T>`, which would cost a yield point and its saved
//! locals; `PlainTag::guard()` returns `!`, so that arm is dead in MIR and the generator layout is exactly the
//! one of a hand-written `async fn`. The value is probed *by value*, never borrowed, so no borrow of it lives
//! across the await either. The `Left` arm binds the whole `Either` (`split @ Left(_)`) and takes the operation
//! out with `tag.operation(split)`: binding the variant's field instead would be a partial move, and for an
//! operation with drop glue the generator would then keep the `Either` temporary beside the awaited future
//! (one more copy of the operation in every coroutine's state). The size and `Send` tests in `tests/` hold
//! this in place.

#![allow(
    missing_debug_implementations,
    reason = "these types exist only inside the macro's expansion, where nothing prints them"
)]

use crate::Suspend;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

mod join;
mod operation;
mod rng;
mod select;

pub use crate::__auto_await as auto_await;
pub use join::{Fallible, JoinAll, output, poll_join, poll_try_join};
pub use operation::{Operation, poll, poll_enabled};
pub use select::Select;

/// The body of a `#[coro::coroutine]` fn: an `async` block made [`Suspend`].
#[must_use = "a coroutine does nothing unless it is called inside a coroutine, spawned, or driven by `block_on`"]
pub struct Co<F>(F);

impl<F: Future> Future for Co<F> {
    type Output = F::Output;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `Co` is a transparent wrapper that never moves its only field out of the pin: the field is
        // structurally pinned, and `Co` implements neither `Drop` nor `Unpin` by hand.
        unsafe { self.map_unchecked_mut(|co| &mut co.0) }.poll(cx)
    }
}

impl<F: Future> Suspend for Co<F> {}

impl<F> fmt::Debug for Co<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Coroutine { .. }")
    }
}

/// Wraps a coroutine's `async` body. `R` is the declared return type, so `?` and `return` inside the block
/// infer against it.
#[inline(always)]
pub fn co<R, F: Future<Output = R>>(body: F) -> Co<F> {
    Co(body)
}

/// A zero-sized stand-in for the type of a call's value.
pub struct Probe<T>(PhantomData<fn() -> T>);

/// A [`Probe`] that also carries the type the user wrote for the value (`E`).
pub struct TypedProbe<T, E>(PhantomData<fn() -> (T, E)>);

/// Returns the value untouched with its probe: taking the value by value keeps no borrow of it alive.
#[inline(always)]
pub fn probe<T>(value: T) -> (T, Probe<T>) {
    (value, Probe(PhantomData))
}

/// Like [`probe`], for a value whose expected type `E` the user annotated.
#[inline(always)]
pub fn typed_probe<E, T>(value: T) -> (T, TypedProbe<T, E>) {
    (value, TypedProbe(PhantomData))
}

/// Highest priority: the value already has the annotated type, so it is stored, not awaited.
pub trait ViaExact {
    #[inline(always)]
    fn __coro_kind(&self) -> PlainTag {
        PlainTag
    }
}
impl<T> ViaExact for &&TypedProbe<T, T> {}

/// Middle priority: the value is a suspending operation.
pub trait ViaSuspend {
    #[inline(always)]
    fn __coro_kind(&self) -> SuspendTag {
        SuspendTag
    }
}
impl<T: Suspend> ViaSuspend for &Probe<T> {}
impl<T: Suspend, E> ViaSuspend for &TypedProbe<T, E> {}

/// Lowest priority: any other value passes through.
pub trait ViaPlain {
    #[inline(always)]
    fn __coro_kind(&self) -> PlainTag {
        PlainTag
    }
}
impl<T> ViaPlain for Probe<T> {}
impl<T, E> ViaPlain for TypedProbe<T, E> {}

/// The two ways a value can flow out of [`SuspendTag::split`] or [`PlainTag::split`].
pub enum Either<L, R> {
    Left(L),
    Right(R),
}

/// An uninhabited future standing for the branch a value never takes.
///
/// The `Infallible` field is private, so user crates do not see the type as visibly uninhabited and get no
/// `unreachable_patterns` warning for the arm that names it.
pub struct Never<T>(Infallible, PhantomData<fn() -> T>);

impl<T> Future for Never<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<T> {
        match self.0 {}
    }
}

/// The answer for a value whose type is [`Suspend`]: it is awaited.
#[derive(Clone, Copy)]
pub struct SuspendTag;

impl SuspendTag {
    #[inline(always)]
    pub fn split<F: Suspend>(self, operation: F) -> Either<F, Never<F::Output>> {
        Either::Left(operation)
    }

    #[inline(always)]
    pub fn guard(self) {}

    /// Takes the operation out of the whole `split`: moving the whole value, rather than binding the
    /// variant's field, leaves nothing of it for the generator to keep across the `.await`. (No `Suspend`
    /// bound: `split` already checked it, and a second check would repeat its error.)
    #[inline(always)]
    pub fn operation<F, T>(self, split: Either<F, Never<T>>) -> F {
        match split {
            Either::Left(operation) => operation,
            Either::Right(never) => match never.0 {},
        }
    }

    #[inline(always)]
    pub fn plain<T>(self, never: Never<T>) -> T {
        match never.0 {}
    }
}

/// The answer for any other value: it passes through.
#[derive(Clone, Copy)]
pub struct PlainTag;

impl PlainTag {
    #[inline(always)]
    pub fn split<T>(self, value: T) -> Either<Never<T>, T> {
        Either::Right(value)
    }

    /// Diverges, which makes the `.await` of the `Left` arm dead code in MIR: a plain call costs no yield
    /// point and no saved locals.
    #[inline(always)]
    pub fn guard(self) -> ! {
        unreachable!("a plain value never takes the suspending branch")
    }

    /// Never reached (the `guard` before it diverges); it only makes the suspending arm type-check.
    #[inline(always)]
    pub fn operation<T>(self, split: Either<Never<T>, T>) -> Never<T> {
        match split {
            Either::Left(never) => never,
            Either::Right(_) => unreachable!("a plain value never takes the suspending branch"),
        }
    }

    #[inline(always)]
    pub fn plain<T>(self, value: T) -> T {
        value
    }
}

/// Awaits `$call` when its value is [`Suspend`], passes it through otherwise.
///
/// `__auto_await!(CALL)` probes the value's type alone; `__auto_await!(CALL; TYPE)` first checks whether the
/// value already is the annotated `TYPE` (then it is stored, not awaited).
///
/// The call is the scrutinee of a `match` with no block around it, so its temporaries live to the end of the
/// user's statement exactly as they do for `CALL.await`, and nothing else is kept alive.
#[doc(hidden)]
#[macro_export]
macro_rules! __auto_await {
    ($call:expr) => {
        $crate::__auto_await!(@classify $call; __probe; (&&__probe); $crate::__private::probe)
    };
    ($call:expr; $ty:ty) => {
        $crate::__auto_await!(@classify $call; __probe; (&&&__probe); $crate::__private::typed_probe::<$ty, _>)
    };
    // `$probe` is named by the caller arm because `$receiver` (one more `&` for a typed probe) refers to it.
    (@classify $call:expr; $probe:ident; $receiver:expr; $make_probe:expr) => {
        match $call {
            #[allow(unreachable_code)]
            __value => {
                #[allow(unused_imports)]
                use $crate::__private::{ViaExact as _, ViaPlain as _, ViaSuspend as _};
                let (__value, $probe) = $make_probe(__value);
                let __kind = $receiver.__coro_kind();
                match __kind.split(__value) {
                    #[allow(unreachable_code)]
                    __split @ $crate::__private::Either::Left(_) => {
                        __kind.guard();
                        __kind.operation(__split).await
                    }
                    $crate::__private::Either::Right(__value) => __kind.plain(__value),
                }
            }
        }
    };
}

/// Gives a `return` operand or a tail expression the declared return type, so it coerces exactly as in a
/// plain fn (`return Err(Box::new(e))` in a fn returning `Result<T, Box<dyn Error>>`): an `async` block alone
/// has no expected type for them.
#[doc(hidden)]
#[macro_export]
macro_rules! __returned {
    ($ty:ty; $value:expr) => {{
        #[allow(unreachable_code)]
        let __returned: $ty = $value;
        #[allow(unreachable_code)]
        __returned
    }};
}
pub use crate::__returned as returned;
