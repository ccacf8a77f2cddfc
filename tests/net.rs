//! The network types end to end, on 127.0.0.1 and Unix sockets, written as a coro user writes them.
//!
//! Bounded counts only; no sleeps. Timeouts are exercised with short timeouts and asserted by error kind,
//! never by elapsed time.

#![deny(warnings)]

use coro::io::BufRead as _;
use coro::net::{
    Shutdown, TcpListener, TcpSocket, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream,
};
use coro_test_support::join_all;
use std::io::{self, ErrorKind};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[coro::coroutine]
fn echo(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n])?;
    }
}

/// Serves `connections` connections with `echo`, then returns.
#[coro::coroutine]
fn echo_server(listener: TcpListener, connections: usize) -> io::Result<()> {
    let mut served = Vec::new();
    for _ in 0..connections {
        let (stream, _) = listener.accept()?;
        served.push(coro::spawn!(echo(stream)));
    }
    for connection in served {
        connection.join().map_err(io::Error::other)??;
    }
    Ok(())
}

/// Sends `rounds` messages and checks every echo.
#[coro::coroutine]
fn echo_client(addr: std::net::SocketAddr, id: u8, rounds: usize) -> io::Result<()> {
    let mut stream = TcpStream::connect(addr)?;
    let mut echoed = [0u8; 100];
    for round in 0..rounds {
        let message = [id.wrapping_add(round as u8); 100];
        stream.write_all(&message)?;
        stream.read_exact(&mut echoed)?;
        assert_eq!(echoed, message);
    }
    Ok(())
}

#[coro::test(workers = 2)]
fn many_concurrent_echo_clients() {
    const CLIENTS: usize = 64;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = coro::spawn!(echo_server(listener, CLIENTS));
    let clients: Vec<_> = (0..CLIENTS).map(|id| coro::spawn!(echo_client(addr, id as u8, 200))).collect();
    for client in clients {
        client.join().unwrap().unwrap();
    }
    server.join().unwrap().unwrap();
}

#[coro::test(workers = 1)]
fn a_read_with_nothing_coming_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (_silent, _) = listener.accept().unwrap();
    client.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
    assert_eq!(client.read_timeout().unwrap(), Some(Duration::from_millis(20)));
    let err = client.read(&mut [0u8; 16]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    // The stream is still usable: the timeout failed one read, it did not break the socket.
    client.set_read_timeout(None).unwrap();
    assert_eq!(client.set_read_timeout(Some(Duration::ZERO)).unwrap_err().kind(), ErrorKind::InvalidInput);
}

#[coro::test(workers = 1)]
fn a_write_to_a_peer_that_never_reads_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (_never_reads, _) = listener.accept().unwrap();
    client.set_write_timeout(Some(Duration::from_millis(20))).unwrap();
    let chunk = vec![7u8; 1 << 16];
    // Both socket buffers fill up, then a write has to wait, and the timeout fails it.
    let err = loop {
        if let Err(err) = client.write_all(&chunk) {
            break err;
        }
    };
    assert_eq!(err.kind(), ErrorKind::TimedOut);
}

#[coro::test(workers = 2)]
fn half_close_delivers_eof_and_keeps_the_other_direction() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let server = coro::spawn!(move || -> io::Result<usize> {
        let (mut stream, _) = listener.accept()?;
        let mut request = Vec::new();
        stream.read_to_end(&mut request)?; // ends at the client's FIN
        stream.write_all(format!("got {} bytes", request.len()).as_bytes())?;
        Ok(request.len())
    });
    client.write_all(b"hello, half-closed world").unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    let mut reply = String::new();
    client.read_to_string(&mut reply).unwrap();
    assert_eq!(reply, "got 24 bytes");
    assert_eq!(server.join().unwrap().unwrap(), 24);
}

#[coro::test(workers = 1)]
fn connecting_to_a_closed_port_is_refused() {
    let addr = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let err = TcpStream::connect(addr).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
}

