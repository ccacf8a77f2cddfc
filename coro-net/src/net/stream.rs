//! [`StreamSocket<T>`]: what every connected stream socket shares (the read/write operations, the timeouts,
//! `shutdown`, `into_split`), written once for both transports: [`TcpStream`](super::TcpStream) is
//! `StreamSocket<Tcp>` and [`UnixStream`](super::UnixStream) is `StreamSocket<Unix>`. What only one transport
//! has (`connect` by address or by path, `set_nodelay`, `pair`, ...) is in `tcp.rs` and `unix.rs`.
//!
//! Inside, [`IoStream<S>`] wraps one non-blocking mio stream registered with the runtime's
//! reactor. Its operations are optimistic: the system call is tried first, and only a `WouldBlock` makes the
//! operation wait for readiness (`Registration::poll_io`), so a socket with data waiting costs one `read(2)`
//! and no reactor round trip. Readiness is tracked per direction, so one task can read while another writes
//! (the halves of a split stream, [`ReadHalf`] and [`WriteHalf`], share one `IoStream` through an `Arc`).
//!
//! The operations are hand-written futures rather than coroutines: they are the innermost loop of every
//! server, and their state is exactly the borrowed buffer, the stream and an optional timer.

use super::op::io_op;
use super::timeout::{AtomicTimeout, WaitTimer};
use crate::reactor::{Direction, Registration};
use coro_core::Suspend;
use mio::Interest;
use mio::event::Source;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::Shutdown;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

/// A connected stream socket over transport `T`: [`TcpStream`](super::TcpStream) or
/// [`UnixStream`](super::UnixStream), with the methods and semantics of std's, except that what would
/// block suspends the calling coroutine.
///
/// ```
/// use coro_net::net::UnixStream;
///
/// #[coro_macros::coroutine(crate = ::coro_core)]
/// fn ping() -> std::io::Result<[u8; 4]> {
///     let (mut near, mut far) = UnixStream::pair()?; // or `TcpStream::connect(addr)?`
///     near.write_all(b"ping")?; // suspends while the socket's buffer is full
///     let mut got = [0u8; 4];
///     far.read_exact(&mut got)?; // suspends until 4 bytes have arrived
///     Ok(got)
/// }
///
/// let rt = coro_net::Runtime::builder().workers(1).build().unwrap();
/// assert_eq!(&rt.block_on(ping()).unwrap(), b"ping");
/// ```
pub struct StreamSocket<T: Transport> {
    stream: IoStream<T::Io>,
}

/// A stream transport: [`Tcp`](super::Tcp) or [`Unix`](super::Unix). Sealed.
pub trait Transport: sealed::Sealed {}

pub(crate) mod sealed {
    /// The mio stream type of a transport.
    pub trait Sealed {
        type Io: super::MioStream;
    }
}

impl<T: Transport> StreamSocket<T> {
    /// Registers `io` (already non-blocking and connected) with the current runtime's reactor.
    pub(crate) fn from_io(io: T::Io) -> io::Result<StreamSocket<T>> {
        Ok(StreamSocket { stream: IoStream::new(io)? })
    }

    /// Registers `io`, whose non-blocking connect has started, and waits until it has succeeded or failed.
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub(crate) fn connecting(io: T::Io) -> io::Result<StreamSocket<T>> {
        let socket = StreamSocket::from_io(io)?;
        std::future::poll_fn(|cx| socket.stream.poll_connected(cx)).await?;
        Ok(socket)
    }

    /// The mio stream, for the transport's own options.
    pub(crate) fn get_ref(&self) -> &T::Io {
        &self.stream.io
    }

