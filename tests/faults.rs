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
use servers::{Server, connect, expect_reply, redis_connection};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

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

// ---- redis ---------------------------------------------------------------------------------------------

#[allow(dead_code, reason = "the tests drive the parser, not every reply writer")]
#[path = "../examples/redis/resp.rs"]
mod resp;

/// A multibulk command of `args` arguments of `size` bytes each.
fn multibulk(args: usize, size: usize) -> Vec<u8> {
    let mut command = format!("*{args}\r\n").into_bytes();
    for i in 0..args {
        let arg = format!("{:0size$}", i % 10usize.pow(size.min(9) as u32));
        command.extend_from_slice(format!("${size}\r\n{arg}\r\n").as_bytes());
    }
    command
}

/// Redis's limits: 1M arguments, arguments up to 512 MiB; one past either is a protocol error, and a bulk
/// length at the limit waits for its bytes.
#[test]
fn redis_parser_has_redis_limits() {
    let mut parser = resp::Parser::default();
    assert_eq!(parser.parse(b"*1048577\r\n"), Err(resp::ProtocolError("invalid multibulk length")));
    let mut parser = resp::Parser::default();
    assert_eq!(parser.parse(b"*1\r\n$536870913\r\n"), Err(resp::ProtocolError("invalid bulk length")));
    let mut parser = resp::Parser::default();
    assert_eq!(parser.parse(b"*1048576\r\n$536870912\r\nabc"), Ok(None));
}

/// A command that arrives in pieces is resumed where the last piece ended, never parsed again from its start:
/// once a piece has been parsed past an argument, the parser does not look at that argument's header again.
/// The test proves it by overwriting the headers it has passed with garbage, which a parser starting over
/// would refuse (`expected '$'`). So a 1M-argument command dripped in 1 KiB pieces costs what it costs in one
/// piece (before, its 7 MB were rescanned for every piece: seconds of CPU per command).
#[test]
fn redis_parser_resumes_a_dripped_command() {
    const ARGS: usize = 1 << 20;
    let whole = multibulk(ARGS, 1);
    let mut dripped = whole.clone();
    let mut parser = resp::Parser::default();
    let (mut fed, mut garbled) = (0, 0);
    let used = loop {
        fed = (fed + 1024).min(dripped.len());
        if let Some(used) = parser.parse(&dripped[..fed]).unwrap() {
            break used;
        }
        // Every argument that ended 16 bytes before the end of what was fed has been parsed: garble its
        // header (each argument is `$1\r\nD\r\n`, 7 bytes, after the 10-byte `*1048576\r\n`).
        let parsed = (fed.saturating_sub(10 + 16)) / 7;
        for arg in garbled..parsed {
            dripped[10 + arg * 7] = b'#';
        }
        garbled = garbled.max(parsed);
    };
    assert_eq!((used, fed), (whole.len(), whole.len()));
    let command = parser.command(&dripped);
    assert_eq!(command.len(), ARGS);
    assert_eq!(command.arg(ARGS - 1), &whole[whole.len() - 3..whole.len() - 2]);
    // The same garbled bytes in one piece are refused: the parser did rely on having passed them.
    assert_eq!(resp::Parser::default().parse(&dripped), Err(resp::ProtocolError("expected '$'")));
}

const MIB: u64 = 1 << 20;

