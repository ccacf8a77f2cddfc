//! TCP: [`TcpListener`] and [`TcpStream`], with the methods and semantics of `std::net`, except that the
//! operations that would block (`bind` and `connect`, which may resolve a name, `accept`, `read`, `write`)
//! suspend the calling coroutine instead of its thread.
//!
//! `accept` backs off under descriptor exhaustion instead of spinning (see `listener.rs`).

use super::addr::{ToSocketAddrs, first_success, resolve};
use super::listener::IoListener;
use super::stream::{IoStream, ReadHalf, WriteHalf, split};
use crate::reactor::Direction;
use coro_core::Suspend;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::task::{Context, Poll};
use std::time::Duration;

/// A TCP socket server, listening for connections.
pub struct TcpListener {
    listener: IoListener<mio::net::TcpListener>,
}

impl TcpListener {
    /// Binds to the first of `addr`'s addresses that accepts a bind, like `std::net::TcpListener::bind`.
    /// The socket has `SO_REUSEADDR` set, as mio and std do on Unix.
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        let addrs = resolve(addr)?;
        first_success(addrs, |addr| TcpListener::from_mio(mio::net::TcpListener::bind(addr)?))
    }

    /// Wraps a listener from std, which must already be bound; it is switched to non-blocking mode.
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        TcpListener::from_mio(mio::net::TcpListener::from_std(listener))
    }

    fn from_mio(io: mio::net::TcpListener) -> io::Result<TcpListener> {
        Ok(TcpListener { listener: IoListener::new(io)? })
    }

    /// Accepts a connection: suspends until one arrives.
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (io, addr) = self.listener.accept()?;
        Ok((TcpStream::from_mio(io)?, addr))
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.get_ref().local_addr()
    }

    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.listener.get_ref().set_ttl(ttl)
    }

    pub fn ttl(&self) -> io::Result<u32> {
        self.listener.get_ref().ttl()
    }

    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.listener.get_ref().take_error()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.listener.fmt(f)
    }
}

/// A TCP connection.
pub struct TcpStream {
    stream: IoStream<mio::net::TcpStream>,
}

impl TcpStream {
    /// Connects to the first of `addr`'s addresses that accepts, like `std::net::TcpStream::connect`.
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        let addrs = resolve(addr)?;
        let mut last = None;
        for addr in addrs {
            match TcpStream::connect_addr(addr) {
                Ok(stream) => return Ok(stream),
                Err(err) => last = Some(err),
            }
        }
        Err(last.expect("resolve returns at least one address"))
    }

    /// Connects to `addr`, failing with `TimedOut` if that takes longer than `timeout` (which must not be
    /// zero), like `std::net::TcpStream::connect_timeout`.
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn connect_timeout(addr: &SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
        if timeout.is_zero() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "cannot set a 0 duration timeout"));
        }
        let connecting = coro_core::nowait!(TcpStream::connect_addr(*addr));
        match crate::time::timeout(timeout, connecting) {
            Ok(connected) => connected,
            Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "connection timed out")),
        }
    }

    /// One connection attempt: a non-blocking connect, then wait until the socket is writable and check.
    #[coro_macros::coroutine(crate = ::coro_core)]
    fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = TcpStream::from_mio(mio::net::TcpStream::connect(addr)?)?;
        poll_fn(|cx| stream.poll_connected(cx)).await?;
        Ok(stream)
    }

    /// Ready once the connect in progress has succeeded or failed (mio's protocol: writable, then
    /// `take_error` and `peer_addr` tell which; `NotConnected` means it is still in progress).
    fn poll_connected(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let registration = self.stream.registration();
        loop {
            std::task::ready!(registration.poll_ready(cx, Direction::Write))?;
            let io = self.stream.get_ref();
            if let Some(err) = io.take_error()? {
                return Poll::Ready(Err(err));
            }
            match io.peer_addr() {
                Ok(_) => return Poll::Ready(Ok(())),
                Err(err) if err.kind() == io::ErrorKind::NotConnected => {
                    registration.clear_readiness(Direction::Write)
                }
                Err(err) => return Poll::Ready(Err(err)),
            }
        }
    }

    /// Wraps a connected stream from std; it is switched to non-blocking mode.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_mio(mio::net::TcpStream::from_std(stream))
    }

    fn from_mio(io: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream { stream: IoStream::new(io)? })
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

    /// Does nothing, as for std's `TcpStream`: writes are not buffered here.
    pub fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Shuts down the read side, the write side or both (`Shutdown::Write` sends FIN: a half-close).
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.stream.get_ref().shutdown(how)
    }

    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.stream.get_ref().peer_addr()
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.stream.get_ref().local_addr()
    }

    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.stream.get_ref().set_nodelay(nodelay)
    }

    pub fn nodelay(&self) -> io::Result<bool> {
        self.stream.get_ref().nodelay()
    }

    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.stream.get_ref().set_ttl(ttl)
    }

    pub fn ttl(&self) -> io::Result<u32> {
        self.stream.get_ref().ttl()
    }

    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.stream.get_ref().take_error()
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

    pub fn read_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.stream.read_timeout.get())
    }

    pub fn write_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.stream.write_timeout.get())
    }

    /// Splits the stream into a reading and a writing half that two coroutines can own and use at once.
    pub fn into_split(self) -> (ReadHalf<TcpStream>, WriteHalf<TcpStream>) {
        split(self)
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.stream.fmt(f)
    }
}

super::stream::impl_futures_io!(TcpStream);
super::stream::impl_coro_io!(TcpStream);