#[coro::test(workers = 1)]
fn connect_timeout_connects_and_rejects_a_zero_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    assert_eq!(stream.peer_addr().unwrap(), addr);
    let err = TcpStream::connect_timeout(&addr, Duration::ZERO).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[coro::test(workers = 2)]
fn writing_to_a_reset_peer_is_an_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    drop(server);
    // The first writes may still be accepted locally; the peer answers them with a reset.
    let mut result = Ok(());
    for _ in 0..1000 {
        result = client.write_all(b"anyone there?");
        if result.is_err() {
            break;
        }
    }
    let err = result.expect_err("a thousand writes to a closed peer all succeeded");
    assert!(matches!(err.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset), "{err:?}");
}

#[coro::test(workers = 2)]
fn split_halves_read_and_write_at_once() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = coro::spawn!(echo_server(listener, 1));
    let (mut reader, mut writer) = TcpStream::connect(addr).unwrap().into_split();
    const TOTAL: usize = 1 << 20; // more than the socket buffers hold: writer and reader must overlap
    let sender = coro::spawn!(move || -> io::Result<coro::net::WriteHalf<TcpStream>> {
        let chunk = [5u8; 8192];
        for _ in 0..TOTAL / chunk.len() {
            writer.write_all(&chunk)?;
        }
        Ok(writer)
    });
    let mut received = 0;
    let mut buf = [0u8; 8192];
    while received < TOTAL {
        let n = reader.read(&mut buf).unwrap();
        assert!(n > 0 && buf[..n].iter().all(|&b| b == 5));
        received += n;
    }
    let writer = sender.join().unwrap().unwrap();
    let stream = reader.reunite(writer).unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    server.join().unwrap().unwrap();
}

#[coro::test(workers = 1)]
fn udp_round_trips() {
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b_addr = b.local_addr().unwrap();
    assert_eq!(a.send_to(b"ping", b_addr).unwrap(), 4);
    let mut buf = [0u8; 16];
    assert_eq!(b.peek(&mut buf).unwrap(), 4); // peeking leaves the datagram queued
    let (n, from) = b.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr().unwrap()));
    b.connect(from).unwrap();
    a.connect(b_addr).unwrap();
    assert_eq!(b.send(b"pong").unwrap(), 4);
    assert_eq!(a.recv(&mut buf).unwrap(), 4);
    assert_eq!(&buf[..4], b"pong");
}

#[coro::test(workers = 1)]
fn udp_socket_options_round_trip() {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_multicast_loop_v4(false).unwrap();
    assert!(!socket.multicast_loop_v4().unwrap());
    socket.set_multicast_ttl_v4(3).unwrap();
    assert_eq!(socket.multicast_ttl_v4().unwrap(), 3);
    socket.set_broadcast(true).unwrap();
    assert!(socket.broadcast().unwrap());
    socket.set_ttl(9).unwrap();
    assert_eq!(socket.ttl().unwrap(), 9);
    // Not a multicast address: the kernel's error, as std gives it.
    let err = socket.join_multicast_v4(&"10.0.0.1".parse().unwrap(), &std::net::Ipv4Addr::UNSPECIFIED);
    assert_eq!(err.unwrap_err().kind(), ErrorKind::InvalidInput);
}

