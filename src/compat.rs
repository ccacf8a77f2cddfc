//! Futures that need tokio, awaited from coroutines (feature `compat`): [`tokio`](fn@tokio)`(future)`.
//!
//! Many client crates (reqwest, sqlx, tonic, redis's async API, hyper-util's client) are written for tokio:
//! their futures register sockets with tokio's reactor and timers with tokio's timer wheel, and spawn
//! with `tokio::spawn`, all of which panic outside a tokio runtime. [`tokio`](fn@tokio) wraps such a future so
//! that it runs inside one: a coroutine awaits it like any other operation.
//!
//! ```no_run
//! use http_body_util::{BodyExt, Empty};
//! use hyper_util::client::legacy::Client;
//! use hyper_util::rt::TokioExecutor;
//!
//! #[coro::main]
//! fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//!     let client = Client::builder(TokioExecutor::new()).build_http::<Empty<bytes::Bytes>>();
//!     let response = coro::compat::tokio(client.get("http://127.0.0.1:8080/json".parse()?))?; // suspends
//!     let body = coro::compat::tokio(response.into_body().collect())?.to_bytes();
//!     println!("{}", String::from_utf8_lossy(&body));
//!     Ok(())
//! }
//! ```
//!
//! # How, and what it costs
//!
//! As the async-compat crate does: one tokio runtime for the whole process (current-thread, with I/O and
//! timers), started on first use and never stopped, whose thread (`coro-compat-tokio`) does nothing but
//! drive tokio's reactor and timers and run what the futures `tokio::spawn`. The wrapped future itself
//! is polled where it is awaited, on a coro worker, with tokio's runtime entered around each poll (and
//! around its drop), so tokio's resources find their runtime.
//!
//! - **A thread hop per wake-up**: when the socket or timer a wrapped future waits for becomes ready,
//!   tokio's thread sees it and wakes the coroutine, which a coro worker then polls: one cross-thread wake
//!   (a few microseconds), where coro's own sockets are woken by the worker that polls the reactor.
//! - One extra thread and tokio's runtime in memory, from the first use on.
//! - What the futures `tokio::spawn` runs on tokio's single thread, not on coro's workers.
//!
//! So it is the bridge for crates that exist only for tokio; coro's own `net`, `time` and the
//! runtime-agnostic crates (those written against `futures-io`, hyper through `coro::hyper`) need none of it.

use std::fmt;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

/// Wraps `future`, which needs tokio's reactor, timers or `tokio::spawn`, into an operation a coroutine
/// awaits in place; see the [module docs](self) for how and what it costs.
///
/// The runtime is entered while the future is polled, not while it is made: a call that needs tokio as
/// soon as it is called (`tokio::time::sleep(d)`, `tokio::net::TcpStream::from_std(s)`) goes inside an
/// `async` block, `coro::compat::tokio(async { tokio::time::sleep(d).await })`, and so do calls that
/// themselves return futures made that way. An `async fn` runs nothing until polled, so
/// `coro::compat::tokio(client.get(uri))` is right as it is.
///
/// # Panics
///
/// On first use, if the background tokio runtime cannot be started (the system refuses a thread).
pub fn tokio<F: Future>(future: F) -> Compat<F> {
    Compat { future: ManuallyDrop::new(future) }
}

/// The operation returned by [`tokio`](fn@tokio): polls (and drops) the future inside the background tokio runtime.
#[must_use = "an operation does nothing unless awaited (call it from a coroutine)"]
pub struct Compat<F> {
    /// Dropped by hand, inside the runtime, in `Drop`.
    future: ManuallyDrop<F>,
}

impl<F: Future> Future for Compat<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let _inside = runtime().enter();
        // SAFETY: `future` is structurally pinned: it is never moved (not by `Drop`, which drops it in
        // place), and `Compat` is `Unpin` only when `F` is (the auto impl).
        let future = unsafe { self.map_unchecked_mut(|compat| &mut *compat.future) };
        future.poll(cx)
    }
}

impl<F: Future> coro_core::Suspend for Compat<F> {}

impl<F> Drop for Compat<F> {
    fn drop(&mut self) {
        // Inside the runtime: a tokio resource may need it to deregister.
        let _inside = runtime().enter();
        // SAFETY: the future is dropped once, here, and never used again.
        unsafe { ManuallyDrop::drop(&mut self.future) }
    }
}

impl<F> fmt::Debug for Compat<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compat").finish_non_exhaustive()
    }
}

/// The background runtime, started on first use: a current-thread runtime, and a thread that drives it.
fn runtime() -> &'static ::tokio::runtime::Runtime {
    static RUNTIME: OnceLock<::tokio::runtime::Runtime> = OnceLock::new();
    let mut started = false;
    let runtime = RUNTIME.get_or_init(|| {
        started = true;
        ::tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("starting the tokio runtime of coro::compat")
    });
    if started {
        std::thread::Builder::new()
            .name("coro-compat-tokio".into())
            .spawn(|| runtime.block_on(std::future::pending::<()>()))
            .expect("starting the thread of coro::compat's tokio runtime");
    }
    runtime
}
