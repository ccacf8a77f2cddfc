//! # coro
//!
//! Write ordinary, synchronous-looking Rust; get the efficiency of stackless async.
//!
//! ```
//! use std::io;
//!
//! /// Stands in for a socket: every read suspends once before it completes.
//! struct Source(Vec<u8>);
//! impl Source {
//!     #[coro::coroutine]
//!     fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
//!         coro::yield_now(); // suspends the coroutine, never the thread
//!         let n = buf.len().min(self.0.len());
//!         buf[..n].copy_from_slice(&self.0[..n]);
//!         self.0.drain(..n);
//!         Ok(n)
//!     }
//! }
//!
//! #[coro::coroutine]
//! fn total(mut source: Source) -> io::Result<usize> {
//!     let mut buf = [0u8; 4];
//!     let mut total = 0;
//!     loop {
//!         let n = source.read(&mut buf)?; // a coroutine call: awaited in place
//!         if n == 0 {
//!             return Ok(total);
//!         }
//!         total += n;
//!     }
//! }
//!
//! assert_eq!(coro::block_on(total(Source(b"hello coro".to_vec()))).unwrap(), 10);
//! ```
//!
//! The crate re-exports the three parts of the runtime:
//! - [`coroutine`] and the other macros (`coro-macros`),
//! - the core: [`Suspend`], [`block_on`], [`wait`], [`nowait!`], [`yield_now`] (`coro-core`),
//! - networking under [`net`] (`coro-net`).

#[doc(inline)]
pub use coro_core::*;

/// The runtime with the reactor and timers installed (these shadow `coro_core`'s plain scheduler).
#[doc(inline)]
pub use coro_net::{Builder, Runtime, run};

/// Time: `sleep`, `sleep_until`, `time::timeout` (and [`timeout!`] for coroutine calls), `time::interval`.
#[doc(inline)]
pub use coro_net::{sleep, sleep_until, time, timeout};

/// Turns a synchronous-looking `fn` into a coroutine: a stackless state machine that suspends where its
/// operations would block.
///
/// ```
/// use std::io;
///
/// #[coro::coroutine]
/// fn countdown(from: u32) -> io::Result<u32> {
///     let mut ticks = 0;
///     for _ in 0..from {
///         coro::yield_now(); // a suspending operation: awaited in place
///         ticks += 1;
///     }
///     Ok(ticks)
/// }
///
/// #[coro::coroutine]
/// fn twice() -> io::Result<u32> {
///     let first = countdown(2)?; // a coroutine call suspends too
///     Ok(first + countdown(3)?)
/// }
///
/// assert_eq!(coro::block_on(twice()).unwrap(), 5);
/// ```
///
/// # What it becomes
///
/// `fn f(args) -> T { body }` becomes `fn f(args) -> impl coro::Suspend<Output = T>` whose body is an
/// `async move` block that owns every argument, exactly like an `async fn`: calling it runs nothing; the
/// coroutine runs when it is called from another coroutine, spawned, or driven by [`block_on`]. `return` and
/// the tail expression are checked against `T` with the usual coercions (`return Err(Box::new(e))` works in a
/// fn returning `Result<_, Box<dyn Error>>`). The future has exactly the size of the hand-written `async fn`
/// with explicit `.await`s, and is `Send` exactly when that one is.
///
/// It applies to free functions, methods (`self`, `&self`, `&mut self`), generic functions, and trait methods
/// with or without a default body. Write it with its path, `#[coro::coroutine]`: a bare `#[coroutine]`
/// collides with rustc's unstable built-in attribute of that name (E0659, E0658).
///
/// # Which calls suspend
///
/// Every function and method call is classified by the type of its value, at compile time: if the type
/// implements [`Suspend`], the call is awaited; otherwise its value passes through untouched.
///
/// - Handles are plain, operations suspend: storing a value never suspends, `handle.join()` does.
/// - Left as written: closures, `async` blocks, `const` contexts, nested items, and the operand of an
///   explicit `.await`, which is how futures from other crates are used (`reqwest::get(url).await`).
/// - Macro arguments are left as written, so `spawn!(f(x))` receives the coroutine, except those of the std
///   formatting and assertion macros and `vec!`, which are rewritten like the body.
/// - Never awaited, because their type comes from the context: `into`, `try_into`, `collect`, `sum`,
///   `product`, `parse`, the `unwrap`/`expect` family, `Default::default()`, `T::from(..)`-style
///   conversions, the std functions returning `!`, and tuple-struct and variant constructors.
/// - Where you wrote the type (`let x: T = call()`, `return call()`, the tail call), a call whose value
///   already has that type is stored, not awaited: `let op: ReadFuture = s.read(buf);` keeps the operation.
///
/// Two escape hatches: [`nowait!`]`(call())` keeps a call unawaited, and [`wait`]`(value)` awaits a stored
/// one. A recursive coroutine boxes its recursive call: `Box::pin(coro::nowait!(walk(n - 1)))` is a call
/// whose value is `Suspend`, so it is awaited.
///
/// # Arguments
///
/// `#[coro::coroutine(crate = path::to::coro)]` names the `coro` crate when it is reached under another path
/// (a re-export); the default is `::coro`.
///
/// # Limits
///
/// - A call whose type only the context decides (`takes_bar(make())`, or `let t = make();` with
///   `fn make<T: Default>() -> T`) fails with E0282/E0283: write `make::<Bar>()` or `let t: Bar = make();`.
/// - A call to your own function returning `!` must be written `coro::nowait!(fatal())`.
/// - Compile time grows with the number of calls in one coroutine (BENCHMARKS.md has the figures): keep
///   large synchronous stretches in plain helper functions.
pub use coro_macros::coroutine;

