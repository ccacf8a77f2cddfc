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
//! - networking under [`net`], files under [`fs`], [`io`] with the standard streams (`coro-net`), child
//!   processes under [`process`], Unix signals under [`signal`], and any other file descriptor through
//!   [`io::Async`].
//!
//! Behind cargo features, bridges to the async ecosystem: `hyper` (hyper 1.x's I/O, executor and timer on
//! coro), `tls` (rustls: `tls::TlsAcceptor`, `tls::TlsConnector`) and `compat` (`compat::tokio(future)` for
//! futures that need tokio); the README's "Using crates from the async ecosystem" shows each.

#![warn(missing_docs)]

#[doc(inline)]
pub use coro_core::*;

// The runtime users get is `coro_net`'s: `coro_core`'s scheduler with the reactor and timers installed. These
// names shadow the glob's `coro_core::{Builder, Runtime, run}`, so each appears once, with the reactor.
#[doc(inline)]
pub use coro_net::{Builder, Runtime, run};

// Time: `sleep`, `sleep_until`, `time::timeout` (and `timeout!` for coroutine calls), `time::interval`.
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
/// with explicit `.await`s, and is `Send` exactly when that one is. It captures what that `async fn` captures
/// (every generic parameter and lifetime of the signature, named or elided), in every edition from 2018 on.
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
///   formatting and assertion macros and `vec!`, which are rewritten like the body, and the branch bodies of
///   [`select!`] (its operations, like those of [`join!`], are raced, not awaited one by one).
/// - Never awaited, because their type comes from the context: `into`, `try_into`, `collect`, `sum`,
///   `product`, `parse`, the `unwrap`/`expect` family, `Default::default()`, `T::from(..)`-style
///   conversions, the std functions returning `!`, and tuple-struct and variant constructors.
/// - Never awaited, because std makes their result plain by convention: `len`, `is_empty`, `capacity`,
///   `clone`, `to_string`, `to_owned`, `to_vec`, `as_str`, `as_bytes`, `as_slice`, `as_ref`, `as_mut`,
///   `borrow`, `borrow_mut`, `iter`, `iter_mut`, `min`, `max`, `clamp`, `abs`, `pow`, `eq`, `ne`, `cmp`,
///   `partial_cmp`, `is_some`, `is_none`, `is_ok`, `is_err` and the `wrapping_`/`checked_`/`saturating_`/
///   `overflowing_` arithmetic. These are the most common calls, and a call that is not classified costs
///   nothing at compile time.
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
/// - A call to your own function returning `!` must be written `coro::nowait!(fatal())` (the error says so).
/// - A method of one of the plain-by-convention names above that does return an operation is not awaited:
///   write `coro::wait(x.len())`.
/// - Compile time grows with the number of classified calls in one coroutine (BENCHMARKS.md has the
///   figures): keep large synchronous stretches in plain helper functions.
/// - A borrow error at a coroutine's call site reads as for an `async fn`, except through a lifetime the
///   macro cannot see (one hidden in a path, `Ref<T>` for `Ref<'_, T>`, or the enclosing impl's): there rustc
///   may add a note that the callee "may capture more lifetimes than intended", with a `+ use<..>`
///   suggestion. It does not apply to a coroutine, which, like an `async fn`, holds its arguments until it
///   completes: end the borrow later, or pass an owned value.
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
/// - `spawn!(in set, call)` (either form above) spawns into `set`: it expands to `(set).spawn(call)`, for a
///   [`task::JoinSet`] or a [`Handle`], keeping the call unawaited as the plain form does.
///
/// The handle is a plain value: storing it never suspends, `handle.join()` does, and dropping it detaches the
/// task. Panics if called outside a runtime; the function form [`spawn()`](fn@spawn) takes any future.
pub use coro_macros::spawn;

/// Spawns a `!Send` coroutine pinned to the current worker thread; same forms as [`spawn!`].
pub use coro_macros::spawn_local;

