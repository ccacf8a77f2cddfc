//! What every connected stream socket shares: the registration, the timeouts and the read/write operations.
//!
//! [`IoStream<S>`] wraps one non-blocking mio stream (`TcpStream`, `UnixStream`) registered with the runtime's
//! reactor. Its operations are optimistic: the system call is tried first, and only a `WouldBlock` makes the
//! operation wait for readiness (`Registration::poll_io`), so a socket with data waiting costs one `read(2)`
//! and no reactor round trip. Readiness is tracked per direction, so one task can read while another writes
//! (the halves of a split stream, [`ReadHalf`] and [`WriteHalf`], share one `IoStream` through an `Arc`).
//!
//! The operations are hand-written futures rather than coroutines: they are the innermost loop of every
//! server, and their state is exactly the borrowed buffer, the stream and an optional timer.

use super::timeout::{AtomicTimeout, WaitTimer};
use crate::reactor::{Direction, Registration};
use coro_core::Suspend;
use mio::Interest;
use mio::event::Source;
use std::fmt;
use std::future::Future;
use std::io::{self, Read as _, Write as _};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

/// A connected, registered, non-blocking stream socket.
pub(crate) struct IoStream<S: Source> {
    io: S,
    registration: Registration,
    pub(crate) read_timeout: AtomicTimeout,
    pub(crate) write_timeout: AtomicTimeout,
}

impl<S> IoStream<S>
where
    S: Source,
    for<'a> &'a S: io::Read + io::Write,
{
    /// Registers `io` (already non-blocking) with the current runtime's reactor.
    pub(crate) fn new(mut io: S) -> io::Result<Self> {
        let registration = Registration::new(&mut io, Interest::READABLE | Interest::WRITABLE)?;
        Ok(IoStream {
            io,
            registration,
            read_timeout: AtomicTimeout::default(),
            write_timeout: AtomicTimeout::default(),
        })
    }

    pub(crate) fn get_ref(&self) -> &S {
        &self.io
    }

    pub(crate) fn read<'a>(&'a self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        Transfer { stream: self, op: ReadOp(buf), timer: WaitTimer::default() }
    }

    pub(crate) fn write<'a>(&'a self, buf: &'a [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        Transfer { stream: self, op: WriteOp(buf), timer: WaitTimer::default() }
    }

    pub(crate) fn write_all(&self, buf: &[u8]) -> impl Suspend<Output = io::Result<()>> {
        Transfer { stream: self, op: WriteAllOp { buf, written: 0 }, timer: WaitTimer::default() }
    }

    /// Ready once a non-blocking connect has succeeded or failed (mio's protocol: wait until writable, then
    /// `take_error` and `peer_addr` tell which; `NotConnected` means it is still in progress).
    pub(crate) fn poll_connected(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>
    where
        S: Connecting,
    {
        loop {
            ready!(self.registration.poll_ready(cx, Direction::Write))?;
            if let Some(err) = self.io.take_error()? {
                return Poll::Ready(Err(err));
            }
            match self.io.is_connected() {
                Ok(()) => return Poll::Ready(Ok(())),
                Err(err) if err.kind() == io::ErrorKind::NotConnected => {
                    self.registration.clear_readiness(Direction::Write)
                }
                Err(err) => return Poll::Ready(Err(err)),
            }
        }
    }

    /// One read, for `futures_io::AsyncRead` (no timeout: a poll-based caller keeps no operation state).
    pub(crate) fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.poll_op(cx, &mut ReadOp(buf))
    }

    /// One write, for `futures_io::AsyncWrite`.
    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_op(cx, &mut WriteOp(buf))
    }
}

impl<S: Source> IoStream<S> {
    /// Attempts `op` until it completes, fails or must wait for readiness.
    fn poll_op<O: Op<S>>(&self, cx: &mut Context<'_>, op: &mut O) -> Poll<io::Result<O::Output>> {
        loop {
            let step = ready!(self.registration.poll_io(cx, O::DIRECTION, || op.attempt(&self.io)))?;
            if step.spent {
                self.registration.clear_readiness(O::DIRECTION);
            }
            if let Some(output) = step.output {
                return Poll::Ready(Ok(output));
            }
        }
    }
}

impl<S: Source> Drop for IoStream<S> {
    fn drop(&mut self) {
        // Nothing to do with an error here: the socket is being closed either way.
        let _ = self.registration.deregister(&mut self.io);
    }
}

impl<S: Source + fmt::Debug> fmt::Debug for IoStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.fmt(f)
    }
}

