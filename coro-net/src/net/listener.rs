//! What every listening socket shares: the registration and `accept`, with its back-off under descriptor
//! exhaustion.
//!
//! Accepting when the process is out of file descriptors (`EMFILE`, `ENFILE`) or memory returns the error,
//! as std does, but a listener that keeps failing that way makes its next `accept` wait first (5 ms,
//! doubling up to 1 s, reset by a success). The backlog stays readable while descriptors are short, so an
//! accept loop that logs the error and carries on would otherwise spin a CPU; this way it neither spins nor
//! loses the connections waiting in the backlog, which are accepted once descriptors are free again.

use crate::reactor::{Direction, Registration};
use crate::time::{Sleep, sleep};
use coro_core::Suspend;
use mio::Interest;
use mio::event::Source;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::task::{Context, Poll, ready};
use std::time::Duration;

/// A mio listener: how it accepts.
pub(crate) trait Accepts: Source {
    type Stream;
    type Addr;
    fn accept_now(&self) -> io::Result<(Self::Stream, Self::Addr)>;
}

impl Accepts for mio::net::TcpListener {
    type Stream = mio::net::TcpStream;
    type Addr = std::net::SocketAddr;

    fn accept_now(&self) -> io::Result<(Self::Stream, Self::Addr)> {
        self.accept()
    }
}

#[cfg(unix)]
impl Accepts for mio::net::UnixListener {
    type Stream = mio::net::UnixStream;
    type Addr = std::os::unix::net::SocketAddr;

    fn accept_now(&self) -> io::Result<(Self::Stream, Self::Addr)> {
        self.accept()
    }
}

/// A registered, non-blocking listening socket.
pub(crate) struct IoListener<L: Source> {
    io: L,
    registration: Registration,
    /// Consecutive accepts that failed for lack of resources.
    starved: AtomicU32,
}

impl<L: Accepts> IoListener<L> {
    pub(crate) fn new(mut io: L) -> io::Result<Self> {
        let registration = Registration::new(&mut io, Interest::READABLE)?;
        Ok(IoListener { io, registration, starved: AtomicU32::new(0) })
    }

    pub(crate) fn get_ref(&self) -> &L {
        &self.io
    }

    /// Accepts one connection, as the raw mio stream and its peer's address.
    pub(crate) fn accept(&self) -> impl Suspend<Output = io::Result<(L::Stream, L::Addr)>> + '_ {
        Accept { listener: self, pause: None }
    }
}

impl<L: Source> Drop for IoListener<L> {
    fn drop(&mut self) {
        let _ = self.registration.deregister(&mut self.io);
    }
}

impl<L: Source + fmt::Debug> fmt::Debug for IoListener<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.fmt(f)
    }
}

/// Whether an accept error means "out of descriptors or memory".
fn is_resource_exhaustion(err: &io::Error) -> bool {
    const ENOMEM: i32 = 12;
    const ENFILE: i32 = 23;
    const EMFILE: i32 = 24;
    #[cfg(target_os = "linux")]
    const ENOBUFS: i32 = 105;
    #[cfg(not(target_os = "linux"))]
    const ENOBUFS: i32 = 55;
    matches!(err.raw_os_error(), Some(ENOMEM | ENFILE | EMFILE | ENOBUFS))
}

/// The pause before the next accept after `failures` resource errors in a row.
fn starvation_pause(failures: u32) -> Duration {
    Duration::from_millis(5u64 << failures.min(8)).min(Duration::from_secs(1))
}

struct Accept<'a, L: Source> {
    listener: &'a IoListener<L>,
    pause: Option<Pin<Box<Sleep>>>,
}

impl<L: Accepts> Future for Accept<'_, L> {
    type Output = io::Result<(L::Stream, L::Addr)>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let listener = this.listener;
        let failures = listener.starved.load(Relaxed);
        if failures > 0 {
            let pause = this.pause.get_or_insert_with(|| Box::pin(sleep(starvation_pause(failures))));
            ready!(pause.as_mut().poll(cx));
        }
        let accepted =
            ready!(listener.registration.poll_io(cx, Direction::Read, || listener.io.accept_now()));
        match &accepted {
            Ok(_) => listener.starved.store(0, Relaxed),
            Err(err) if is_resource_exhaustion(err) => {
                listener.starved.store(failures.saturating_add(1), Relaxed)
            }
            Err(_) => {}
        }
        Poll::Ready(accepted)
    }
}

impl<L: Accepts> Suspend for Accept<'_, L> {}

/// The connections a listener accepts, one per [`next`](Incoming::next) (std's `Incoming`, for
/// [`TcpListener::incoming`](super::TcpListener::incoming) and `UnixListener::incoming`).
#[derive(Debug)]
pub struct Incoming<'a, L> {
    pub(crate) listener: &'a L,
}

impl Incoming<'_, super::TcpListener> {
    /// The next connection: suspends until one arrives. Never `None` (the `Option` makes `while let`
    /// read like std's `for`).
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn next(&mut self) -> Option<io::Result<super::TcpStream>> {
        Some(self.listener.accept().map(|(stream, _)| stream))
    }
}

#[cfg(unix)]
impl Incoming<'_, super::UnixListener> {
    /// The next connection: suspends until one arrives. Never `None`.
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn next(&mut self) -> Option<io::Result<super::UnixStream>> {
        Some(self.listener.accept().map(|(stream, _)| stream))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starvation_pause_doubles_up_to_a_second() {
        assert_eq!(starvation_pause(1), Duration::from_millis(10));
        assert_eq!(starvation_pause(3), Duration::from_millis(40));
        assert_eq!(starvation_pause(30), Duration::from_secs(1));
    }

    #[test]
    fn descriptor_and_memory_exhaustion_are_recognised() {
        assert!(is_resource_exhaustion(&io::Error::from_raw_os_error(24)));
        assert!(is_resource_exhaustion(&io::Error::from_raw_os_error(23)));
        assert!(!is_resource_exhaustion(&io::Error::from(io::ErrorKind::ConnectionAborted)));
    }
}
