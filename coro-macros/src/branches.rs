//! What `select!` and `join!` expand to alike: operations pinned in the coroutine's frame, polled by index.
//!
//! ```text
//! let mut __coro_op0 = ::core::pin::pin!(op0);      // in order, once each
//! let mut __coro_op1 = ::core::pin::pin!(op1);
//! ..
//! |__coro_branch, __coro_cx| match __coro_branch { 0 => poll0, 1 => poll1, _ => last }
//! ```
//! The closure is handed to `coro::__private::Select` or `JoinAll`, which decide when and in which order each
//! branch is polled; the runtime side is documented there. The last arm is `_`, so no index is unreachable.
//! Each `pollN` polls its operation through `coro::__private::poll` (or a function built on it) on the
//! operation's span: an operation that is not a future is reported there, once.
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
fn cx() -> Ident {
    Ident::new("__coro_cx", Span::mixed_site())
}

/// One `let` per operation pinning it, and the names of the pinned operations.
pub(crate) fn pin_operations<'a>(
    operations: impl IntoIterator<Item = &'a Expr>,
) -> (TokenStream, Vec<Ident>) {
    let mut lets = TokenStream::new();
    let mut names = Vec::new();
    for (index, operation) in operations.into_iter().enumerate() {
        let name = hidden("op", index);
        lets.extend(quote!(let mut #name = ::core::pin::pin!(#operation);));
        names.push(name);
    }
    (lets, names)
}

/// `::coro::__private::{function}(pinned.as_mut(), ..)` on the operation's span, so that an operation that
/// is not a future is reported on it. `args` follow the pinned operation; the last one is the `Context`.
pub(crate) fn poll_call(function: &str, operation: &Expr, pinned: &Ident, args: TokenStream) -> TokenStream {
    // Hidden names' hygiene, the operation's location: rustc reports an unmet bound on the argument, and an
    // expression whose tokens mixed two hygiene contexts would be shown on the whole macro call instead.
    let span = Span::mixed_site().located_at(operation.span());
    let private = private(span);
    let function = Ident::new(function, span);
    let pinned = Ident::new(&pinned.to_string(), span);
    let cx = cx();
    quote_spanned!(span=> #private::#function(#pinned.as_mut(), #args #cx))
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
