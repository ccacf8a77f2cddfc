//! [`BufWriter`]: std's `BufWriter` for coroutine writers.
//!
//! A `Vec` with a fixed capacity, allocated once. A write that fits is a copy; one that does not first
//! writes the buffer out; one at least as big as the buffer then goes straight to the inner writer
//! (write-through), so data always reaches the writer in the order it was written.
//!
//! Writing the buffer out loops over the inner writer's `write`, and removes what was written once, at the
//! end, through a guard: a failed or cancelled flush leaves exactly the unwritten bytes buffered, so nothing
//! is written twice or lost. The one difference from std: **dropping a `BufWriter` does not flush it**,
//! because a destructor cannot suspend; `flush()` or `into_inner()` first.
//!
//! Over a `futures_io::AsyncWrite` it is also `AsyncWrite`, with the same buffer and the same rules.

use super::{DEFAULT_BUF_SIZE, Write, interrupted};
use futures_lite::io::AsyncWrite;
use std::error::Error;
use std::fmt;
use std::io::{self, ErrorKind};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// Adds a buffer to a writer: many small writes cost few writes of the inner writer.
///
/// The coroutine counterpart of [`std::io::BufWriter`]. Its [`Write`] operations suspend only when the
/// buffer must be written out. Call [`flush`](Write::flush) or [`into_inner`](Self::into_inner) when done:
/// **unlike std's, dropping it does not write out what is buffered** (a destructor cannot suspend).
///
/// ```
/// use coro_net::io::{self, BufWriter, Write};
///
/// #[coro_macros::coroutine(crate = ::coro_core)]
/// fn squares(out: impl Write) -> io::Result<()> {
///     let mut out = BufWriter::new(out);
///     for i in 1..=3 {
///         out.write_all(format!("{} ", i * i).as_bytes())?; // copies into the buffer: no suspension
///     }
///     let out = out.into_inner()?; // writes the buffer out, then returns the inner writer
///     drop(out);
///     Ok(())
/// }
///
/// let mut sink = Vec::new();
/// coro_core::block_on(squares(&mut sink)).unwrap();
/// assert_eq!(sink, b"1 4 9 ");
/// ```
pub struct BufWriter<W> {
    buf: Vec<u8>,
    inner: W,
}

impl<W> BufWriter<W> {
    /// A `BufWriter` with a buffer of 8 KiB, as std's.
    pub fn new(inner: W) -> BufWriter<W> {
        BufWriter::with_capacity(DEFAULT_BUF_SIZE, inner)
    }

    /// A `BufWriter` with a buffer of `capacity` bytes.
    pub fn with_capacity(capacity: usize, inner: W) -> BufWriter<W> {
        BufWriter { buf: Vec::with_capacity(capacity), inner }
    }

    /// The inner writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The inner writer, mutably: writing to it directly puts the bytes before those still buffered.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// The buffered bytes, not yet written to the inner writer.
    pub fn buffer(&self) -> &[u8] {
        &self.buf
    }

    /// The size of the buffer.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// The inner writer and the bytes still buffered, without writing them: never suspends.
    ///
    /// (std's returns the bytes in a `Result` for a writer that panicked; here a panicking write unwinds
    /// through the operation, which leaves the buffer as it was.)
    pub fn into_parts(self) -> (W, Vec<u8>) {
        (self.inner, self.buf)
    }

    /// How much room is left in the buffer.
    fn spare(&self) -> usize {
        self.buf.capacity() - self.buf.len()
    }
}

/// The error of a buffer write-out that the inner writer stopped taking.
fn write_zero() -> io::Error {
    io::Error::new(ErrorKind::WriteZero, "failed to write the buffered data")
}

impl<W: Write> BufWriter<W> {
    /// Writes the buffer out and returns the inner writer: a suspending operation.
    ///
    /// If writing fails, the error comes back with this `BufWriter`, whose buffer holds what was not written.
    /// `?` converts [`IntoInnerError`] into an `io::Error` (dropping the writer), as with std.
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn into_inner(mut self) -> Result<W, IntoInnerError<BufWriter<W>>> {
        match self.write_buffer() {
            Ok(()) => Ok(self.inner),
            Err(error) => Err(IntoInnerError { writer: self, error }),
        }
    }

