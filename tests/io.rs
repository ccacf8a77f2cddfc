//! `coro::io` from user code: blocking `std::io` code and its coroutine port, side by side.
//!
//! Each port keeps std's names and shapes; the only change is `lines()`, whose `for` loop becomes
//! `while let Some(line) = lines.next_line()? { .. }`. The source used here suspends before every read and
//! serves a few bytes at a time, like a socket.
//!
//! `deny(warnings)`: idiomatic use must not warn.

#![deny(warnings)]

// `coro::io` is the coro-net crate's `io` module, re-exported by the facade.
use coro::io::{self, BufRead, BufReader, BufWriter, Read, Write};

/// A source that suspends before every read and serves at most `chunk` bytes: a trickling socket.
struct Trickle {
    data: Vec<u8>,
    position: usize,
    chunk: usize,
}

impl Trickle {
    fn new(data: &[u8], chunk: usize) -> Trickle {
        Trickle { data: data.to_vec(), position: 0, chunk }
    }
}

/// A user's own `Read`: a `#[coro::coroutine]` method is an implementation as written.
impl Read for Trickle {
    #[coro::coroutine]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        coro::yield_now(); // suspends: other coroutines run
        let n = self.chunk.min(buf.len()).min(self.data.len() - self.position);
        buf[..n].copy_from_slice(&self.data[self.position..self.position + n]);
        self.position += n;
        Ok(n)
    }
}

const TEXT: &[u8] = b"the quick brown fox\r\njumps over\n\nthe lazy dog";

/// Blocking std code...
fn word_counts_std(input: impl std::io::Read) -> std::io::Result<Vec<usize>> {
    use std::io::BufRead;
    let mut counts = Vec::new();
    for line in std::io::BufReader::new(input).lines() {
        let line = line?;
        counts.push(line.split_whitespace().count());
    }
    Ok(counts)
}

/// ...and its port: the same names, with `lines.next_line()?` in the loop header.
#[coro::coroutine]
fn word_counts(input: impl Read) -> io::Result<Vec<usize>> {
    let mut counts = Vec::new();
    let mut lines = BufReader::new(input).lines();
    while let Some(line) = lines.next_line()? {
        counts.push(line.split_whitespace().count());
    }
    Ok(counts)
}

#[test]
fn lines_port_gives_what_std_gives() {
    let expected = word_counts_std(TEXT).unwrap();
    assert_eq!(expected, [4, 2, 0, 3]);
    for chunk in [1, 2, 3, 64] {
        assert_eq!(coro::block_on(word_counts(Trickle::new(TEXT, chunk))).unwrap(), expected);
    }
    assert_eq!(coro::block_on(word_counts(TEXT)).unwrap(), expected, "in-memory readers work too");
}

/// A line protocol: `add a b` and `neg a`, one reply line each, written through a `BufWriter` and flushed
/// once at the end. Generic over both ends, as a blocking server would be.
#[coro::coroutine]
fn serve(input: impl Read, output: impl Write) -> io::Result<u64> {
    let mut reader = BufReader::new(input);
    let mut out = BufWriter::new(output);
    let mut line = String::new();
    let mut served = 0;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        let reply = match line.split_whitespace().collect::<Vec<_>>()[..] {
            ["add", a, b] => (a.parse::<i64>().unwrap_or(0) + b.parse::<i64>().unwrap_or(0)).to_string(),
            ["neg", a] => (-a.parse::<i64>().unwrap_or(0)).to_string(),
            _ => String::from("?"),
        };
        out.write_all(reply.as_bytes())?;
        out.write_all(b"\n")?;
        served += 1;
    }
    out.flush()?;
    Ok(served)
}

#[test]
fn a_line_protocol_reads_like_blocking_code() {
    let mut replies = Vec::new();
    let served =
        coro::block_on(serve(Trickle::new(b"add 2 3\nneg 7\r\nhuh\nadd 40 2", 3), &mut replies)).unwrap();
    assert_eq!(served, 4);
    assert_eq!(replies, b"5\n-7\n?\n42\n");
}

/// Fixed-size header, then the rest as text: `read_exact` and `read_to_string`, as with std.
#[coro::coroutine]
fn parse_message(mut input: impl Read) -> io::Result<(u16, String)> {
    let mut header = [0u8; 2];
    input.read_exact(&mut header)?;
    let mut body = String::new();
    input.read_to_string(&mut body)?;
    Ok((u16::from_be_bytes(header), body))
}

#[test]
fn read_exact_and_read_to_string_keep_std_errors() {
    let message = coro::block_on(parse_message(Trickle::new(b"\x01\x02h\xc3\xa9llo", 1))).unwrap();
    assert_eq!(message, (0x0102, String::from("héllo")));
    let short = coro::block_on(parse_message(Trickle::new(b"\x01", 1))).unwrap_err();
    assert_eq!(short.kind(), io::ErrorKind::UnexpectedEof);
    let bad = coro::block_on(parse_message(Trickle::new(b"\x01\x02\xff", 1))).unwrap_err();
    assert_eq!(bad.kind(), io::ErrorKind::InvalidData);
}

/// `io::copy` and a `BufWriter`'s `into_inner`, which is an operation: it writes the buffer out first.
#[coro::coroutine]
fn duplicate(mut input: impl Read) -> io::Result<Vec<u8>> {
    let mut out = BufWriter::with_capacity(16, Vec::new());
    let copied = io::copy(&mut input, &mut out)?;
    out.write_all(b"|")?;
    let mut out = out.into_inner()?; // `?` turns `IntoInnerError` into an `io::Error`, as with std
    let again = out[..copied as usize].to_vec();
    out.extend_from_slice(&again);
    Ok(out)
}

#[test]
fn copy_and_into_inner() {
    let out = coro::block_on(duplicate(Trickle::new(b"0123456789abcdefghij", 7))).unwrap();
    assert_eq!(out, b"0123456789abcdefghij|0123456789abcdefghij");
}

/// A coroutine generic over its reader is `Send` where it is spawned with a concrete (`Send`) reader.
#[coro::test(workers = 2)]
fn generic_coroutines_spawn_with_concrete_readers() {
    let tasks: Vec<_> = (1..=4).map(|chunk| coro::spawn!(word_counts(Trickle::new(TEXT, chunk)))).collect();
    for task in tasks {
        assert_eq!(task.join().unwrap().unwrap(), [4, 2, 0, 3]);
    }
}
