//! TCP: [`TcpListener`] and [`TcpStream`], with the methods and semantics of `std::net`, except that the
//! operations that would block (`bind` and `connect`, which may resolve a name, `accept`, `read`, `write`)
//! suspend the calling coroutine instead of its thread.
//!
//! `accept` backs off under descriptor exhaustion instead of spinning (see `listener.rs`).

use super::addr::{ToSocketAddrs, first_success, resolve};
use super::listener::IoListener;
use super::stream::{IoStream, ReadHalf, WriteHalf, split};
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::time::Duration;

/// A TCP socket server, listening for connections.
///
/// Its methods take `&self`, as std's do: several coroutines may accept on one listener at once (shared
/// through an `Arc`, as in an acceptor pool), and each connection goes to one of them.
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

    /// The local address the socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.get_ref().local_addr()
    }

    /// Sets the IP time-to-live of the packets sent from the socket (`IP_TTL`).
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.listener.get_ref().set_ttl(ttl)
    }

    /// The IP time-to-live of the packets sent from the socket (`IP_TTL`).
    pub fn ttl(&self) -> io::Result<u32> {
        self.listener.get_ref().ttl()
    }

    /// Takes the socket's pending error (`SO_ERROR`), clearing it.
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
        poll_fn(|cx| stream.stream.poll_connected(cx)).await?;
        Ok(stream)
    }

    /// Wraps a connected stream from std; it is switched to non-blocking mode.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_mio(mio::net::TcpStream::from_std(stream))
    }

    fn from_mio(io: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream { stream: IoStream::new(io)? })
    }

    /// Shuts down the read side, the write side or both (`Shutdown::Write` sends FIN: a half-close).
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.stream.get_ref().shutdown(how)
    }

    /// The address of the peer the socket is connected to.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.stream.get_ref().peer_addr()
    }

    /// The local address the socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.stream.get_ref().local_addr()
    }

    /// Sets `TCP_NODELAY`: with `true`, small writes go out at once instead of being coalesced (Nagle's
    /// algorithm off).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.stream.get_ref().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.stream.get_ref().nodelay()
    }

    /// Sets the IP time-to-live of the packets sent from the socket (`IP_TTL`).
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.stream.get_ref().set_ttl(ttl)
    }

    /// The IP time-to-live of the packets sent from the socket (`IP_TTL`).
    pub fn ttl(&self) -> io::Result<u32> {
        self.stream.get_ref().ttl()
    }

    /// Takes the socket's pending error (`SO_ERROR`), clearing it.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.stream.get_ref().take_error()
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