/// What a connecting stream tells about its connect.
pub(crate) trait Connecting {
    fn take_error(&self) -> io::Result<Option<io::Error>>;
    /// `Ok` once connected (its peer address is known), `NotConnected` while the connect is in progress.
    fn is_connected(&self) -> io::Result<()>;
}

impl Connecting for mio::net::TcpStream {
    fn take_error(&self) -> io::Result<Option<io::Error>> {
        mio::net::TcpStream::take_error(self)
    }

    fn is_connected(&self) -> io::Result<()> {
        self.peer_addr().map(drop)
    }
}

#[cfg(unix)]
impl Connecting for mio::net::UnixStream {
    fn take_error(&self) -> io::Result<Option<io::Error>> {
        mio::net::UnixStream::take_error(self)
    }

    fn is_connected(&self) -> io::Result<()> {
        self.peer_addr().map(drop)
    }
}

/// What an attempt at a transfer's system call achieved.
struct Step<T> {
    /// The transfer's result once it is complete; `None` after progress on part of it (a `write_all`).
    output: Option<T>,
    /// The call moved fewer bytes than asked, so the socket's buffer is spent in this direction.
    spent: bool,
}

impl<T> Step<T> {
    /// A call that moved `n` of the `asked` bytes, completing the transfer with `output`.
    fn done(output: T, n: usize, asked: usize) -> Step<T> {
        Step { output: Some(output), spent: is_short(n, asked) }
    }
}

/// `n` of `asked` bytes is a short transfer (zero is end of file, or an empty buffer: nothing proven).
fn is_short(n: usize, asked: usize) -> bool {
    0 < n && n < asked
}

/// A transfer: the system call to try, in which direction, and when it is done.
trait Op<S> {
    type Output;
    const DIRECTION: Direction;
    const NAME: &'static str;
    /// One non-blocking attempt; `WouldBlock` makes the transfer wait for readiness.
    fn attempt(&mut self, io: &S) -> io::Result<Step<Self::Output>>;
}

struct ReadOp<'a>(&'a mut [u8]);

impl<S> Op<S> for ReadOp<'_>
where
    for<'b> &'b S: io::Read,
{
    type Output = usize;
    const DIRECTION: Direction = Direction::Read;
    const NAME: &'static str = "read";

    fn attempt(&mut self, io: &S) -> io::Result<Step<usize>> {
        { io }.read(self.0).map(|n| Step::done(n, n, self.0.len()))
    }
}

struct WriteOp<'a>(&'a [u8]);

impl<S> Op<S> for WriteOp<'_>
where
    for<'b> &'b S: io::Write,
{
    type Output = usize;
    const DIRECTION: Direction = Direction::Write;
    const NAME: &'static str = "write";

    fn attempt(&mut self, io: &S) -> io::Result<Step<usize>> {
        { io }.write(self.0).map(|n| Step::done(n, n, self.0.len()))
    }
}

struct WriteAllOp<'a> {
    buf: &'a [u8],
    written: usize,
}

impl<S> Op<S> for WriteAllOp<'_>
where
    for<'b> &'b S: io::Write,
{
    type Output = ();
    const DIRECTION: Direction = Direction::Write;
    const NAME: &'static str = "write";

    fn attempt(&mut self, io: &S) -> io::Result<Step<()>> {
        let asked = self.buf.len() - self.written;
        let n = match asked {
            0 => 0,
            _ => match { io }.write(&self.buf[self.written..])? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => n,
            },
        };
        self.written += n;
        Ok(Step { output: (n == asked).then_some(()), spent: is_short(n, asked) })
    }
}

/// An operation on a stream under its direction's timeout.
struct Transfer<'a, S: Source, O> {
    stream: &'a IoStream<S>,
    op: O,
    timer: WaitTimer,
}

impl<S: Source, O: Op<S> + Unpin> Future for Transfer<'_, S, O> {
    type Output = io::Result<O::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let stream = this.stream;
        if let Poll::Ready(result) = stream.poll_op(cx, &mut this.op) {
            return Poll::Ready(result);
        }
        let timeout = match O::DIRECTION {
            Direction::Read => stream.read_timeout.get(),
            Direction::Write => stream.write_timeout.get(),
        };
        this.timer.poll_elapsed(cx, timeout, O::NAME).map(Err)
    }
}

impl<S: Source, O: Op<S> + Unpin> Suspend for Transfer<'_, S, O> {}

