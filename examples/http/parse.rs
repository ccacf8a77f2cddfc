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
    let mut lines = Lines { buf, pos: 0 };
    let request_line = loop {
        match lines.next()? {
            None => return Ok(None),
            Some(b"") => continue,
            Some(line) => break line,
        }
    };
    let (method, target, minor_version) = request_line_parts(request_line)?;
    let mut request =
        Request { method, target, minor_version, keep_alive: minor_version == 1, content_length: 0 };
    let mut connection = Connection::default();
    let mut content_length = None;
    let mut hosts = 0;
    let mut fields = 0;
    loop {
        let Some(line) = lines.next()? else { return Ok(None) };
        if line.is_empty() {
            break;
        }
        fields += 1;
        if fields > MAX_HEADERS {
            return Err(Error::HeadersTooLarge);
        }
        let (name, value) = field(line)?;
        if name.eq_ignore_ascii_case(b"content-length") {
            let length = decimal(value).ok_or(Error::BadRequest)?;
            if content_length.is_some_and(|known| known != length) {
                return Err(Error::BadRequest);
            }
            content_length = Some(length);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            return Err(Error::NotImplemented);
        } else if name.eq_ignore_ascii_case(b"connection") {
            connection.add(value);
        } else if name.eq_ignore_ascii_case(b"host") {
            hosts += 1;
        }
    }
    if minor_version == 1 && hosts != 1 {
        return Err(Error::BadRequest);
    }
    request.keep_alive = match minor_version {
        1 => !connection.close,
        _ => connection.keep_alive && !connection.close,
    };
    request.content_length = content_length.unwrap_or(0);
    Ok(Some((request, lines.pos)))
}

/// The lines of a head, each without its line ending.
struct Lines<'b> {
    buf: &'b [u8],
    /// Where the next line starts.
    pos: usize,
}

impl<'b> Lines<'b> {
    /// The next complete line; `Ok(None)` when it has not fully arrived.
    fn next(&mut self) -> Result<Option<&'b [u8]>, Error> {
        let rest = &self.buf[self.pos..];
        let Some(newline) = rest.iter().position(|&b| b == b'\n') else { return Ok(None) };
        self.pos += newline + 1;
        let line = &rest[..newline];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.contains(&b'\r') {
            return Err(Error::BadRequest);
        }
        Ok(Some(line))
    }
}

/// `method SP target SP HTTP/1.x`.
fn request_line_parts(line: &[u8]) -> Result<(&[u8], &[u8], u8), Error> {
    let mut parts = line.splitn(3, |&b| b == b' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(Error::BadRequest);
    };
    if !is_token(method) || target.is_empty() || !target.iter().all(|&b| b.is_ascii_graphic()) {
        return Err(Error::BadRequest);
    }
    let minor_version = match version {
        b"HTTP/1.1" => 1,
        b"HTTP/1.0" => 0,
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            return Err(Error::VersionNotSupported);
        }
        _ => return Err(Error::BadRequest),
    };
    Ok((method, target, minor_version))
}

/// `name ":" OWS value OWS`: the name and the trimmed value.
fn field(line: &[u8]) -> Result<(&[u8], &[u8]), Error> {
    let colon = line.iter().position(|&b| b == b':').ok_or(Error::BadRequest)?;
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    // An empty name, a line starting with whitespace (obsolete folding), or whitespace before the colon
    // are all refused here: none is a token.
    if !is_token(name) || !value.iter().all(|&b| b == b'\t' || b == b' ' || b.is_ascii_graphic() || b >= 0x80)
    {
        return Err(Error::BadRequest);
    }
    Ok((name, value.trim_ascii()))
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

/// `tchar` (RFC 9110 section 5.6.2), as a table.
static TCHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(c, b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*')
            || matches!(c, b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~');
        b += 1;
    }
    table
};

fn is_token(bytes: &[u8]) -> bool {
    !bytes.is_empty() && bytes.iter().all(|&b| TCHAR[usize::from(b)])
}
