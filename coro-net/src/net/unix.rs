//! Unix domain sockets: [`UnixListener`], [`UnixStream`] and [`UnixDatagram`], with the methods and semantics
//! of `std::os::unix::net`; the operations that would block suspend the calling coroutine instead.
//!
//! Binding and connecting take a path, so there is nothing to resolve: `bind` is a plain call as in std.
//! `connect` waits until the connection is established. A listener whose backlog is full fails it at once
//! with `WouldBlock` (the kernel's `EAGAIN` for a non-blocking Unix connect); listeners here listen with the
//! system's largest backlog (`SOMAXCONN`), so only a burst beyond that sees it.

use super::listener::{Incoming, IoListener};
use super::op::io_op;
use super::stream::{StreamSocket, Transport, sealed};
use crate::reactor::{Direction, Registration};
use coro_core::Suspend;
use mio::Interest;
use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;

/// A Unix domain socket server, listening for connections.
pub struct UnixListener {
    listener: IoListener<mio::net::UnixListener>,
}

impl UnixListener {
    /// Creates the socket file at `path` and listens on it.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        UnixListener::from_mio(mio::net::UnixListener::bind(path)?)
    }

    /// Wraps a listener from std; it is switched to non-blocking mode.
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        UnixListener::from_mio(mio::net::UnixListener::from_std(listener))
    }

    fn from_mio(io: mio::net::UnixListener) -> io::Result<UnixListener> {
        Ok(UnixListener { listener: IoListener::new(io)? })
    }

    /// Accepts a connection: suspends until one arrives.
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (io, addr) = self.listener.accept()?;
        Ok((UnixStream::from_io(io)?, addr))
    }

    /// An endless sequence of accepted connections, as [`TcpListener::incoming`](super::TcpListener::incoming).
    pub fn incoming(&self) -> Incoming<'_, UnixListener> {
        Incoming { listener: self }
    }

    /// The local address the socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.get_ref().local_addr()
    }

    /// Takes the socket's pending error (`SO_ERROR`), clearing it.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.listener.get_ref().take_error()
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.listener.fmt(f)
    }
}

/// A connected Unix domain stream socket: a [`StreamSocket`] over [`Unix`], whose shared methods (`read`,
/// `write`, `write_all`, `read_exact`, the timeouts, `shutdown`, `into_split`, ...) are written once for both
/// transports; the Unix-only ones are below.
pub type UnixStream = StreamSocket<Unix>;

/// The Unix domain transport of a [`StreamSocket`]: [`UnixStream`] is `StreamSocket<Unix>`.
#[derive(Debug)]
pub enum Unix {}

impl Transport for Unix {}

impl sealed::Sealed for Unix {
    type Io = mio::net::UnixStream;
}

impl UnixStream {
    /// Connects to the socket at `path`.
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        UnixStream::connecting(mio::net::UnixStream::connect(path)?)
    }

    /// A connected pair of sockets.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = mio::net::UnixStream::pair()?;
        Ok((UnixStream::from_io(a)?, UnixStream::from_io(b)?))
    }

    /// Wraps a connected stream from std; it is switched to non-blocking mode.
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        UnixStream::from_io(mio::net::UnixStream::from_std(stream))
    }

    /// The local address the socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.get_ref().local_addr()
    }

    /// The address of the peer the socket is connected to.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.get_ref().peer_addr()
    }
}

/// A Unix domain datagram socket.
pub struct UnixDatagram {
    io: mio::net::UnixDatagram,
    registration: Registration,
}

impl UnixDatagram {
    /// Creates the socket file at `path` and binds to it.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        UnixDatagram::from_mio(mio::net::UnixDatagram::bind(path)?)
    }

    /// A socket bound to no address.
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_mio(mio::net::UnixDatagram::unbound()?)
    }

    /// A connected pair of sockets.
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = mio::net::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_mio(a)?, UnixDatagram::from_mio(b)?))
    }

    /// Wraps a socket from std; it is switched to non-blocking mode.
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        UnixDatagram::from_mio(mio::net::UnixDatagram::from_std(socket))
    }

    fn from_mio(mut io: mio::net::UnixDatagram) -> io::Result<UnixDatagram> {
        let registration = Registration::new(&mut io, Interest::READABLE | Interest::WRITABLE)?;
        Ok(UnixDatagram { io, registration })
    }

    /// Sets the default destination of [`send`](Self::send) and the only source [`recv`](Self::recv)
    /// accepts.
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.io.connect(path)
    }

    /// Sends `buf` to the connected peer: suspends until the socket can take it.
    pub fn send<'a>(&'a self, buf: &'a [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        io_op(&self.registration, Direction::Write, move || self.io.send(buf))
    }

    /// Receives one datagram from the connected peer into `buf`: suspends until one arrives.
    pub fn recv<'a>(&'a self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        io_op(&self.registration, Direction::Read, move || self.io.recv(buf))
    }

    /// Sends `buf` to the socket at `path`: suspends until the socket can take it.
    pub fn send_to<'a>(
        &'a self,
        buf: &'a [u8],
        path: &'a Path,
    ) -> impl Suspend<Output = io::Result<usize>> + 'a {
        io_op(&self.registration, Direction::Write, move || self.io.send_to(buf, path))
    }

    /// Receives one datagram into `buf`, with the address it came from: suspends until one arrives.
    pub fn recv_from<'a>(
        &'a self,
        buf: &'a mut [u8],
    ) -> impl Suspend<Output = io::Result<(usize, SocketAddr)>> + 'a {
        io_op(&self.registration, Direction::Read, move || self.io.recv_from(buf))
    }

    /// The local address the socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr()
    }

    /// The address of the peer the socket is connected to.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.peer_addr()
    }

    /// Shuts down the read side, the write side or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.shutdown(how)
    }

    /// Takes the socket's pending error (`SO_ERROR`), clearing it.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.take_error()
    }
}

impl Drop for UnixDatagram {
    fn drop(&mut self) {
        let _ = self.registration.deregister(&mut self.io);
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.fmt(f)
    }
}
