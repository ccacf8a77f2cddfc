//! [`TlsStream`]: a rustls connection over a coro stream.
//!
//! The state is rustls's own (`rustls::Connection`: its buffers of received records, of decrypted plaintext
//! and of records to send) next to the transport. rustls does no I/O of its own: it reads and writes through
//! `std::io` traits, which [`Bridge`] provides by polling the transport's `futures_io` methods with the
//! caller's context and turning `Pending` into `WouldBlock`, so rustls's calls never block and the caller
//! gets `Pending` with the transport's wake-up registered.
//!
//! Every operation is a poll function (`poll_read`, `poll_write`, `poll_flush`, `poll_close`): they serve the
//! `futures_io` traits directly, and the coroutine operations (`read`, `write`, ..., `coro::io::{Read,
//! Write}`) are [`PollOp`]s over them. Memory is bounded by rustls's buffer limit (64 KiB of plaintext
//! waiting to be sent): a write accepts what fits and waits while the transport cannot take more.

use super::PollOp;
use crate::Suspend;
use futures_lite::io::{AsyncRead, AsyncWrite};
use rustls::Connection;
use std::fmt;
use std::io::{self, ErrorKind, Read as _, Write as _};
use std::pin::Pin;
use std::task::{Context, Poll, Waker, ready};

/// A TLS connection over a transport stream `S` (a [`TcpStream`](crate::net::TcpStream), usually), made by
/// [`TlsAcceptor::accept`](super::TlsAcceptor::accept) or [`TlsConnector::connect`](super::TlsConnector::connect)
/// once the handshake is done.
///
/// It reads and writes plaintext like the transport: the inherent [`read`](Self::read),
/// [`write`](Self::write), [`write_all`](Self::write_all), [`flush`](Self::flush) and
/// [`shutdown`](Self::shutdown) suspend the coroutine, and it implements [`coro::io::Read`](crate::io::Read)
/// and [`Write`](crate::io::Write) (so `BufReader`, `io::copy` take it), `futures_io::AsyncRead` and
/// `AsyncWrite` (so hyper, through `coro::hyper::Io`, and other runtime-agnostic crates take it),
/// and splits with [`into_split`](Self::into_split).
///
/// Its coroutine operations return once what they wrote is handed to the transport, as a socket's do. The
/// `futures_io` writes may leave records in rustls's buffer, sent with the next write or by `poll_flush`,
/// as with any buffered `AsyncWrite`. End a connection with
/// [`shutdown`](Self::shutdown), which tells the peer the stream ended on purpose (a TLS `close_notify`);
/// reading a stream whose peer closed the transport without one fails with `UnexpectedEof`, because the data
/// might have been cut short by an attacker.
pub struct TlsStream<S> {
    io: S,
    conn: Connection,
    /// The transport reached its end.
    eof: bool,
    /// `close_notify` was queued.
    closing: bool,
}

impl<S> TlsStream<S> {
    pub(super) fn new(io: S, conn: Connection) -> Self {
        TlsStream { io, conn, eof: false, closing: false }
    }

    /// The transport.
    pub fn get_ref(&self) -> &S {
        &self.io
    }

