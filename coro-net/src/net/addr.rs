//! Resolving socket addresses without blocking a worker.
//!
//! [`ToSocketAddrs`] takes the same arguments as `std::net::ToSocketAddrs` (a `SocketAddr`, `(ip, port)`,
//! `"host:port"`, `(host, port)`, a slice of addresses). What is already an address, or parses as one,
//! resolves on the spot; a host name is looked up with the system resolver on the runtime's blocking pool,
//! because `getaddrinfo` blocks, so DNS never stalls a worker.

use coro_core::spawn_blocking;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// Anything that names one or more socket addresses, as in `std::net`. Sealed: its method is internal.
pub trait ToSocketAddrs: sealed::Resolve {}

pub(crate) mod sealed {
    use super::Resolution;

    /// How an argument resolves.
    pub trait Resolve {
        #[doc(hidden)]
        fn resolution(&self) -> Resolution;
    }
}

/// The addresses now, or the `host:port` string to look up.
#[doc(hidden)]
#[derive(Debug)]
pub enum Resolution {
    Ready(Vec<SocketAddr>),
    Lookup(String),
}

/// Resolves a host name to its socket addresses, as std's `"host:port".to_socket_addrs()`: what is
/// already an address resolves on the spot, a name is looked up with the system resolver on the blocking
/// pool (so the lookup suspends the coroutine, never a worker).
///
/// ```
/// #[coro_macros::coroutine(crate = ::coro_core)]
/// fn loopback_only() -> std::io::Result<bool> {
///     let mut addrs = coro_net::net::lookup_host("localhost:80")?; // suspends during the lookup
///     Ok(addrs.all(|addr| addr.ip().is_loopback()))
/// }
///
/// let rt = coro_net::Runtime::builder().workers(1).build().unwrap();
/// assert!(rt.block_on(loopback_only()).unwrap());
/// ```
#[coro_macros::coroutine(crate = ::coro_core)]
pub fn lookup_host<A: ToSocketAddrs>(host: A) -> io::Result<std::vec::IntoIter<SocketAddr>> {
    Ok(lookup(host)?.into_iter())
}

/// The addresses `addr` names, looked up on the blocking pool if it is a host name.
#[coro_macros::coroutine(crate = ::coro_core)]
fn lookup<A: ToSocketAddrs>(addr: A) -> io::Result<Vec<SocketAddr>> {
    match addr.resolution() {
        Resolution::Ready(addrs) => Ok(addrs),
        Resolution::Lookup(name) => {
            let lookup = spawn_blocking(move || std::net::ToSocketAddrs::to_socket_addrs(&name));
            let found =
                lookup.join().map_err(|err| io::Error::other(format!("address lookup failed: {err}")))?;
            Ok(found?.collect())
        }
    }
}

/// The addresses `addr` names (at least one), looked up on the blocking pool if it is a host name.
#[coro_macros::coroutine(crate = ::coro_core)]
pub(crate) fn resolve<A: ToSocketAddrs>(addr: A) -> io::Result<Vec<SocketAddr>> {
    let addrs = lookup(addr)?;
    if addrs.is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "could not resolve to any addresses"));
    }
    Ok(addrs)
}

/// Runs `attempt` on each address in turn; the first success wins, else the last error is returned.
pub(crate) fn first_success<T>(
    addrs: Vec<SocketAddr>,
    mut attempt: impl FnMut(SocketAddr) -> io::Result<T>,
) -> io::Result<T> {
    let mut last = None;
    for addr in addrs {
        match attempt(addr) {
            Ok(value) => return Ok(value),
            Err(err) => last = Some(err),
        }
    }
    Err(last
        .unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "could not resolve to any addresses")))
}

macro_rules! ready_addresses {
    ($($ty:ty),* $(,)?) => {$(
        impl sealed::Resolve for $ty {
            fn resolution(&self) -> Resolution {
                Resolution::Ready(std::net::ToSocketAddrs::to_socket_addrs(self).map(Iterator::collect).unwrap_or_default())
            }
        }
        impl ToSocketAddrs for $ty {}
    )*};
}

ready_addresses!(SocketAddr, SocketAddrV4, SocketAddrV6, (IpAddr, u16), (Ipv4Addr, u16), (Ipv6Addr, u16));

impl sealed::Resolve for [SocketAddr] {
    fn resolution(&self) -> Resolution {
        Resolution::Ready(self.to_vec())
    }
}
impl ToSocketAddrs for [SocketAddr] {}

impl sealed::Resolve for str {
    fn resolution(&self) -> Resolution {
        match self.parse::<SocketAddr>() {
            Ok(addr) => Resolution::Ready(vec![addr]),
            Err(_) => Resolution::Lookup(self.to_owned()),
        }
    }
}
impl ToSocketAddrs for str {}

impl sealed::Resolve for String {
    fn resolution(&self) -> Resolution {
        self.as_str().resolution()
    }
}
impl ToSocketAddrs for String {}

impl sealed::Resolve for (&str, u16) {
    fn resolution(&self) -> Resolution {
        let (host, port) = *self;
        match host.parse::<IpAddr>() {
            Ok(ip) => Resolution::Ready(vec![SocketAddr::new(ip, port)]),
            Err(_) => Resolution::Lookup(format!("{host}:{port}")),
        }
    }
}
impl ToSocketAddrs for (&str, u16) {}

impl sealed::Resolve for (String, u16) {
    fn resolution(&self) -> Resolution {
        (self.0.as_str(), self.1).resolution()
    }
}
impl ToSocketAddrs for (String, u16) {}

impl<T: sealed::Resolve + ?Sized> sealed::Resolve for &T {
    fn resolution(&self) -> Resolution {
        (**self).resolution()
    }
}
impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}

#[cfg(test)]
mod tests {
    use super::sealed::Resolve as _;
    use super::*;

    fn resolved(addr: impl ToSocketAddrs) -> Vec<SocketAddr> {
        coro_core::block_on(resolve(addr)).unwrap()
    }

    #[test]
    fn literal_addresses_resolve_without_a_lookup() {
        let v4: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let v6: SocketAddr = "[::1]:80".parse().unwrap();
        assert_eq!(resolved(v4), vec![v4]);
        assert_eq!(resolved("127.0.0.1:80"), vec![v4]);
        assert_eq!(resolved(String::from("[::1]:80")), vec![v6]);
        assert_eq!(resolved(("::1", 80)), vec![v6]);
        assert_eq!(resolved((Ipv4Addr::LOCALHOST, 80)), vec![v4]);
        assert_eq!(resolved(&[v4, v6][..]), vec![v4, v6]);
        assert!(matches!("localhost:80".resolution(), Resolution::Lookup(name) if name == "localhost:80"));
    }

    #[test]
    fn no_address_is_an_invalid_input_error() {
        let err = coro_core::block_on(resolve(&[][..] as &[SocketAddr])).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