fn socket_path(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("coro-test-{}-{name}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

#[coro::test(workers = 2)]
fn unix_stream_round_trip() {
    let path = socket_path("stream");
    let listener = UnixListener::bind(&path).unwrap();
    let server = coro::spawn!(move || -> io::Result<()> {
        let mut stream = listener.incoming().next().expect("`incoming` never ends")?;
        let mut line = String::new();
        coro::io::BufReader::new(&mut stream).read_line(&mut line)?;
        stream.write_all(line.to_uppercase().as_bytes())?;
        Ok(())
    });
    let mut client = UnixStream::connect(&path).unwrap();
    client.write_all(b"over a unix socket\n").unwrap();
    let mut reply = String::new();
    client.read_to_string(&mut reply).unwrap();
    assert_eq!(reply, "OVER A UNIX SOCKET\n");
    server.join().unwrap().unwrap();
    std::fs::remove_file(&path).unwrap();
}

#[coro::test(workers = 1)]
fn unix_datagram_round_trips() {
    let (a, b) = UnixDatagram::pair().unwrap();
    assert_eq!(a.send(b"one").unwrap(), 3);
    let mut buf = [0u8; 8];
    assert_eq!(b.recv(&mut buf).unwrap(), 3);
    assert_eq!(&buf[..3], b"one");

    let path = socket_path("dgram");
    let bound = UnixDatagram::bind(&path).unwrap();
    let sender = UnixDatagram::unbound().unwrap();
    assert_eq!(sender.send_to(b"two", &path).unwrap(), 3);
    let (n, _) = bound.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"two");
    std::fs::remove_file(&path).unwrap();
}

#[coro::test(workers = 1)]
fn generic_io_code_takes_sockets() {
    let (mut a, b) = UnixStream::pair().unwrap();
    let writer = coro::spawn!(move || -> io::Result<()> {
        let mut b = b;
        b.write_all(b"first line\nsecond line\n")?;
        Ok(())
    });
    let mut lines = coro::io::BufReader::new(&mut a).lines();
    assert_eq!(lines.next_line().unwrap().as_deref(), Some("first line"));
    assert_eq!(lines.next_line().unwrap().as_deref(), Some("second line"));
    writer.join().unwrap().unwrap();
    assert_eq!(lines.next_line().unwrap(), None); // the writer's end was dropped: EOF
}

#[test]
fn runtime_agnostic_code_runs_on_coro_streams() {
    use futures_lite::io::{AsyncReadExt, AsyncWriteExt};
    // Written against futures-io only, as a runtime-agnostic crate would be.
    async fn shout<S: futures_lite::io::AsyncRead + futures_lite::io::AsyncWrite + Unpin>(
        mut s: S,
    ) -> io::Result<()> {
        let mut buf = [0u8; 5];
        s.read_exact(&mut buf).await?;
        s.write_all(&buf.to_ascii_uppercase()).await?;
        s.close().await // a half-close: the peer reads EOF next
    }
    coro::run(async {
        let (a, mut b) = UnixStream::pair().unwrap();
        let shouter = coro::spawn(shout(a));
        AsyncWriteExt::write_all(&mut b, b"quiet").await.unwrap();
        let mut reply = Vec::new();
        AsyncReadExt::read_to_end(&mut b, &mut reply).await.unwrap();
        assert_eq!(reply, b"QUIET");
        shouter.join().await.unwrap().unwrap();
    });
}

/// Accepts one connection on a listener shared with other acceptors.
#[coro::coroutine]
fn accept_one(listener: Arc<TcpListener>) -> io::Result<TcpStream> {
    Ok(listener.accept()?.0)
}

/// Receives one datagram on a socket shared with other receivers.
#[coro::coroutine]
fn recv_one(socket: Arc<UdpSocket>) -> io::Result<u8> {
    let mut buf = [0u8; 1];
    socket.recv(&mut buf)?;
    Ok(buf[0])
}

/// Go's acceptor pool: coroutines accepting on one listener all wait at once, and every connection wakes
/// one that gets it. A listener that kept only the last waiter's wake-up would leave the others asleep with
/// connections queued.
#[coro::coroutine]
fn acceptors_sharing_a_listener_each_get_a_connection() {
    const ACCEPTORS: usize = 4;
    let listener = Arc::new(TcpListener::bind("127.0.0.1:0").unwrap());
    let addr = listener.local_addr().unwrap();
    let acceptors = (0..ACCEPTORS).map(|_| coro::spawn!(accept_one(listener.clone()))).collect();
    coro::yield_now(); // on one worker, every acceptor has run and waits by now
    let clients: Vec<_> = (0..ACCEPTORS).map(|_| std::net::TcpStream::connect(addr).unwrap()).collect();
    let mut peers: Vec<_> =
        join_all(acceptors).into_iter().map(|s| s.unwrap().peer_addr().unwrap()).collect();
    let mut expected: Vec<_> = clients.iter().map(|c| c.local_addr().unwrap()).collect();
    peers.sort();
    expected.sort();
    assert_eq!(peers, expected, "each connection is accepted exactly once");
}

/// Several coroutines receiving on one UDP socket all wait at once; each datagram reaches one of them.
#[coro::coroutine]
fn receivers_sharing_a_udp_socket_each_get_a_datagram() {
    const RECEIVERS: u8 = 4;
    let socket = Arc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
    let addr = socket.local_addr().unwrap();
    let receivers = (0..RECEIVERS).map(|_| coro::spawn!(recv_one(socket.clone()))).collect();
    coro::yield_now(); // on one worker, every receiver has run and waits by now
    let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..RECEIVERS {
        sender.send_to(&[i], addr).unwrap();
    }
    let mut got: Vec<u8> = join_all(receivers).into_iter().map(Result::unwrap).collect();
    got.sort();
    assert_eq!(got, (0..RECEIVERS).collect::<Vec<_>>());
}

coro_test_support::on_1_and_2_workers!(
    acceptors_sharing_a_listener_each_get_a_connection,
    receivers_sharing_a_udp_socket_each_get_a_datagram,
);

#[coro::test(workers = 1)]
fn lookup_host_resolves_names_and_literals() {
    let literal: Vec<_> = coro::net::lookup_host("127.0.0.1:80").unwrap().collect();
    assert_eq!(literal, ["127.0.0.1:80".parse().unwrap()]);
    let localhost: Vec<std::net::SocketAddr> = coro::net::lookup_host("localhost:80").unwrap().collect();
    assert!(localhost.iter().all(|addr| addr.ip().is_loopback() && addr.port() == 80), "{localhost:?}");
    assert!(!localhost.is_empty());
    let err = coro::net::lookup_host("no port").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[coro::test(workers = 2)]
fn tcp_socket_sets_options_then_listens_and_connects() {
    let server = TcpSocket::new_v4().unwrap();
    server.set_reuseaddr(true).unwrap();
    server.set_reuseport(true).unwrap();
    server.set_recv_buffer_size(64 * 1024).unwrap();
    assert!(server.reuseaddr().unwrap() && server.reuseport().unwrap());
    assert!(server.recv_buffer_size().unwrap() >= 64 * 1024);
    server.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = server.local_addr().unwrap();
    // SO_REUSEPORT: a second socket listens on the same port.
    let twin = TcpSocket::new_v4().unwrap();
    twin.set_reuseport(true).unwrap();
    twin.bind(addr).unwrap();
    let _twin = twin.listen(16).unwrap();
    let listener = server.listen(16).unwrap();
    let served = coro::spawn!(echo_server(listener, 1));

    let client = TcpSocket::new_v4().unwrap();
    client.set_nodelay(true).unwrap();
    client.set_keepalive(true).unwrap();
    client.set_send_buffer_size(32 * 1024).unwrap();
    client.set_linger(Some(Duration::from_secs(1))).unwrap();
    assert!(client.nodelay().unwrap() && client.keepalive().unwrap());
    assert_eq!(client.linger().unwrap(), Some(Duration::from_secs(1)));
    assert!(client.send_buffer_size().unwrap() >= 32 * 1024);
    // The kernel spreads connections over both listeners; the handshake completes either way.
    let stream = client.connect(addr).unwrap();
    assert_eq!(stream.peer_addr().unwrap(), addr);
    drop(served); // detached: it may be waiting for a connection that went to the twin
}

#[coro::test(workers = 1)]
fn tcp_socket_connect_to_a_closed_port_is_refused() {
    let addr = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap(); // closed at once
    let err = TcpSocket::new_v4().unwrap().connect(addr).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    assert!(TcpSocket::new_v6().is_ok() || TcpSocket::new_v4().is_ok());
}

#[coro::test(workers = 2)]
fn incoming_yields_each_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let clients: Vec<_> = (0..3u8).map(|id| coro::spawn!(echo_client(addr, id, 2))).collect();
    let mut incoming = listener.incoming();
    let mut served = Vec::new();
    while let Some(stream) = incoming.next() {
        served.push(coro::spawn!(echo(stream.unwrap())));
        if served.len() == clients.len() {
            break;
        }
    }
    for result in join_all(clients).into_iter().chain(join_all(served)) {
        result.unwrap();
    }
}

#[coro::test(workers = 2)]
fn peek_leaves_the_data_and_socket_options_round_trip() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (mut server, _) = listener.accept().unwrap();
    client.write_all(b"hello").unwrap();
    let mut peeked = [0u8; 5];
    let n = server.peek(&mut peeked).unwrap(); // suspends until data has arrived
    assert_eq!(&peeked[..n], &b"hello"[..n]);
    let mut read = [0u8; 5];
    server.read_exact(&mut read).unwrap();
    assert_eq!(&read, b"hello", "peek took nothing");

    server.set_ttl(42).unwrap();
    assert_eq!(server.ttl().unwrap(), 42);
    server.set_linger(Some(Duration::ZERO)).unwrap();
    assert_eq!(server.linger().unwrap(), Some(Duration::ZERO));
    assert!(server.take_error().unwrap().is_none());
    drop(server); // linger zero: a reset
    let mut buf = [0u8; 1];
    assert_eq!(client.read(&mut buf).unwrap_err().kind(), ErrorKind::ConnectionReset);
}

