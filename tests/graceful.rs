//! The example servers stop gracefully: under load from several connections sending requests in a loop,
//! SIGTERM makes each one stop accepting, answer the requests it holds, close, print its summary and exit 0.
//! No client ever reads a response cut in half: each request gets its whole response, or the connection
//! ends between two responses.
//!
//! The deadline (`DRAIN_TIMEOUT`) is set far above what a stop takes, and the summary says whether it was
//! reached (`N dropped`): a server that does not close its connections by itself fails the test on that
//! line, not on a clock.

mod servers;

use servers::Server;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Barrier};
use std::time::Duration;

/// Connections of each load.
const CLIENTS: usize = 4;
/// Complete responses all clients together get before the signal is sent.
const BEFORE_SIGNAL: u64 = 200;

/// Where a response ends in what was read: `Some(length)` once the first response in `read` is complete.
type Framing = fn(&[u8]) -> Option<usize>;

/// Sends `request` and reads its response, over and over, until the server ends the connection; counts the
/// complete responses in `received`. Panics if the connection ends inside a response.
fn request_loop(addr: &str, request: &[u8], framing: Framing, received: &AtomicU64, ready: &Barrier) {
    let mut stream = TcpStream::connect(addr).expect("connecting to the server");
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    ready.wait();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if stream.write_all(request).is_err() {
            return; // closed between requests: the server had answered the last one
        }
        let length = loop {
            if let Some(length) = framing(&buf) {
                break length;
            }
            match stream.read(&mut chunk) {
                Ok(n) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => panic!("no answer in 30 s"),
                // The end of the stream, or a reset of a request the server never read: fine between two
                // responses, not inside one.
                _ => {
                    assert!(buf.is_empty(), "a response cut in half: {:?}", String::from_utf8_lossy(&buf));
                    return;
                }
            }
        };
        assert_eq!(length, buf.len(), "one request, one response: {:?}", String::from_utf8_lossy(&buf));
        buf.clear();
        received.fetch_add(1, Relaxed);
    }
}

/// Loads `server` with [`CLIENTS`] request loops, sends SIGTERM once [`BEFORE_SIGNAL`] responses came back,
/// and checks the stop: exit status 0, every connection closed before the deadline, no response cut. Returns
/// the summary line and how many responses the clients got.
fn stop_under_load(server: Server, request: &[u8], framing: Framing) -> (String, u64) {
    let received = Arc::new(AtomicU64::new(0));
    let ready = Arc::new(Barrier::new(CLIENTS + 1));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (addr, request, received, ready) =
                (server.addr.clone(), request.to_vec(), received.clone(), ready.clone());
            std::thread::spawn(move || request_loop(&addr, &request, framing, &received, &ready))
        })
        .collect();
    ready.wait();
    // A client that ended already (it failed: its join says why) stops the wait too.
    while received.load(Relaxed) < BEFORE_SIGNAL && !clients.iter().any(|client| client.is_finished()) {
        std::thread::yield_now();
    }
    let (status, output) = server.stop_and_read_output();
    for client in clients {
        client.join().expect("a client saw a response cut in half (its message is above)");
    }
    assert!(status.success(), "{status}; it printed {output:?}");
    let summary = output.lines().last().unwrap_or_default().to_string();
    assert!(summary.contains(&format!("stopped: {CLIENTS} connections served")), "{output:?}");
    assert!(!summary.contains("dropped"), "connections left open until the deadline: {summary:?}");
    (summary, received.load(Relaxed))
}

/// The number before `unit` in `summary` ("... 1234 requests").
fn count(summary: &str, unit: &str) -> u64 {
    let before = summary.split(&format!(" {unit}")).next().expect("the unit");
    before.rsplit(' ').next().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{unit} in {summary:?}"))
}

fn start(example: &str, args: &[&str]) -> Server {
    Server::start_with(example, args, &[("DRAIN_TIMEOUT", "60")])
}

/// An HTTP response: its head, then as many body bytes as its `Content-Length` says.
fn http_response(read: &[u8]) -> Option<usize> {
    let head = read.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let text = std::str::from_utf8(&read[..head]).expect("an ASCII head");
    let length = text
        .lines()
        .find_map(|line| line.strip_prefix("Content-Length: "))
        .and_then(|value| value.trim().parse::<usize>().ok())
        .expect("a Content-Length");
    (read.len() >= head + length).then_some(head + length)
}

