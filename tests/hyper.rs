//! hyper 1.x on coro (feature `hyper`): the `hyper` example's routes served in-process and called with
//! hyper's client, both on `coro::hyper::Io` over coro's `TcpStream`.

#[path = "../examples/hyper/client.rs"]
mod client;
#[path = "../examples/hyper/service.rs"]
mod service;

use bytes::Bytes;
use client::{connect, fetch};
use coro::chan;
use coro::net::{TcpListener, TcpStream};
use coro_test_support::{HANG, join_all};
use futures_lite::StreamExt;
use http_body_util::{BodyExt, Empty, Full, StreamBody};
use hyper::body::Frame;
use hyper::{Request, StatusCode};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

/// Starts the example's server on a free port; returns its address and how many connections it accepted.
#[coro::coroutine]
fn start_server() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    drop(coro::spawn!(move || {
        while let Ok((stream, _)) = listener.accept() {
            count.fetch_add(1, SeqCst);
            drop(coro::spawn(service::serve(stream)));
        }
    }));
    (addr, accepted)
}

fn get(addr: SocketAddr, path: &str) -> Request<Empty<Bytes>> {
    Request::get(path).header("host", addr.to_string()).body(Empty::new()).unwrap()
}

/// The bytes `0, 1, .., 250, 0, ..` (a prime period, so misplaced chunks show), `len` of them.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[coro::test(workers = 2)]
fn every_route_round_trips_on_one_kept_alive_connection() {
    let (addr, accepted) = start_server();
    let mut sender = connect(addr).await.unwrap();
    for _ in 0..3 {
        let (status, body) = fetch(&mut sender, get(addr, "/plaintext")).await.unwrap();
        assert_eq!((status, &body[..]), (StatusCode::OK, &b"Hello, World!"[..]));
        let (status, body) = fetch(&mut sender, get(addr, "/json")).await.unwrap();
        assert_eq!((status, &body[..]), (StatusCode::OK, &br#"{"message":"Hello, World!"}"#[..]));
        let (status, _) = fetch(&mut sender, get(addr, "/nowhere")).await.unwrap();
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let mut sender = connect(addr).await.unwrap();
    let echo = Request::post("/echo").header("host", addr.to_string()).body(Full::new(Bytes::from("ping")));
    let (status, body) = fetch(&mut sender, echo.unwrap()).await.unwrap();
    assert_eq!((status, &body[..]), (StatusCode::OK, &b"ping"[..]));
    assert_eq!(accepted.load(SeqCst), 2, "one connection per client: keep-alive");
}

#[coro::test(workers = 2)]
fn streaming_bodies_flow_both_ways() {
    let (addr, _) = start_server();
    let mut sender = connect(addr).await.unwrap();
    let (status, body) = fetch(&mut sender, get(addr, "/stream")).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    let expected: String = (0..service::STREAM_CHUNKS).map(|i| format!("chunk {i}\n")).collect();
    assert_eq!(body, expected.as_bytes());

    // 4 MiB sent by a coroutine through a channel as a streamed request body, echoed back as it arrives.
    let data = Bytes::from(pattern(4 << 20));
    let (tx, rx) = chan::bounded::<Bytes>(2);
    let chunks = data.clone();
    let producer = coro::spawn!(move || {
        for offset in (0..chunks.len()).step_by(64 << 10) {
            tx.send(chunks.slice(offset..chunks.len().min(offset + (64 << 10)))).unwrap();
        }
    });
    let body = StreamBody::new(rx.map(|chunk| Ok::<_, io::Error>(Frame::data(chunk))));
    let mut sender = connect(addr).await.unwrap();
    let request = Request::post("/echo").header("host", addr.to_string()).body(body).unwrap();
    sender.ready().await.unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let echoed = response.into_body().collect().await.unwrap().to_bytes();
    assert!(echoed == data, "echoed {} bytes, not the {} sent", echoed.len(), data.len());
    producer.join().unwrap();
}

/// Raises the soft limit on open files to what `needed` requires, if the hard limit allows.
fn ensure_open_files(needed: libc::rlim_t) {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `getrlimit` and `setrlimit` read and write the `rlimit` we own; no other memory is touched.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        if limit.rlim_cur < needed {
            assert!(limit.rlim_max >= needed, "this test needs {needed} open files; the hard limit is lower");
            limit.rlim_cur = needed;
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
        }
    }
}

#[coro::test(workers = 2)]
fn a_thousand_concurrent_requests() {
    const CLIENTS: usize = 1000;
    ensure_open_files(2 * CLIENTS as libc::rlim_t + 256); // both ends of every connection, in this process
    let (addr, accepted) = start_server();
    let clients = (0..CLIENTS)
        .map(|i| {
            coro::spawn(async move {
                let mut sender = connect(addr).await.unwrap();
                let path = if i % 2 == 0 { "/plaintext" } else { "/json" };
                fetch(&mut sender, get(addr, path)).await.unwrap()
            })
        })
        .collect();
    let responses = join_all(clients);
    for (i, (status, body)) in responses.into_iter().enumerate() {
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body.len(), if i % 2 == 0 { 13 } else { 27 });
    }
    assert_eq!(accepted.load(SeqCst), CLIENTS);
}

/// hyper's header-read timeout runs on `coro::hyper::Timer`: a client that never finishes its request head
/// is disconnected (after 50 ms here), and the server goes on serving.
#[coro::test(workers = 1)]
fn coro_timers_drive_hyper_timeouts() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = coro::spawn!(move || {
        for _ in 0..2 {
            let (stream, _) = listener.accept().unwrap();
            drop(coro::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(coro::hyper::Timer)
                    .header_read_timeout(Duration::from_millis(50))
                    .serve_connection(
                        coro::hyper::Io::new(stream),
                        hyper::service::service_fn(service::route),
                    )
                    .await;
            }));
        }
    });
    let mut slow = TcpStream::connect(addr).unwrap();
    slow.write_all(b"GET /plaintext HTTP/1.1\r\n").unwrap();
    let mut rest = Vec::new();
    let read = coro::timeout!(HANG, slow.read_to_end(&mut rest)).expect("the server never timed out");
    assert!(read.is_err() || rest.is_empty() || rest.starts_with(b"HTTP/1.1 408"), "{:?}", rest);
    let mut sender = connect(addr).await.unwrap();
    let (status, _) = fetch(&mut sender, get(addr, "/plaintext")).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    server.join().unwrap();
}

/// `coro::hyper::Executor` runs what hyper hands it as a coro task.
#[coro::test(workers = 1)]
fn the_executor_spawns_on_coro() {
    let (tx, rx) = chan::bounded(1);
    let task = async move {
        coro::yield_now().await;
        tx.send(42).await
    };
    hyper::rt::Executor::execute(&coro::hyper::Executor, task);
    assert_eq!(rx.recv(), Ok(42));
}
