//! Networking for coro: the mio reactor, timers, and types that mirror `std::net`, whose methods suspend the
//! calling coroutine instead of blocking its thread.
//!
//! - [`Runtime`], [`Builder`], [`run`]: `coro_core`'s scheduler with the reactor and timers installed (what
//!   the `coro` facade exports, so `#[coro::main]` gets them).
//! - `reactor` (internal): one mio `Poll` per runtime, polled by whichever worker is idle; the
//!   `Registration` the socket types are built on. Its module header explains the design.
//! - [`time`]: `sleep`, `sleep_until`, `timeout` (and [`timeout!`]), `interval`.
//! - [`net`]: `TcpListener`, `TcpStream`, `UdpSocket`, `UnixListener`, `UnixStream`, `UnixDatagram`.
//! - [`fs`]: `std::fs` for coroutines: the file system calls and `File`, on the blocking pool.
//! - [`io`]: the coroutine `Read`/`Write`/`BufRead` traits, `BufReader`, `BufWriter`, `copy`, the standard
//!   streams, and `Async` for any other file descriptor.
//! - [`process`]: child processes (`Command`, `Child`) whose pipes and exit wait on the reactor.
//! - [`signal`]: `ctrl_c`, `Signal`.

#![warn(missing_docs)]

pub mod fs;
pub mod io;
pub mod net;
#[cfg(unix)]
pub mod process;
pub(crate) mod reactor;
mod runtime;
#[cfg(unix)]
pub mod signal;
pub mod time;

pub use runtime::{Builder, Runtime, run};
pub use time::{sleep, sleep_until};

/// Runs a coroutine call with a time limit: `timeout!(d, call())` is
/// [`time::timeout`]`(d, call())` awaited in place, giving `Result<T, Elapsed>`.
///
/// Inside a `#[coro::coroutine]` fn a macro's arguments are not rewritten, so `call()` reaches `timeout`
/// unawaited (as a plain `timeout(d, call())` would not: the call would be awaited first). The macro
/// expands to an `.await`, so it is used inside coroutines (and `async` blocks).
///
/// ```
/// use std::time::Duration;
///
/// async fn slow() -> u32 {
///     coro_net::sleep(Duration::from_secs(10)).await;
///     1
/// }
///
/// let rt = coro_net::Runtime::builder().workers(1).build().unwrap();
/// rt.block_on(async {
///     assert!(coro_net::timeout!(Duration::from_millis(5), slow()).is_err());
///     assert_eq!(coro_net::timeout!(Duration::from_secs(10), async { 2 }), Ok(2));
/// });
/// ```
#[macro_export]
macro_rules! timeout {
    ($duration:expr, $call:expr $(,)?) => {
        $crate::time::timeout($duration, $call).await
    };
}
