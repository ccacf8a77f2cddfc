//! An HTTP/1.1 server with the two TechEmpower endpoints, `/plaintext` and `/json`: keep-alive,
//! pipelining, HTTP/1.0, and a strict parser that answers bad input with a 4xx/5xx and closes.
//!
//! ```sh
//! cargo run --release --example http                  # listens on 127.0.0.1:8080
//! cargo run --release --example http 0.0.0.0:8080     # or where you say (port 0: any free port)
//! CORO_WORKERS=4 cargo run --release --example http   # on 4 worker threads (default: one per CPU)
//! curl -i http://127.0.0.1:8080/plaintext http://127.0.0.1:8080/json
//! wrk -t2 -c64 -d10s http://127.0.0.1:8080/plaintext
//! ```
//!
//! It prints `http server listening on ADDR` once it accepts connections; SIGINT or SIGTERM stops it
//! gracefully, with a summary line (`../support/shutdown.rs`). A client gets 60 s to send a request
//! head (then 408), a kept-alive connection 75 s of idleness, and a client that takes no response bytes 60 s
//! before it is dropped, as nginx's defaults; `HTTP_HEADER_TIMEOUT`, `HTTP_KEEPALIVE_TIMEOUT` and
//! `HTTP_SEND_TIMEOUT` (seconds, 0 for none) change them.
//!
//! # Design
//!
//! One coroutine per connection, written as a blocking loop: read, answer every complete request in the
//! buffer, write. What makes it fast is what it does not do:
//! - no allocation per request: the parser (`parse.rs`) borrows from the connection's read buffer
//!   (`../support/read_buf.rs`), and the responses go into one output buffer that lives as long as the
//!   connection;
//! - one `write` per batch: all the requests a read brought in (a pipelining client sends many) are answered
//!   into the output buffer, which is written once;
//! - the `Date` header is formatted once per second per worker (`date.rs`), read once per batch.
//!
//! A refused request (400 bad syntax, 431 too many or too large headers, 501 chunked body, 505 version) is
//! answered after the responses before it and the connection closes, as does `Connection: close` (and
//! HTTP/1.0 without `keep-alive`). Closing lingers: the server shuts its side down and reads what the client
//! still sends for a moment, so the kernel does not reset the connection over unread bytes before the client
//! has read the last response (`../support/linger.rs`). Request bodies (`Content-Length`) are skipped; paths
//! other than the two get 404, methods other than GET and HEAD get 405.

mod date;
mod parse;
// Shared with the other servers: modules of no single example, so included by path.
#[path = "../support/accept.rs"]
mod accept;
#[path = "../support/linger.rs"]
mod linger;
#[path = "../support/read_buf.rs"]
mod read_buf;
#[path = "../support/shutdown.rs"]
mod shutdown;
#[path = "../support/timeouts.rs"]
mod timeouts;

use coro::net::{TcpListener, TcpStream};
use linger::close_gracefully;
use read_buf::ReadBuf;
use std::io;
use std::time::{Duration, Instant};

/// A request head must fit in this many bytes, or it gets 431.
const HEAD_LIMIT: usize = 16 * 1024;