/// Subscribers that never read, sent 8 MiB messages: each is disconnected once 32 MiB wait for it (Redis's
/// `client-output-buffer-limit` for pub/sub), the messages are shared rather than copied per subscriber, and
/// the server's peak memory stays bounded (it grew by the messages times the subscribers before: 803 MiB
/// for four subscribers).
#[test]
fn redis_drops_subscribers_that_do_not_read_and_stays_small() {
    let redis = Server::start("redis", &["127.0.0.1:0"]);
    let subscribers: Vec<TcpStream> = (0..4)
        .map(|_| {
            let mut subscriber = connect(&redis.addr);
            subscriber.write_all(b"SUBSCRIBE news\r\n").unwrap();
            expect_reply(&mut subscriber, "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n");
            subscriber
        })
        .collect();
    let message = vec![b'm'; 8 << 20];
    let mut publisher = connect(&redis.addr);
    let mut receivers = Vec::new();
    for _ in 0..20 {
        let mut command = format!("*3\r\n$7\r\nPUBLISH\r\n$4\r\nnews\r\n${}\r\n", message.len()).into_bytes();
        command.extend_from_slice(&message);
        command.extend_from_slice(b"\r\n");
        publisher.write_all(&command).unwrap();
        let mut reply = [0; 4];
        publisher.read_exact(&mut reply).unwrap();
        receivers.push(reply[1] - b'0');
    }
    // The first messages reached all four; the last reached none: they were all cut off.
    assert_eq!((receivers[0], receivers[19]), (4, 0), "{receivers:?}");
    let peak = redis.peak_rss();
    assert!(peak < 96 * MIB, "peak RSS {} MiB", peak / MIB);
    // The subscribers find their connection ended, after at most what fit in the limit and the kernel.
    for mut subscriber in subscribers {
        let mut sink = vec![0; 1 << 20];
        let mut received = 0u64;
        loop {
            match subscriber.read(&mut sink) {
                Ok(0) | Err(_) => break,
                Ok(n) => received += n as u64,
            }
        }
        assert!(received < 64 * MIB, "{} MiB reached a disconnected subscriber", received / MIB);
    }
}

/// A pipelined flood of commands with large replies, from a client that does not read them: the server
/// writes replies as the batch grows, so it holds one chunk at a time, not the replies of the whole batch
/// (3 KB of `GET`s of a 1 MiB value built 300 MiB of replies before).
#[test]
fn redis_writes_replies_as_a_pipelined_batch_grows() {
    let redis = Server::start("redis", &["127.0.0.1:0"]);
    let mut connection = redis_connection(&redis);
    redis::cmd("SET").arg("big").arg(vec![b'v'; 1 << 20]).exec(&mut connection).unwrap();
    let baseline = redis.peak_rss();
    let mut flood = connect(&redis.addr);
    flood.write_all(&b"GET big\r\n".repeat(300)).unwrap();
    // Read every reply at last: all 300 arrive, whole, in order.
    let reply_len = format!("${}\r\n", 1 << 20).len() + (1 << 20) + 2;
    let mut reply = vec![0; reply_len];
    for _ in 0..300 {
        flood.read_exact(&mut reply).unwrap();
        assert!(reply.starts_with(b"$1048576\r\nvvvv") && reply.ends_with(b"v\r\n"));
    }
    let grown = redis.peak_rss().saturating_sub(baseline);
    assert!(grown < 16 * MIB, "the flood grew the server by {} MiB", grown / MIB);
}

// ---- timeouts ------------------------------------------------------------------------------------------