    /// The transport, mutably: reading or writing it directly corrupts the TLS stream.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.io
    }

    /// The rustls connection: the negotiated protocol version and ALPN protocol, the peer's certificates,
    /// the server name a client asked for (`rustls::Connection::Server(conn).server_name()`), ...
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The transport and the rustls connection.
    pub fn into_parts(self) -> (S, Connection) {
        (self.io, self.conn)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream<S> {
    /// Reads some plaintext into `buf` and returns how many bytes; `Ok(0)` once the peer ended the stream
    /// with a `close_notify` (or `buf` is empty).
    pub fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        PollOp(move |cx: &mut Context<'_>| self.poll_read_plain(cx, buf))
    }

    /// Writes some of `buf` and returns how many bytes were taken, once their records are handed to the
    /// transport (as a socket's `write` returns once the bytes are in the kernel).
    pub fn write<'a>(&'a mut self, buf: &'a [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        let mut taken = None;
        PollOp(move |cx: &mut Context<'_>| self.poll_write_op(cx, buf, &mut taken))
    }

    /// Writes all of `buf`, returning once its records are handed to the transport.
    pub fn write_all(&mut self, buf: &[u8]) -> impl Suspend<Output = io::Result<()>> {
        let mut buf = buf;
        PollOp(move |cx: &mut Context<'_>| self.poll_write_all_op(cx, &mut buf))
    }

    /// Sends everything written so far, suspending until the transport has taken it.
    pub fn flush(&mut self) -> impl Suspend<Output = io::Result<()>> + '_ {
        PollOp(move |cx: &mut Context<'_>| self.poll_flush_tls(cx))
    }

    /// Ends the stream: sends a TLS `close_notify` and everything before it, then shuts the transport's
    /// write side down (`futures_io::AsyncWrite::poll_close`). The peer reads the end of the stream; this
    /// side can still read what the peer sends.
    pub fn shutdown(&mut self) -> impl Suspend<Output = io::Result<()>> + '_ {
        PollOp(move |cx: &mut Context<'_>| self.poll_shutdown(cx))
    }

    /// Drives the handshake until it is complete and its last messages are sent.
    pub(super) fn poll_handshake(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.conn.is_handshaking() {
            let mut waiting = true;
            if self.conn.wants_write() {
                match self.poll_write_tls(cx) {
                    Poll::Ready(result) => {
                        result?;
                        waiting = false;
                    }
                    Poll::Pending => {}
                }
            }
            if self.conn.is_handshaking() && self.conn.wants_read() {
                match self.poll_read_tls(cx) {
                    Poll::Ready(Ok(0)) => {
                        return Poll::Ready(Err(io::Error::new(
                            ErrorKind::UnexpectedEof,
                            "the peer closed the connection during the TLS handshake",
                        )));
                    }
                    Poll::Ready(result) => {
                        result?;
                        waiting = false;
                    }
                    Poll::Pending => {}
                }
            }
            if waiting {
                return Poll::Pending;
            }
        }
        self.poll_flush_tls(cx)
    }

    /// Reads plaintext, reading and decrypting records as needed.
    pub(super) fn poll_read_plain(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        loop {
            match self.conn.reader().read(buf) {
                Ok(n) => return Poll::Ready(Ok(n)), // 0: the peer's close_notify
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)), // UnexpectedEof: the transport ended without one
            }
            if self.eof {
                return Poll::Ready(Err(ErrorKind::UnexpectedEof.into()));
            }
            // Records rustls queued while reading (a key update's answer) go out if the transport takes
            // them now; they never hold a read up, and registering this task's waker for writes would take
            // the place of a write half's.
            self.send_queued_now();
            ready!(self.poll_read_tls(cx))?;
        }
    }

    /// The [`write`](Self::write) operation: `taken` is what it took so far, its records being sent.
    pub(super) fn poll_write_op(
        &mut self,
        cx: &mut Context<'_>,
        buf: &[u8],
        taken: &mut Option<usize>,
    ) -> Poll<io::Result<usize>> {
        let n = match *taken {
            Some(n) => n,
            None => *taken.insert(ready!(self.poll_write_plain(cx, buf))?),
        };
        ready!(self.poll_send_records(cx))?;
        Poll::Ready(Ok(n))
    }

    /// The [`write_all`](Self::write_all) operation: `buf` is what is left to take.
    pub(super) fn poll_write_all_op(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut &[u8],
    ) -> Poll<io::Result<()>> {
        while !buf.is_empty() {
            match ready!(self.poll_write_plain(cx, buf))? {
                0 => return Poll::Ready(Err(ErrorKind::WriteZero.into())),
                n => *buf = &buf[n..],
            }
        }
        self.poll_send_records(cx)
    }

    /// Takes plaintext into rustls's buffer (encrypting it) and sends what the transport takes now: the
    /// `futures_io` write, after which records may wait in the buffer for the next write or a flush.
    pub(super) fn poll_write_plain(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        loop {
            let taken = self.conn.writer().write(buf)?;
            while self.conn.wants_write() {
                match self.poll_write_tls(cx) {
                    Poll::Ready(result) => drop(result?),
                    // What was taken is buffered and goes out with the next write or flush.
                    Poll::Pending if taken > 0 => return Poll::Ready(Ok(taken)),
                    Poll::Pending => return Poll::Pending,
                }
            }
            if taken > 0 || buf.is_empty() {
                return Poll::Ready(Ok(taken));
            }
            // The buffer was full and is sent now: there is room again.
        }
    }

    /// Sends every record rustls holds, then flushes the transport.
    pub(super) fn poll_flush_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.conn.writer().flush()?;
        ready!(self.poll_send_records(cx))?;
        Pin::new(&mut self.io).poll_flush(cx)
    }

    /// Hands every record rustls holds to the transport.
    fn poll_send_records(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.conn.wants_write() {
            ready!(self.poll_write_tls(cx))?;
        }
        Poll::Ready(Ok(()))
    }

    pub(super) fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.closing {
            self.conn.send_close_notify();
            self.closing = true;
        }
        ready!(self.poll_flush_tls(cx))?;
        Pin::new(&mut self.io).poll_close(cx)
    }

    /// Reads records from the transport into rustls and processes them; `Ok(0)` at the transport's end.
    fn poll_read_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let n = ready!(would_block(self.conn.read_tls(&mut Bridge { io: &mut self.io, cx })))?;
        if n == 0 {
            self.eof = true;
        }
        if let Err(error) = self.conn.process_new_packets() {
            // rustls queued an alert telling the peer why: send it if the transport takes it now.
            self.send_queued_now();
            return Poll::Ready(Err(io::Error::new(ErrorKind::InvalidData, error)));
        }
        Poll::Ready(Ok(n))
    }

    /// Writes queued records to the transport: one `write`, `WriteZero` if it took nothing.
    fn poll_write_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        match ready!(would_block(self.conn.write_tls(&mut Bridge { io: &mut self.io, cx })))? {
            0 => Poll::Ready(Err(ErrorKind::WriteZero.into())),
            n => Poll::Ready(Ok(n)),
        }
    }

    /// Writes queued records while the transport takes them without waiting (no wake-up is registered).
    fn send_queued_now(&mut self) {
        let mut cx = Context::from_waker(Waker::noop());
        while self.conn.wants_write() {
            if !matches!(self.poll_write_tls(&mut cx), Poll::Ready(Ok(_))) {
                break;
            }
        }
    }
}

