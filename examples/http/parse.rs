//! An HTTP/1.x request-head parser (RFC 9112) that borrows from the read buffer: no allocation, no copy.
//!
//! # Design
//!
//! [`parse`] is handed the unread bytes and either finds one complete request head at their start
//! (`Ok(Some((request, head_len)))`), finds that the head has not fully arrived yet (`Ok(None)`: read more
//! and call again, from the start; the caller bounds the head's size by its buffer), or rejects the bytes
//! with the status to answer. The fields are slices of the buffer, and only what the server acts on is
//! interpreted: the version, `Connection`, `Content-Length` (so a body can be skipped) and
//! `Transfer-Encoding` (refused: this server takes no chunked bodies). Everything else is validated for
//! syntax and passed over, so any input either parses or is refused, never panics.
//!
//! It is one pass over the head, every byte classified by a table lookup (`Cursor`): parsing is a large share
//! of what a pipelining client costs the server, and a line-then-fields parser read each byte four times.
//!
//! Lines end in CRLF; a bare LF is accepted too (RFC 9112 section 2.2 allows it), a bare CR is refused.
//! Empty lines before a request line are skipped (section 2.2 again). Obsolete line folding, whitespace
//! before a header's colon, a missing or repeated `Host` in HTTP/1.1 and conflicting `Content-Length`s are
//! refused with 400, as the RFC asks.

/// At most this many header fields per request; more get 431.
pub const MAX_HEADERS: usize = 64;

/// A request head; every slice borrows the read buffer.
#[derive(Debug, PartialEq, Eq)]
pub struct Request<'b> {
    pub method: &'b [u8],
    /// The request target as sent: path and query.
    pub target: &'b [u8],
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor_version: u8,
    /// Whether the connection stays open after the response (the version's default, or `Connection`).
    pub keep_alive: bool,
    /// The length of the body that follows the head (0 without `Content-Length`).
    pub content_length: u64,
}

/// Why a request was refused: each maps to the status the server answers before it closes the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// 400: not HTTP/1.x syntax.
    BadRequest,
    /// 431: more than [`MAX_HEADERS`] fields, or a head larger than the server's buffer.
    HeadersTooLarge,
    /// 501: a `Transfer-Encoding` (chunked bodies are not supported).
    NotImplemented,
    /// 505: an HTTP version other than 1.0 and 1.1.
    VersionNotSupported,
}

/// Parses the request head at the start of `buf`: see the module documentation.
pub fn parse(buf: &[u8]) -> Result<Option<(Request<'_>, usize)>, Error> {
    match head(&mut Cursor { buf, pos: 0 }) {
        Ok(parsed) => Ok(Some(parsed)),
        Err(Stop::Incomplete) => Ok(None),
        Err(Stop::Refused(error)) => Err(error),
    }
}

/// Why [`head`] stopped short of a request.
enum Stop {
    /// The input ended first: read more.
    Incomplete,
    Refused(Error),
}

impl From<Error> for Stop {
    fn from(error: Error) -> Stop {
        Stop::Refused(error)
    }
}

fn head<'b>(cursor: &mut Cursor<'b>) -> Result<(Request<'b>, usize), Stop> {
    while cursor.at_line_end()? {
        cursor.line_end()?;
    }
    let method = cursor.take_while(&TCHAR)?;
    cursor.expect(b' ')?;
    let target = cursor.take_while(&VCHAR)?;
    cursor.expect(b' ')?;
    let version = cursor.take_while(&VCHAR)?;
    cursor.line_end()?;
    if method.is_empty() || target.is_empty() {
        return Err(Error::BadRequest.into());
    }
    let minor_version = match version {
        b"HTTP/1.1" => 1,
        b"HTTP/1.0" => 0,
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            return Err(Error::VersionNotSupported.into());
        }
        _ => return Err(Error::BadRequest.into()),
    };
    let mut connection = Connection::default();
    let mut content_length = None;
    let mut hosts = 0;
    let mut fields = 0;
    while !cursor.at_line_end()? {
        fields += 1;
        if fields > MAX_HEADERS {
            return Err(Error::HeadersTooLarge.into());
        }
        // An empty name, a line starting with whitespace (obsolete folding), or whitespace before the colon
        // are all refused here: none is a token followed by a colon.
        let name = cursor.take_while(&TCHAR)?;
        cursor.expect(b':')?;
        let value = cursor.take_while(&FIELD_VALUE)?.trim_ascii();
        cursor.line_end()?;
        if name.is_empty() {
            return Err(Error::BadRequest.into());
        } else if name.eq_ignore_ascii_case(b"content-length") {
            let length = decimal(value).ok_or(Error::BadRequest)?;
            if content_length.is_some_and(|known| known != length) {
                return Err(Error::BadRequest.into());
            }
            content_length = Some(length);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            return Err(Error::NotImplemented.into());
        } else if name.eq_ignore_ascii_case(b"connection") {
            connection.add(value);
        } else if name.eq_ignore_ascii_case(b"host") {
            hosts += 1;
        }
    }
    cursor.line_end()?;
    if minor_version == 1 && hosts != 1 {
        return Err(Error::BadRequest.into());
    }
    let keep_alive = match minor_version {
        1 => !connection.close,
        _ => connection.keep_alive && !connection.close,
    };
    let request =
        Request { method, target, minor_version, keep_alive, content_length: content_length.unwrap_or(0) };
    Ok((request, cursor.pos))
}

