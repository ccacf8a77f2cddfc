//! A read buffer for request parsers (shared by the `http` and `redis` examples).
//!
//! # Design
//!
//! A protocol parser wants the unread bytes as one contiguous slice, keeps a request that arrived only in
//! part, and asks for more: `coro::io::BufReader` cannot do that (like std's, it reads only once its buffer
//! is empty). `ReadBuf` keeps `buf[start..end]` unread, appends each read after it, moves the unread bytes
//! to the front only when the tail is full, and grows (doubling) up to a limit. Parsers borrow
//! [`data`](ReadBuf::data), say how much they used with [`consume`](ReadBuf::consume), and nothing is
//! allocated per request: the buffer is allocated once per connection and reused.

use coro::io::Read;
use std::io;

#[derive(Debug)]
pub struct ReadBuf {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    limit: usize,
}

impl ReadBuf {
    /// A buffer of `initial` bytes that grows up to `limit` bytes of unread data.
    pub fn new(initial: usize, limit: usize) -> ReadBuf {
        ReadBuf { buf: vec![0; initial.min(limit)], start: 0, end: 0, limit }
    }

    /// The bytes read and not consumed yet.
    pub fn data(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Marks the first `n` bytes of [`data`](Self::data) as used.
    pub fn consume(&mut self, n: usize) {
        assert!(n <= self.end - self.start, "consumed more than was read");
        self.start += n;
        if self.start == self.end {
            (self.start, self.end) = (0, 0);
        }
    }

    /// Whether the unread data has reached the limit: a parser still waiting for more has to give up.
    pub fn is_full(&self) -> bool {
        self.end - self.start >= self.limit
    }

    /// Reads once from `reader`, after the unread data; returns how many bytes arrived, `Ok(0)` at the end of
    /// the stream. Makes room first: moves the unread data to the front, or grows the buffer. Must not be
    /// called when [`is_full`](Self::is_full).
    #[coro::coroutine]
    pub fn fill<R: Read>(&mut self, reader: &mut R) -> io::Result<usize> {
        debug_assert!(!self.is_full());
        if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                (self.start, self.end) = (0, self.end - self.start);
            } else {
                let grown = (self.buf.len() * 2).clamp(1, self.limit);
                self.buf.resize(grown, 0);
            }
        }
        let n = reader.read(&mut self.buf[self.end..])?;
        self.end += n;
        Ok(n)
    }
}
