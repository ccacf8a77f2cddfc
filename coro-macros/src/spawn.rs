//! `spawn!` and `spawn_local!`: hand a coroutine to the scheduler.
//!
//! They are macros because their argument is a coroutine *value*: inside a coroutine body, macro arguments are
//! not rewritten, so `spawn!(serve(stream))` passes the coroutine `serve(stream)` instead of awaiting it.
//!
//! - `spawn!(call)` or `spawn!(future)` expands to `coro::spawn(call)`.
//! - `spawn!(move || { body })` spawns the closure's body as a coroutine: the body gets the same transform as
//!   a `#[coro::coroutine]` fn, and captures are moved into the task. `move || -> T { .. }` declares the
//!   output type, which `?` in the body needs, as in a fn.

use crate::coroutine::async_body;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, quote};
use syn::spanned::Spanned;
use syn::{Block, Error, Expr, ExprClosure, Path, ReturnType, Stmt, parse_quote};

/// Expands `spawn!`-like macros; `function` is the runtime function that takes the future.
pub(crate) fn expand(function: &str, input: TokenStream) -> syn::Result<TokenStream> {
    let usage = format!(
        "`{function}!` takes one coroutine call, future or closure: `{function}!(serve(stream))` or \
         `{function}!(move || {{ .. }})`"
    );
    if input.is_empty() {
        return Err(Error::new(Span::call_site(), usage));
    }
    let task: Expr = syn::parse2(input).map_err(|err| Error::new(err.span(), &usage))?;
    let krate: Path = parse_quote!(::coro);
    let function = Ident::new(function, Span::call_site());
    let task = match task {
        Expr::Closure(closure) => closure_body(&krate, closure)?,
        task => task.into_token_stream(),
    };
    Ok(quote!(#krate::#function(#task)))
}

/// The coroutine a `move || { body }` closure stands for.
fn closure_body(krate: &Path, closure: ExprClosure) -> syn::Result<TokenStream> {
    if let Some(asyncness) = &closure.asyncness {
        return Err(Error::new(
            asyncness.span(),
            "spawn an `async` block as it is (`spawn!(async move { .. })`), or drop `async` to get a \
             coroutine closure whose suspension points are inserted for you (`spawn!(move || { .. })`)",
        ));
    }
    if let Some(input) = closure.inputs.first() {
        return Err(Error::new(input.span(), "a spawned closure takes no arguments: capture what it needs"));
    }
    let returns = match &closure.output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => Some(&**ty),
    };
    let body = match *closure.body {
        Expr::Block(block) if block.attrs.is_empty() && block.label.is_none() => block.block,
        body => Block { brace_token: Default::default(), stmts: vec![Stmt::Expr(body, None)] },
    };
    Ok(async_body(krate, returns, &[], body))
}
