//! The [`Read`] trait: std's `Read`, with an operation that suspends instead of blocking.
//!
//! Only `read` is required. The provided methods are coroutines over it, with std's semantics: they retry
//! `Interrupted`, `read_exact` fails with `UnexpectedEof`, and `read_to_string` fails with `InvalidData`
//! (appending nothing) when the data is not UTF-8. `read_to_end` grows the vector the way std does: a small
//! probe read before growing a vector whose capacity may be exact, then reads of adaptively doubling size
//! into zeroed spare capacity, zeroing every byte at most once.

use super::{DEFAULT_BUF_SIZE, interrupted};
use coro_core::Suspend;
use std::io::{self, ErrorKind};

/// The size of the probe read, tried before growing a vector whose capacity is used up (std's too).
const PROBE_SIZE: usize = 32;

/// Reads bytes from a source, suspending the coroutine while none are available.
///
/// The coroutine counterpart of [`std::io::Read`], with the same method names and semantics. Inside a
/// `#[coro::coroutine]` its operations are awaited where they are called:
///
/// ```
/// use coro_net::io::{self, Read};
///
/// #[coro_macros::coroutine(crate = ::coro_core)]
/// fn header(mut source: impl Read) -> io::Result<[u8; 4]> {
///     let mut magic = [0u8; 4];
///     source.read_exact(&mut magic)?; // suspends until 4 bytes have arrived
///     Ok(magic)
/// }
///
/// assert_eq!(coro_core::block_on(header(&b"\x7fELF..."[..])).unwrap(), *b"\x7fELF");
/// ```
///
/// # Implementing it
///
/// Return any future that implements [`Suspend`]; a `#[coro::coroutine]` method is one:
///
/// ```ignore
/// impl coro::io::Read for Source {
///     #[coro::coroutine]
///     fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
///         self.wait_for_data(); // a suspending operation of your own
///         Ok(self.copy_into(buf))
///     }
/// }
/// ```
///
/// Implemented for `&mut R`, `Box<R>`, [`BufReader`](super::BufReader), and for the in-memory readers
/// `&[u8]`, `Cursor<T: AsRef<[u8]>>`, `VecDeque<u8>`, `io::Empty` and `io::Repeat`, whose operations never
/// suspend (handy in tests).
pub trait Read {
    /// Reads some bytes into `buf` and returns how many; `Ok(0)` means end of stream (or an empty `buf`).
    ///
    /// Suspends until at least one byte is available, the stream has ended, or an error occurred.
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a;

    /// Reads exactly `buf.len()` bytes, suspending as often as needed.
    ///
    /// Fails with [`ErrorKind::UnexpectedEof`] if the stream ends first; the contents of `buf` are then
    /// unspecified, as in std. `Interrupted` errors are retried.
    #[coro_macros::coroutine(crate = ::coro_core)]
    fn read_exact(&mut self, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.read(buf) {
                Ok(0) => break,
                Ok(n) => buf = &mut buf[n..],
                Err(e) if interrupted(&e) => {}
                Err(e) => return Err(e),
            }
        }
        if buf.is_empty() {
            Ok(())
        } else {
            Err(io::Error::new(ErrorKind::UnexpectedEof, "failed to fill whole buffer"))
        }
    }

    /// Reads until the end of the stream, appending to `buf`; returns how many bytes were appended.
    ///
    /// On an error, the bytes read before it stay appended. `Interrupted` errors are retried.
    #[coro_macros::coroutine(crate = ::coro_core)]
    fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let mut tail = Tail::new(buf);
        let mut probe = [0u8; PROBE_SIZE];
        loop {
            if tail.needs_probe() {
                // The vector is full and may have been sized exactly: look for more before growing it.
                match self.read(&mut probe) {
                    Ok(0) => return Ok(tail.finish()),
                    Ok(n) => tail.append(&probe[..n]),
                    Err(e) if interrupted(&e) => {}
                    Err(e) => return Err(e),
                }
                continue;
            }
            match self.read(tail.spare()) {
                Ok(0) => return Ok(tail.finish()),
                Ok(n) => tail.filled(n),
                Err(e) if interrupted(&e) => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads until the end of the stream, appending to `buf`; returns how many bytes were appended.
    ///
    /// If the data is not valid UTF-8, fails with [`ErrorKind::InvalidData`] and appends nothing. On an I/O
    /// error, the bytes read before it stay appended when they are valid UTF-8, as in std.
    #[coro_macros::coroutine(crate = ::coro_core)]
    fn read_to_string(&mut self, buf: &mut String) -> io::Result<usize> {
        // Into an empty string, read into its own allocation; otherwise into a side vector, then append it.
        let mut bytes = if buf.is_empty() { std::mem::take(buf).into_bytes() } else { Vec::new() };
        let result = self.read_to_end(&mut bytes);
        let appended = if buf.is_empty() {
            String::from_utf8(bytes).map(|string| *buf = string).map_err(|e| {
                // Keep the allocation, drop the bytes.
                let mut bytes = e.into_bytes();
                bytes.clear();
                *buf = String::from_utf8(bytes).unwrap_or_default();
            })
        } else {
            std::str::from_utf8(&bytes).map(|text| buf.push_str(text)).map_err(|_| ())
        };
        match appended {
            Ok(()) => result,
            Err(()) => result.and_then(|_| Err(super::utf8::invalid_data())),
        }
    }

    /// Borrows the reader, so an operation that takes it by value leaves it usable (std's `by_ref`).
    fn by_ref(&mut self) -> &mut Self
    where
        Self: Sized,
    {
        self
    }
}

/// The vector `read_to_end` appends to: bytes `..filled` are data, `filled..` zeroed room for the next read.
///
/// On drop (the operation finished, failed or was cancelled) the vector is cut back to its data, so no
/// zeroes are ever left in it.
struct Tail<'a> {
    buf: &'a mut Vec<u8>,
    start: usize,
    filled: usize,
    start_capacity: usize,
    /// The most bytes handed to one read: doubles while reads fill all they are given (std's heuristic).
    max_read: usize,
}

