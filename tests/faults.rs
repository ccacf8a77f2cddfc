//! The fault suite: the example servers under hostile or broken clients. Each check asserts figures (open
//! descriptors from `/proc/PID/fd`, resident memory from `/proc/PID/status`, clients served), not just that
//! nothing crashed.
//!
//! The fast checks run in the default suite. The heavy ones (connection scale up to the descriptor limit,
//! long storms, valgrind) are `#[ignore]`d: an explicit group that `.ci/run` runs with
//! `cargo test --release --test faults -- --ignored`.
//!
//! Counts are bounded and every wait has a deadline; descriptors are counted after the server has had the
//! chance to see each close (`Server::wait_for_fds` polls until the count comes down, or fails after 30 s).

mod servers;

use coro::io::BufRead as _;
use servers::{Server, connect};
use std::io::{self, Read, Write};
use std::net::TcpStream;

/// Closes `stream` with a reset (SO_LINGER of zero): the peer's next read or write fails with
/// `ConnectionReset`, as when a client crashes or a middlebox drops the connection.
fn reset(stream: TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger { l_onoff: 1, l_linger: 0 };
    // SAFETY: setsockopt reads `size_of::<linger>()` bytes from a `linger` that lives across the call; the
    // descriptor is the stream's, open until it drops below.
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&raw const linger).cast(),
            size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "{}", std::io::Error::last_os_error());
}

// ---- proxy ---------------------------------------------------------------------------------------------

/// A client that resets its connection mid-transfer ends both of the proxy's sockets for it: after 1,000
/// resets the proxy (and the server behind it) hold as many descriptors as before.
#[test]
fn proxy_releases_both_sockets_when_clients_reset() {
    let echo = Server::start("echo", &["127.0.0.1:0"]);
    let proxy = Server::start("proxy", &["127.0.0.1:0", &echo.addr]);
    let (proxy_fds, echo_fds) = (proxy.open_fds(), echo.open_fds());

    let chunk = vec![7u8; 64 * 1024];
    for _ in 0..1000 {
        let mut client = connect(&proxy.addr);
        // Data in flight both ways: the echo server sends back what the proxy relays, and the client does
        // not read it all before resetting.
        client.write_all(&chunk).unwrap();
        let mut first = [0; 1];
        client.read_exact(&mut first).unwrap();
        reset(client);
    }
    assert_eq!(proxy.wait_for_fds(proxy_fds), proxy_fds, "the proxy kept sockets of reset clients");
    assert_eq!(echo.wait_for_fds(echo_fds), echo_fds, "the proxy kept upstream connections open");
}

// ---- chat ----------------------------------------------------------------------------------------------

/// Reads one chat client's lines until the sender's last line; returns how many of the sender's lines it
/// saw, in order (`Err` if its connection ended first: the server dropped it).
#[coro::coroutine]
fn read_burst(
    mut lines: coro::io::Lines<coro::io::BufReader<coro::net::TcpStream>>,
    burst: usize,
) -> io::Result<usize> {
    let mut seen = 0;
    while let Some(line) = lines.next_line()? {
        if let Some((_, text)) = line.split_once(": line ") {
            assert_eq!(text, seen.to_string(), "lines out of order");
            seen += 1;
            if seen == burst {
                return Ok(seen);
            }
        }
    }
    Err(io::Error::new(io::ErrorKind::UnexpectedEof, format!("dropped after {seen} lines")))
}

/// One client sends a burst of 1,000 lines to 1,000 clients that read as fast as they can: the server's hub
/// wakes every client's writer for every line, and each writer must get its turn before 256 lines (its
/// outbox) pile up, or the client is dropped as too slow. Nobody may be dropped.
#[coro::test(workers = 2)]
fn chat_burst_to_a_thousand_readers_drops_nobody() {
    const CLIENTS: usize = 1000;
    const BURST: usize = 1000;
    servers::raise_open_file_limit();
    let chat = Server::start("chat", &["127.0.0.1:0"]);
    let mut readers = Vec::with_capacity(CLIENTS);
    for _ in 0..CLIENTS {
        let stream = coro::net::TcpStream::connect(chat.addr.as_str()).unwrap();
        let mut lines = coro::io::BufReader::new(stream).lines();
        // Welcomed: registered with the hub, so every line sent from now on is for it too.
        let welcome = lines.next_line().unwrap().expect("a welcome");
        assert!(welcome.starts_with("*** welcome"), "{welcome}");
        readers.push(coro::spawn!(read_burst(lines, BURST)));
    }
    let mut sender = coro::net::TcpStream::connect(chat.addr.as_str()).unwrap();
    let burst: String = (0..BURST).map(|i| format!("line {i}\n")).collect();
    sender.write_all(burst.as_bytes()).unwrap();
    let results: Vec<io::Result<usize>> = coro_test_support::join_all(readers);
    let dropped: Vec<String> =
        results.iter().filter_map(|r| r.as_ref().err().map(|e| e.to_string())).collect();
    assert!(dropped.is_empty(), "{} of {CLIENTS} readers dropped, e.g. {:?}", dropped.len(), dropped.first());
}