    /// Writes the whole buffer to the inner writer (std's `flush_buf`).
    #[coro_macros::coroutine(crate = ::coro_core)]
    fn write_buffer(&mut self) -> io::Result<()> {
        let mut written = Written { buf: &mut self.buf, count: 0 };
        while written.count < written.buf.len() {
            match self.inner.write(&written.buf[written.count..]) {
                Ok(0) => return Err(write_zero()),
                Ok(n) => written.count += n,
                Err(e) if interrupted(&e) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// The bytes of a `BufWriter`'s buffer already written out: removed when the flush ends, however it ends.
struct Written<'a> {
    buf: &'a mut Vec<u8>,
    count: usize,
}

impl Drop for Written<'_> {
    fn drop(&mut self) {
        self.buf.drain(..self.count);
    }
}

impl<W: Write> Write for BufWriter<W> {
    #[coro_macros::coroutine(crate = ::coro_core)]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.len() > self.spare() {
            self.write_buffer()?;
        }
        if buf.len() >= self.buf.capacity() {
            // Write-through: the buffer is empty, and copying into it would gain nothing.
            self.inner.write(buf)
        } else {
            self.buf.extend_from_slice(buf);
            Ok(buf.len())
        }
    }

    #[coro_macros::coroutine(crate = ::coro_core)]
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if buf.len() > self.spare() {
            self.write_buffer()?;
        }
        if buf.len() >= self.buf.capacity() {
            self.inner.write_all(buf)
        } else {
            self.buf.extend_from_slice(buf);
            Ok(())
        }
    }

    #[coro_macros::coroutine(crate = ::coro_core)]
    fn flush(&mut self) -> io::Result<()> {
        self.write_buffer()?;
        self.inner.flush()
    }
}

impl<W: AsyncWrite + Unpin> BufWriter<W> {
    /// Writes the whole buffer to the inner writer, poll by poll; what was written is removed from the buffer
    /// however the call ends, as in [`write_buffer`](Self::write_buffer).
    fn poll_write_buffer(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut written = Written { buf: &mut self.buf, count: 0 };
        while written.count < written.buf.len() {
            match ready!(Pin::new(&mut self.inner).poll_write(cx, &written.buf[written.count..])) {
                Ok(0) => return Poll::Ready(Err(write_zero())),
                Ok(n) => written.count += n,
                Err(e) if interrupted(&e) => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<W: AsyncWrite + Unpin> AsyncWrite for BufWriter<W> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if buf.len() > this.spare() {
            ready!(this.poll_write_buffer(cx))?;
        }
        if buf.len() >= this.buf.capacity() {
            Pin::new(&mut this.inner).poll_write(cx, buf)
        } else {
            this.buf.extend_from_slice(buf);
            Poll::Ready(Ok(buf.len()))
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_write_buffer(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_write_buffer(cx))?;
        Pin::new(&mut this.inner).poll_close(cx)
    }
}

impl<W: fmt::Debug> fmt::Debug for BufWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufWriter")
            .field("writer", &self.inner)
            .field("buffer", &format_args!("{}/{}", self.buf.len(), self.capacity()))
            .finish()
    }
}

/// The error of [`BufWriter::into_inner`]: why writing the buffer out failed, and the `BufWriter` itself,
/// with the unwritten bytes still in its buffer.
#[derive(Debug)]
pub struct IntoInnerError<W> {
    writer: W,
    error: io::Error,
}

impl<W> IntoInnerError<W> {
    /// The error that made writing the buffer out fail.
    pub fn error(&self) -> &io::Error {
        &self.error
    }

    /// The `BufWriter`, to retry or to recover its buffer.
    pub fn into_inner(self) -> W {
        self.writer
    }

    /// The error, dropping the `BufWriter`.
    pub fn into_error(self) -> io::Error {
        self.error
    }

    /// The error and the `BufWriter`.
    pub fn into_parts(self) -> (io::Error, W) {
        (self.error, self.writer)
    }
}

impl<W> From<IntoInnerError<W>> for io::Error {
    fn from(error: IntoInnerError<W>) -> io::Error {
        error.error
    }
}

impl<W> fmt::Display for IntoInnerError<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl<W: fmt::Debug> Error for IntoInnerError<W> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.error)
    }
}
