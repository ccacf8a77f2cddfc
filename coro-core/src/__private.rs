//! The machinery behind the macros' expansions. Not a public API: only the macros name it.
//!
//! This module classifies calls for `#[coro::coroutine]`; `select`, `join` and `operation` hold the
//! runtime side of `select!`, `join!` and `try_join!`.
//!
//! # How a call is classified
//!
//! The macro sees tokens, not types, so it cannot know whether `stream.read(&mut buf)` suspends. It expands
//! every candidate call into a classification (the exact expansion is in `coro-macros/src/rewrite.rs`), and
//! the type checker decides with *autoref specialization*: [`probe`] pairs the value with a zero-sized
//! [`Probe`] of its type, and method resolution of `probe.__coro_kind()` tries the receiver by value, then
//! autoref'd, taking the first level where a trait applies:
//!
//! | receiver             | trait             | when                                   | answer         |
//! |----------------------|-------------------|----------------------------------------|----------------|
//! | `Probe<T>`           | `ViaSuspend`      | `T: Suspend`                           | [`SuspendTag`] |
//! | `&Probe<T>`          | `ViaPlain`        | always                                 | [`PlainTag`]   |
//!
//! Where the user annotated the type (`let x: T = call()`, `return call()` and the tail call), a
//! [`TypedProbe`] goes first through one more level, so that `let f: ReadFuture = s.read(..)` stores the
//! future instead of awaiting it; its method call is `(&&&probe).__coro_kind()`:
//!
//! | receiver               | trait             | when                                   | answer         |
//! |------------------------|-------------------|----------------------------------------|----------------|
//! | `&&&TypedProbe<T, T>`  | `ViaExact`        | the annotated type is the value's type | [`PlainTag`]   |
//! | `&&TypedProbe<T, E>`   | `ViaTypedSuspend` | `T: Suspend`                           | [`SuspendTag`] |
//! | `&TypedProbe<T, E>`    | `ViaPlain`        | always                                 | [`PlainTag`]   |
//!
//! (The untyped probe is taken by value rather than through `&&`: each borrow is one more borrow for the
//! borrow checker to track through the whole body, and most calls are untyped.)
//!
//! # Why the "guard" shape
//!
//! Both branches of the expansion must type-check whatever the answer, so the tag's methods give each
//! branch its type: `if tag.suspends() { tag.guard(); tag.operation(value).await } else { tag.value(value) }`.
//! For a suspending value, `operation` hands the `.await` the operation itself (in [`Awaited`]) and `value`
//! (never called) has the type of the awaited output; for a plain value, `value` returns the value and
//! `operation` (never called) an uninhabited [`Never`] future of its type. `suspends` is a constant of the
//! tag, which the optimizer folds: in a release build the suspending path is the operation moved into its
//! `.await`, as in a hand-written `async fn`, with no wrapper to build and unpack. For a plain value the
//! suspending branch still contains an `.await`, which would cost a yield point and its saved locals;
//! `PlainTag::guard()` returns `!`, so that branch is dead in MIR and the generator layout is exactly the
//! one of a hand-written `async fn`. The value is probed *by value*, never borrowed, and moved whole into one
//! of the two calls, so nothing of it, and no borrow of it, lives across the `.await`. The size and `Send`
//! tests in `tests/` hold this in place.
//!
//! # Why so few calls
//!
//! The expansion is type-checked and borrow-checked once per call in the body, and the borrow checker's
//! work grows with the body's blocks times its locals, so every call and local of the expansion counts
//! (BENCHMARKS.md, compile time). Two branches on a constant cost less than a `match` on an enum that
//! carries the value: no enum type per call, no pattern to check, no binding.
//!
//! Only `value` and the `.await` carry a bound, and both ask `T: Suspend` (the `.await` through
//! [`Awaited`]), so a failed classification (a value whose type is left to a diverging or unknown type)
//! reports `T: Suspend` at the user's call, with the note that names `nowait!`: the macro spans the whole
//! expansion there, and the compiler folds the repeats of that bound into one error. The `.await` is the
//! exception, which rustc does not fold in an incremental build, so [`Awaited`] of the two types a
//! diverging value falls back to is a future (see the impls).

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

/// Implemented for every type: `impl Suspend<..> + Captures<(&'a (),)>` says nothing more than
/// `impl Suspend<..>`, but names `'a` in a bound, which is what makes rustc explain a borrow that the
/// coroutine keeps as it does for an `async fn` (`coro-macros/src/captures.rs`).
pub trait Captures<T: ?Sized> {}

impl<T: ?Sized, U: ?Sized> Captures<U> for T {}

/// A zero-sized stand-in for the type of a call's value.
pub struct Probe<T>(PhantomData<fn() -> T>);

/// A [`Probe`] that also carries the type the user wrote for the value (`E`).
pub struct TypedProbe<T, E>(PhantomData<fn() -> (T, E)>);

/// Returns the value untouched with its probe. The value is moved, never borrowed: a borrowed local keeps
/// its storage until its scope ends, which would save the operation a second time across the `.await`.
#[inline(always)]
pub fn probe<T>(value: T) -> (T, Probe<T>) {
    (value, Probe(PhantomData))
}

