//! [`BufReader`]: std's `BufReader` for coroutine readers.
//!
//! One buffer, allocated (and zeroed) once at construction; `buf[pos..filled]` is the unread data. A fill
//! reads into the whole buffer only when it is empty, so every fill is one `read` of the inner reader, and a
//! read larger than the buffer while it is empty goes straight to the inner reader (std's bypass).
//!
//! Over a `futures_io::AsyncRead` (a socket, a TLS stream) it is also `AsyncRead` and `AsyncBufRead`, with the
//! same buffer and the same rules, for crates written against those traits.

use super::{BufRead, DEFAULT_BUF_SIZE, Read};
use futures_lite::io::{AsyncBufRead, AsyncRead};
use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// Adds a buffer to a reader: many small reads, and reading by line, cost few reads of the inner reader.
///
/// The coroutine counterpart of [`std::io::BufReader`]. It is a plain value: making it, `get_mut` and
/// `consume` never suspend; its [`Read`] and [`BufRead`] operations do. The usual loop over the lines of a
/// stream:
///
/// ```
/// use coro_net::io::{self, BufRead, BufReader};
///
/// #[coro_macros::coroutine(crate = ::coro_core)]
/// fn count_fields(stream: impl io::Read) -> io::Result<usize> {
///     let mut fields = 0;
///     let mut lines = BufReader::new(stream).lines();
///     while let Some(line) = lines.next_line()? {   // std: `for line in reader.lines()`, then `line?`
///         fields += line.split(',').count();
///     }
///     Ok(fields)
/// }
///
/// assert_eq!(coro_core::block_on(count_fields(&b"a,b\nc,d,e\n"[..])).unwrap(), 5);
/// ```
///
/// Dropping a `BufReader` drops the bytes it has buffered; [`into_inner`](Self::into_inner) does too (take
/// them first with [`buffer`](Self::buffer)).
pub struct BufReader<R> {
    buf: Box<[u8]>,
    /// The next unread byte of `buf`.
    pos: usize,
    /// The end of the data in `buf`.
    filled: usize,
    inner: R,
}

impl<R> BufReader<R> {
    /// A `BufReader` with a buffer of 8 KiB, as std's.
    pub fn new(inner: R) -> BufReader<R> {
        BufReader::with_capacity(DEFAULT_BUF_SIZE, inner)
    }

    /// A `BufReader` with a buffer of `capacity` bytes.
    pub fn with_capacity(capacity: usize, inner: R) -> BufReader<R> {
        BufReader { buf: vec![0; capacity].into_boxed_slice(), pos: 0, filled: 0, inner }
    }

    /// The inner reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The inner reader, mutably: reading from it directly skips what is buffered.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The buffered, not yet consumed bytes; never reads.
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.pos..self.filled]
    }

    /// The size of the buffer.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// The inner reader; the buffered bytes are lost.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Drops the buffered bytes.
    fn discard_buffer(&mut self) {
        self.pos = 0;
        self.filled = 0;
    }

    /// Marks `amount` buffered bytes as read.
    fn advance(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(self.filled);
    }

    /// Whether a read into `buf` should skip the buffer: nothing is buffered and `buf` is at least as big.
    fn bypass(&self, buf: &[u8]) -> bool {
        self.pos == self.filled && buf.len() >= self.buf.len()
    }

    /// Copies buffered bytes into `buf` and marks them read; returns how many.
    fn copy_out(&mut self, buf: &mut [u8]) -> usize {
        let available = self.buffer();
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.advance(n);
        n
    }
}

impl<R: Read> Read for BufReader<R> {
    #[coro_macros::coroutine(crate = ::coro_core)]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Nothing buffered and a read at least as big as the buffer: copying through it would only cost.
        if self.bypass(buf) {
            self.discard_buffer();
            return self.inner.read(buf);
        }
        self.fill_buf()?;
        Ok(self.copy_out(buf))
    }

    #[coro_macros::coroutine(crate = ::coro_core)]
    fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let buffered = self.filled - self.pos;
        buf.extend_from_slice(self.buffer());
        self.discard_buffer();
        Ok(buffered + self.inner.read_to_end(buf)?)
    }
}

impl<R: Read> BufRead for BufReader<R> {
    #[coro_macros::coroutine(crate = ::coro_core)]
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.filled {
            // Reset first: if the read fails or is cancelled, the buffer is simply empty.
            self.discard_buffer();
            self.filled = self.inner.read(&mut self.buf)?;
        }
        Ok(&self.buf[self.pos..self.filled])
    }

    fn consume(&mut self, amount: usize) {
        self.advance(amount);
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for BufReader<R> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.bypass(buf) {
            this.discard_buffer();
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        ready!(Pin::new(&mut *this).poll_fill_buf(cx))?;
        Poll::Ready(Ok(this.copy_out(buf)))
    }
}

impl<R: AsyncRead + Unpin> AsyncBufRead for BufReader<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if this.pos >= this.filled {
            this.discard_buffer();
            this.filled = ready!(Pin::new(&mut this.inner).poll_read(cx, &mut this.buf))?;
        }
        Poll::Ready(Ok(&this.buf[this.pos..this.filled]))
    }

    fn consume(self: Pin<&mut Self>, amount: usize) {
        self.get_mut().advance(amount);
    }
}

impl<R: fmt::Debug> fmt::Debug for BufReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufReader")
            .field("reader", &self.inner)
            .field("buffer", &format_args!("{}/{}", self.filled - self.pos, self.capacity()))
            .finish()
    }
}