/// How long a client may take to send a request head, from its first byte (nginx's `client_header_timeout`,
/// 60 s by default; `HTTP_HEADER_TIMEOUT` in seconds, 0 for none): then it gets 408 and the connection
/// closes. A request's body counts too.
const HEADER_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a kept-alive connection may stay idle between requests (nginx's `keepalive_timeout`, 75 s by
/// default; `HTTP_KEEPALIVE_TIMEOUT` in seconds, 0 for none): then it is closed.
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(75);

/// How long a write of responses may wait for the client to take bytes (nginx's `send_timeout`, 60 s by
/// default; `HTTP_SEND_TIMEOUT` in seconds, 0 for none): then the connection is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(60);

/// The connection timeouts in force (`None`: no limit).
#[derive(Debug, Clone, Copy)]
struct Timeouts {
    header: Option<Duration>,
    keep_alive: Option<Duration>,
    send: Option<Duration>,
}

#[derive(serde::Serialize)]
struct Message {
    message: &'static str,
}

/// Serves one connection until the client closes it or a request asks to (or is refused), or a timeout
/// passes.
#[coro::coroutine]
fn serve(mut stream: TcpStream, timeouts: Timeouts, mut requests: shutdown::Requests) -> io::Result<()> {
    stream.set_write_timeout(timeouts.send)?;
    let mut input = ReadBuf::new(4096, HEAD_LIMIT);
    let mut output = Responses::default();
    // When the first byte of the request being received arrived; `None` between requests.
    let mut request_started: Option<Instant> = None;
    loop {
        let keep_open = if input.is_full() {
            output.refuse(parse::Error::HeadersTooLarge, &date::now());
            false
        } else {
            let timeout = match request_started {
                Some(started) => timeouts.header.map(|limit| limit.saturating_sub(started.elapsed())),
                None => timeouts.keep_alive,
            };
            // A zero timeout is refused (as std's): the time is up already.
            let read = match timeout {
                Some(Duration::ZERO) => Err(io::ErrorKind::TimedOut.into()),
                timeout => match stream.set_read_timeout(timeout) {
                    Ok(()) => input.fill(&mut stream),
                    Err(err) => Err(err),
                },
            };
            match read {
                Ok(0) => return Ok(()),
                Ok(_) => {
                    let answered = output.bytes.len();
                    let (keep_open, count) = output.answer(&mut input);
                    requests.add(count);
                    request_started = if input.data().is_empty() && output.body_left == 0 {
                        None
                    } else if output.bytes.len() > answered {
                        Some(Instant::now()) // a new request began after the ones answered
                    } else {
                        request_started.or_else(|| Some(Instant::now()))
                    };
                    keep_open
                }
                Err(err) if err.kind() == io::ErrorKind::TimedOut => {
                    if request_started.is_none() {
                        return Ok(()); // idle: close quietly
                    }
                    output.timed_out(&date::now());
                    false
                }
                Err(err) => return Err(err),
            }
        };
        if !output.bytes.is_empty() {
            stream.write_all(&output.bytes)?;
            output.bytes.clear();
        }
        if !keep_open {
            close_gracefully(stream);
            return Ok(());
        }
    }
}

/// A connection's output buffer, and what it needs to answer requests without allocating.
#[derive(Default)]
struct Responses {
    /// The responses of the current batch, written at once.
    bytes: Vec<u8>,
    /// Where `/json` serializes its body before the length is known.
    body: Vec<u8>,
    /// Body bytes of the last request that have not arrived yet: skipped as they come.
    body_left: u64,
}

impl Responses {
    /// Answers every complete request in `input` and consumes it; whether the connection stays open (`false`
    /// when it must close), and how many requests were answered.
    fn answer(&mut self, input: &mut ReadBuf) -> (bool, u64) {
        let skipped = self.body_left.min(input.data().len() as u64);
        input.consume(skipped as usize);
        self.body_left -= skipped;
        let mut today = None;
        let mut answered = 0;
        while self.body_left == 0 {
            let data = input.data();
            let (keep_alive, used, body) = match parse::parse(data) {
                Ok(None) => break,
                Ok(Some((request, head_len))) => {
                    self.respond(&request, today.get_or_insert_with(date::now));
                    answered += 1;
                    let body_here = request.content_length.min((data.len() - head_len) as u64);
                    (request.keep_alive, head_len + body_here as usize, request.content_length - body_here)
                }
                Err(error) => {
                    self.refuse(error, today.get_or_insert_with(date::now));
                    return (false, answered + 1);
                }
            };
            input.consume(used);
            self.body_left = body;
            if !keep_alive {
                return (false, answered);
            }
        }
        (true, answered)
    }

    fn respond(&mut self, request: &parse::Request<'_>, date: &date::HttpDate) {
        let path = request.target.split(|&b| b == b'?').next().unwrap_or_default();
        let head = request.method == b"HEAD";
        let connection = Connection::of(request);
        let response = if request.method != b"GET" && !head {
            Response::text("405 Method Not Allowed", "Allow: GET, HEAD\r\n", b"Method Not Allowed\n")
        } else if path == b"/plaintext" {
            Response::text("200 OK", "", b"Hello, World!")
        } else if path == b"/json" {
            self.body.clear();
            let message = Message { message: "Hello, World!" };
            serde_json::to_writer(&mut self.body, &message).expect("serializing to a Vec cannot fail");
            Response { status: "200 OK", content_type: "application/json", extra: "", body: &self.body }
        } else {
            Response::text("404 Not Found", "", b"Not Found\n")
        };
        response.write(&mut self.bytes, date, connection, head);
    }

    /// Answers a request that did not arrive in time; the connection closes after it.
    fn timed_out(&mut self, date: &date::HttpDate) {
        Response::text("408 Request Timeout", "", b"Request Timeout\n").write(
            &mut self.bytes,
            date,
            Connection::Close,
            false,
        );
    }

    /// Answers a refused request; the connection closes after it.
    fn refuse(&mut self, error: parse::Error, date: &date::HttpDate) {
        let (status, body): (_, &[u8]) = match error {
            parse::Error::BadRequest => ("400 Bad Request", b"Bad Request\n"),
            parse::Error::HeadersTooLarge => {
                ("431 Request Header Fields Too Large", b"Request Header Fields Too Large\n")
            }
            parse::Error::NotImplemented => ("501 Not Implemented", b"Transfer-Encoding is not supported\n"),
            parse::Error::VersionNotSupported => {
                ("505 HTTP Version Not Supported", b"HTTP Version Not Supported\n")
            }
        };
        Response::text(status, "", body).write(&mut self.bytes, date, Connection::Close, false);
    }
}

/// The `Connection` header a response needs, if any.
#[derive(Clone, Copy)]
enum Connection {
    /// HTTP/1.1 keeping the connection: the default, no header.
    Default,
    /// HTTP/1.0 asking for keep-alive: confirmed.
    KeepAlive,
    Close,
}

impl Connection {
    fn of(request: &parse::Request<'_>) -> Connection {
        match (request.keep_alive, request.minor_version) {
            (false, _) => Connection::Close,
            (true, 0) => Connection::KeepAlive,
            (true, _) => Connection::Default,
        }
    }
}

struct Response<'a> {
    status: &'static str,
    content_type: &'static str,
    /// More header lines, each ending in CRLF.
    extra: &'static str,
    body: &'a [u8],
}