/// `WouldBlock`, which [`Bridge`] makes of `Pending`, back into `Pending`.
fn would_block<T>(result: io::Result<T>) -> Poll<io::Result<T>> {
    match result {
        Err(e) if e.kind() == ErrorKind::WouldBlock => Poll::Pending,
        result => Poll::Ready(result),
    }
}

/// The transport as the `std::io` reader and writer rustls wants, polled with the caller's context.
struct Bridge<'a, 'b, S> {
    io: &'a mut S,
    cx: &'a mut Context<'b>,
}

impl<S: AsyncRead + Unpin> io::Read for Bridge<'_, '_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match Pin::new(&mut *self.io).poll_read(self.cx, buf) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(ErrorKind::WouldBlock.into()),
        }
    }
}

impl<S: AsyncWrite + Unpin> io::Write for Bridge<'_, '_, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match Pin::new(&mut *self.io).poll_write(self.cx, buf) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(ErrorKind::WouldBlock.into()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match Pin::new(&mut *self.io).poll_flush(self.cx) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(ErrorKind::WouldBlock.into()),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsStream<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.get_mut().poll_read_plain(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsStream<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_plain(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_flush_tls(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_shutdown(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> crate::io::Read for TlsStream<S> {
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        TlsStream::read(self, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> crate::io::Write for TlsStream<S> {
    fn write<'a>(&'a mut self, buf: &'a [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        TlsStream::write(self, buf)
    }

    fn flush(&mut self) -> impl Suspend<Output = io::Result<()>> {
        TlsStream::flush(self)
    }

    fn write_all(&mut self, buf: &[u8]) -> impl Suspend<Output = io::Result<()>> {
        TlsStream::write_all(self, buf)
    }
}

impl<S: fmt::Debug> fmt::Debug for TlsStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsStream")
            .field("io", &self.io)
            .field("protocol", &self.conn.protocol_version())
            .finish_non_exhaustive()
    }
}
