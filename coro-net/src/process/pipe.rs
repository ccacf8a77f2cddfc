//! The parent's ends of a child's standard streams: [`ChildStdin`], [`ChildStdout`], [`ChildStderr`].
//!
//! Each is a pipe end taken from std's child, made non-blocking and registered with the reactor as an
//! [`Async<File>`](Async) (a `File` only as the owner of the descriptor: `&File` reads and writes with
//! plain `read(2)`/`write(2)`).

use super::Stdio;
use crate::io::{Async, Read, Write, set_nonblocking};
use coro_core::Suspend;
use std::fmt;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

/// Registers a pipe end taken from std's child.
fn register(end: impl Into<OwnedFd>) -> io::Result<Async<File>> {
    Async::new(File::from(end.into()))
}

/// Deregisters a pipe end and puts it back in blocking mode, to hand it to another child.
fn into_stdio(pipe: Async<File>) -> io::Result<Stdio> {
    let file = pipe.into_inner()?;
    set_nonblocking(file.as_raw_fd(), false)?;
    Ok(Stdio::from(OwnedFd::from(file)))
}

/// The child's standard input, when piped: a [`coro::io::Write`](Write). Dropping it closes the pipe, so
/// the child reads end of file.
pub struct ChildStdin {
    pipe: Async<File>,
}

/// The child's standard output, when piped: a [`coro::io::Read`](Read).
pub struct ChildStdout {
    pipe: Async<File>,
}

/// The child's standard error, when piped: a [`coro::io::Read`](Read).
pub struct ChildStderr {
    pipe: Async<File>,
}

impl ChildStdin {
    pub(super) fn new(end: std::process::ChildStdin) -> io::Result<ChildStdin> {
        Ok(ChildStdin { pipe: register(end)? })
    }
}

impl ChildStdout {
    pub(super) fn new(end: std::process::ChildStdout) -> io::Result<ChildStdout> {
        Ok(ChildStdout { pipe: register(end)? })
    }
}

impl ChildStderr {
    pub(super) fn new(end: std::process::ChildStderr) -> io::Result<ChildStderr> {
        Ok(ChildStderr { pipe: register(end)? })
    }
}

impl Write for ChildStdin {
    /// Writes some of `buf`, suspending while the pipe is full; `BrokenPipe` once the child closed it.
    fn write<'a>(&'a mut self, buf: &'a [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        self.pipe.write(buf)
    }

    fn flush(&mut self) -> impl Suspend<Output = io::Result<()>> {
        self.pipe.flush()
    }
}

impl Read for ChildStdout {
    /// Reads some bytes, suspending until the child writes; `Ok(0)` once it closed its end.
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        self.pipe.read(buf)
    }
}

impl Read for ChildStderr {
    /// Reads some bytes, suspending until the child writes; `Ok(0)` once it closed its end.
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
        self.pipe.read(buf)
    }
}

impl AsFd for ChildStdin {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.pipe.as_fd()
    }
}

impl AsFd for ChildStdout {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.pipe.as_fd()
    }
}

impl AsFd for ChildStderr {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.pipe.as_fd()
    }
}

impl fmt::Debug for ChildStdin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ChildStdin").field(&self.pipe).finish()
    }
}

impl fmt::Debug for ChildStdout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ChildStdout").field(&self.pipe).finish()
    }
}

impl fmt::Debug for ChildStderr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ChildStderr").field(&self.pipe).finish()
    }
}

/// The pipe becomes another child's stdin or stdout, as with std's `Stdio::from(ChildStdout)`:
/// `Command::new("sort").stdin(Stdio::try_from(first.stdout.take().unwrap())?)` chains two children.
impl TryFrom<ChildStdin> for Stdio {
    type Error = io::Error;

    fn try_from(stdin: ChildStdin) -> io::Result<Stdio> {
        into_stdio(stdin.pipe)
    }
}

/// The pipe becomes another child's stdin, as with std's `Stdio::from`.
impl TryFrom<ChildStdout> for Stdio {
    type Error = io::Error;

    fn try_from(stdout: ChildStdout) -> io::Result<Stdio> {
        into_stdio(stdout.pipe)
    }
}

/// The pipe becomes another child's stdin, as with std's `Stdio::from`.
impl TryFrom<ChildStderr> for Stdio {
    type Error = io::Error;

    fn try_from(stderr: ChildStderr) -> io::Result<Stdio> {
        into_stdio(stderr.pipe)
    }
}