/// Waits for the first of several operations to complete and runs its branch; the `select!` has the value
/// of that branch's body.
///
/// ```
/// use coro::sync::oneshot;
/// use std::time::Duration;
///
/// #[coro::coroutine]
/// fn reply_or_timeout(rx: oneshot::Receiver<u32>) -> Option<u32> {
///     coro::select! {
///         reply = rx.recv() => reply.ok(),
///         _ = coro::sleep(Duration::from_secs(10)) => None, // a timeout
///     }
/// }
///
/// #[coro::coroutine]
/// fn poll_reply(rx: oneshot::Receiver<u32>) -> Option<u32> {
///     coro::select! {
///         reply = rx.recv() => reply.ok(),
///         default => None, // nothing ready: do not wait
///     }
/// }
///
/// #[coro::main(workers = 1)]
/// fn main() {
///     let (tx, rx) = oneshot::channel();
///     tx.send(7).unwrap();
///     assert_eq!(reply_or_timeout(rx), Some(7));
///     let (_tx, rx) = oneshot::channel::<u32>();
///     assert_eq!(poll_reply(rx), None);
/// }
/// ```
///
/// - A branch is `pattern = operation => body`. The operation is any suspending call (`rx.recv()`,
///   `handle.join()`, `coro::sleep(d)`, a coroutine call) or future; every operation is evaluated once, in
///   order, before any is polled. The pattern binds the operation's output and must be irrefutable (`msg`,
///   `_`, `(a, b)`); match on the value in the body for anything else.
/// - `pattern = operation, if condition => body` takes part only when `condition` holds (evaluated with the
///   operations, in order): a disabled branch's operation is not even evaluated, and it never wins, like a
///   nil channel in Go's `select`. With every branch disabled and no `default`, the `select!` panics, since
///   it could never complete.
/// - `default => body`, optional, is taken when no operation is ready on the first poll, so the `select!`
///   never waits. (If the task has spent its cooperative budget, coro's operations cannot complete: the
///   `select!` yields once and decides with a fresh budget.)
/// - When several operations are ready, the winner is chosen uniformly at random among them (each poll
///   tries the branches in a freshly shuffled order), so no branch of a `select!` loop starves. The winner
///   completes; the others are dropped before the body runs, and a losing operation does nothing beyond
///   what dropping it implies.
/// - The body runs after the race, in the enclosing coroutine: `?`, `return`, `break`, `continue` and
///   suspending calls in it act as they do around the `select!`. Inside a `#[coro::coroutine]` the bodies
///   are rewritten like the rest of the fn; the operations are not awaited (what their arguments contain is
///   rewritten as in any call).
///
/// The operations are pinned in the coroutine's own state: nothing is allocated. `select!` expands to an
/// `.await`, so it is used in coroutines and `async` code.
///
/// # Limits
///
/// - The expansion names the crate `::coro`, like [`spawn!`]: a crate that renames the dependency cannot use
///   these macros.
/// - `#[coro::coroutine]` recognizes `select!`, `join!` and `try_join!` by the last segment of their path,
///   so another crate's macro of one of these names is read the same way inside a coroutine (when its input
///   parses as these macros' input; otherwise it is left alone, like any macro).
pub use coro_macros::select;

/// Runs several operations concurrently on the current task and returns all their outputs, in order.
///
/// ```
/// #[coro::coroutine]
/// fn double(x: u32) -> u32 {
///     coro::yield_now();
///     x * 2
/// }
///
/// #[coro::coroutine]
/// fn both() -> (u32, u32) {
///     coro::join!(double(1), double(2)) // both run at once, on this task
/// }
///
/// assert_eq!(coro::block_on(both()), (2, 4));
/// ```
///
/// The operations (suspending calls or futures, as in [`select!`]) are evaluated once, in order, then polled
/// together until all complete; they are pinned in the coroutine's own state, so nothing is allocated. To run
/// work in parallel on other workers, spawn it ([`spawn!`]) and join the handles.
pub use coro_macros::join;

/// Like [`join!`], for operations that return `Result<_, E>` with the same `E`: returns `Ok` of all the
/// values, or the first error, as soon as it happens (the other operations are then dropped).
///
/// ```
/// #[coro::coroutine]
/// fn parse(s: &'static str) -> Result<u32, std::num::ParseIntError> {
///     coro::yield_now();
///     s.parse::<u32>()
/// }
///
/// #[coro::coroutine]
/// fn sum(a: &'static str, b: &'static str) -> Result<u32, std::num::ParseIntError> {
///     let (a, b) = coro::try_join!(parse(a), parse(b))?;
///     Ok(a + b)
/// }
///
/// assert_eq!(coro::block_on(sum("1", "2")), Ok(3));
/// assert!(coro::block_on(sum("1", "x")).is_err());
/// ```
pub use coro_macros::try_join;

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

/// ```
/// use coro::io::{Read, Write};
/// use coro::net::{TcpListener, TcpStream};
/// use std::io;
///
/// #[coro::coroutine]
/// fn echo_once(listener: TcpListener) -> io::Result<()> {
///     let (mut stream, _peer) = listener.accept()?; // suspends until a client connects
///     let mut buf = [0u8; 64];
///     let n = stream.read(&mut buf)?; // suspends until data arrives
///     stream.write_all(&buf[..n])
/// }
///
/// #[coro::main(workers = 2)]
/// fn main() -> io::Result<()> {
///     let listener = TcpListener::bind("127.0.0.1:0")?;
///     let addr = listener.local_addr()?;
///     let server = coro::spawn!(echo_once(listener));
///     let mut client = TcpStream::connect(addr)?;
///     client.write_all(b"ping")?;
///     let mut reply = [0u8; 4];
///     client.read_exact(&mut reply)?;
///     assert_eq!(&reply, b"ping");
///     server.join().unwrap()
/// }
/// ```
#[doc(inline)]
pub use coro_net::net;

/// `std::fs` for coroutines: the file system calls and [`fs::File`], on the blocking pool.
#[doc(inline)]
pub use coro_net::fs;

#[doc(inline)]
pub use coro_net::io;

/// Child processes and Unix signals, whose waits suspend.
#[cfg(unix)]
#[doc(inline)]
pub use coro_net::{process, signal};

#[cfg(feature = "hyper")]
pub mod hyper;

#[cfg(feature = "tls")]
pub mod tls;

#[cfg(feature = "compat")]
pub mod compat;

/// The README's examples, compiled and run as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
