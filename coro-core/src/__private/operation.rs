//! The operations of `select!`, `join!` and `try_join!`: suspending calls, or any future.
//!
//! # Design
//!
//! The expansions pin each operation as it is, and poll it through [`poll`], whose only bound is
//! [`Operation`]: a value that is not a future fails that one bound, on the user's operation, with a message
//! that names the macros. The output is a type parameter of the trait rather than an associated type, so a
//! failed bound leaves nothing to project and rustc reports that single error, with no follow-on ones about
//! the expansion.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// What `select!`, `join!` and `try_join!` race or run together, with output `T`: any future.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a suspending operation or a future",
    label = "`select!`, `join!` and `try_join!` take suspending calls or futures",
    note = "write the operation itself (`rx.recv()`, `task(x)`), not its result: the macro awaits it"
)]
pub trait Operation<T> {
    fn poll_operation(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T>;
}

impl<F: Future> Operation<F::Output> for F {
    #[inline(always)]
    fn poll_operation(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.poll(cx)
    }
}

/// Polls one operation of a `select!`, `join!` or `try_join!`.
#[inline(always)]
pub fn poll<T, F: Operation<T>>(operation: Pin<&mut F>, cx: &mut Context<'_>) -> Poll<T> {
    operation.poll_operation(cx)
}

/// Polls the operation of a `select!` branch with an `if` condition: a disabled one (`None`) is never ready.
#[inline(always)]
pub fn poll_enabled<T, F: Operation<T>>(operation: Pin<&mut Option<F>>, cx: &mut Context<'_>) -> Poll<T> {
    match operation.as_pin_mut() {
        Some(operation) => operation.poll_operation(cx),
        None => Poll::Pending,
    }
}
