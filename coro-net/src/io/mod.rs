//! `coro::io`: the `std::io` traits and helpers, with operations that suspend the coroutine.
//!
//! Blocking code ports by keeping every name: [`Read`], [`Write`] and [`BufRead`] have std's methods
//! (`read`, `read_exact`, `read_to_end`, `read_to_string`, `write`, `write_all`, `flush`, `fill_buf`,
//! `consume`, `read_until`, `read_line`, `lines`), [`BufReader`] and [`BufWriter`] wrap any reader or writer,
//! and [`copy`] moves a whole stream; [`stdin`], [`stdout`] and [`stderr`] are the process's standard
//! streams. [`Async`] registers any other non-blocking file descriptor (a pipe, an eventfd, a tun device)
//! with the reactor. Inside a `#[coro::coroutine]` each operation is a call whose value is
//! a [`Suspend`](coro_core::Suspend) future, so it is awaited in place and the code reads exactly like std:
//!
//! ```
//! use coro_net::io::{self, BufRead, BufReader, BufWriter, Read, Write};
//!
//! // Generic over the reader and the writer, like `fn f(r: impl std::io::Read, w: impl std::io::Write)`.
//! #[coro_macros::coroutine(crate = ::coro_core)]
//! fn number_lines(input: impl Read, output: impl Write) -> io::Result<usize> {
//!     let mut out = BufWriter::new(output);
//!     let mut lines = BufReader::new(input).lines();
//!     let mut count = 0;
//!     while let Some(line) = lines.next_line()? {   // std: `for line in reader.lines() { let line = line?;`
//!         count += 1;
//!         out.write_all(format!("{count}: {line}\n").as_bytes())?;
//!     }
//!     out.flush()?; // a `BufWriter` is not flushed on drop: see below
//!     Ok(count)
//! }
//!
//! let mut output = Vec::new();
//! let count = coro_core::block_on(number_lines(&b"alpha\r\nbeta\ngamma"[..], &mut output)).unwrap();
//! assert_eq!(count, 3);
//! assert_eq!(output, b"1: alpha\n2: beta\n3: gamma\n");
//! ```
//!
//! (User code writes `#[coro::coroutine]` and `use coro::io::...`; the doctests of this crate cannot name
//! the facade.)
//!
//! # `lines()`: the one shape that changes
//!
//! An `Iterator` cannot suspend, so [`Lines`] is a handle whose [`next_line`](Lines::next_line) is a
//! suspending operation returning `io::Result<Option<String>>`. The mapping is mechanical:
//!
//! | `std::io` (blocking)                          | `coro::io` (inside a coroutine)                              |
//! |-----------------------------------------------|--------------------------------------------------------------|
//! | `for line in reader.lines() { let line = line?; .. }` | `let mut lines = reader.lines();`<br>`while let Some(line) = lines.next_line()? { .. }` |
//! | `for line in reader.lines().map_while(Result::ok) { .. }` | `while let Ok(Some(line)) = lines.next_line() { .. }` |
//! | `reader.lines().next()` (`Option<io::Result<String>>`) | `lines.next_line()` (`io::Result<Option<String>>`, `.transpose()` converts) |
//! | `for seg in reader.split(b',') { let seg = seg?; .. }` | `while let Some(seg) = segs.next_segment()? { .. }` |
//!
//! A `for` loop is `while let Some(x) = iter.next()`; the only change is that the `Result` is outside the
//! `Option`, so the usual `let line = line?;` collapses into the loop header's `?`. (This is the shape tokio
//! chose too; an inherent `next()` returning `Option<io::Result<_>>` would look closer but puts the error
//! where `?` cannot reach it in the loop header.) Everything else about `Lines` is std's: `\n` and `\r\n` are
//! stripped, a last line without newline is returned, invalid UTF-8 is an `InvalidData` error.
//!
//! # Design
//!
//! - **Handles are plain, operations suspend.** `BufReader::new`, `lines()`, `get_mut()` and `consume()` are
//!   ordinary calls; every operation that may wait on the underlying stream returns a future that
//!   implements `Suspend`, so a coroutine awaits it where it is called.
//! - **The traits use return-position `impl Trait`**: `fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl
//!   Suspend<Output = io::Result<usize>> + 'a`. An implementation returns its own future type (a
//!   hand-written one for sockets, an `async` body for the rest), with no boxing and no allocation, and
//!   `#[coro::coroutine] fn read(&mut self, buf: &mut [u8]) -> io::Result<usize>` is a valid implementation
//!   as written. The provided methods and the buffered types are written with `#[coroutine]` themselves, so
//!   their futures are exactly as large as the hand-written `async fn`s.
//! - Semantics and error kinds are std's: `read_exact` fails with `UnexpectedEof`, `write_all` with
//!   `WriteZero`, `read_to_string`/`read_line` with `InvalidData` (appending nothing) on bad UTF-8, and
//!   `Interrupted` is retried by every looping operation.
//! - Nothing allocates beyond what std allocates: the buffers of `BufReader`/`BufWriter` once, the growth of
//!   the caller's `Vec`/`String`, one `String` per line from `Lines` (std too). `read_line` validates UTF-8
//!   as it appends, chunk by chunk, so appending many lines to one `String` stays linear, and the `String` is
//!   valid UTF-8 at every suspension point: a cancelled (dropped) or leaked operation can never leave it
//!   invalid, and no `unsafe` is needed.
//!
//! # Limits, and how they differ from std
//!
//! - **Dropping a [`BufWriter`] does not flush it** (std flushes on drop): a destructor cannot suspend.
//!   Call `flush()` or `into_inner()` before dropping, as in the example above.
//! - The traits are not object-safe (`dyn Read` does not exist): use generics or `impl Read`.
//! - In *generic* code, the future of `R::read` is not known to be `Send` (the trait cannot promise it for
//!   every reader), so `spawn!` of a coroutine generic over `R: Read` must happen where `R` is a concrete
//!   type: `spawn!(serve(stream))` with a `TcpStream` is `Send`; spawning inside `fn f<R: Read + Send>` is not.
//! - Cancellation: dropping an operation mid-way is safe; the bytes it had already taken from the stream
//!   are kept in the caller's buffer (`read_to_end`, `read_until`, `read_line` when valid UTF-8) or lost
//!   (`read_exact`, `read`-into-a-slice), like tokio's.
//! - [`copy`] keeps an 8 KiB buffer inside its future (std keeps it on the stack); [`copy_buf`] copies out of a
//!   `BufRead`'s own buffer instead.
//!
//! # Implementing the traits for a stream
//!
//! A stream type gives itself inherent operations (so its users need no trait import), then forwards the
//! traits to them, for the type and for `&Type` when two coroutines may share it, as std does:
//!
//! ```ignore
//! impl coro::io::Read for TcpStream {
//!     fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
//!         TcpStream::read(self, buf) // the inherent operation: a named, hand-written future
//!     }
//! }
//! impl coro::io::Write for TcpStream {
//!     fn write<'a>(&'a mut self, buf: &'a [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
//!         TcpStream::write(self, buf)
//!     }
//!     fn write_all<'a>(&'a mut self, buf: &'a [u8]) -> impl Suspend<Output = io::Result<()>> + 'a {
//!         TcpStream::write_all(self, buf) // optional: overrides the provided loop
//!     }
//!     fn flush(&mut self) -> impl Suspend<Output = io::Result<()>> + '_ {
//!         crate::io::now(move || TcpStream::flush(self)) // a synchronous call, as a never-pending operation
//!     }
//! }
//! ```
//!
//! The same poll function that serves the inherent future serves `futures_io::AsyncRead::poll_read`, so a
//! stream can implement both. Adapters over these traits stay easy because an operation is only a future:
//! wrapping a `futures_io::AsyncRead + Unpin` as a [`Read`] is `now`'s poll-based sibling (a `poll_fn`
//! future that is `Suspend`), written in a few lines.

