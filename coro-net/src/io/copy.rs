//! [`copy`] and [`copy_buf`]: moving a whole stream into a writer.

use super::{BufRead, DEFAULT_BUF_SIZE, Read, Write, interrupted};
use std::io;

/// Copies everything `reader` yields into `writer`, until the end of the stream; returns how many bytes.
///
/// std's `io::copy`: `Interrupted` is retried, a write of zero bytes is a `WriteZero` error, and on an error
/// the bytes copied so far stay written. The 8 KiB buffer lives in the operation (std keeps it on the
/// stack), so the future is a little over 8 KiB; [`copy_buf`] copies from a [`BufRead`]'s own buffer
/// instead and stays small.
///
/// ```
/// use coro_net::io;
///
/// let mut source = &b"a stream of bytes"[..];
/// let mut sink = Vec::new();
/// let copied = coro_core::block_on(io::copy(&mut source, &mut sink)).unwrap();
/// assert_eq!((copied, &sink[..]), (17, &b"a stream of bytes"[..]));
/// ```
#[coro_macros::coroutine(crate = ::coro_core)]
pub fn copy<R: Read + ?Sized, W: Write + ?Sized>(reader: &mut R, writer: &mut W) -> io::Result<u64> {
    let mut buf = [0u8; DEFAULT_BUF_SIZE];
    let mut copied = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(copied),
            Ok(n) => n,
            Err(e) if interrupted(&e) => continue,
            Err(e) => return Err(e),
        };
        writer.write_all(&buf[..n])?;
        copied += n as u64;
    }
}

/// Copies everything `reader` yields into `writer` straight from the reader's buffer; returns how many
/// bytes. Same semantics as [`copy`], without a buffer of its own.
///
/// ```
/// use coro_net::io::{self, BufReader};
///
/// let mut reader = BufReader::new(&b"buffered"[..]);
/// let mut sink = Vec::new();
/// assert_eq!(coro_core::block_on(io::copy_buf(&mut reader, &mut sink)).unwrap(), 8);
/// assert_eq!(sink, b"buffered");
/// ```
#[coro_macros::coroutine(crate = ::coro_core)]
pub fn copy_buf<R: BufRead + ?Sized, W: Write + ?Sized>(reader: &mut R, writer: &mut W) -> io::Result<u64> {
    let mut copied = 0u64;
    loop {
        let n = {
            let available = match reader.fill_buf() {
                Ok(available) => available,
                Err(e) if interrupted(&e) => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                return Ok(copied);
            }
            writer.write_all(available)?;
            available.len()
        };
        reader.consume(n);
        copied += n as u64;
    }
}
