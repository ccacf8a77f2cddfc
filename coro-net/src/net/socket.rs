//! [`TcpSocket`]: a TCP socket not yet connected or listening, to set options before `connect` or `listen`
//! (tokio's `TcpSocket`, on `socket2`).
//!
//! It is also how [`TcpListener::bind`] makes its listener, with the backlog [`DEFAULT_BACKLOG`]: mio's
//! `bind` listens with a backlog of 128, and a burst of connections beyond it waits a second or more for
//! SYN retransmits.

use super::tcp::{TcpListener, TcpStream};
use socket2::{Domain, Protocol, Socket, Type};
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

/// The listen backlog of [`TcpListener::bind`]: tokio's (the kernel caps it at `net.core.somaxconn`).
pub(crate) const DEFAULT_BACKLOG: u32 = 1024;

/// A TCP socket that is neither connected nor listening yet: set its options, [`bind`](TcpSocket::bind)
/// it if needed, then [`connect`](TcpSocket::connect) or [`listen`](TcpSocket::listen).
///
/// ```
/// use coro_net::net::{TcpListener, TcpSocket};
///
/// #[coro_macros::coroutine(crate = ::coro_core)]
/// fn listen() -> std::io::Result<TcpListener> {
///     let socket = TcpSocket::new_v4()?;
///     socket.set_reuseport(true)?; // several processes may share the port
///     socket.bind("127.0.0.1:0".parse().unwrap())?;
///     socket.listen(4096) // up to 4096 connections wait to be accepted
/// }
///
/// let rt = coro_net::Runtime::builder().workers(1).build().unwrap();
/// assert!(rt.block_on(listen()).unwrap().local_addr().unwrap().ip().is_loopback());
/// ```
pub struct TcpSocket {
    socket: Socket,
}

impl TcpSocket {
    /// A new IPv4 TCP socket (non-blocking, close-on-exec).
    pub fn new_v4() -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::IPV4)
    }

    /// A new IPv6 TCP socket (non-blocking, close-on-exec).
    pub fn new_v6() -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::IPV6)
    }

    /// A socket of the family of `addr`.
    pub(crate) fn for_addr(addr: SocketAddr) -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::for_address(addr))
    }

    fn new(domain: Domain) -> io::Result<TcpSocket> {
        let socket = Socket::new(domain, Type::STREAM, Some(Protocol::TCP))?;
        socket.set_nonblocking(true)?;
        Ok(TcpSocket { socket })
    }

    /// Wraps a std stream's socket, to set options on it before handing it over.
    pub fn from_std_stream(stream: std::net::TcpStream) -> TcpSocket {
        TcpSocket { socket: Socket::from(stream) }
    }

    /// `SO_REUSEADDR`: bind to an address whose previous connections are still in `TIME_WAIT`.
    pub fn set_reuseaddr(&self, reuseaddr: bool) -> io::Result<()> {
        self.socket.set_reuse_address(reuseaddr)
    }

    /// Whether `SO_REUSEADDR` is set.
    pub fn reuseaddr(&self) -> io::Result<bool> {
        self.socket.reuse_address()
    }

    /// `SO_REUSEPORT`: several sockets (of this or other processes) listen on one port, the kernel
    /// spreading connections over them.
    pub fn set_reuseport(&self, reuseport: bool) -> io::Result<()> {
        self.socket.set_reuse_port(reuseport)
    }

    /// Whether `SO_REUSEPORT` is set.
    pub fn reuseport(&self) -> io::Result<bool> {
        self.socket.reuse_port()
    }

    /// `TCP_NODELAY`: send small writes at once instead of coalescing them (Nagle's algorithm off).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.socket.set_tcp_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.socket.tcp_nodelay()
    }

    /// `SO_KEEPALIVE`: probe an idle connection so a vanished peer is noticed.
    pub fn set_keepalive(&self, keepalive: bool) -> io::Result<()> {
        self.socket.set_keepalive(keepalive)
    }

    /// Whether `SO_KEEPALIVE` is set.
    pub fn keepalive(&self) -> io::Result<bool> {
        self.socket.keepalive()
    }

    /// `SO_SNDBUF`: the size of the kernel's send buffer (Linux doubles the value and applies its limits).
    pub fn set_send_buffer_size(&self, size: u32) -> io::Result<()> {
        self.socket.set_send_buffer_size(size as usize)
    }

    /// The size of the kernel's send buffer.
    pub fn send_buffer_size(&self) -> io::Result<u32> {
        self.socket.send_buffer_size().map(saturate)
    }

    /// `SO_RCVBUF`: the size of the kernel's receive buffer (Linux doubles the value and applies its limits).
    pub fn set_recv_buffer_size(&self, size: u32) -> io::Result<()> {
        self.socket.set_recv_buffer_size(size as usize)
    }

    /// The size of the kernel's receive buffer.
    pub fn recv_buffer_size(&self) -> io::Result<u32> {
        self.socket.recv_buffer_size().map(saturate)
    }

    /// `SO_LINGER`: with `Some(d)`, closing waits up to `d` for unsent data (`Some(ZERO)`: a reset).
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        self.socket.set_linger(linger)
    }

    /// The `SO_LINGER` setting.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        self.socket.linger()
    }

    /// Binds the socket to `addr` (port 0: any free port).
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        self.socket.bind(&addr.into())
    }

    /// The address the socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()?.as_socket().ok_or_else(|| io::Error::other("not an inet socket"))
    }

    /// Takes the pending error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.socket.take_error()
    }

    /// Listens for connections, with up to `backlog` of them waiting to be accepted (the kernel caps it at
    /// `net.core.somaxconn`). [`TcpListener::bind`] uses 1024.
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        self.socket.listen(backlog.min(i32::MAX as u32) as i32)?;
        TcpListener::from_std(self.socket.into())
    }

    /// Connects to `addr`: suspends until the connection is established or refused.
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        match self.socket.connect(&addr.into()) {
            Ok(()) => {}
            Err(err) if in_progress(&err) => {}
            Err(err) => return Err(err),
        }
        TcpStream::connecting(mio::net::TcpStream::from_std(self.socket.into()))
    }
}

impl fmt::Debug for TcpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.socket.fmt(f)
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for TcpSocket {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.socket.as_fd()
    }
}

/// A non-blocking connect that has started and not finished yet.
fn in_progress(err: &io::Error) -> bool {
    #[cfg(unix)]
    return err.raw_os_error() == Some(libc::EINPROGRESS);
    #[cfg(not(unix))]
    return err.kind() == io::ErrorKind::WouldBlock;
}

/// A buffer size as `u32`, as tokio reports it.
fn saturate(size: usize) -> u32 {
    u32::try_from(size).unwrap_or(u32::MAX)
}