const HTTP_REQUEST: &[u8] = b"GET /plaintext HTTP/1.1\r\nHost: test\r\n\r\n";

#[test]
fn http_stops_gracefully_under_load() {
    let (summary, received) = stop_under_load(start("http", &["127.0.0.1:0"]), HTTP_REQUEST, http_response);
    assert!(count(&summary, "requests") >= received, "{summary:?}, {received} received");
}

#[test]
fn echo_stops_gracefully_under_load() {
    const MESSAGE: &[u8] = b"a message of some length, echoed whole\n";
    let framing: Framing = |read| (read.len() >= MESSAGE.len()).then_some(MESSAGE.len());
    stop_under_load(start("echo", &["127.0.0.1:0"]), MESSAGE, framing);
}

#[test]
fn redis_stops_gracefully_under_load() {
    let framing: Framing = |read| (read.len() >= 11).then_some(11); // `$5\r\nhello\r\n`
    let (summary, received) =
        stop_under_load(start("redis", &["127.0.0.1:0"]), b"*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n", framing);
    assert!(count(&summary, "commands") >= received, "{summary:?}, {received} received");
}

#[test]
fn proxy_stops_gracefully_under_load() {
    let http = Server::start("http", &["127.0.0.1:0"]);
    let proxy = start("proxy", &["127.0.0.1:0", &http.addr]);
    stop_under_load(proxy, HTTP_REQUEST, http_response);
    // The upstream serves on.
    let answer = servers::send_and_read_to_end(&http.addr, b"GET /plaintext HTTP/1.0\r\n\r\n");
    assert!(answer.ends_with("Hello, World!"), "{answer:?}");
}

/// Chat has no responses: every client sends lines in a loop and reads the others' until the server closes
/// the connection, and what it read must be whole lines.
#[test]
fn chat_stops_gracefully_under_load() {
    let chat = start("chat", &["127.0.0.1:0"]);
    let lines = Arc::new(AtomicU64::new(0));
    let ready = Arc::new(Barrier::new(CLIENTS + 1));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let mut reader = TcpStream::connect(&chat.addr).expect("connecting to chat");
            reader.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            let mut writer = reader.try_clone().unwrap();
            let (lines, ready) = (lines.clone(), ready.clone());
            let writing = std::thread::spawn(move || {
                ready.wait();
                while writer.write_all(b"hello, everyone\n").is_ok() {}
            });
            let reading = std::thread::spawn(move || {
                let mut read = Vec::new();
                let mut chunk = [0u8; 4096];
                while let Ok(n @ 1..) = reader.read(&mut chunk) {
                    lines.fetch_add(chunk[..n].iter().filter(|&&b| b == b'\n').count() as u64, Relaxed);
                    read.extend_from_slice(&chunk[..n]);
                }
                // The server has closed: stop the writer too, which may be blocked on a full socket buffer.
                let _ = reader.shutdown(std::net::Shutdown::Both);
                read
            });
            (writing, reading)
        })
        .collect();
    ready.wait();
    // A client dropped by the hub (its reader fell behind) stops the wait too: the others keep the load.
    while lines.load(Relaxed) < BEFORE_SIGNAL && !clients.iter().any(|(_, reading)| reading.is_finished()) {
        std::thread::yield_now();
    }
    let (status, output) = chat.stop_and_read_output();
    for (writing, reading) in clients {
        writing.join().unwrap();
        let read = reading.join().unwrap();
        let text = String::from_utf8(read).expect("chat sends UTF-8");
        assert!(text.is_empty() || text.ends_with('\n'), "a line cut in half: {:?}", text.lines().last());
        for line in text.lines() {
            assert!(line.starts_with("*** ") || line.ends_with(": hello, everyone"), "{line:?}");
        }
    }
    assert!(status.success(), "{status}; it printed {output:?}");
    let summary = output.lines().last().unwrap_or_default();
    assert!(summary.contains(&format!("stopped: {CLIENTS} connections served")), "{output:?}");
    assert!(!summary.contains("dropped"), "connections left open until the deadline: {summary:?}");
}