impl<'a> Response<'a> {
    fn text(status: &'static str, extra: &'static str, body: &'a [u8]) -> Response<'a> {
        Response { status, content_type: "text/plain", extra, body }
    }

    /// Appends the response to `out`; without the body for a HEAD request.
    fn write(&self, out: &mut Vec<u8>, date: &date::HttpDate, connection: Connection, head: bool) {
        out.extend_from_slice(b"HTTP/1.1 ");
        out.extend_from_slice(self.status.as_bytes());
        out.extend_from_slice(b"\r\nServer: coro\r\nContent-Type: ");
        out.extend_from_slice(self.content_type.as_bytes());
        out.extend_from_slice(b"\r\nContent-Length: ");
        decimal(out, self.body.len());
        out.extend_from_slice(b"\r\nDate: ");
        out.extend_from_slice(date);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(self.extra.as_bytes());
        out.extend_from_slice(match connection {
            Connection::Default => b"",
            Connection::KeepAlive => b"Connection: keep-alive\r\n",
            Connection::Close => b"Connection: close\r\n",
        });
        out.extend_from_slice(b"\r\n");
        if !head {
            out.extend_from_slice(self.body);
        }
    }
}

/// Appends `n` in decimal.
fn decimal(out: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
}

#[coro::main]
fn main() -> io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let timeouts = Timeouts {
        header: timeouts::from_env("HTTP_HEADER_TIMEOUT", Some(HEADER_TIMEOUT)),
        keep_alive: timeouts::from_env("HTTP_KEEPALIVE_TIMEOUT", Some(KEEPALIVE_TIMEOUT)),
        send: timeouts::from_env("HTTP_SEND_TIMEOUT", Some(SEND_TIMEOUT)),
    };
    let graceful = shutdown::Graceful::on_signals("http server", Some("requests"))?;
    let listener = TcpListener::bind(addr.as_str())?;
    println!("http server listening on {}", listener.local_addr()?);
    accept::accept_until_stopped(&listener, &graceful, |stream, _peer, connection| {
        let serve = move |stream, requests| serve(stream, timeouts, requests);
        drop(coro::spawn!(connection.serve(stream, serve)));
    });
    graceful.drain();
    Ok(())
}
