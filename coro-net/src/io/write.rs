//! The [`Write`] trait: std's `Write`, with operations that suspend instead of blocking.
//!
//! `write` and `flush` are required; `write_all` is provided (std's loop: `Interrupted` retried, a write of
//! zero bytes is a `WriteZero` error) and worth overriding when the stream has a faster one. `write_fmt`,
//! what `write!` and `writeln!` call, formats the whole text first, then writes it with one `write_all`.

use super::interrupted;
use coro_core::Suspend;
use std::borrow::Cow;
use std::fmt;
use std::io::{self, ErrorKind};

/// Writes bytes to a sink, suspending the coroutine while it cannot take any.
///
/// The coroutine counterpart of [`std::io::Write`], with the same method names and semantics:
///
/// ```
/// use coro_net::io::{self, Write};
///
/// #[coro_macros::coroutine(crate = ::coro_core)]
/// fn greet(mut out: impl Write) -> io::Result<()> {
///     out.write_all(b"hello, ")?; // suspends while the sink is full
///     out.write_all(b"world")?;
///     out.flush()
/// }
///
/// let mut out = Vec::new();
/// coro_core::block_on(greet(&mut out)).unwrap();
/// assert_eq!(out, b"hello, world");
/// ```
///
/// Implemented for `&mut W`, `Box<W>`, [`BufWriter`](super::BufWriter), and for the in-memory writers
/// `Vec<u8>`, `VecDeque<u8>`, `Cursor<Vec<u8>>`, `Cursor<&mut Vec<u8>>`, `Cursor<&mut [u8]>`,
/// `Cursor<Box<[u8]>>` and `io::Sink`, whose operations never suspend.
pub trait Write {
    /// Writes some of `buf` and returns how many bytes were taken (`Ok(0)`: the sink takes no more, or
    /// `buf` was empty).
    ///
    /// Suspends until the sink can take at least one byte, or an error occurred.
    fn write<'a>(&'a mut self, buf: &'a [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a;

    /// Writes out whatever intermediate buffers hold, suspending until it is done.
    fn flush(&mut self) -> impl Suspend<Output = io::Result<()>>;

    /// Writes all of `buf`, suspending as often as needed.
    ///
    /// A `write` that takes zero bytes fails it with [`ErrorKind::WriteZero`]; `Interrupted` errors are
    /// retried. On an error, how much of `buf` was written is unspecified, as in std.
    #[coro_macros::coroutine(crate = ::coro_core)]
    fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write(buf) {
                Ok(0) => return Err(io::Error::new(ErrorKind::WriteZero, "failed to write whole buffer")),
                Ok(n) => buf = &buf[n..],
                Err(e) if interrupted(&e) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Writes formatted text: what `write!(out, ..)` and `writeln!(out, ..)` call, so inside a coroutine they
    /// read as in std (`writeln!(out, "{n} lines")?;` suspends until the text is written).
    ///
    /// ```
    /// use coro_net::io::{self, Write};
    ///
    /// #[coro_macros::coroutine(crate = ::coro_core)]
    /// fn report(mut out: impl Write, lines: usize) -> io::Result<()> {
    ///     write!(out, "{lines} ")?;
    ///     writeln!(out, "lines")
    /// }
    ///
    /// let mut out = Vec::new();
    /// coro_core::block_on(report(&mut out, 3)).unwrap();
    /// assert_eq!(out, b"3 lines\n");
    /// ```
    ///
    /// The text is formatted when the operation is created, into one `String` (none for a literal without
    /// arguments), and written with [`write_all`](Write::write_all): one write per call, where std's
    /// unbuffered writers write each piece of the format string separately. The operation keeps no borrow of
    /// the arguments (`use<'a, Self>`), so the macro's temporaries end before the coroutine suspends and it
    /// stays `Send`. A `Display` impl that fails
    /// makes it an error (std's "formatter error"), and nothing is written.
    fn write_fmt<'a>(
        &'a mut self,
        args: fmt::Arguments<'_>,
    ) -> impl Suspend<Output = io::Result<()>> + use<'a, Self> {
        write_text(self, format(args))
    }

    /// Borrows the writer, so an operation that takes it by value leaves it usable (std's `by_ref`).
    fn by_ref(&mut self) -> &mut Self
    where
        Self: Sized,
    {
        self
    }
}

/// The text of `args`: borrowed when it is a literal, else formatted into a `String`.
fn format(args: fmt::Arguments<'_>) -> io::Result<Cow<'static, str>> {
    if let Some(literal) = args.as_str() {
        return Ok(Cow::Borrowed(literal));
    }
    let mut text = String::new();
    fmt::Write::write_fmt(&mut text, args).map_err(|_| io::Error::other("formatter error"))?;
    Ok(Cow::Owned(text))
}

/// The operation of [`Write::write_fmt`], once the text is formatted.
#[coro_macros::coroutine(crate = ::coro_core)]
fn write_text<W: Write + ?Sized>(writer: &mut W, text: io::Result<Cow<'static, str>>) -> io::Result<()> {
    writer.write_all(text?.as_bytes())
}

/// A reference or a box writes like what it points to, as in std.
macro_rules! forward_write {
    ($($writer:ty),*) => {$(
        impl<W: Write + ?Sized> Write for $writer {
            #[inline]
            fn write<'a>(&'a mut self, buf: &'a [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
                (**self).write(buf)
            }

            #[inline]
            fn flush(&mut self) -> impl Suspend<Output = io::Result<()>> {
                (**self).flush()
            }

            #[inline]
            fn write_all(&mut self, buf: &[u8]) -> impl Suspend<Output = io::Result<()>> {
                (**self).write_all(buf)
            }
        }
    )*};
}

forward_write!(&mut W, Box<W>);