#[cfg(unix)]
mod async_fd;
mod buf_read;
mod buf_reader;
mod buf_writer;
mod copy;
mod impls;
mod read;
#[cfg(unix)]
mod stdio;
mod utf8;
mod write;

#[cfg(test)]
mod tests;

#[cfg(unix)]
pub use async_fd::Async;
#[cfg(unix)]
pub(crate) use async_fd::set_nonblocking;
pub use buf_read::{BufRead, Lines, Split};
pub use buf_reader::BufReader;
pub use buf_writer::{BufWriter, IntoInnerError};
pub use copy::{copy, copy_buf};
pub use read::Read;
#[cfg(unix)]
pub use stdio::{Stderr, Stdin, StdinLock, Stdout, stderr, stdin, stdout};
pub use write::Write;

#[doc(no_inline)]
pub use std::io::{Error, ErrorKind, Result};

/// For the stream types: a synchronous call (a socket's `flush`) as a never-pending operation.
#[allow(unused_imports, reason = "used by the stream types' trait impls as they land")]
pub(crate) use impls::{Now, now};

/// The buffer size of [`BufReader`], [`BufWriter`] and [`copy`] when none is given: 8 KiB, as in std.
pub(crate) const DEFAULT_BUF_SIZE: usize = 8 * 1024;

/// Whether an error is `Interrupted`, which every looping operation retries.
#[inline]
fn interrupted(error: &Error) -> bool {
    error.kind() == ErrorKind::Interrupted
}