/// A client that sends a request head slowly, one byte every 50 ms, gets 408 once the header timeout (from
/// the request's first byte, not per read) has passed, and the connection closes; one that sends nothing
/// after a response is closed quietly once the keep-alive timeout has passed.
#[test]
fn http_times_out_slow_heads_and_idle_connections() {
    let env = [("HTTP_HEADER_TIMEOUT", "0.5"), ("HTTP_KEEPALIVE_TIMEOUT", "2")];
    let http = Server::start_with("http", &["127.0.0.1:0"], &env);
    let mut slowloris = connect(&http.addr);
    let head =
        b"GET /plaintext HTTP/1.1\r\nHost: a\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    // A byte, then up to 50 ms for an answer: each byte comes well within any per-read limit, and 200 of
    // them take 10 s, far past the header timeout.
    slowloris.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let (mut sent, mut response) = (0, Vec::new());
    let mut buf = [0; 1024];
    while sent < 200 && response.is_empty() {
        slowloris.write_all(&head[sent % head.len()..][..1]).unwrap();
        sent += 1;
        match slowloris.read(&mut buf) {
            Ok(n) => response.extend_from_slice(&buf[..n]),
            Err(err) if matches!(err.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
            Err(err) => panic!("{err}"),
        }
    }
    assert!(sent < 200, "the slow head was never cut off");
    slowloris.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    slowloris.read_to_end(&mut response).expect("the server closes the connection");
    let response = String::from_utf8(response).unwrap();
    assert!(response.starts_with("HTTP/1.1 408 Request Timeout\r\n"), "{response:?}");

    let mut idle = connect(&http.addr);
    idle.write_all(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    let mut response = Vec::new();
    // The response, then the end of the stream once the connection has idled for the keep-alive timeout
    // (the client's own read timeout, 10 s, would fail the read first if the server never closed).
    idle.read_to_end(&mut response).expect("the server closes the idle connection");
    let response = String::from_utf8(response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n") && response.ends_with("Hello, World!"), "{response}");
}

/// With `PROXY_TIMEOUT`, a relay that moves bytes one way only (to an upstream that never answers) stays
/// open past the timeout; once nothing moves either way for the timeout, it is closed, and both of its
/// sockets with it.
#[test]
fn proxy_closes_relays_idle_both_ways() {
    let sink = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let sink_addr = sink.local_addr().unwrap().to_string();
    let proxy = Server::start_with("proxy", &["127.0.0.1:0", &sink_addr], &[("PROXY_TIMEOUT", "2")]);
    let baseline = proxy.open_fds();
    let mut client = connect(&proxy.addr);
    let (mut upstream, _) = sink.accept().unwrap();
    upstream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // A byte every 100 ms for 5 s, two and a half times the timeout: one direction busy, the other silent.
    for _ in 0..50 {
        client.write_all(b"x").unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut received = [0; 50];
    upstream.read_exact(&mut received).unwrap();
    client.set_nonblocking(true).unwrap();
    let still_open = client.read(&mut [0; 1]).unwrap_err();
    assert_eq!(still_open.kind(), io::ErrorKind::WouldBlock, "the relay closed while bytes were moving");
    // Now idle both ways: the proxy ends the relay (within the client's 10 s read timeout).
    client.set_nonblocking(false).unwrap();
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).expect("the proxy closes the idle relay");
    assert_eq!(upstream.read(&mut [0; 1]).unwrap(), 0, "the upstream connection was closed too");
    assert_eq!(proxy.wait_for_fds(baseline), baseline);
}

/// Reads the server's first line (a chat welcome) byte by byte, leaving the rest unread.
fn read_first_line(stream: &mut TcpStream) -> String {
    let mut line = Vec::new();
    let mut byte = [0; 1];
    while byte[0] != b'\n' {
        stream.read_exact(&mut byte).unwrap();
        line.push(byte[0]);
    }
    String::from_utf8(line).unwrap()
}

/// A client that pipelines requests and never reads a response: once the server's write of responses has
/// waited `HTTP_SEND_TIMEOUT`, the connection is dropped, while the client still holds its end.
#[test]
fn http_drops_clients_that_take_no_responses() {
    let http = Server::start_with("http", &["127.0.0.1:0"], &[("HTTP_SEND_TIMEOUT", "0.5")]);
    let baseline = http.open_fds();
    let mut client = connect(&http.addr);
    client.set_write_timeout(Some(Duration::from_secs(2))).unwrap();
    let requests = b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n".repeat(1000);
    // 200,000 requests, 28 MB of responses: far more than the sockets' buffers. The server stops reading
    // once its writes block, and then so do the client's.
    for _ in 0..200 {
        if client.write_all(&requests).is_err() {
            break;
        }
    }
    assert_eq!(http.wait_for_fds(baseline), baseline, "the client that reads nothing is still held");
    drop(client);
}

/// A chat client that reads nothing while another floods the room: the hub drops it when its outbox fills,
/// and its writer, blocked on the full socket, gives up after `CHAT_SEND_TIMEOUT`, which ends the
/// connection (before, it was held for as long as the client kept it open).
#[test]
fn chat_drops_clients_that_read_nothing() {
    let chat = Server::start_with("chat", &["127.0.0.1:0"], &[("CHAT_SEND_TIMEOUT", "0.5")]);
    let baseline = chat.open_fds();
    let mut silent = connect(&chat.addr);
    assert!(read_first_line(&mut silent).starts_with("*** welcome"));
    let mut talker = connect(&chat.addr);
    assert!(read_first_line(&mut talker).starts_with("*** welcome"));
    talker.set_write_timeout(Some(Duration::from_secs(2))).unwrap();
    let line = format!("{}\n", "x".repeat(4000));
    for _ in 0..3000 {
        if talker.write_all(line.as_bytes()).is_err() {
            break;
        }
    }
    assert_eq!(chat.wait_for_fds(baseline + 1), baseline + 1, "the silent client is still held");
    drop((silent, talker));
}

/// With `REDIS_TIMEOUT`, an idle client is disconnected, a subscribed one is not.
#[test]
fn redis_disconnects_idle_clients_but_not_subscribers() {
    let redis = Server::start_with("redis", &["127.0.0.1:0"], &[("REDIS_TIMEOUT", "2")]);
    let mut subscriber = connect(&redis.addr);
    subscriber.write_all(b"SUBSCRIBE news\r\n").unwrap();
    expect_reply(&mut subscriber, "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n");
    let mut idle = connect(&redis.addr);
    idle.write_all(b"PING\r\n").unwrap();
    expect_reply(&mut idle, "+PONG\r\n");
    let mut rest = Vec::new();
    idle.read_to_end(&mut rest).expect("the server closes the idle connection within the client's 10 s");
    assert!(rest.is_empty());
    // The subscriber idled as long, and still gets messages.
    let mut publisher = connect(&redis.addr);
    publisher.write_all(b"PUBLISH news hi\r\n").unwrap();
    expect_reply(&mut publisher, ":1\r\n");
    expect_reply(&mut subscriber, "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n");
}

// ---- echo: resets, hostile input, EMFILE ---------------------------------------------------------------

/// Sends `message` and checks that it comes back.
fn round_trip(stream: &mut TcpStream, message: &[u8]) {
    stream.write_all(message).unwrap();
    let mut echoed = vec![0; message.len()];
    stream.read_exact(&mut echoed).unwrap();
    assert_eq!(echoed, message);
}

/// Clients that reset at once (before the server may have accepted them) or after sending data the server
/// is echoing: the server serves on, and holds as many descriptors afterwards as before.
#[test]
fn echo_survives_a_reset_storm() {
    let echo = Server::start("echo", &["127.0.0.1:0"]);
    let baseline = echo.open_fds();
    let mut steady = connect(&echo.addr);
    for i in 0..500 {
        let mut client = connect(&echo.addr);
        if i % 2 == 1 {
            client.write_all(&[b'x'; 4096]).unwrap();
        }
        reset(client);
        if i % 50 == 0 {
            round_trip(&mut steady, b"still there?");
        }
    }
    round_trip(&mut steady, b"still there?");
    drop(steady);
    assert_eq!(echo.wait_for_fds(baseline), baseline, "sockets of reset clients were kept");
}

/// Garbage from many connections at once: every connection is refused and closed, the server's memory
/// grows by a bounded amount (the read buffers are capped at the head limit), and a well-behaved client is
/// served afterwards.
#[test]
fn http_refuses_garbage_floods_with_bounded_memory() {
    let http = Server::start("http", &["127.0.0.1:0"]);
    let baseline = (http.open_fds(), http.peak_rss());
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let garbage: Vec<u8> = (0..256 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let floods: Vec<_> = (0..32)
        .map(|i| {
            let (addr, garbage) = (http.addr.clone(), garbage.clone());
            std::thread::spawn(move || {
                let mut stream = connect(&addr);
                // A head that never ends for half of them (431), garbage for the others (400); the server
                // may close before all of it is sent.
                let head: &[u8] = if i % 2 == 0 { b"GET / HTTP/1.1\r\nX: " } else { b"" };
                let _ = stream.write_all(head).and_then(|()| stream.write_all(&garbage));
                let mut response = Vec::new();
                let _ = stream.read_to_end(&mut response);
            })
        })
        .collect();
    for flood in floods {
        flood.join().unwrap();
    }
    assert_eq!(http.wait_for_fds(baseline.0), baseline.0, "refused connections were kept");
    let grown = http.peak_rss().saturating_sub(baseline.1);
    assert!(grown < 32 * MIB, "32 garbage floods grew the server by {} MiB", grown / MIB);
    let mut client = connect(&http.addr);
    client.write_all(b"GET /plaintext HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    client.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
}

/// An echo server allowed 32 descriptors, and 60 clients: accepting fails with EMFILE while the first ones
/// are connected, the others wait in the backlog, and each is served as descriptors free up. The server
/// stays up throughout.
#[test]
fn echo_serves_past_emfile() {
    use std::os::unix::process::CommandExt;
    let mut command = std::process::Command::new(&servers::examples()["echo"]);
    command.arg("127.0.0.1:0");
    // SAFETY: the closure runs in the child between fork and exec, and only calls setrlimit, which is
    // async-signal-safe, on a `rlimit` on its own stack.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit { rlim_cur: 32, rlim_max: 32 };
            match libc::setrlimit(libc::RLIMIT_NOFILE, &limit) {
                0 => Ok(()),
                _ => Err(io::Error::last_os_error()),
            }
        });
    }
    let echo = Server::spawn("echo", command);
    let clients: Vec<TcpStream> = (0..60).map(|_| connect(&echo.addr)).collect();
    // More clients than descriptors: the server cannot have accepted them all. Only its sockets are
    // counted: a descriptor it inherited without close-on-exec (cargo's jobserver pipe, numbered above the
    // limit) stays open whatever the limit.
    let fds = std::fs::read_dir(format!("/proc/{}/fd", echo.pid())).expect("the server's /proc/PID/fd");
    let sockets = fds
        .filter_map(Result::ok)
        .filter(|fd| {
            std::fs::read_link(fd.path()).is_ok_and(|to| to.to_string_lossy().starts_with("socket:"))
        })
        .count();
    assert!(sockets <= 32, "{sockets} sockets open under a limit of 32 descriptors");
    // Each in turn is served and leaves, which frees a descriptor for one that waited.
    for (i, mut client) in clients.into_iter().enumerate() {
        round_trip(&mut client, format!("client {i}").as_bytes());
        client.shutdown(std::net::Shutdown::Write).unwrap();
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty());
    }
    let mut late = connect(&echo.addr);
    round_trip(&mut late, b"after the storm");
}

// ---- heavy: the explicit group (`cargo test --release --test faults -- --ignored`, run by .ci/run) ------

/// As many connections as the descriptor limit allows (both ends count against it: this process's and the
/// server's), each echoing: the server holds one descriptor per connection and a few KiB of memory, and
/// gives every descriptor back when they close.
#[test]
#[ignore = "heavy: run by .ci/run with --release -- --ignored"]
fn echo_holds_as_many_connections_as_the_fd_limit_allows() {
    let limit = servers::raise_open_file_limit().min(30_000) as usize;
    let echo = Server::start("echo", &["127.0.0.1:0"]);
    let (baseline_fds, baseline_rss) = (echo.open_fds(), echo.rss());
    // The rest of the limit for this process's other descriptors (the group runs one test at a time).
    let wanted = limit - 256;
    let mut clients = Vec::with_capacity(wanted);
    for i in 0..wanted {
        let mut client = connect(&echo.addr);
        round_trip(&mut client, &(i as u64).to_le_bytes());
        clients.push(client);
    }
    assert_eq!(echo.open_fds(), baseline_fds + wanted, "one descriptor per connection");
    let per_connection = echo.rss().saturating_sub(baseline_rss) / wanted as u64;
    assert!(per_connection < 16 * 1024, "{per_connection} bytes of RSS per idle connection");
    // Every connection still works.
    for (i, client) in clients.iter_mut().enumerate().step_by(97) {
        round_trip(client, &(i as u64).to_le_bytes());
    }
    drop(clients);
    assert_eq!(echo.wait_for_fds(baseline_fds), baseline_fds);
}

/// 10,000 resets while 64 clients keep echoing: not one of their echoes fails or is wrong, and the server's
/// descriptors come back to their baseline.
#[test]
#[ignore = "heavy: run by .ci/run with --release -- --ignored"]
fn echo_reset_storm_under_load_loses_nothing() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
    servers::raise_open_file_limit();
    let echo = Server::start("echo", &["127.0.0.1:0"]);
    let baseline = echo.open_fds();
    let (done, echoes) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)));
    let load: Vec<_> = (0..64)
        .map(|i| {
            let (addr, done, echoes) = (echo.addr.clone(), done.clone(), echoes.clone());
            std::thread::spawn(move || {
                let mut client = connect(&addr);
                while !done.load(Relaxed) {
                    round_trip(&mut client, format!("load {i}").as_bytes());
                    echoes.fetch_add(1, Relaxed);
                }
            })
        })
        .collect();
    for i in 0..10_000 {
        let mut client = connect(&echo.addr);
        if i % 2 == 1 {
            client.write_all(&[b'r'; 1024]).unwrap();
        }
        reset(client);
    }
    done.store(true, Relaxed);
    for thread in load {
        thread.join().expect("a loaded client failed");
    }
    assert!(echoes.load(Relaxed) > 64, "the load made no progress");
    assert_eq!(echo.wait_for_fds(baseline), baseline);
}

