//! Procedural macros of coro. Use them through the `coro` crate, never directly.
//!
//! `#[coro::coroutine]` turns a synchronous-looking `fn` into a stackless state machine: an `async` body in
//! which every call whose value is a suspending operation (its type implements `coro::Suspend`) is awaited
//! in place. The rule and its limits are documented on the re-export, `coro::coroutine`.
//!
//! Layout: [`args`] reads the attribute's arguments, [`item`] reads and checks the annotated fn,
//! [`rewrite`] inserts the suspension points into a body, and [`coroutine`] assembles the expansion.

mod args;
mod coroutine;
mod item;
mod rewrite;

use proc_macro::TokenStream;

/// Turns a `fn` into a coroutine.
///
/// The rule for which calls suspend, the arguments and the limits are documented on its re-export,
/// `coro::coroutine`.
#[proc_macro_attribute]
pub fn coroutine(args: TokenStream, item: TokenStream) -> TokenStream {
    coroutine::expand(args.into(), item.into()).unwrap_or_else(syn::Error::into_compile_error).into()
}
