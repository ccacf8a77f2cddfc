//! [`stdin`], [`stdout`], [`stderr`]: the process's standard streams for coroutines.
//!
//! # Design
//!
//! Each stream is a process-wide handle (a `static`), opened on its first operation, behind a coro
//! [`Mutex`] so that one operation at a time uses it and a `write_all` is never interleaved with another
//! coroutine's; `Stdin` keeps its line buffer there (a `BufReader`), so no input is lost between calls.
//!
//! How the fd is reached depends on what it is:
//!
//! - **a pipe, a tty or another pollable file** goes through the reactor. The fd's open file description
//!   is shared with the parent process and with every other user of fd 0/1/2 in this process, so setting
//!   `O_NONBLOCK` on it would make their blocking reads and writes fail with `EAGAIN`. Instead the stream
//!   is *reopened* through `/proc/self/fd/N`, which gives a new open file description of the same pipe or
//!   terminal, and `O_NONBLOCK` is set on that one only: fd 0/1/2 keep their blocking mode.
//! - **a regular file** (`< input.txt`, `> out.log`), which epoll cannot wait for, or anything that cannot
//!   be reopened (a socket, `/proc` not mounted) or polled (`/dev/null`), goes through the blocking pool as a
//!   [`coro::fs::File`](crate::fs::File) over a `dup` of the fd: same description, same offset, blocking
//!   mode untouched; writes are queued as for any coro file (`flush` waits for them).
//!
//! tokio runs every stdio operation on its blocking pool; a read from a terminal then holds a pool thread
//! until a line is typed, and the runtime cannot shut down before it. Through the reactor a pending read
//! is only a registered waker.
//!
//! The reactor registration belongs to a runtime: a stream used from another runtime than the last one is
//! registered again with that one's reactor.
//!
//! # How it differs from std
//!
//! - [`Stdout`] is not line-buffered: every `write` is a `write(2)` (a `writeln!` is one, as it formats the
//!   whole line first). Wrap it in a [`BufWriter`](super::BufWriter) for many small writes, and flush it.
//! - Nothing is flushed at exit: `flush()` a `BufWriter`, and a stdout that is a regular file, before
//!   leaving `main`.
//! - The buffers are not std's: mixing `std::io::stdin()` and `coro::io::stdin()` in one program splits the
//!   input between two buffers.
//! - [`Stdin::lock`] and [`Stdin::lines`] suspend: taking the lock waits for another coroutine's operation.
//!
//! # futures-io
//!
//! [`Stdin`] is a `futures_io::AsyncRead`, [`Stdout`] and [`Stderr`] are `futures_io::AsyncWrite`s, for
//! crates written against those traits. A poll cannot suspend a coroutine to wait for the lock, so each
//! handle keeps its own hold on it: the lock acquisition it has queued, then the guard while its operation
//! is pending; the guard is released as soon as the operation completes. (That is why the handles are
//! `Clone` and not `Copy`: a clone starts without a hold.) The operation itself is the one the coroutine API
//! uses, on the shared stream: a read or write that is pending when its poll is abandoned has consumed
//! nothing, and input read ahead stays in the shared buffer, so no byte is lost. The lock goes when the
//! operation completes or the handle is dropped: a handle left pending and never polled again keeps the
//! stream locked until it is dropped. As with tokio, futures-lite's `write_all` is a series of
//! `poll_write`s, each taking the lock, so another coroutine's write may land between two of them;
//! [`Write::write_all`] is not interleaved.

use super::{BufRead, BufReader, Lines, Read, Write};
use crate::fs::{File, Op};
use crate::reactor::{Direction, Driver, Registration};
use coro_core::Suspend;
use coro_core::sync::{Lock, Mutex, MutexGuard};
use futures_lite::io::{AsyncRead, AsyncWrite};
use mio::unix::SourceFd;
use std::fmt;
use std::io::{self, Read as _, Write as _};
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, ready};

/// One standard stream, as this process reaches it.
enum Raw {
    /// Not opened yet.
    Unopened(RawFd),
    /// A reopened, non-blocking description of a pipe or terminal, and its registration with the reactor
    /// of the runtime that last used it.
    Reactor { file: std::fs::File, registration: Option<(Arc<Driver>, Registration)> },
    /// A duplicate of the fd, used from the blocking pool.
    Pool(File),
}

impl Raw {
    /// Opens the stream on its first use: through the reactor if it can be reopened non-blocking, else
    /// through the pool.
    fn open(fd: RawFd) -> io::Result<Raw> {
        // SAFETY: fd 0, 1 and 2 stay open for the life of the process unless the program closes them;
        // the borrow only lasts for the `dup`, which fails cleanly (EBADF) if it was closed.
        let dup = unsafe { BorrowedFd::borrow_raw(fd) }.try_clone_to_owned()?;
        let dup = std::fs::File::from(dup);
        if dup.metadata()?.file_type().is_file() {
            return Ok(Raw::Pool(File::from_std(dup)));
        }
        let reopened = std::fs::OpenOptions::new()
            .read(fd == 0)
            .write(fd != 0)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(format!("/proc/self/fd/{fd}"));
        Ok(match reopened {
            Ok(file) => Raw::Reactor { file, registration: None },
            Err(_) => Raw::Pool(File::from_std(dup)),
        })
    }