/// 200 clients that send 4 MiB each and never read their echo: the server stops reading from them once its
/// writes back block (it buffers nothing beyond a 4 KiB read per connection), so its memory stays small,
/// and another client is served meanwhile.
#[test]
#[ignore = "heavy: run by .ci/run with --release -- --ignored"]
fn echo_slow_readers_do_not_grow_the_server() {
    servers::raise_open_file_limit();
    let echo = Server::start("echo", &["127.0.0.1:0"]);
    let baseline = (echo.open_fds(), echo.rss());
    let slow: Vec<_> = (0..200)
        .map(|_| {
            let mut client = connect(&echo.addr);
            client.set_write_timeout(Some(Duration::from_millis(500))).unwrap();
            // Writes until the kernel's buffers both ways are full and the write times out.
            let chunk = [b's'; 64 * 1024];
            let mut sent = 0;
            while sent < 4 * MIB && client.write(&chunk).map(|n| sent += n as u64).is_ok() {}
            client
        })
        .collect();
    let mut other = connect(&echo.addr);
    round_trip(&mut other, b"served beside the slow readers");
    let grown = echo.rss().saturating_sub(baseline.1);
    assert!(grown < 64 * MIB, "200 slow readers grew the server by {} MiB", grown / MIB);
    drop((slow, other));
    assert_eq!(echo.wait_for_fds(baseline.0), baseline.0);
}

