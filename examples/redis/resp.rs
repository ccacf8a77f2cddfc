//! RESP2, both ways: commands in (multibulk arrays and inline lines), replies out.
//!
//! # Design
//!
//! [`Parser::parse`] looks at the unread bytes and either finds one whole command at their start, returning
//! how many bytes it used, or says it needs more bytes (`Ok(None)`), or refuses them with the protocol error
//! Redis would send before closing the connection. The arguments of a multibulk command are ranges into
//! the read buffer, so nothing is copied; those of an inline command (`PING`, `SET k "a b"` typed into nc)
//! are unquoted into a scratch buffer the parser keeps. Both vectors are reused, so parsing allocates nothing
//! once a connection has warmed up.
//!
//! A multibulk command that arrives in parts is resumed where the last call stopped: the parser keeps the
//! arguments found so far (ranges from the command's first byte, which stays the first byte of the unread
//! input until the command is complete) and where the next one starts, so a command dripped in many pieces
//! costs what it costs in one, never a rescan from its start. Limits are Redis's: inline lines and length
//! lines up to 64 KiB, at most 1M arguments, arguments up to [`MAX_BULK`] (`proto-max-bulk-len`).
//!
//! Replies are appended to the connection's output buffer by the functions below, one per RESP2 type.

use std::io::Write as _;
use std::ops::Range;

/// The longest argument a command may have (Redis's `proto-max-bulk-len`).
pub const MAX_BULK: usize = 512 << 20;
/// The most arguments in one command (Redis's limit).
const MAX_ARGS: i64 = 1024 * 1024;
/// The longest inline command, and the longest `*N`/`$N` line (Redis's limit).
const MAX_LINE: usize = 64 * 1024;

/// A protocol error: the message of the `-ERR Protocol error: ...` reply, after which the connection closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtocolError(pub &'static str);

/// Parses commands; keeps the arguments of the last one.
#[derive(Debug, Default)]
pub struct Parser {
    args: Vec<Range<usize>>,
    /// The unquoted arguments of an inline command (`args` then index this instead of the input).
    scratch: Vec<u8>,
    inline: bool,
    /// A multibulk command that has arrived in part, to resume.
    partial: Option<Partial>,
}

/// How far a multibulk command has been parsed: its arguments so far are in `Parser::args`.
#[derive(Debug, Clone, Copy)]
struct Partial {
    /// How many arguments it has.
    count: usize,
    /// Where the next argument's `$LEN` line starts.
    pos: usize,
}

/// A parsed command: its arguments, the name first.
#[derive(Debug, Clone, Copy)]
pub struct Command<'a> {
    data: &'a [u8],
    args: &'a [Range<usize>],
}

impl<'a> Command<'a> {
    /// How many arguments, the name included.
    pub fn len(&self) -> usize {
        self.args.len()
    }

    /// Argument `i` (0 is the name). Panics if `i >= len()`: callers check the arity first.
    pub fn arg(&self, i: usize) -> &'a [u8] {
        &self.data[self.args[i].clone()]
    }

    /// Every argument from `i` on.
    pub fn args_from(&self, i: usize) -> impl Iterator<Item = &'a [u8]> + 'a {
        let data = self.data;
        self.args[i..].iter().map(move |range| &data[range.clone()])
    }
}

impl Parser {
    /// Parses the command at the start of `buf`: `Ok(Some(used))` when one has fully arrived (read it with
    /// [`command`](Self::command), given the same `buf`; it may have no argument at all, an empty line:
    /// skip it), `Ok(None)` when more bytes are needed.
    ///
    /// After `Ok(None)`, the next call must be given the same bytes with more after them (the parser resumes
    /// where it stopped); after an error, the connection is closed.
    pub fn parse(&mut self, buf: &[u8]) -> Result<Option<usize>, ProtocolError> {
        if let Some(partial) = self.partial.take() {
            return self.multibulk(buf, partial);
        }
        self.args.clear();
        self.inline = buf.first().is_some_and(|&b| b != b'*');
        match buf.first() {
            None => Ok(None),
            Some(b'*') => {
                let Some((count, pos)) = length_line(buf, "invalid multibulk length")? else {
                    return Ok(None);
                };
                if count > MAX_ARGS {
                    return Err(ProtocolError("invalid multibulk length"));
                }
                self.multibulk(buf, Partial { count: count.max(0) as usize, pos })
            }
            Some(_) => self.inline(buf),
        }
    }

    /// The command [`parse`](Self::parse) found in `buf`.
    pub fn command<'a>(&'a self, buf: &'a [u8]) -> Command<'a> {
        Command { data: if self.inline { &self.scratch } else { buf }, args: &self.args }
    }

    /// The arguments of a `*N\r\n` command, N times `$LEN\r\nBYTES\r\n`, from where `partial` stopped.
    fn multibulk(&mut self, buf: &[u8], mut partial: Partial) -> Result<Option<usize>, ProtocolError> {
        while self.args.len() < partial.count {
            let pos = partial.pos;
            let header = match buf.get(pos) {
                None => None,
                Some(b'$') => length_line(&buf[pos..], "invalid bulk length")?,
                Some(_) => return Err(ProtocolError("expected '$'")),
            };
            let Some((len, header)) = header else {
                self.partial = Some(partial);
                return Ok(None);
            };
            let len = usize::try_from(len).ok().filter(|&len| len <= MAX_BULK);
            let len = len.ok_or(ProtocolError("invalid bulk length"))?;
            let start = pos + header;
            let Some(end) = buf.get(start + len..start + len + 2) else {
                self.partial = Some(partial);
                return Ok(None);
            };
            if end != b"\r\n" {
                return Err(ProtocolError("expected CRLF after a bulk string"));
            }
            self.args.push(start..start + len);
            partial.pos = start + len + 2;
        }
        Ok(Some(partial.pos))
    }

