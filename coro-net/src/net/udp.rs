//! UDP: [`UdpSocket`], with the methods and semantics of `std::net::UdpSocket`; sends and receives suspend
//! the calling coroutine until the socket is ready, and addresses resolve without blocking a worker.

use super::addr::{ToSocketAddrs, first_success, resolve};
use super::op::io_op;
use crate::reactor::{Direction, Registration};
use coro_core::Suspend;
use mio::Interest;
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

/// A UDP socket.
///
/// Its methods take `&self`, as std's do: several coroutines may send and receive on one socket at once
/// (shared through an `Arc`), and each datagram received goes to one of them.
pub struct UdpSocket {
    io: mio::net::UdpSocket,
    registration: Registration,
}

impl UdpSocket {
    /// Binds to the first of `addr`'s addresses that accepts a bind.
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        let addrs = resolve(addr)?;
        first_success(addrs, |addr| UdpSocket::from_mio(mio::net::UdpSocket::bind(addr)?))
    }

    /// Wraps a socket from std, which must already be bound; it is switched to non-blocking mode.
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        UdpSocket::from_mio(mio::net::UdpSocket::from_std(socket))
    }

    fn from_mio(mut io: mio::net::UdpSocket) -> io::Result<UdpSocket> {
        let registration = Registration::new(&mut io, Interest::READABLE | Interest::WRITABLE)?;
        Ok(UdpSocket { io, registration })
    }

    /// Sets the default destination of [`send`](Self::send) and the only source [`recv`](Self::recv)
    /// accepts: the first of `addr`'s addresses that the socket can connect to.
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        let addrs = resolve(addr)?;
        first_success(addrs, |addr| self.io.connect(addr))
    }

    /// Sends `buf` to the connected peer.
    pub fn send<'a>(&'a self, buf: &'a [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        io_op(&self.registration, Direction::Write, move || self.io.send(buf))
    }

    /// Receives one datagram from the connected peer into `buf`.
    pub fn recv<'a>(&'a self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        io_op(&self.registration, Direction::Read, move || self.io.recv(buf))
    }

    /// Like [`recv`](Self::recv), but leaves the datagram in the queue.
    pub fn peek<'a>(&'a self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        io_op(&self.registration, Direction::Read, move || self.io.peek(buf))
    }

    /// Sends `buf` to the first of `addr`'s addresses.
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], addr: A) -> io::Result<usize> {
        let target = resolve(addr)?[0];
        io_op(&self.registration, Direction::Write, || self.io.send_to(buf, target))
    }

    /// Receives one datagram into `buf`, with the address it came from.
    pub fn recv_from<'a>(
        &'a self,
        buf: &'a mut [u8],
    ) -> impl Suspend<Output = io::Result<(usize, SocketAddr)>> + 'a {
        io_op(&self.registration, Direction::Read, move || self.io.recv_from(buf))
    }

    /// Like [`recv_from`](Self::recv_from), but leaves the datagram in the queue.
    pub fn peek_from<'a>(
        &'a self,
        buf: &'a mut [u8],
    ) -> impl Suspend<Output = io::Result<(usize, SocketAddr)>> + 'a {
        io_op(&self.registration, Direction::Read, move || self.io.peek_from(buf))
    }

    /// The local address the socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr()
    }

    /// The address of the peer the socket is connected to.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.peer_addr()
    }

    /// Sets the IP time-to-live of the packets sent from the socket (`IP_TTL`).
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.set_ttl(ttl)
    }

    /// The IP time-to-live of the packets sent from the socket (`IP_TTL`).
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.ttl()
    }

    /// Sets `SO_BROADCAST`: whether the socket may send to a broadcast address.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.set_broadcast(on)
    }

    /// Whether `SO_BROADCAST` is set.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.io.broadcast()
    }

    /// Sets `IP_MULTICAST_LOOP`: whether multicast datagrams sent are looped back to this host.
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.io.set_multicast_loop_v4(on)
    }

    /// The `IP_MULTICAST_LOOP` setting.
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.io.multicast_loop_v4()
    }

    /// Sets `IP_MULTICAST_TTL`, the time-to-live of outgoing multicast datagrams (1: this network only).
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        self.io.set_multicast_ttl_v4(ttl)
    }

    /// The `IP_MULTICAST_TTL` setting.
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.io.multicast_ttl_v4()
    }

    /// Sets `IPV6_MULTICAST_LOOP`: whether multicast datagrams sent are looped back to this host.
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        self.io.set_multicast_loop_v6(on)
    }

    /// The `IPV6_MULTICAST_LOOP` setting.
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        self.io.multicast_loop_v6()
    }

    /// Joins the IPv4 multicast group `multiaddr` on the interface with address `interface`
    /// (`UNSPECIFIED`: the system's choice).
    pub fn join_multicast_v4(&self, multiaddr: &Ipv4Addr, interface: &Ipv4Addr) -> io::Result<()> {
        self.io.join_multicast_v4(multiaddr, interface)
    }

    /// Joins the IPv6 multicast group `multiaddr` on the interface of index `interface` (0: any).
    pub fn join_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.join_multicast_v6(multiaddr, interface)
    }

    /// Leaves a group joined with [`join_multicast_v4`](Self::join_multicast_v4).
    pub fn leave_multicast_v4(&self, multiaddr: &Ipv4Addr, interface: &Ipv4Addr) -> io::Result<()> {
        self.io.leave_multicast_v4(multiaddr, interface)
    }

    /// Leaves a group joined with [`join_multicast_v6`](Self::join_multicast_v6).
    pub fn leave_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.leave_multicast_v6(multiaddr, interface)
    }

    /// Takes the socket's pending error (`SO_ERROR`), clearing it.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.take_error()
    }
}

impl Drop for UdpSocket {
    fn drop(&mut self) {
        let _ = self.registration.deregister(&mut self.io);
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.fmt(f)
    }
}