/// A position in the input. Every byte is looked at once, by a table lookup: running out of input is
/// [`Stop::Incomplete`], a byte that does not belong where it is refuses the request.
struct Cursor<'b> {
    buf: &'b [u8],
    pos: usize,
}

impl<'b> Cursor<'b> {
    fn peek(&self) -> Result<u8, Stop> {
        self.buf.get(self.pos).copied().ok_or(Stop::Incomplete)
    }

    /// The bytes from here up to the first one outside `class` (which must have arrived).
    fn take_while(&mut self, class: &[bool; 256]) -> Result<&'b [u8], Stop> {
        let rest = &self.buf[self.pos..];
        let len = rest.iter().position(|&b| !class[usize::from(b)]).ok_or(Stop::Incomplete)?;
        self.pos += len;
        Ok(&rest[..len])
    }

    fn expect(&mut self, byte: u8) -> Result<(), Stop> {
        if self.peek()? != byte {
            return Err(Error::BadRequest.into());
        }
        self.pos += 1;
        Ok(())
    }

    fn at_line_end(&self) -> Result<bool, Stop> {
        Ok(matches!(self.peek()?, b'\r' | b'\n'))
    }

    /// CRLF, or a bare LF (RFC 9112 section 2.2 allows it); a bare CR is refused.
    fn line_end(&mut self) -> Result<(), Stop> {
        if self.peek()? == b'\r' {
            self.pos += 1;
        }
        self.expect(b'\n')
    }
}

/// A `Content-Length`: digits only, no overflow.
fn decimal(value: &[u8]) -> Option<u64> {
    if value.is_empty() {
        return None;
    }
    value.iter().try_fold(0u64, |n, &b| {
        let digit = (b as char).to_digit(10)?;
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// The options of the `Connection` fields seen so far (comma-separated, case-insensitive).
#[derive(Default)]
struct Connection {
    close: bool,
    keep_alive: bool,
}

impl Connection {
    fn add(&mut self, value: &[u8]) {
        for option in value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
            self.close |= option.eq_ignore_ascii_case(b"close");
            self.keep_alive |= option.eq_ignore_ascii_case(b"keep-alive");
        }
    }
}

/// A class of bytes, as a table: the bytes in any of the inclusive `ranges`.
const fn class(ranges: &[(u8, u8)]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < ranges.len() {
        let (mut b, last) = ranges[i];
        while b <= last {
            table[b as usize] = true;
            if b == u8::MAX {
                break;
            }
            b += 1;
        }
        i += 1;
    }
    table
}

/// `tchar` (RFC 9110 section 5.6.2): methods and field names.
static TCHAR: [bool; 256] = class(&[
    (b'0', b'9'),
    (b'A', b'Z'),
    (b'a', b'z'),
    (b'!', b'!'),
    (b'#', b'\''),
    (b'*', b'+'),
    (b'-', b'.'),
    (b'^', b'`'),
    (b'|', b'|'),
    (b'~', b'~'),
]);

/// Visible ASCII: the request target and the version.
static VCHAR: [bool; 256] = class(&[(0x21, 0x7e)]);

/// A field value's bytes (RFC 9110 section 5.5): visible ASCII, space, tab and obs-text.
static FIELD_VALUE: [bool; 256] = class(&[(b'\t', b'\t'), (b' ', 0x7e), (0x80, 0xff)]);
