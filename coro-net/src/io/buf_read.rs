//! The [`BufRead`] trait and its [`Lines`] and [`Split`] handles.
//!
//! `fill_buf` is the one suspending primitive; `read_until` and `read_line` loop over it with std's
//! semantics, scanning each filled buffer for the delimiter a machine word at a time ([`memchr`]).
//!
//! `lines()` and `split()` cannot return iterators, whose `next` cannot suspend: they return plain handles
//! whose `next_line()` / `next_segment()` are the suspending operations, returning `io::Result<Option<_>>`.
//! `for line in r.lines() { let line = line?; .. }` becomes
//! `while let Some(line) = lines.next_line()? { .. }` (see the [module docs](super)).

use super::utf8::Utf8Appender;
use super::{Read, interrupted};
use coro_core::Suspend;
use std::io;

/// A reader with an internal buffer, which makes reading up to a delimiter (a line) cheap.
///
/// The coroutine counterpart of [`std::io::BufRead`]: same methods, same semantics, and the operations
/// suspend instead of blocking. Implemented by [`BufReader`](super::BufReader) (the usual way to get one),
/// `&mut B`, `Box<B>`, and the in-memory `&[u8]`, `Cursor<T: AsRef<[u8]>>`, `VecDeque<u8>` and `io::Empty`.
///
/// ```
/// use coro_net::io::{self, BufRead, BufReader};
///
/// #[coro_macros::coroutine(crate = ::coro_core)]
/// fn first_word(input: impl io::Read) -> io::Result<Vec<u8>> {
///     let mut reader = BufReader::new(input);
///     let mut word = Vec::new();
///     reader.read_until(b' ', &mut word)?;
///     Ok(word)
/// }
///
/// assert_eq!(coro_core::block_on(first_word(&b"hello world"[..])).unwrap(), b"hello ");
/// ```
pub trait BufRead: Read {
    /// Returns the buffered data, filling the buffer from the underlying reader first if it is empty
    /// (suspending while it waits). An empty slice means end of stream.
    ///
    /// Call [`consume`](Self::consume) with how many of the bytes were used.
    fn fill_buf<'a>(&'a mut self) -> impl Suspend<Output = io::Result<&'a [u8]>> + 'a;

    /// Marks `amount` bytes of the buffer as used, so `fill_buf` and reads no longer return them. A plain
    /// call: it never suspends.
    fn consume(&mut self, amount: usize);

    /// Reads until `byte` or the end of the stream, appending everything read, `byte` included, to `buf`;
    /// returns how many bytes were appended (0 at end of stream).
    ///
    /// On an error, the bytes read before it stay appended; `Interrupted` is retried.
    #[coro_macros::coroutine(crate = ::coro_core)]
    fn read_until(&mut self, byte: u8, buf: &mut Vec<u8>) -> io::Result<usize> {
        let mut read = 0;
        loop {
            let (done, used) = {
                let available = match self.fill_buf() {
                    Ok(available) => available,
                    Err(e) if interrupted(&e) => continue,
                    Err(e) => return Err(e),
                };
                match memchr(byte, available) {
                    Some(i) => {
                        buf.extend_from_slice(&available[..=i]);
                        (true, i + 1)
                    }
                    None => {
                        buf.extend_from_slice(available);
                        (false, available.len())
                    }
                }
            };
            self.consume(used);
            read += used;
            if done || used == 0 {
                return Ok(read);
            }
        }
    }

    /// Reads until the end of a line (`\n`, included) or of the stream, appending to `buf`; returns how many
    /// bytes were read (0 at end of stream).
    ///
    /// If the line is not valid UTF-8, the whole line is still consumed, nothing is appended and the error
    /// is [`InvalidData`](io::ErrorKind::InvalidData). On an I/O error, what was read before it stays
    /// appended when it is valid UTF-8. `buf` is valid UTF-8 at every suspension point.
    #[coro_macros::coroutine(crate = ::coro_core)]
    fn read_line(&mut self, buf: &mut String) -> io::Result<usize> {
        let mut appender = Utf8Appender::new(buf);
        let mut read = 0;
        loop {
            let (done, used) = {
                let available = match self.fill_buf() {
                    Ok(available) => available,
                    Err(e) if interrupted(&e) => continue,
                    Err(e) => return appender.finish(Err(e)),
                };
                let (done, used) = match memchr(b'\n', available) {
                    Some(i) => (true, i + 1),
                    None => (false, available.len()),
                };
                appender.push(&available[..used]);
                (done, used)
            };
            self.consume(used);
            read += used;
            if done || used == 0 {
                return appender.finish(Ok(read));
            }
        }
    }

    /// Turns the reader into a [`Lines`] handle, whose [`next_line`](Lines::next_line) returns the lines one
    /// by one: `while let Some(line) = lines.next_line()? { .. }`.
    fn lines(self) -> Lines<Self>
    where
        Self: Sized,
    {
        Lines { reader: self }
    }

    /// Turns the reader into a [`Split`] handle, whose [`next_segment`](Split::next_segment) returns the
    /// segments separated by `byte`, without it.
    fn split(self, byte: u8) -> Split<Self>
    where
        Self: Sized,
    {
        Split { reader: self, byte }
    }
}