/// The reading half of a stream split by `into_split`: reads from one task while another writes.
pub struct ReadHalf<T> {
    pub(crate) stream: Arc<T>,
}

/// The writing half of a stream split by `into_split`. Dropping it does not shut the socket down; call
/// `shutdown(Shutdown::Write)` on it for that.
pub struct WriteHalf<T> {
    pub(crate) stream: Arc<T>,
}

/// Splits `stream` into halves that two coroutines can use at once.
pub(crate) fn split<T>(stream: T) -> (ReadHalf<T>, WriteHalf<T>) {
    let stream = Arc::new(stream);
    (ReadHalf { stream: stream.clone() }, WriteHalf { stream })
}

/// The halves were not split from the same stream.
#[derive(Debug)]
pub struct ReuniteError<T>(pub ReadHalf<T>, pub WriteHalf<T>);

impl<T> fmt::Display for ReuniteError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves that are not from the same stream")
    }
}

impl<T: fmt::Debug> std::error::Error for ReuniteError<T> {}

impl<T> ReadHalf<T> {
    /// Puts the stream back together; fails if `write` is not this half's other half.
    pub fn reunite(self, write: WriteHalf<T>) -> Result<T, ReuniteError<T>> {
        if !Arc::ptr_eq(&self.stream, &write.stream) {
            return Err(ReuniteError(self, write));
        }
        drop(write);
        Ok(Arc::into_inner(self.stream).expect("both halves were just given back"))
    }
}

/// The stream both halves share, for its plain methods (`peer_addr`, `set_read_timeout`, ...).
impl<T> AsRef<T> for ReadHalf<T> {
    fn as_ref(&self) -> &T {
        &self.stream
    }
}

/// The stream both halves share, for its plain methods (`shutdown`, `set_write_timeout`, ...).
impl<T> AsRef<T> for WriteHalf<T> {
    fn as_ref(&self) -> &T {
        &self.stream
    }
}

impl<T: fmt::Debug> fmt::Debug for ReadHalf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ReadHalf").field(&self.stream).finish()
    }
}

impl<T: fmt::Debug> fmt::Debug for WriteHalf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WriteHalf").field(&self.stream).finish()
    }
}

/// `futures_io::AsyncRead` and `AsyncWrite` for a splittable stream, so runtime-agnostic crates written
/// against those traits run on coro. Reads and writes go straight to the socket; `poll_close` shuts down the
/// write side (a half-close), as other runtimes do.
macro_rules! impl_futures_io {
    ($($stream:ty),* $(,)?) => {$(
        impl futures_lite::io::AsyncRead for $stream {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.stream.poll_read(cx, buf)
            }
        }

        impl futures_lite::io::AsyncWrite for $stream {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.stream.poll_write(cx, buf)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(self.shutdown(std::net::Shutdown::Write))
            }
        }
    )*};
}
pub(crate) use impl_futures_io;