    /// A non-blocking call on the socket, retried each time it is ready in `direction`.
    pub(crate) fn with<'a, R>(
        &'a self,
        direction: Direction,
        call: impl FnMut(&T::Io) -> io::Result<R> + 'a,
    ) -> impl Suspend<Output = io::Result<R>> + 'a {
        self.stream.with(direction, call)
    }

    /// Reads into `buf`: suspends until some data has arrived; `Ok(0)` at end of stream.
    pub fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        self.stream.read(buf)
    }

    /// Writes some of `buf`: suspends until the socket can take at least one byte.
    pub fn write<'a>(&'a mut self, buf: &'a [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        self.stream.write(buf)
    }

    /// Writes all of `buf`, suspending as often as the socket's buffer is full.
    pub fn write_all(&mut self, buf: &[u8]) -> impl Suspend<Output = io::Result<()>> {
        self.stream.write_all(buf)
    }

    /// Does nothing, as for std's streams: writes are not buffered here.
    pub fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Reads exactly `buf.len()` bytes (`UnexpectedEof` if the stream ends first), as std's.
    pub fn read_exact<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<()>> + 'a {
        crate::io::Read::read_exact(self, buf)
    }

    /// Reads to the end of the stream, appending to `buf`; returns how many bytes were read.
    pub fn read_to_end<'a>(
        &'a mut self,
        buf: &'a mut Vec<u8>,
    ) -> impl Suspend<Output = io::Result<usize>> + 'a {
        crate::io::Read::read_to_end(self, buf)
    }

    /// Reads to the end of the stream as UTF-8 (`InvalidData`, appending nothing, if it is not).
    pub fn read_to_string<'a>(
        &'a mut self,
        buf: &'a mut String,
    ) -> impl Suspend<Output = io::Result<usize>> + 'a {
        crate::io::Read::read_to_string(self, buf)
    }

    /// Makes every later read that has to wait longer than `timeout` fail with `TimedOut` (`None`: no
    /// timeout). A zero duration is an `InvalidInput` error, as in std.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.stream.read_timeout.set(timeout)
    }

    /// As [`set_read_timeout`](Self::set_read_timeout), for writes.
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.stream.write_timeout.set(timeout)
    }

    /// The read timeout set with [`set_read_timeout`](Self::set_read_timeout) (`None`: reads wait without
    /// limit).
    pub fn read_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.stream.read_timeout.get())
    }

    /// The write timeout set with [`set_write_timeout`](Self::set_write_timeout) (`None`: writes wait
    /// without limit).
    pub fn write_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.stream.write_timeout.get())
    }

    /// Shuts down the read side, the write side or both (`Shutdown::Write` sends end of file: a
    /// half-close).
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.stream.io.shutdown(how)
    }

    /// Takes the socket's pending error (`SO_ERROR`), clearing it.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.stream.io.take_error()
    }

    /// Splits the stream into a reading and a writing half that two coroutines can own and use at once.
    pub fn into_split(self) -> (ReadHalf<StreamSocket<T>>, WriteHalf<StreamSocket<T>>) {
        let stream = Arc::new(self);
        (ReadHalf { stream: stream.clone() }, WriteHalf { stream })
    }
}

/// `BufReader<TcpStream>`, `io::copy` and other generic code take the stream.
impl<T: Transport> crate::io::Read for StreamSocket<T> {
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        self.stream.read(buf)
    }
}

impl<T: Transport> crate::io::Write for StreamSocket<T> {
    fn write<'a>(&'a mut self, buf: &'a [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        self.stream.write(buf)
    }

    /// Does nothing: writes are not buffered at this level.
    fn flush(&mut self) -> impl Suspend<Output = io::Result<()>> {
        crate::io::now(|| Ok(()))
    }

    fn write_all(&mut self, buf: &[u8]) -> impl Suspend<Output = io::Result<()>> {
        self.stream.write_all(buf)
    }
}

/// For runtime-agnostic crates written against `futures_io`: reads go straight to the socket.
impl<T: Transport> futures_lite::io::AsyncRead for StreamSocket<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.stream.poll_read(cx, buf)
    }
}

/// Writes go straight to the socket; `poll_close` shuts down the write side (a half-close), as other
/// runtimes do.
impl<T: Transport> futures_lite::io::AsyncWrite for StreamSocket<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.stream.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.shutdown(Shutdown::Write))
    }
}

impl<T: Transport> fmt::Debug for StreamSocket<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.stream.io.fmt(f)
    }
}

/// The socket's descriptor, as std's streams lend theirs: for options and calls this type has no method
/// for. The socket stays registered with the reactor; reading or writing through the descriptor behind
/// the stream's back is the caller's business.
impl<T: Transport> std::os::fd::AsFd for StreamSocket<T>
where
    T::Io: std::os::fd::AsFd,
{
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.stream.io.as_fd()
    }
}

impl<T: Transport> std::os::fd::AsRawFd for StreamSocket<T>
where
    T::Io: std::os::fd::AsRawFd,
{
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.stream.io.as_raw_fd()
    }
}

/// A connected, registered, non-blocking stream socket.
struct IoStream<S: Source> {
    io: S,
    registration: Registration,
    read_timeout: AtomicTimeout,
    write_timeout: AtomicTimeout,
}

impl<S: MioStream> IoStream<S> {
    /// Registers `io` (already non-blocking) with the current runtime's reactor.
    fn new(mut io: S) -> io::Result<Self> {
        let registration = Registration::new(&mut io, Interest::READABLE | Interest::WRITABLE)?;
        Ok(IoStream {
            io,
            registration,
            read_timeout: AtomicTimeout::default(),
            write_timeout: AtomicTimeout::default(),
        })
    }

    /// `call` (a non-blocking system call on the socket), retried each time it is ready in `direction`.
    fn with<'a, R>(
        &'a self,
        direction: Direction,
        mut call: impl FnMut(&S) -> io::Result<R> + 'a,
    ) -> impl Suspend<Output = io::Result<R>> + 'a {
        io_op(&self.registration, direction, move || call(&self.io))
    }

    fn read<'a>(&'a self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        Transfer { stream: self, op: ReadOp(buf), timer: WaitTimer::default() }
    }

    fn write<'a>(&'a self, buf: &'a [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        Transfer { stream: self, op: WriteOp(buf), timer: WaitTimer::default() }
    }

    fn write_all(&self, buf: &[u8]) -> impl Suspend<Output = io::Result<()>> {
        Transfer { stream: self, op: WriteAllOp { buf, written: 0 }, timer: WaitTimer::default() }
    }

    /// Ready once a non-blocking connect has succeeded or failed (mio's protocol: wait until writable, then
    /// `take_error` and `peer_addr` tell which; `NotConnected` means it is still in progress).
    fn poll_connected(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
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
    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.poll_op(cx, &mut ReadOp(buf))
    }

    /// One write, for `futures_io::AsyncWrite`.
    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
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