/// Like [`probe`], for a value whose expected type `E` the user annotated.
#[inline(always)]
pub fn typed_probe<E, T>(value: T) -> (T, TypedProbe<T, E>) {
    (value, TypedProbe(PhantomData))
}

/// A call without an annotated type, first level (`probe`, by value): the value is a suspending operation.
pub trait ViaSuspend: Sized {
    #[inline(always)]
    fn __coro_kind(self) -> SuspendTag {
        SuspendTag
    }
}
impl<T: Suspend> ViaSuspend for Probe<T> {}

/// An annotated call, first level (`&&&probe`): the value already has the annotated type, so it is stored,
/// not awaited.
pub trait ViaExact {
    #[inline(always)]
    fn __coro_kind(&self) -> PlainTag {
        PlainTag
    }
}
impl<T> ViaExact for &&TypedProbe<T, T> {}

/// An annotated call, second level (`&&probe`): the value is a suspending operation.
pub trait ViaTypedSuspend {
    #[inline(always)]
    fn __coro_kind(&self) -> SuspendTag {
        SuspendTag
    }
}
impl<T: Suspend, E> ViaTypedSuspend for &TypedProbe<T, E> {}

/// The last level of either (`&probe`): any other value passes through.
pub trait ViaPlain {
    #[inline(always)]
    fn __coro_kind(&self) -> PlainTag {
        PlainTag
    }
}
impl<T> ViaPlain for Probe<T> {}
impl<T, E> ViaPlain for TypedProbe<T, E> {}

/// An uninhabited future standing for the operation of a plain value, on the branch it never takes.
///
/// The `Infallible` field is private, so user crates do not see the type as visibly uninhabited.
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
    /// Which branch the value takes: a constant, which the optimizer folds.
    #[inline(always)]
    pub fn suspends(self) -> bool {
        true
    }

    #[inline(always)]
    pub fn guard(self) {}

    /// The operation, as the `.await` sees it.
    #[inline(always)]
    pub fn operation<F>(self, operation: F) -> Awaited<F> {
        Awaited(operation)
    }

    /// Never called (`suspends` is true); it only gives the plain branch the type of the suspending one. Its
    /// bound is the suspending path's own: a value that is not `Suspend` fails here and at the `.await` with
    /// the same error at the same span, which the compiler reports once.
    #[inline(always)]
    pub fn value<F: Suspend>(self, _: F) -> F::Output {
        unreachable!("a suspending value always takes the suspending branch")
    }
}

/// The operation of a suspending call, as the `.await` sees it: a future exactly when the operation is
/// [`Suspend`], so that for a value that is not, the `.await` fails the same bound as `value` and the compiler
/// reports one error (an `.await` of the bare operation would add "is not a future").
pub struct Awaited<F>(F);

impl<F: Suspend> Future for Awaited<F> {
    type Output = F::Output;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `Awaited` is a transparent wrapper that never moves its only field out of the pin: the
        // field is structurally pinned, and `Awaited` implements neither `Drop` nor `Unpin` by hand.
        unsafe { self.map_unchecked_mut(|awaited| &mut awaited.0) }.poll(cx)
    }
}

/// The value of a call to a fn returning `!` cannot be classified: its type is left to inference, which
/// falls back to `()` (edition 2021 and before) or `!` (2024) after the classification took the suspending
/// path, whose bounds then fail at the user's call with the error that names `nowait!`. The `.await` of
/// that path must not fail a second time: rustc folds the repeats of an error at one span, but in an
/// incremental build (`cargo build`'s default) it does not recognize an `.await`'s span as the call's, so
/// these two futures, which no code can reach, keep the user's error single.
impl Future for Awaited<()> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        unreachable!("a value that is not `Suspend` never compiles on the suspending path")
    }
}

impl Future for Awaited<Diverging> {
    type Output = Diverging;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Diverging> {
        match self.0 {}
    }
}

/// The never type, `!`, which stable Rust names only as the output of a fn type.
pub type Diverging = <fn() -> ! as Returns>::Output;

/// The output of a fn type, for [`Diverging`].
pub trait Returns {
    type Output;
}

impl<T> Returns for fn() -> T {
    type Output = T;
}

/// The answer for any other value: it passes through.
#[derive(Clone, Copy)]
pub struct PlainTag;

impl PlainTag {
    /// Which branch the value takes: a constant, which the optimizer folds.
    #[inline(always)]
    pub fn suspends(self) -> bool {
        false
    }

    /// Diverges, which makes the `.await` after it dead code in MIR: a plain call costs no yield point and
    /// no saved locals.
    #[inline(always)]
    pub fn guard(self) -> ! {
        unreachable!("a plain value never takes the suspending branch")
    }

    /// Never reached (the `guard` before it diverges); it only makes the suspending branch type-check.
    #[inline(always)]
    pub fn operation<T>(self, _: T) -> Never<T> {
        unreachable!("a plain value never takes the suspending branch")
    }

    #[inline(always)]
    pub fn value<T>(self, value: T) -> T {
        value
    }
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