/// Raises the soft limit on open files to at least `wanted` (up to the hard limit).
fn ensure_open_file_limit(wanted: libc::rlim_t) {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `getrlimit` and `setrlimit` read and write the `rlimit` we own; no other memory is touched.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        if limit.rlim_cur < wanted {
            limit.rlim_cur = wanted.min(limit.rlim_max);
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
        }
    }
}

/// The listen backlog holds a burst of 1,000 connects: each completes its handshake while the listener is
/// not accepting yet (with mio's backlog of 128, the rest would wait for SYN retransmits, and here never
/// complete), then all 1,000 are accepted.
#[coro::test(workers = 2)]
fn a_burst_of_a_thousand_connects_fits_the_backlog() {
    const BURST: usize = 1000;
    ensure_open_file_limit(3 * BURST as libc::rlim_t);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let connects = (0..BURST).map(|_| coro::spawn!(TcpStream::connect(addr))).collect();
    let clients: Vec<TcpStream> = join_all(connects).into_iter().map(Result::unwrap).collect();
    for _ in 0..BURST {
        listener.accept().unwrap();
    }
    assert_eq!(clients.len(), BURST);
}

/// As the TCP burst, over a Unix socket: a full backlog fails a Unix connect (`EAGAIN`) instead of
/// delaying it, so here the backlog is what lets all 1,000 connect.
#[coro::test(workers = 2)]
fn a_burst_of_a_thousand_unix_connects_fits_the_backlog() {
    const BURST: usize = 1000;
    ensure_open_file_limit(3 * BURST as libc::rlim_t);
    let path = socket_path("burst");
    let listener = UnixListener::bind(&path).unwrap();
    let connects = (0..BURST).map(|_| coro::spawn!(UnixStream::connect(path.clone()))).collect();
    let clients: Vec<UnixStream> = join_all(connects).into_iter().map(Result::unwrap).collect();
    for _ in 0..BURST {
        listener.accept().unwrap();
    }
    assert_eq!(clients.len(), BURST);
    std::fs::remove_file(&path).unwrap();
}
