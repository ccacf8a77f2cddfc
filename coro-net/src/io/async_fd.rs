//! [`Async<T>`]: any non-blocking file descriptor, registered with the runtime's reactor.
//!
//! The building block for what coro has no type of its own for (a tun device, a serial port, inotify, an
//! eventfd, a pipe), as smol's `Async`: the descriptor is switched to non-blocking mode and registered once;
//! [`read_with`](Async::read_with) and [`write_with`](Async::write_with) run a non-blocking call and suspend
//! while it returns `WouldBlock`, retrying on each readiness event. Readiness is the reactor's usual
//! edge-triggered cache (see `reactor/registration.rs`): the call is tried first, and only a `WouldBlock`
//! makes the task wait, so a descriptor with data waiting costs one system call.
//!
//! [`readable`](Async::readable) and [`writable`](Async::writable) wait for readiness without doing the I/O.
//! They ask the kernel (`poll(2)` with a zero timeout) before trusting the cache, so a loop that waits with
//! them and then gets `WouldBlock` from its own call waits again instead of spinning.
//!
//! coro's own processes and signals are built on it (child pipes, pidfds, the signal pipes).

use super::{Read, Write, now};
use crate::net::op::io_op;
use crate::reactor::{Direction, Registration};
use coro_core::Suspend;
use mio::Interest;
use mio::unix::SourceFd;
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

/// A non-blocking file descriptor (or anything owning one) registered with the current runtime's reactor.
///
/// ```
/// use coro_net::io::{Async, Write};
/// use std::os::unix::net::UnixStream;
///
/// let rt = coro_net::Runtime::builder().workers(1).build().unwrap();
/// rt.block_on(async {
///     let (a, b) = UnixStream::pair().unwrap();
///     let (mut a, b) = (Async::new(a).unwrap(), Async::new(b).unwrap());
///     a.write_all(b"ping").await.unwrap(); // `coro::io::Write`, as `&UnixStream` is `std::io::Write`
///     // Any non-blocking call: retried each time the descriptor is ready, while it returns `WouldBlock`.
///     let mut buf = [0u8; 4];
///     let n = b.read_with(|s| std::io::Read::read(&mut { s }, &mut buf)).await.unwrap();
///     assert_eq!(&buf[..n], b"ping");
/// });
/// ```
///
/// Inside a `#[coro::coroutine]` the operations are awaited in place: `a.read_with(|s| s.recv(..))?`.
///
/// Implements [`coro::io::Read`](Read) and [`Write`] when `&T` implements `std::io::Read` / `Write` (as
/// `&File`, `&UnixStream` and `&TcpStream` do), for the value and for `&Async<T>`, so two coroutines can
/// read and write one descriptor at once.
pub struct Async<T: AsFd> {
    /// `Some` until [`into_inner`](Async::into_inner) takes it.
    io: Option<T>,
    registration: Registration,
}

impl<T: AsFd> Async<T> {
    /// Switches `io`'s descriptor to non-blocking mode and registers it with the current runtime's reactor.
    ///
    /// The mode belongs to the open file description, so every descriptor sharing it (a `dup`, the same
    /// pipe inherited by another process, the terminal behind an inherited stdin) becomes non-blocking too:
    /// wrap descriptors this program opened itself.
    ///
    /// Fails outside a coro runtime, and for descriptors epoll cannot watch (a regular file: `EPERM`).
    pub fn new(io: T) -> io::Result<Async<T>> {
        let fd = io.as_fd().as_raw_fd();
        set_nonblocking(fd, true)?;
        let registration = Registration::new(&mut SourceFd(&fd), Interest::READABLE | Interest::WRITABLE)?;
        Ok(Async { io: Some(io), registration })
    }

    /// The inner value, for calls that do not wait.
    pub fn get_ref(&self) -> &T {
        self.io.as_ref().expect("present until `into_inner`")
    }

    /// Deregisters the descriptor and gives the inner value back (still in non-blocking mode).
    pub fn into_inner(mut self) -> io::Result<T> {
        let io = self.io.take().expect("present until `into_inner`");
        self.registration.deregister(&mut SourceFd(&io.as_fd().as_raw_fd()))?;
        Ok(io)
    }

