//! Procedural macros of coro. Use them through the `coro` crate, never directly.
//!
//! `#[coro::coroutine]` turns a synchronous-looking `fn` into a stackless state machine: an `async` body in
//! which every call whose value is a suspending operation (its type implements `coro::Suspend`) is awaited
//! in place. The rule and its limits are documented on the re-export, `coro::coroutine`.
//!
//! Layout (private modules): `args` reads the attribute's arguments, `item` reads and checks the annotated
//! fn, `rewrite` inserts the suspension points into a body (and documents the rule, the skip lists and the
//! known limits), and `coroutine` assembles the expansion. `spawn` and `entry` build `spawn!` and
//! `#[coro::main]`/`#[coro::test]` on the same transform. `select` and `join` build `select!`, `join!` and
//! `try_join!` on the shape of `branches`.

#![warn(missing_docs)]

mod args;
mod branches;
mod captures;
mod coroutine;
mod entry;
mod item;
mod join;
mod rewrite;
mod select;
mod spawn;

use entry::Entry;

use proc_macro::TokenStream;

/// Turns a `fn` into a coroutine.
///
/// The rule for which calls suspend, the arguments and the limits are documented on its re-export,
/// `coro::coroutine`.
#[proc_macro_attribute]
pub fn coroutine(args: TokenStream, item: TokenStream) -> TokenStream {
    coroutine::expand(args.into(), item.into()).unwrap_or_else(syn::Error::into_compile_error).into()
}

/// Spawns a coroutine on the runtime: `spawn!(serve(stream))` or `spawn!(move || { .. })`.
///
/// Documented on its re-export, `coro::spawn!`.
#[proc_macro]
pub fn spawn(input: TokenStream) -> TokenStream {
    spawn::expand("spawn", input.into()).unwrap_or_else(syn::Error::into_compile_error).into()
}

/// Spawns a `!Send` coroutine on the current worker: `spawn_local!(serve(stream))`.
///
/// Documented on its re-export, `coro::spawn_local!`.
#[proc_macro]
pub fn spawn_local(input: TokenStream) -> TokenStream {
    spawn::expand("spawn_local", input.into()).unwrap_or_else(syn::Error::into_compile_error).into()
}

/// Waits for the first of several operations and runs its branch: `select! { v = op => body, .. }`.
///
/// Documented on its re-export, `coro::select!`.
#[proc_macro]
pub fn select(input: TokenStream) -> TokenStream {
    select::expand(input.into()).unwrap_or_else(syn::Error::into_compile_error).into()
}

/// Runs several operations concurrently on the current task: `join!(a(), b())`.
///
/// Documented on its re-export, `coro::join!`.
#[proc_macro]
pub fn join(input: TokenStream) -> TokenStream {
    join::expand(false, input.into()).unwrap_or_else(syn::Error::into_compile_error).into()
}

/// Like `join!` for operations returning `Result`s, stopping at the first error: `try_join!(a(), b())`.
///
/// Documented on its re-export, `coro::try_join!`.
#[proc_macro]
pub fn try_join(input: TokenStream) -> TokenStream {
    join::expand(true, input.into()).unwrap_or_else(syn::Error::into_compile_error).into()
}

/// Runs `fn main` as a coroutine on a fresh runtime: `#[coro::main]` or `#[coro::main(workers = N)]`.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(Entry::Main, args.into(), item.into()).into()
}

/// Runs a test as a coroutine on a runtime of its own: `#[coro::test]` or `#[coro::test(workers = N)]`.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(Entry::Test, args.into(), item.into()).into()
}
