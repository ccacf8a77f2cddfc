//! `spawn!` and `spawn_local!`: hand a coroutine to the scheduler.
//!
//! They are macros because their argument is a coroutine *value*: inside a coroutine body, macro arguments are
//! not rewritten, so `spawn!(serve(stream))` passes the coroutine `serve(stream)` instead of awaiting it.
//!
//! - `spawn!(call)` or `spawn!(future)` expands to `coro::spawn(call)`.
//! - `spawn!(move || { body })` spawns the closure's body as a coroutine: the body gets the same transform as
//!   a `#[coro::coroutine]` fn, and captures are moved into the task. `move || -> T { .. }` declares the
//!   output type, which `?` in the body needs, as in a fn.
//! - `spawn!(in set, task)` spawns into `set` instead, with any of the forms above: it expands to
//!   `(set).spawn(task)`, so `set` is anything with a `spawn(future)` method (a `coro::task::JoinSet`, a
//!   `coro::Handle`); the argument stays a coroutine value, as with the plain form.

use crate::coroutine::async_body;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, quote};
use syn::parse::ParseStream;
use syn::spanned::Spanned;
use syn::{Block, Error, Expr, ExprClosure, Path, ReturnType, Stmt, Token, parse_quote};

/// Expands `spawn!`-like macros; `function` is the runtime function that takes the future.
pub(crate) fn expand(function: &str, input: TokenStream) -> syn::Result<TokenStream> {
    let usage = format!(
        "`{function}!` takes one coroutine call, future or closure: `{function}!(serve(stream))` or \
         `{function}!(move || {{ .. }})`, optionally into a set: `{function}!(in set, serve(stream))`"
    );
    if input.is_empty() {
        return Err(Error::new(Span::call_site(), usage));
    }
    let (set, task) =
        syn::parse::Parser::parse2(parse_input, input).map_err(|err| Error::new(err.span(), &usage))?;
    let krate: Path = parse_quote!(::coro);
    let function = Ident::new(function, Span::call_site());
    let task = match task {
        Expr::Closure(closure) => closure_body(&krate, closure)?,
        task => task.into_token_stream(),
    };
    Ok(match set {
        Some(set) => quote!((#set).#function(#task)),
        None => quote!(#krate::#function(#task)),
    })
}

/// `[in set,] task`.
fn parse_input(input: ParseStream<'_>) -> syn::Result<(Option<Expr>, Expr)> {
    let set = if input.peek(Token![in]) {
        input.parse::<Token![in]>()?;
        let set = input.parse()?;
        input.parse::<Token![,]>()?;
        Some(set)
    } else {
        None
    };
    Ok((set, input.parse()?))
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