    /// Suspends until the descriptor is readable (or at end of file, or has an error).
    pub fn readable(&self) -> impl Suspend<Output = io::Result<()>> + '_ {
        let fd = self.raw_fd();
        io_op(&self.registration, Direction::Read, move || poll_now(fd, libc::POLLIN))
    }

    /// Suspends until the descriptor is writable (or closed for writing, or has an error).
    pub fn writable(&self) -> impl Suspend<Output = io::Result<()>> + '_ {
        let fd = self.raw_fd();
        io_op(&self.registration, Direction::Write, move || poll_now(fd, libc::POLLOUT))
    }

    /// Runs the non-blocking read-side call `op` until it returns something other than `WouldBlock`,
    /// suspending until the descriptor is readable after each `WouldBlock`.
    pub fn read_with<'a, R>(
        &'a self,
        mut op: impl FnMut(&T) -> io::Result<R> + 'a,
    ) -> impl Suspend<Output = io::Result<R>> + 'a {
        io_op(&self.registration, Direction::Read, move || op(self.get_ref()))
    }

    /// As [`read_with`](Async::read_with), for a write-side call: suspends until writable.
    pub fn write_with<'a, R>(
        &'a self,
        mut op: impl FnMut(&T) -> io::Result<R> + 'a,
    ) -> impl Suspend<Output = io::Result<R>> + 'a {
        io_op(&self.registration, Direction::Write, move || op(self.get_ref()))
    }

    fn raw_fd(&self) -> RawFd {
        self.get_ref().as_fd().as_raw_fd()
    }
}

impl<T: AsFd> Drop for Async<T> {
    fn drop(&mut self) {
        if let Some(io) = &self.io {
            // The descriptor is about to close either way: an error here changes nothing.
            let _ = self.registration.deregister(&mut SourceFd(&io.as_fd().as_raw_fd()));
        }
    }
}

impl<T: AsFd> AsFd for Async<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.get_ref().as_fd()
    }
}

impl<T: AsFd> AsRawFd for Async<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.raw_fd()
    }
}

impl<T: AsFd + fmt::Debug> fmt::Debug for Async<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Async").field(self.get_ref()).finish()
    }
}

/// What `coro::io::Read` and `Write` do, for `Async<T>` and `&Async<T>` alike.
impl<T: AsFd> Async<T> {
    fn read_into<'a>(&'a self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a
    where
        for<'b> &'b T: io::Read,
    {
        self.read_with(move |mut io| io::Read::read(&mut io, buf))
    }

    fn write_from<'a>(&'a self, buf: &'a [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a
    where
        for<'b> &'b T: io::Write,
    {
        self.write_with(move |mut io| io::Write::write(&mut io, buf))
    }

    fn flush_now(&self) -> impl Suspend<Output = io::Result<()>> + '_
    where
        for<'b> &'b T: io::Write,
    {
        let io = self.get_ref();
        now(move || io::Write::flush(&mut { io }))
    }
}

impl<T: AsFd> Read for &Async<T>
where
    for<'b> &'b T: io::Read,
{
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        self.read_into(buf)
    }
}

impl<T: AsFd> Write for &Async<T>
where
    for<'b> &'b T: io::Write,
{
    fn write<'a>(&'a mut self, buf: &'a [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        self.write_from(buf)
    }

    fn flush(&mut self) -> impl Suspend<Output = io::Result<()>> {
        self.flush_now()
    }
}

impl<T: AsFd> Read for Async<T>
where
    for<'b> &'b T: io::Read,
{
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        self.read_into(buf)
    }
}

impl<T: AsFd> Write for Async<T>
where
    for<'b> &'b T: io::Write,
{
    fn write<'a>(&'a mut self, buf: &'a [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        self.write_from(buf)
    }

    fn flush(&mut self) -> impl Suspend<Output = io::Result<()>> {
        self.flush_now()
    }
}

/// Sets or clears `O_NONBLOCK` on `fd`.
pub(crate) fn set_nonblocking(fd: RawFd, nonblocking: bool) -> io::Result<()> {
    // SAFETY: `fcntl` with `F_GETFL`/`F_SETFL` reads and writes the flags of a descriptor the caller
    // borrows; an invalid descriptor is reported as `EBADF`, not undefined behaviour.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        let flags = if nonblocking { flags | libc::O_NONBLOCK } else { flags & !libc::O_NONBLOCK };
        if flags < 0 || libc::fcntl(fd, libc::F_SETFL, flags) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Whether `fd` is ready for `events` now (errors and hang-ups count as ready), as `WouldBlock` if not.
fn poll_now(fd: RawFd, events: libc::c_short) -> io::Result<()> {
    let mut pollfd = libc::pollfd { fd, events, revents: 0 };
    // SAFETY: one valid `pollfd` is passed with a count of one, and a zero timeout never blocks.
    match unsafe { libc::poll(&mut pollfd, 1, 0) } {
        n if n < 0 => Err(io::Error::last_os_error()),
        0 => Err(io::ErrorKind::WouldBlock.into()),
        _ => Ok(()),
    }
}
