//! hyper 1.x on coro (feature `hyper`): the three pieces of `hyper::rt` that a runtime provides.
//!
//! - [`Io`] wraps a coro stream (`TcpStream`, `UnixStream`, a split half, a `TlsStream`, anything that
//!   implements `futures_io::AsyncRead`/`AsyncWrite`) as hyper's [`Read`](hyper::rt::Read) and
//!   [`Write`](hyper::rt::Write), as hyper-util's `TokioIo` does for tokio's streams;
//! - [`Executor`] spawns hyper's background tasks (HTTP/2 streams, a client connection's driver) on the
//!   current coro runtime;
//! - [`Timer`] gives hyper coro's timers, for header-read timeouts and keep-alive.
//!
//! A server, one task per connection, in a coroutine (`http1` and `service_fn` come from hyper's `server`
//! and `http1` features, which your own dependency on hyper enables):
//!
//! ```no_run
//! use bytes::Bytes;
//! use http_body_util::Full;
//! use hyper::{Request, Response, body::Incoming, server::conn::http1, service::service_fn};
//! use std::convert::Infallible;
//!
//! async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
//!     Ok(Response::new(Full::new(Bytes::from_static(b"Hello, World!"))))
//! }
//!
//! #[coro::main]
//! fn main() -> std::io::Result<()> {
//!     let listener = coro::net::TcpListener::bind("127.0.0.1:8080")?;
//!     loop {
//!         let (stream, _) = listener.accept()?;
//!         coro::spawn(async move {
//!             let connection = http1::Builder::new()
//!                 .timer(coro::hyper::Timer)
//!                 .serve_connection(coro::hyper::Io::new(stream), service_fn(hello));
//!             if let Err(e) = connection.await {
//!                 eprintln!("connection: {e}");
//!             }
//!         });
//!     }
//! }
//! ```
//!
//! hyper's futures are awaited explicitly (`.await`), as every future of another crate is; a coroutine
//! spawns them with [`spawn`](crate::spawn()) or awaits them inside an `async` block.
//!
//! # Cost
//!
//! hyper reads into memory it has not initialized, and `futures_io::AsyncRead` takes initialized memory.
//! [`Io`] offers a read at most a window that adapts to what reads return: it doubles while reads fill it
//! (a large body soon reads in large chunks) and halves while they use less than a quarter of it. A read
//! of the smallest window (requests of a few hundred bytes) goes into a 1 KiB buffer of the `Io`'s own,
//! zeroed once, and what it returned is copied into hyper's buffer; a larger one goes straight into
//! hyper's buffer, the window zeroed first. So a small request costs a copy of its bytes, and a poll that
//! finds nothing to read costs nothing. BENCHMARKS.md compares the whole with hyper on tokio.

use futures_lite::io::{AsyncRead, AsyncWrite};
use hyper::rt::{ReadBufCursor, Sleep};
use std::fmt;
use std::future::Future;
use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

/// A coro stream as hyper's [`Read`](hyper::rt::Read) and [`Write`](hyper::rt::Write): give it to
/// `serve_connection` or `handshake`.
///
/// It takes any `futures_io` stream (`Unpin`), which every coro stream is; [`get_ref`](Io::get_ref),
/// [`get_mut`](Io::get_mut) and [`into_inner`](Io::into_inner) reach the stream again.
pub struct Io<T> {
    inner: T,
    /// The most bytes the next read is offered.
    window: usize,
    /// Where reads of the smallest window land: initialized once, so they need no `memset`.
    small: Box<[u8; MIN_WINDOW]>,
}

/// The smallest and the first read window.
const MIN_WINDOW: usize = 1024;

impl<T> Io<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> Self {
        Io { inner, window: MIN_WINDOW, small: Box::new([0; MIN_WINDOW]) }
    }

    /// The stream.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The stream, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// The stream, unwrapped.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: AsyncRead + Unpin> hyper::rt::Read for Io<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let offered = buf.remaining().min(this.window);
        let n = if this.window == MIN_WINDOW {
            let small = &mut this.small[..offered];
            let n = ready!(Pin::new(&mut this.inner).poll_read(cx, small))?;
            buf.put_slice(&small[..n]);
            n
        } else {
            // SAFETY: the slice is only written to (zeroed, then filled by the read), never read
            // uninitialized, and `advance` below marks as filled only the `n` bytes the read reported.
            let spare = unsafe { &mut buf.as_mut()[..offered] };
            let n = ready!(Pin::new(&mut this.inner).poll_read(cx, zeroed(spare)))?;
            // SAFETY: the read initialized (wrote) the first `n` bytes of the cursor's free space.
            unsafe { buf.advance(n) };
            n
        };
        if n == offered && offered == this.window {
            this.window *= 2;
        } else if n < this.window / 4 {
            this.window = (this.window / 2).max(MIN_WINDOW);
        }
        Poll::Ready(Ok(()))
    }
}

/// Zeroes `spare` and returns it as the initialized bytes it now is.
fn zeroed(spare: &mut [MaybeUninit<u8>]) -> &mut [u8] {
    spare.fill(MaybeUninit::new(0));
    // SAFETY: every element was just initialized, and `MaybeUninit<u8>` has the layout of `u8`.
    unsafe { &mut *(spare as *mut [MaybeUninit<u8>] as *mut [u8]) }
}

impl<T: AsyncWrite + Unpin> hyper::rt::Write for Io<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_close(cx)
    }
}

impl<T: fmt::Debug> fmt::Debug for Io<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Io").field("inner", &self.inner).finish_non_exhaustive()
    }
}

/// Spawns hyper's background futures on the current coro runtime: give it to builders that take an
/// executor (`hyper::server::conn::http2::Builder::new(coro::hyper::Executor)`).
///
/// # Panics
///
/// `execute` panics outside a coro runtime, as [`spawn`](crate::spawn()) does.
#[derive(Clone, Copy, Debug, Default)]
pub struct Executor;

impl<F> hyper::rt::Executor<F> for Executor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, future: F) {
        drop(crate::spawn(future)); // detached: hyper keeps no handle
    }
}

/// coro's timers for hyper (`http1::Builder::timer(coro::hyper::Timer)`), which needs one for
/// `header_read_timeout` and keep-alive timeouts.
///
/// Its sleeps are [`coro::time::Sleep`](crate::time::Sleep)s: they must be polled inside a coro runtime.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timer;

impl hyper::rt::Timer for Timer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        Box::pin(TimerSleep(crate::sleep(duration)))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(TimerSleep(crate::sleep_until(deadline)))
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn Sleep>>, deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<TimerSleep>() {
            Some(mut ours) => ours.0.reset(deadline),
            None => *sleep = self.sleep_until(deadline),
        }
    }
}

/// A coro sleep as hyper's `Sleep`.
struct TimerSleep(crate::time::Sleep);

impl Future for TimerSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.get_mut().0).poll(cx)
    }
}

impl Sleep for TimerSleep {}