/// A mio stream (`TcpStream`, `UnixStream`): the calls the stream code makes on it, through `&self`.
pub trait MioStream: Source + fmt::Debug {
    fn read(&self, buf: &mut [u8]) -> io::Result<usize>;
    fn write(&self, buf: &[u8]) -> io::Result<usize>;
    fn shutdown(&self, how: Shutdown) -> io::Result<()>;
    fn take_error(&self) -> io::Result<Option<io::Error>>;
    /// `Ok` once connected (its peer address is known), `NotConnected` while the connect is in progress.
    fn is_connected(&self) -> io::Result<()>;
}

impl MioStream for mio::net::TcpStream {
    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        io::Read::read(&mut { self }, buf)
    }

    fn write(&self, buf: &[u8]) -> io::Result<usize> {
        io::Write::write(&mut { self }, buf)
    }

    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        mio::net::TcpStream::shutdown(self, how)
    }

    fn take_error(&self) -> io::Result<Option<io::Error>> {
        mio::net::TcpStream::take_error(self)
    }

    fn is_connected(&self) -> io::Result<()> {
        self.peer_addr().map(drop)
    }
}

#[cfg(unix)]
impl MioStream for mio::net::UnixStream {
    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        io::Read::read(&mut { self }, buf)
    }

    fn write(&self, buf: &[u8]) -> io::Result<usize> {
        io::Write::write(&mut { self }, buf)
    }

    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        mio::net::UnixStream::shutdown(self, how)
    }

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

impl<S: MioStream> Op<S> for ReadOp<'_> {
    type Output = usize;
    const DIRECTION: Direction = Direction::Read;
    const NAME: &'static str = "read";

    fn attempt(&mut self, io: &S) -> io::Result<Step<usize>> {
        io.read(self.0).map(|n| Step::done(n, n, self.0.len()))
    }
}

struct WriteOp<'a>(&'a [u8]);

impl<S: MioStream> Op<S> for WriteOp<'_> {
    type Output = usize;
    const DIRECTION: Direction = Direction::Write;
    const NAME: &'static str = "write";

    fn attempt(&mut self, io: &S) -> io::Result<Step<usize>> {
        io.write(self.0).map(|n| Step::done(n, n, self.0.len()))
    }
}

struct WriteAllOp<'a> {
    buf: &'a [u8],
    written: usize,
}

impl<S: MioStream> Op<S> for WriteAllOp<'_> {
    type Output = ();
    const DIRECTION: Direction = Direction::Write;
    const NAME: &'static str = "write";

    fn attempt(&mut self, io: &S) -> io::Result<Step<()>> {
        let asked = self.buf.len() - self.written;
        let n = match asked {
            0 => 0,
            _ => match io.write(&self.buf[self.written..])? {
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
    stream: Arc<T>,
}

/// The writing half of a stream split by `into_split`. Dropping it does not shut the socket down; call
/// `shutdown(Shutdown::Write)` on it for that.
pub struct WriteHalf<T> {
    stream: Arc<T>,
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

impl<T: Transport> ReadHalf<StreamSocket<T>> {
    /// Reads into `buf`, like the stream's `read`.
    pub fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        self.stream.stream.read(buf)
    }
}

impl<T: Transport> WriteHalf<StreamSocket<T>> {
    /// Writes some of `buf`, like the stream's `write`.
    pub fn write<'a>(&'a mut self, buf: &'a [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        self.stream.stream.write(buf)
    }

    /// Writes all of `buf`, like the stream's `write_all`.
    pub fn write_all(&mut self, buf: &[u8]) -> impl Suspend<Output = io::Result<()>> {
        self.stream.stream.write_all(buf)
    }
}

impl<T: Transport> crate::io::Read for ReadHalf<StreamSocket<T>> {
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        ReadHalf::read(self, buf)
    }
}

impl<T: Transport> crate::io::Write for WriteHalf<StreamSocket<T>> {
    fn write<'a>(&'a mut self, buf: &'a [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        WriteHalf::write(self, buf)
    }

    /// Does nothing: writes are not buffered at this level.
    fn flush(&mut self) -> impl Suspend<Output = io::Result<()>> {
        crate::io::now(|| Ok(()))
    }

    fn write_all(&mut self, buf: &[u8]) -> impl Suspend<Output = io::Result<()>> {
        WriteHalf::write_all(self, buf)
    }
}

/// For runtime-agnostic crates written against `futures_io`, like the whole stream's.
impl<T: Transport> futures_lite::io::AsyncRead for ReadHalf<StreamSocket<T>> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.stream.stream.poll_read(cx, buf)
    }
}

/// Like the whole stream's: `poll_close` shuts down the write side.
impl<T: Transport> futures_lite::io::AsyncWrite for WriteHalf<StreamSocket<T>> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.stream.stream.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.stream.shutdown(Shutdown::Write))
    }
}