    /// A line of arguments separated by spaces, with Redis's quoting (`"a b\n"`, `'a b'`).
    fn inline(&mut self, buf: &[u8]) -> Result<Option<usize>, ProtocolError> {
        let Some(newline) = buf.iter().position(|&b| b == b'\n') else {
            return if buf.len() > MAX_LINE {
                Err(ProtocolError("too big inline request"))
            } else {
                Ok(None)
            };
        };
        self.scratch.clear();
        split_args(&buf[..newline], &mut self.scratch, &mut self.args)?;
        Ok(Some(newline + 1))
    }
}

/// `*N\r\n` or `$N\r\n` at the start of `buf`: N, and the length of the line.
fn length_line(buf: &[u8], invalid: &'static str) -> Result<Option<(i64, usize)>, ProtocolError> {
    let Some(cr) = buf.iter().take(MAX_LINE).position(|&b| b == b'\r') else {
        return if buf.len() > MAX_LINE { Err(ProtocolError("too big count string")) } else { Ok(None) };
    };
    match buf.get(cr + 1) {
        None => Ok(None),
        Some(b'\n') => Ok(Some((integer(&buf[1..cr]).ok_or(ProtocolError(invalid))?, cr + 2))),
        Some(_) => Err(ProtocolError(invalid)),
    }
}

/// A decimal integer as Redis reads one: an optional `-`, digits, no `+`, no leading zeros, no `-0`.
pub fn integer(bytes: &[u8]) -> Option<i64> {
    let digits = bytes.strip_prefix(b"-").unwrap_or(bytes);
    let canonical = match digits {
        [] => false,
        [b'0'] => digits.len() == bytes.len(),
        [first, ..] => *first != b'0' && digits.iter().all(u8::is_ascii_digit),
    };
    if !canonical {
        return None;
    }
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

/// Splits an inline command line the way Redis's `sdssplitargs` does, appending the unquoted arguments to
/// `out` and their ranges to `args`.
fn split_args(line: &[u8], out: &mut Vec<u8>, args: &mut Vec<Range<usize>>) -> Result<(), ProtocolError> {
    const UNBALANCED: ProtocolError = ProtocolError("unbalanced quotes in request");
    let mut i = 0;
    loop {
        while line.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if i == line.len() {
            return Ok(());
        }
        let start = out.len();
        loop {
            match line.get(i) {
                None => break,
                Some(c) if c.is_ascii_whitespace() => break,
                Some(&quote @ (b'"' | b'\'')) => {
                    i = unquote(line, i + 1, quote, out).ok_or(UNBALANCED)?;
                    // A closing quote must end the argument.
                    if line.get(i).is_some_and(|c| !c.is_ascii_whitespace()) {
                        return Err(UNBALANCED);
                    }
                }
                Some(&c) => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        args.push(start..out.len());
    }
}

/// Appends the quoted text starting at `line[i]` (just after the opening `quote`) to `out`, with escapes
/// (`\n`, `\xHH`, ... inside double quotes; only `\'` inside single quotes); returns the index after the
/// closing quote, `None` if there is none.
fn unquote(line: &[u8], mut i: usize, quote: u8, out: &mut Vec<u8>) -> Option<usize> {
    loop {
        let c = *line.get(i)?;
        let next = line.get(i + 1).copied();
        match (c, next) {
            _ if c == quote => return Some(i + 1),
            (b'\\', Some(b'x')) if quote == b'"' => {
                let hex = line.get(i + 2..i + 4).and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 4;
                    }
                    None => {
                        out.push(b'x');
                        i += 2;
                    }
                }
            }
            (b'\\', Some(escaped)) if quote == b'"' => {
                out.push(match escaped {
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'b' => 0x08,
                    b'a' => 0x07,
                    other => other,
                });
                i += 2;
            }
            (b'\\', Some(b'\'')) => {
                out.push(b'\'');
                i += 2;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
}

/// `+OK`-style status reply.
pub fn simple(out: &mut Vec<u8>, status: &str) {
    out.push(b'+');
    out.extend_from_slice(status.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// `-ERR ...` error reply; `message` starts with the error code.
pub fn error(out: &mut Vec<u8>, message: &str) {
    out.push(b'-');
    out.extend_from_slice(message.as_bytes());
    out.extend_from_slice(b"\r\n");
}

pub fn integer_reply(out: &mut Vec<u8>, n: i64) {
    let _ = write!(out, ":{n}\r\n"); // writing to a Vec cannot fail
}

pub fn bulk(out: &mut Vec<u8>, bytes: &[u8]) {
    let _ = write!(out, "${}\r\n", bytes.len());
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
}

/// A bulk string, or the nil bulk string.
pub fn optional_bulk(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        Some(bytes) => bulk(out, bytes),
        None => out.extend_from_slice(b"$-1\r\n"),
    }
}

/// The header of an array of `len` elements; the elements follow.
pub fn array(out: &mut Vec<u8>, len: usize) {
    let _ = write!(out, "*{len}\r\n");
}