/// Runs `example` under valgrind for `session`, ends it, and checks valgrind's report: no memory error, and
/// nothing definitely or indirectly lost.
fn under_valgrind(example: &str, session: impl FnOnce(&Server)) {
    let log = std::env::temp_dir().join(format!("coro-valgrind-{example}-{}.log", std::process::id()));
    let mut command = std::process::Command::new("valgrind");
    command
        .args(["--leak-check=full", "--errors-for-leak-kinds=definite,indirect"])
        .arg(format!("--log-file={}", log.display()))
        .arg(&servers::examples()[example])
        .arg("127.0.0.1:0");
    let server = Server::spawn(example, command);
    session(&server);
    server.stop();
    let report = std::fs::read_to_string(&log).expect("valgrind's log (is valgrind installed?)");
    std::fs::remove_file(&log).unwrap();
    assert!(report.contains("ERROR SUMMARY: 0 errors"), "{report}");
    assert!(
        report.contains("definitely lost: 0 bytes") || report.contains("no leaks are possible"),
        "{report}"
    );
}

#[test]
#[ignore = "needs valgrind: run by .ci/run with --release -- --ignored"]
fn echo_and_redis_are_clean_under_valgrind() {
    under_valgrind("echo", |echo| {
        for i in 0..20 {
            let mut client = connect(&echo.addr);
            round_trip(&mut client, format!("message {i}").as_bytes());
            if i % 5 == 0 {
                reset(client);
            }
        }
    });
    under_valgrind("redis", |redis| {
        let mut connection = redis_connection(redis);
        redis::cmd("SET").arg("k").arg("v").exec(&mut connection).unwrap();
        let value: String = redis::cmd("GET").arg("k").query(&mut connection).unwrap();
        assert_eq!(value, "v");
        let mut subscriber = connect(&redis.addr);
        subscriber.write_all(b"SUBSCRIBE news\r\n").unwrap();
        expect_reply(&mut subscriber, "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n");
        let receivers: u32 = redis::cmd("PUBLISH").arg("news").arg("hi").query(&mut connection).unwrap();
        assert_eq!(receivers, 1);
        expect_reply(&mut subscriber, "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n");
        let refused = servers::send_and_read_to_end(&redis.addr, b"*1\r\n$-5\r\n");
        assert_eq!(refused, "-ERR Protocol error: invalid bulk length\r\n");
    });
}