/// Spawns a coroutine on the current runtime and returns its [`JoinHandle`].
///
/// ```
/// #[coro::coroutine]
/// fn square(x: u64) -> u64 {
///     coro::yield_now();
///     x * x
/// }
///
/// #[coro::main(workers = 2)]
/// fn main() {
///     let by_call = coro::spawn!(square(3)); // a coroutine call: spawned, not awaited
///     let offset = 1;
///     let by_closure = coro::spawn!(move || square(4) + offset); // the closure body is a coroutine too
///     assert_eq!(by_call.join().unwrap() + by_closure.join().unwrap(), 9 + 17);
/// }
/// ```
///
/// - `spawn!(call)`: the coroutine (or any `Future + Send + 'static`) `call` becomes a task. Inside a
///   coroutine the argument of a macro is not rewritten, so the call is spawned instead of awaited.
/// - `spawn!(move || { body })`: the body gets the `#[coro::coroutine]` transform and runs as a task that
///   owns its captures. Write `move || -> T { .. }` when the body uses `?`, which needs the output type.
///
/// The handle is a plain value: storing it never suspends, `handle.join()` does, and dropping it detaches the
/// task. Panics if called outside a runtime; the function form [`spawn()`](fn@spawn) takes any future.
pub use coro_macros::spawn;

/// Spawns a `!Send` coroutine pinned to the current worker thread; same forms as [`spawn!`].
pub use coro_macros::spawn_local;

/// Runs `fn main` as a coroutine on a fresh runtime.
///
/// `#[coro::main]` uses the default worker count (the `CORO_WORKERS` environment variable, or the number of
/// CPUs); `#[coro::main(workers = N)]` sets it. The body is a coroutine: calls that suspend are awaited in
/// place. The runtime shuts down when `main` returns.
pub use coro_macros::main;

/// Runs a test as a coroutine on a runtime of its own; takes `workers = N` like [`main`](macro@main).
///
/// ```
/// #[coro::test(workers = 2)]
/// fn adds() {
///     let handle = coro::spawn!(move || 1 + 1);
///     assert_eq!(handle.join().unwrap(), 2);
/// }
/// ```
pub use coro_macros::test;

#[doc(inline)]
pub use coro_net::{io, net};

/// The README's examples, compiled and run as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