impl<'a> Tail<'a> {
    fn new(buf: &'a mut Vec<u8>) -> Self {
        let start = buf.len();
        Tail { start, filled: start, start_capacity: buf.capacity(), max_read: DEFAULT_BUF_SIZE, buf }
    }

    /// Whether the next read should be a probe: no room is left and the vector never grew.
    fn needs_probe(&self) -> bool {
        self.filled == self.buf.len()
            && self.buf.len() == self.buf.capacity()
            && self.buf.capacity() == self.start_capacity
    }

    /// Room for the next read, zeroing more of the capacity (growing it when used up) if none is left.
    fn spare(&mut self) -> &mut [u8] {
        if self.filled == self.buf.len() {
            if self.buf.len() == self.buf.capacity() {
                self.buf.reserve(PROBE_SIZE); // amortized doubling
            }
            let room = (self.buf.capacity() - self.buf.len()).min(self.max_read);
            self.buf.resize(self.buf.len() + room, 0);
        }
        &mut self.buf[self.filled..]
    }

    /// Records that the last read filled `n` bytes of [`spare`](Self::spare).
    fn filled(&mut self, n: usize) {
        if n == self.buf.len() - self.filled {
            self.max_read = self.max_read.saturating_mul(2);
        }
        self.filled += n;
    }

    /// Appends the bytes of a probe read.
    fn append(&mut self, bytes: &[u8]) {
        self.buf.truncate(self.filled);
        self.buf.extend_from_slice(bytes);
        self.filled += bytes.len();
    }

    /// How many bytes were appended.
    fn finish(&self) -> usize {
        self.filled - self.start
    }
}

impl Drop for Tail<'_> {
    fn drop(&mut self) {
        self.buf.truncate(self.filled);
    }
}

/// A reference or a box reads like what it points to, as in std.
macro_rules! forward_read {
    ($($reader:ty),*) => {$(
        impl<R: Read + ?Sized> Read for $reader {
            #[inline]
            fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Suspend<Output = io::Result<usize>> + 'a {
                (**self).read(buf)
            }

            #[inline]
            fn read_exact(&mut self, buf: &mut [u8]) -> impl Suspend<Output = io::Result<()>> {
                (**self).read_exact(buf)
            }

            #[inline]
            fn read_to_end(&mut self, buf: &mut Vec<u8>) -> impl Suspend<Output = io::Result<usize>> {
                (**self).read_to_end(buf)
            }

            #[inline]
            fn read_to_string(&mut self, buf: &mut String) -> impl Suspend<Output = io::Result<usize>> {
                (**self).read_to_string(buf)
            }
        }
    )*};
}

forward_read!(&mut R, Box<R>);
