//! The halves of a [`TlsStream`] split by [`into_split`](TlsStream::into_split): one task reads while
//! another writes.
//!
//! Both directions of a TLS connection share one rustls state, so the halves share the stream under a
//! mutex, held only for one poll (never while an operation waits). A read registers its task for the
//! transport's readability only and a write for its writability only, so neither takes the other's
//! wake-up: records a read makes rustls queue (a key update's answer) are sent when the transport takes them
//! at once, or with the next write or flush.

use super::{PollOp, TlsStream};
use crate::Suspend;
use futures_lite::io::{AsyncRead, AsyncWrite};
use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

/// The reading half of a [`TlsStream`].
pub struct ReadHalf<S> {
    stream: Arc<Mutex<TlsStream<S>>>,
}

/// The writing half of a [`TlsStream`]. Dropping it sends nothing: [`shutdown`](WriteHalf::shutdown) ends the
/// stream.
pub struct WriteHalf<S> {
    stream: Arc<Mutex<TlsStream<S>>>,
}

/// The halves were not split from the same stream.
#[derive(Debug)]
pub struct ReuniteError<S>(pub ReadHalf<S>, pub WriteHalf<S>);

impl<S> TlsStream<S> {
    /// Splits the stream into halves that two coroutines can use at once.
    pub fn into_split(self) -> (ReadHalf<S>, WriteHalf<S>) {
        let stream = Arc::new(Mutex::new(self));
        (ReadHalf { stream: stream.clone() }, WriteHalf { stream })
    }
}

/// The stream, for one poll. A panic under the lock (in rustls) leaves nothing half-done that matters more
/// than the panic itself, so a poisoned lock is used as is.
fn lock<S>(stream: &Mutex<TlsStream<S>>) -> MutexGuard<'_, TlsStream<S>> {
    stream.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<S: AsyncRead + AsyncWrite + Unpin> ReadHalf<S> {
    /// Reads some plaintext into `buf`, like [`TlsStream::read`].
    pub fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        PollOp(move |cx: &mut Context<'_>| lock(&self.stream).poll_read_plain(cx, buf))
    }

    /// Puts the stream back together; fails if `write` is not this half's other half.
    pub fn reunite(self, write: WriteHalf<S>) -> Result<TlsStream<S>, ReuniteError<S>> {
        if !Arc::ptr_eq(&self.stream, &write.stream) {
            return Err(ReuniteError(self, write));
        }
        drop(write);
        let stream = Arc::into_inner(self.stream).expect("both halves were just given back");
        Ok(stream.into_inner().unwrap_or_else(PoisonError::into_inner))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WriteHalf<S> {
    /// Writes some of `buf`, like [`TlsStream::write`].
    pub fn write<'a>(&'a mut self, buf: &'a [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        let mut taken = None;
        PollOp(move |cx: &mut Context<'_>| lock(&self.stream).poll_write_op(cx, buf, &mut taken))
    }

    /// Writes all of `buf`, like [`TlsStream::write_all`].
    pub fn write_all(&mut self, buf: &[u8]) -> impl Suspend<Output = io::Result<()>> {
        let mut buf = buf;
        PollOp(move |cx: &mut Context<'_>| lock(&self.stream).poll_write_all_op(cx, &mut buf))
    }

    /// Sends everything written so far, like [`TlsStream::flush`].
    pub fn flush(&mut self) -> impl Suspend<Output = io::Result<()>> + '_ {
        PollOp(move |cx: &mut Context<'_>| lock(&self.stream).poll_flush_tls(cx))
    }

    /// Ends the stream with a `close_notify`, like [`TlsStream::shutdown`].
    pub fn shutdown(&mut self) -> impl Suspend<Output = io::Result<()>> + '_ {
        PollOp(move |cx: &mut Context<'_>| lock(&self.stream).poll_shutdown(cx))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> crate::io::Read for ReadHalf<S> {
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        ReadHalf::read(self, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> crate::io::Write for WriteHalf<S> {
    fn write<'a>(&'a mut self, buf: &'a [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        WriteHalf::write(self, buf)
    }

    fn flush(&mut self) -> impl Suspend<Output = io::Result<()>> {
        WriteHalf::flush(self)
    }

    fn write_all(&mut self, buf: &[u8]) -> impl Suspend<Output = io::Result<()>> {
        WriteHalf::write_all(self, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for ReadHalf<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        lock(&self.stream).poll_read_plain(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for WriteHalf<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        lock(&self.stream).poll_write_plain(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        lock(&self.stream).poll_flush_tls(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        lock(&self.stream).poll_shutdown(cx)
    }
}

impl<S> fmt::Display for ReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves that are not from the same stream")
    }
}

impl<S: fmt::Debug> std::error::Error for ReuniteError<S> {}

impl<S: fmt::Debug> fmt::Debug for ReadHalf<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ReadHalf").field(&self.stream).finish()
    }
}

impl<S: fmt::Debug> fmt::Debug for WriteHalf<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WriteHalf").field(&self.stream).finish()
    }
}