/// A stream type's std-like operations (`read`, `write`, `write_all`, `flush`, the timeouts, `read_exact`,
/// `read_to_end`, `read_to_string`), the split halves' operations, and `coro::io::Read` and `Write` for a stream type (a struct whose
/// `stream` field is its [`IoStream`]) and for its halves, so generic code (`BufReader<TcpStream>`,
/// `io::copy`) takes sockets; plus std's `read_exact`, `read_to_end` and `read_to_string` as inherent methods. `flush` has nothing to
/// do: writes are not buffered at this level.
macro_rules! impl_coro_io {
    ($($stream:ty),* $(,)?) => {$(
        impl $crate::io::Read for $stream {
            fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl coro_core::Suspend<Output = std::io::Result<usize>> + 'a {
                self.stream.read(buf)
            }
        }

        impl $crate::io::Write for $stream {
            fn write<'a>(&'a mut self, buf: &'a [u8]) -> impl coro_core::Suspend<Output = std::io::Result<usize>> + 'a {
                self.stream.write(buf)
            }

            fn flush(&mut self) -> impl coro_core::Suspend<Output = std::io::Result<()>> {
                $crate::io::now(|| Ok(()))
            }

            fn write_all(&mut self, buf: &[u8]) -> impl coro_core::Suspend<Output = std::io::Result<()>> {
                self.stream.write_all(buf)
            }
        }

        impl $crate::net::ReadHalf<$stream> {
            /// Reads into `buf`, like the stream's `read`.
            pub fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl coro_core::Suspend<Output = std::io::Result<usize>> + 'a {
                self.stream.stream.read(buf)
            }
        }

        impl $crate::net::WriteHalf<$stream> {
            /// Writes some of `buf`, like the stream's `write`.
            pub fn write<'a>(&'a mut self, buf: &'a [u8]) -> impl coro_core::Suspend<Output = std::io::Result<usize>> + 'a {
                self.stream.stream.write(buf)
            }

            /// Writes all of `buf`, like the stream's `write_all`.
            pub fn write_all(&mut self, buf: &[u8]) -> impl coro_core::Suspend<Output = std::io::Result<()>> {
                self.stream.stream.write_all(buf)
            }
        }

        impl $crate::io::Read for $crate::net::ReadHalf<$stream> {
            fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl coro_core::Suspend<Output = std::io::Result<usize>> + 'a {
                self.stream.stream.read(buf)
            }
        }

        impl $crate::io::Write for $crate::net::WriteHalf<$stream> {
            fn write<'a>(&'a mut self, buf: &'a [u8]) -> impl coro_core::Suspend<Output = std::io::Result<usize>> + 'a {
                self.stream.stream.write(buf)
            }

            fn flush(&mut self) -> impl coro_core::Suspend<Output = std::io::Result<()>> {
                $crate::io::now(|| Ok(()))
            }

            fn write_all(&mut self, buf: &[u8]) -> impl coro_core::Suspend<Output = std::io::Result<()>> {
                self.stream.stream.write_all(buf)
            }
        }

        impl $stream {
            /// Reads into `buf`: suspends until some data has arrived; `Ok(0)` at end of stream.
            pub fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl coro_core::Suspend<Output = std::io::Result<usize>> + 'a {
                self.stream.read(buf)
            }

            /// Writes some of `buf`: suspends until the socket can take at least one byte.
            pub fn write<'a>(&'a mut self, buf: &'a [u8]) -> impl coro_core::Suspend<Output = std::io::Result<usize>> + 'a {
                self.stream.write(buf)
            }

            /// Writes all of `buf`, suspending as often as the socket's buffer is full.
            pub fn write_all(&mut self, buf: &[u8]) -> impl coro_core::Suspend<Output = std::io::Result<()>> {
                self.stream.write_all(buf)
            }

            /// Does nothing, as for std's streams: writes are not buffered here.
            pub fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }

            /// Makes every later read that has to wait longer than `timeout` fail with `TimedOut` (`None`:
            /// no timeout). A zero duration is an `InvalidInput` error, as in std.
            pub fn set_read_timeout(&self, timeout: Option<std::time::Duration>) -> std::io::Result<()> {
                self.stream.read_timeout.set(timeout)
            }

            /// As [`set_read_timeout`](Self::set_read_timeout), for writes.
            pub fn set_write_timeout(&self, timeout: Option<std::time::Duration>) -> std::io::Result<()> {
                self.stream.write_timeout.set(timeout)
            }

            /// The read timeout set with [`set_read_timeout`](Self::set_read_timeout) (`None`: reads wait
            /// without limit).
            pub fn read_timeout(&self) -> std::io::Result<Option<std::time::Duration>> {
                Ok(self.stream.read_timeout.get())
            }

            /// The write timeout set with [`set_write_timeout`](Self::set_write_timeout) (`None`: writes wait
            /// without limit).
            pub fn write_timeout(&self) -> std::io::Result<Option<std::time::Duration>> {
                Ok(self.stream.write_timeout.get())
            }

            /// Reads exactly `buf.len()` bytes (`UnexpectedEof` if the stream ends first), as std's.
            pub fn read_exact<'a>(&'a mut self, buf: &'a mut [u8]) -> impl coro_core::Suspend<Output = std::io::Result<()>> + 'a {
                $crate::io::Read::read_exact(self, buf)
            }

            /// Reads to the end of the stream, appending to `buf`; returns how many bytes were read.
            pub fn read_to_end<'a>(&'a mut self, buf: &'a mut Vec<u8>) -> impl coro_core::Suspend<Output = std::io::Result<usize>> + 'a {
                $crate::io::Read::read_to_end(self, buf)
            }

            /// Reads to the end of the stream as UTF-8 (`InvalidData`, appending nothing, if it is not).
            pub fn read_to_string<'a>(&'a mut self, buf: &'a mut String) -> impl coro_core::Suspend<Output = std::io::Result<usize>> + 'a {
                $crate::io::Read::read_to_string(self, buf)
            }
        }
    )*};
}
pub(crate) use impl_coro_io;