/// A reference or a box buffers like what it points to, as in std.
macro_rules! forward_buf_read {
    ($($reader:ty),*) => {$(
        impl<B: BufRead + ?Sized> BufRead for $reader {
            #[inline]
            fn fill_buf<'a>(&'a mut self) -> impl Suspend<Output = io::Result<&'a [u8]>> + 'a {
                (**self).fill_buf()
            }

            #[inline]
            fn consume(&mut self, amount: usize) {
                (**self).consume(amount)
            }

            #[inline]
            fn read_until(&mut self, byte: u8, buf: &mut Vec<u8>) -> impl Suspend<Output = io::Result<usize>> {
                (**self).read_until(byte, buf)
            }

            #[inline]
            fn read_line(&mut self, buf: &mut String) -> impl Suspend<Output = io::Result<usize>> {
                (**self).read_line(buf)
            }
        }
    )*};
}

forward_buf_read!(&mut B, Box<B>);

/// The lines of a [`BufRead`], from [`BufRead::lines`]: a plain handle whose [`next_line`](Self::next_line)
/// suspends.
///
/// std's `for line in reader.lines() { let line = line?; .. }` reads, inside a coroutine:
///
/// ```
/// use coro_net::io::{self, BufRead, BufReader};
///
/// #[coro_macros::coroutine(crate = ::coro_core)]
/// fn longest(input: impl io::Read) -> io::Result<String> {
///     let mut longest = String::new();
///     let mut lines = BufReader::new(input).lines();
///     while let Some(line) = lines.next_line()? {
///         if line.len() > longest.len() {
///             longest = line;
///         }
///     }
///     Ok(longest)
/// }
///
/// let text = &b"short\r\nthe longest one\nmid"[..];
/// assert_eq!(coro_core::block_on(longest(text)).unwrap(), "the longest one");
/// ```
#[derive(Debug)]
pub struct Lines<B> {
    reader: B,
}

impl<B: BufRead> Lines<B> {
    /// Reads the next line, without its `\n` or `\r\n`; `Ok(None)` at end of stream.
    ///
    /// A last line without a newline is returned too. Each line is a new `String`, as with std.
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn next_line(&mut self) -> io::Result<Option<String>> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        if line.ends_with('\n') {
            line.pop();
            if line.ends_with('\r') {
                line.pop();
            }
        }
        Ok(Some(line))
    }

    /// The reader.
    pub fn get_ref(&self) -> &B {
        &self.reader
    }

    /// The reader, mutably; reading from it directly takes bytes that the next line would have had.
    pub fn get_mut(&mut self) -> &mut B {
        &mut self.reader
    }

    /// The reader, with whatever it had buffered.
    pub fn into_inner(self) -> B {
        self.reader
    }
}

/// The segments of a [`BufRead`] separated by a byte, from [`BufRead::split`]: a plain handle whose
/// [`next_segment`](Self::next_segment) suspends.
///
/// std's `for segment in reader.split(b',') { let segment = segment?; .. }` reads
/// `while let Some(segment) = segments.next_segment()? { .. }`.
#[derive(Debug)]
pub struct Split<B> {
    reader: B,
    byte: u8,
}

impl<B: BufRead> Split<B> {
    /// Reads the next segment, without its separator; `Ok(None)` at end of stream.
    #[coro_macros::coroutine(crate = ::coro_core)]
    pub fn next_segment(&mut self) -> io::Result<Option<Vec<u8>>> {
        let mut segment = Vec::new();
        if self.reader.read_until(self.byte, &mut segment)? == 0 {
            return Ok(None);
        }
        if segment.last() == Some(&self.byte) {
            segment.pop();
        }
        Ok(Some(segment))
    }

    /// The reader.
    pub fn get_ref(&self) -> &B {
        &self.reader
    }

    /// The reader, mutably.
    pub fn get_mut(&mut self) -> &mut B {
        &mut self.reader
    }

    /// The reader, with whatever it had buffered.
    pub fn into_inner(self) -> B {
        self.reader
    }
}

/// The index of the first `byte` in `haystack`: a machine word at a time (SWAR), without `unsafe`.
///
/// `iter().position` compares a byte per step; this compares 16 bytes per step with two `u64` tests of
/// "has a zero byte" on `word ^ (byte * 0x01..01)`, then finds the byte inside the matching word.
pub(crate) fn memchr(byte: u8, haystack: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    #[inline(always)]
    fn has_zero(word: u64) -> bool {
        word.wrapping_sub(LO) & !word & HI != 0
    }
    let pattern = LO * u64::from(byte);
    let mut chunks = haystack.chunks_exact(16);
    let mut offset = 0;
    for chunk in &mut chunks {
        let (a, b) = chunk.split_at(8);
        let a = u64::from_ne_bytes(a.try_into().unwrap_or_default()) ^ pattern;
        let b = u64::from_ne_bytes(b.try_into().unwrap_or_default()) ^ pattern;
        if has_zero(a) || has_zero(b) {
            break;
        }
        offset += 16;
    }
    haystack[offset..].iter().position(|&b| b == byte).map(|i| offset + i)
}

#[cfg(test)]
mod tests {
    use super::memchr;

    #[test]
    fn memchr_agrees_with_position() {
        let mut haystack: Vec<u8> =
            (0..200u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8 | 1).collect();
        for len in 0..haystack.len() {
            for needle in [0u8, 1, b'\n', 0x80, 0xff] {
                let expected = haystack[..len].iter().position(|&b| b == needle);
                assert_eq!(memchr(needle, &haystack[..len]), expected, "len {len} needle {needle}");
            }
        }
        for at in 0..haystack.len() {
            let saved = haystack[at];
            haystack[at] = 0;
            assert_eq!(memchr(0, &haystack), Some(at));
            haystack[at] = saved;
        }
    }
}
