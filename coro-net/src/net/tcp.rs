//! TCP: [`TcpListener`] and [`TcpStream`], with the methods and semantics of `std::net`, except that the
//! operations that would block (`bind` and `connect`, which may resolve a name, `accept`, `read`, `write`)
//! suspend the calling coroutine instead of its thread.
//!
//! `accept` backs off under descriptor exhaustion instead of spinning (see `listener.rs`).

use super::addr::{ToSocketAddrs, first_success, resolve};
use super::listener::{Incoming, IoListener};
use super::socket::{DEFAULT_BACKLOG, TcpSocket};
use super::stream::{StreamSocket, Transport, sealed};
use crate::reactor::Direction;
use coro_core::Suspend;
use socket2::SockRef;
use std::fmt;
use std::io;
use std::net::SocketAddr;
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
    /// The socket has `SO_REUSEADDR` set, as mio and std do on Unix, and listens with a backlog of 1024
    /// (tokio's; [`TcpSocket::listen`] sets another).
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        let addrs = resolve(addr)?;
        first_success(addrs, |addr| {
            let socket = TcpSocket::for_addr(addr)?;
            #[cfg(unix)]
            socket.set_reuseaddr(true)?;
            socket.bind(addr)?;
            socket.listen(DEFAULT_BACKLOG)
        })
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
        Ok((TcpStream::from_io(io)?, addr))
    }

    /// An endless sequence of accepted connections: `while let Some(stream) = incoming.next() { let
    /// stream = stream?; .. }` is std's `for stream in listener.incoming()`; `next` suspends until a
    /// connection arrives and never returns `None`.
    pub fn incoming(&self) -> Incoming<'_, TcpListener> {
        Incoming { listener: self }
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

/// A TCP connection: a [`StreamSocket`] over [`Tcp`], whose shared methods (`read`, `write`, `write_all`,
/// `read_exact`, the timeouts, `shutdown`, `into_split`, ...) are written once for both transports; the
/// TCP-only ones are below.
pub type TcpStream = StreamSocket<Tcp>;

/// The TCP transport of a [`StreamSocket`]: [`TcpStream`] is `StreamSocket<Tcp>`.
#[derive(Debug)]
pub enum Tcp {}

impl Transport for Tcp {}

impl sealed::Sealed for Tcp {
    type Io = mio::net::TcpStream;
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
        TcpStream::connecting(mio::net::TcpStream::connect(addr)?)
    }

    /// Wraps a connected stream from std; it is switched to non-blocking mode.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_io(mio::net::TcpStream::from_std(stream))
    }

    /// The address of the peer the socket is connected to.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.get_ref().peer_addr()
    }

    /// The local address the socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.get_ref().local_addr()
    }

    /// Sets `TCP_NODELAY`: with `true`, small writes go out at once instead of being coalesced (Nagle's
    /// algorithm off).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.get_ref().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.get_ref().nodelay()
    }

    /// Sets the IP time-to-live of the packets sent from the socket (`IP_TTL`).
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.get_ref().set_ttl(ttl)
    }

    /// The IP time-to-live of the packets sent from the socket (`IP_TTL`).
    pub fn ttl(&self) -> io::Result<u32> {
        self.get_ref().ttl()
    }

    /// `SO_LINGER`: with `Some(d)`, dropping the stream waits up to `d` for unsent data; `Some(ZERO)`
    /// makes it send a reset instead of a FIN.
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        SockRef::from(self.get_ref()).set_linger(linger)
    }

    /// The `SO_LINGER` setting.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        SockRef::from(self.get_ref()).linger()
    }

    /// Reads into `buf` without taking the data from the socket: suspends until some has arrived, as std's
    /// `peek` blocks. The next `read` returns the same bytes.
    pub fn peek<'a>(&'a self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        self.with(Direction::Read, move |io| io.peek(buf))
    }
}