    /// Opens the stream if needed and registers it with the current runtime's reactor; a file the reactor
    /// cannot poll falls back to the pool.
    fn ready(&mut self) -> io::Result<()> {
        if let Raw::Unopened(fd) = *self {
            *self = Raw::open(fd)?;
        }
        let Raw::Reactor { file, registration } = self else { return Ok(()) };
        let driver = Driver::current();
        if registration
            .as_ref()
            .zip(driver.as_ref())
            .is_some_and(|((ours, _), current)| Arc::ptr_eq(ours, current))
        {
            return Ok(());
        }
        let fd = file.as_raw_fd();
        if let Some((_, mut old)) = registration.take() {
            // Registered with another runtime's reactor: leave it (an error means that reactor is gone).
            let _ = old.deregister(&mut SourceFd(&fd));
        }
        match Registration::new(&mut SourceFd(&fd), mio::Interest::READABLE | mio::Interest::WRITABLE) {
            Ok(new) => {
                *registration = driver.map(|driver| (driver, new));
                Ok(())
            }
            // epoll refuses files that cannot be polled (`/dev/null`): they never block, use the pool.
            Err(err) if err.raw_os_error() == Some(libc::EPERM) => {
                let Raw::Reactor { file, .. } = std::mem::replace(self, Raw::Unopened(fd)) else {
                    unreachable!()
                };
                *self = Raw::Pool(File::from_std(file));
                Ok(())
            }
            Err(err) => Err(err),
        }
    }

    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.ready()?;
        match self {
            Raw::Reactor { file, registration: Some((_, registration)) } => {
                registration.poll_io(cx, Direction::Read, || (&*file).read(buf))
            }
            Raw::Pool(file) => file.poll_read(cx, buf),
            _ => unreachable!("ready() opened and registered the stream"),
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.ready()?;
        match self {
            Raw::Reactor { file, registration: Some((_, registration)) } => {
                registration.poll_io(cx, Direction::Write, || (&*file).write(buf))
            }
            Raw::Pool(file) => file.poll_write(cx, buf),
            _ => unreachable!("ready() opened and registered the stream"),
        }
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Raw::Pool(file) => file.poll_drained(cx),
            _ => Poll::Ready(Ok(())),
        }
    }
}

impl Read for Raw {
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        Op(move |cx: &mut Context<'_>| self.poll_read(cx, buf))
    }
}

impl Write for Raw {
    fn write<'a>(&'a mut self, buf: &'a [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        Op(move |cx: &mut Context<'_>| self.poll_write(cx, buf))
    }

    fn flush(&mut self) -> impl Suspend<Output = io::Result<()>> {
        Op(move |cx: &mut Context<'_>| self.poll_flush(cx))
    }
}

impl AsyncRead for Raw {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.get_mut().poll_read(cx, buf)
    }
}

/// A handle's hold on its stream's lock, for the poll-based traits (see the module's notes).
enum Hold<T: 'static> {
    /// No operation in progress.
    Idle,
    /// Queued for the lock.
    Waiting(Lock<'static, T>),
    /// The lock, kept while the operation is pending.
    Held(MutexGuard<'static, T>),
}

impl<T> Hold<T> {
    /// Polls `op` on the stream behind `mutex`, taking the lock first; releases it once `op` completes.
    fn poll<R>(
        &mut self,
        mutex: &'static Mutex<T>,
        cx: &mut Context<'_>,
        op: impl FnOnce(&mut T, &mut Context<'_>) -> Poll<R>,
    ) -> Poll<R> {
        loop {
            match self {
                Hold::Idle => *self = Hold::Waiting(mutex.lock()),
                Hold::Waiting(lock) => *self = Hold::Held(ready!(Pin::new(lock).poll(cx))),
                Hold::Held(guard) => {
                    let result = ready!(op(guard, cx));
                    *self = Hold::Idle;
                    return Poll::Ready(result);
                }
            }
        }
    }
}

/// The standard input of the process, from [`stdin`]: std's [`std::io::Stdin`], whose operations suspend.
///
/// ```no_run
/// use coro_net::io::{self, Write};
///
/// #[coro_macros::coroutine(crate = ::coro_core)]
/// fn shout() -> io::Result<()> {
///     let mut lines = io::stdin().lines(); // std: `for line in io::stdin().lines() { let line = line?;`
///     let mut out = io::stdout();
///     while let Some(line) = lines.next_line()? {
///         writeln!(out, "{}", line.to_uppercase())?;
///     }
///     Ok(())
/// }
/// ```
///
/// It is a handle to one buffered reader shared by the whole process: cheap to get again or to clone.
/// It is also a `futures_io::AsyncRead` (see the module's notes on the lock).
pub struct Stdin {
    inner: &'static Mutex<BufReader<Raw>>,
    hold: Hold<BufReader<Raw>>,
}

/// The standard input, locked by one coroutine: [`BufRead`] and [`Read`], from [`Stdin::lock`].
pub struct StdinLock<'a> {
    inner: MutexGuard<'a, BufReader<Raw>>,
}

/// The process's standard input (std's [`std::io::stdin`]). Opened on its first operation.
pub fn stdin() -> Stdin {
    static STDIN: OnceLock<Mutex<BufReader<Raw>>> = OnceLock::new();
    Stdin { inner: STDIN.get_or_init(|| Mutex::new(BufReader::new(Raw::Unopened(0)))), hold: Hold::Idle }
}

impl Stdin {
    /// Locks the standard input for this coroutine (suspends while another coroutine holds it): the lock
    /// reads with [`BufRead`] without taking the lock per call.
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn lock(&self) -> StdinLock<'static> {
        let inner: &'static Mutex<BufReader<Raw>> = self.inner;
        StdinLock { inner: inner.lock() }
    }

    /// Reads a line, with its `\n`, appending it to `buf` (std's `Stdin::read_line`); `Ok(0)` at the end
    /// of input. Not UTF-8 is [`io::ErrorKind::InvalidData`], and nothing is appended.
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn read_line(&self, buf: &mut String) -> io::Result<usize> {
        self.inner.lock().read_line(buf)
    }

    /// Reads all the input that is left, appending it to `buf` (std's `Stdin::read_to_string`).
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn read_to_string(&self, buf: &mut String) -> io::Result<usize> {
        self.inner.lock().read_to_string(buf)
    }

    /// The lines of the input, holding the lock (std's `Stdin::lines`); suspends while another coroutine
    /// holds it. Read them with `while let Some(line) = lines.next_line()? { .. }`.
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn lines(self) -> Lines<StdinLock<'static>> {
        BufRead::lines(self.lock())
    }
}

