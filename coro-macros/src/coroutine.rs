//! Assembling the expansion of `#[coro::coroutine]`.
//!
//! ```text
//! fn f(mut a: A, (b, c): (B, C)) -> T { body }
//! ```
//! becomes
//! ```text
//! fn f(a: A, __coro_arg1: (B, C)) -> impl ::coro::Suspend<Output = T> {
//!     ::coro::__private::co::<T, _>(async move {
//!         use ::coro::__private::{ViaExact as _, ViaPlain as _, ViaSuspend as _, ViaTypedSuspend as _};
//!         let mut a = a;
//!         let (b, c) = __coro_arg1;
//!         body, with its suspension points inserted (`rewrite`)
//!     })
//! }
//! ```
//! Every argument is moved into the future, as `async fn` does, so nothing runs and nothing is dropped until
//! the coroutine is awaited or spawned. `co::<T, _>` gives the `async` block its output type, so `?` and
//! `return` infer against `T`; a return type written with `impl Trait` cannot be named there and is left to
//! inference. A trait method without a body only has its return type changed.
//!
//! The returned `impl Suspend` captures what an `async fn` with the same signature captures: every generic
//! parameter and every lifetime in scope, named or elided (`&T`, `&self`, `Formatter<'_>`, a lifetime hidden
//! in a path, `dyn Trait + '_`), in every edition. That is edition 2024's rule for `impl Trait` in return
//! position; the `impl` type is resolved at the macro's call site, which gives it this crate's edition
//! (2024) whatever the edition of the user's crate, where a 2018 or 2021 `impl Trait` would capture only the
//! lifetimes it names. `tests/editions/` compiles the test suite as 2018 and 2021 to hold this. The elided
//! lifetimes of the arguments are given names, and a bound that says nothing names every lifetime of the fn
//! (`+ Captures<(&'a (), ..)>`), so that borrow errors at the call site read as for an `async fn`
//! (`captures.rs`).

use crate::args::Args;
use crate::captures;
use crate::item::CoroutineFn;
use crate::rewrite::Rewriter;
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Block, FnArg, Pat, Path, ReturnType, Signature, Type, parse_quote, parse_quote_spanned};

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let Args { krate } = Args::parse(args)?;
    let CoroutineFn { attrs, vis, mut sig, body } = CoroutineFn::parse(item, "#[coro::coroutine]")?;
    let lifetimes = captures::name_lifetimes(&mut sig);
    let (returns, span): (Type, Span) = match &sig.output {
        ReturnType::Default => (parse_quote!(()), sig.ident.span()),
        ReturnType::Type(_, ty) => ((**ty).clone(), ty.span()),
    };
    // On the user's return type, so a caller's type error shows the future of `T` where `T` was written;
    // resolved at the macro's call site, so the `impl` type follows the capture rules of this crate's
    // edition (2024: every generic parameter and lifetime in scope, elided ones included, as an `async fn`
    // captures them) whatever the edition of the user's crate.
    let span = span.resolved_at(Span::call_site());
    let captures = (!lifetimes.is_empty())
        .then(|| quote_spanned!(span=> + #krate::__private::Captures<(#(&#lifetimes (),)*)>));
    sig.output = parse_quote_spanned!(span=> -> impl #krate::Suspend<Output = #returns> #captures);

    // In a trait impl, the bound is one the trait's declaration may not have: it says nothing (every type is
    // `Captures<..>`), so the lint that an impl promises more than its trait does not apply.
    let refines = captures.as_ref().map(|_| quote!(#[allow(refining_impl_trait)]));

    let Some(body) = body else {
        return Ok(quote!(#(#attrs)* #refines #vis #sig;));
    };
    let moves = move_arguments_in(&mut sig);
    let body = async_body(&krate, Some(&returns), &moves, body);
    Ok(quote! {
        #(#attrs)*
        #refines
        #vis #sig {
            #body
        }
    })
}

/// `co::<T, _>(async move { prelude; body })`, with the body's suspension points inserted.
///
/// `returns` is the declared output type `T`; without one, or when it mentions `impl Trait` (which an
/// `async` block's output cannot name), the output is left to inference.
pub(crate) fn async_body(
    krate: &Path,
    returns: Option<&Type>,
    prelude: &[TokenStream],
    mut body: Block,
) -> TokenStream {
    let returns = returns.filter(|ty| !mentions_impl_trait(ty.to_token_stream()));
    let mut rewriter = Rewriter::new(krate, returns);
    rewriter.rewrite_body(&mut body);
    let classification = rewriter.prelude();
    let output = returns.map_or_else(|| quote!(_), ToTokens::to_token_stream);
    let stmts = &body.stmts;
    quote! {
        #krate::__private::co::<#output, _>(async move {
            #classification
            #(#prelude)*
            #(#stmts)*
        })
    }
}

/// Rebinds every argument inside the `async` block, so all of them are owned by the future.
///
/// A plain `name: T` keeps its name (its `mut` moves to the rebinding); any other pattern is replaced by a
/// hidden name in the signature and destructured inside the block, where its bindings live.
fn move_arguments_in(sig: &mut Signature) -> Vec<TokenStream> {
    let mut moves = Vec::new();
    for (index, arg) in sig.inputs.iter_mut().enumerate() {
        let FnArg::Typed(arg) = arg else { continue };
        match &mut *arg.pat {
            Pat::Ident(binding) if binding.by_ref.is_none() && binding.subpat.is_none() => {
                let name = &binding.ident;
                let mutability = binding.mutability.take();
                moves.push(quote!(let #mutability #name = #name;));
            }
            pattern => {
                let hidden = format_ident!("__coro_arg{}", index, span = Span::mixed_site());
                let original = std::mem::replace(pattern, parse_quote!(#hidden));
                moves.push(match original {
                    // `_` would drop the argument at once; an `async fn` keeps it to the end.
                    Pat::Wild(_) => quote!(let #hidden = #hidden;),
                    original => quote!(let #original = #hidden;),
                });
            }
        }
    }
    moves
}

/// Whether a type mentions `impl Trait` anywhere, which an `async` block's output cannot name.
fn mentions_impl_trait(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Ident(ident) => ident == "impl",
        TokenTree::Group(group) => mentions_impl_trait(group.stream()),
        _ => false,
    })
}
