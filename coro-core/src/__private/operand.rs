//! The operands of `select!`, `join!` and `try_join!`: suspending calls, or any future.
//!
//! Each operand goes through [`operand`] before it is pinned, so a value that is not a future is reported on
//! the user's operand, with a message that names the macros, instead of deep inside the expansion.

use std::future::{Future, IntoFuture};

/// What `select!`, `join!` and `try_join!` race or run together: anything `.await` accepts.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a suspending operation or a future",
    label = "`select!`, `join!` and `try_join!` take suspending calls or futures here",
    note = "write the operation itself (`rx.recv()`, `task(x)`), not its result: the macro awaits it"
)]
pub trait Operand {
    type Future: Future;
    fn into_operand(self) -> Self::Future;
}

impl<F: IntoFuture> Operand for F {
    type Future = F::IntoFuture;

    #[inline(always)]
    fn into_operand(self) -> F::IntoFuture {
        self.into_future()
    }
}

/// Checks and converts one operand.
#[inline(always)]
pub fn operand<F: Operand>(operand: F) -> F::Future {
    operand.into_operand()
}
