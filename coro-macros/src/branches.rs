//! What `select!` and `join!` expand to alike: operations pinned in the coroutine's frame, polled by index.
//!
//! ```text
//! let mut __coro_op0 = ::core::pin::pin!(::coro::__private::operand(op0));   // in order, once each
//! let mut __coro_op1 = ::core::pin::pin!(::coro::__private::operand(op1));
//! ..
//! |__coro_branch, __coro_cx| match __coro_branch { 0 => poll0, 1 => poll1, _ => last }
//! ```
//! The closure is handed to `coro::__private::Select` or `Join`, which decide when and in which order each
//! branch is polled; the runtime side is documented there. The last arm is `_`, so no index is unreachable.
//!
//! Hidden names are `mixed_site`, so the user's operations and bodies can neither see nor shadow them. The
//! expansion names `::coro`: like `spawn!`, these macros are used through a `coro` dependency of that name.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Expr;
use syn::spanned::Spanned;

/// `::coro::__private` on `span`.
pub(crate) fn private(span: Span) -> TokenStream {
    quote_spanned!(span=> ::coro::__private)
}

/// A hidden name: `__coro_{name}{index}`.
pub(crate) fn hidden(name: &str, index: usize) -> Ident {
    format_ident!("__coro_{}{}", name, index, span = Span::mixed_site())
}

/// The `Context` parameter of the polling closure, for the per-branch poll expressions.
pub(crate) fn cx() -> Ident {
    Ident::new("__coro_cx", Span::mixed_site())
}

/// One `let` per operand pinning its future (the operand is checked on its own span, so an operand that is
/// not a future is reported there), and the names of the pinned futures.
pub(crate) fn pin_operands<'a>(operands: impl IntoIterator<Item = &'a Expr>) -> (TokenStream, Vec<Ident>) {
    let mut lets = TokenStream::new();
    let mut names = Vec::new();
    for (index, operand) in operands.into_iter().enumerate() {
        let name = hidden("op", index);
        let private = private(operand.span());
        let checked = quote_spanned!(operand.span()=> #private::operand(#operand));
        lets.extend(quote!(let mut #name = ::core::pin::pin!(#checked);));
        names.push(name);
    }
    (lets, names)
}

/// The closure that polls branch `i` with the `i`-th of `polls`, each an expression of type `Poll<_>` that
/// uses [`cx`].
pub(crate) fn poll_by_index(polls: &[TokenStream]) -> TokenStream {
    let cx = cx();
    let branch = Ident::new("__coro_branch", Span::mixed_site());
    let body = match polls.split_last() {
        Some((last, [])) => return quote!(|_: usize, #cx: &mut ::core::task::Context<'_>| #last),
        Some((last, rest)) => {
            let indices = 0..rest.len();
            quote!(match #branch { #(#indices => #rest,)* _ => #last })
        }
        None => unreachable!("the macros reject an empty list of operations before expanding"),
    };
    quote!(|#branch: usize, #cx: &mut ::core::task::Context<'_>| #body)
}