impl Read for Stdin {
    #[coro_macros::coroutine(crate = ::coro_core)]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.lock().read(buf)
    }
}

impl AsyncRead for Stdin {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.hold.poll(this.inner, cx, |reader, cx| Pin::new(reader).poll_read(cx, buf))
    }
}

/// A clone is another handle to the same stream, without this one's operation in progress.
impl Clone for Stdin {
    fn clone(&self) -> Self {
        Stdin { inner: self.inner, hold: Hold::Idle }
    }
}

impl Read for StdinLock<'_> {
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        self.inner.read(buf)
    }
}

impl BufRead for StdinLock<'_> {
    fn fill_buf<'a>(&'a mut self) -> impl Suspend<Output = io::Result<&'a [u8]>> + 'a {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.inner.consume(amount)
    }
}

impl fmt::Debug for Stdin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stdin").finish_non_exhaustive()
    }
}

impl fmt::Debug for StdinLock<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StdinLock").finish_non_exhaustive()
    }
}

/// An output stream of the process, from [`stdout`] or [`stderr`]: std's [`std::io::Stdout`] and
/// [`std::io::Stderr`], whose operations suspend.
macro_rules! output {
    ($name:ident, $fn:ident, $fd:literal, $what:literal) => {
        #[doc = concat!("The ", $what, " of the process, from [`", stringify!($fn), "`]: it implements")]
        /// [`Write`], so `write!` and `writeln!` work on it in a coroutine. Unbuffered: each `write` is one
        /// `write(2)` (see the module's notes); a `write_all` is never interleaved with another coroutine's.
        /// It is also a `futures_io::AsyncWrite` (see the module's notes on the lock).
        pub struct $name {
            inner: &'static Mutex<Raw>,
            hold: Hold<Raw>,
        }

        #[doc = concat!("The ", $what, " of the process (std's [`std::io::", stringify!($fn), "`]).")]
        ///
        /// Opened on its first operation.
        pub fn $fn() -> $name {
            static STREAM: OnceLock<Mutex<Raw>> = OnceLock::new();
            $name { inner: STREAM.get_or_init(|| Mutex::new(Raw::Unopened($fd))), hold: Hold::Idle }
        }

        /// A clone is another handle to the same stream, without this one's operation in progress.
        impl Clone for $name {
            fn clone(&self) -> Self {
                $name { inner: self.inner, hold: Hold::Idle }
            }
        }

        impl AsyncWrite for $name {
            fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                let this = self.get_mut();
                this.hold.poll(this.inner, cx, |raw, cx| raw.poll_write(cx, buf))
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                let this = self.get_mut();
                this.hold.poll(this.inner, cx, |raw, cx| raw.poll_flush(cx))
            }

            /// Flushes: the process's stream stays open, as std's does.
            fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.poll_flush(cx)
            }
        }

        impl Write for $name {
            #[coro_macros::coroutine(crate = ::coro_core)]
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                self.inner.lock().write(buf)
            }

            #[coro_macros::coroutine(crate = ::coro_core)]
            fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
                self.inner.lock().write_all(buf)
            }

            #[coro_macros::coroutine(crate = ::coro_core)]
            fn flush(&mut self) -> io::Result<()> {
                self.inner.lock().flush()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }
    };
}

output!(Stdout, stdout, 1, "standard output");
output!(Stderr, stderr, 2, "standard error");
