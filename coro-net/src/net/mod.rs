//! Networking types that mirror `std::net` (and `std::os::unix::net`): same names, same methods, same
//! semantics and error kinds, except that what would block the thread suspends the calling coroutine.
//!
//! - [`TcpListener`] (with [`Incoming`]), [`TcpStream`] (with [`ReadHalf`]/[`WriteHalf`] from
//!   `into_split`), [`UdpSocket`];
//! - [`TcpSocket`], to set socket options (`SO_REUSEPORT`, buffer sizes, the listen backlog) before
//!   `connect` or `listen`;
//! - on Unix, [`UnixListener`], [`UnixStream`], [`UnixDatagram`];
//! - the two connected streams are one generic type, [`StreamSocket`] over a [`Transport`]: `TcpStream` is
//!   `StreamSocket<Tcp>` and `UnixStream` is `StreamSocket<Unix>`, so their common methods are written (and
//!   documented) once;
//! - [`ToSocketAddrs`]: the address arguments std takes; host names resolve on the blocking pool, as does
//!   [`lookup_host`].
//!
//! Handles are plain values and operations suspend: `TcpListener::bind(addr)?`, `listener.accept()?`,
//! `stream.read(&mut buf)?` read as blocking code inside a `#[coro::coroutine]`. Every socket is registered
//! with the runtime's reactor when it is created and deregistered when it is dropped.

mod addr;
mod listener;
pub(crate) mod op;
mod socket;
mod stream;
mod tcp;
mod timeout;
mod udp;
#[cfg(unix)]
mod unix;

pub use addr::{ToSocketAddrs, lookup_host};
pub use listener::Incoming;
pub use socket::TcpSocket;
pub use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, SocketAddrV4, SocketAddrV6};
pub use stream::{ReadHalf, ReuniteError, StreamSocket, Transport, WriteHalf};
pub use tcp::{Tcp, TcpListener, TcpStream};
pub use udp::UdpSocket;
#[cfg(unix)]
pub use unix::{Unix, UnixDatagram, UnixListener, UnixStream};

#[cfg(all(test, unix))]
mod tests;
