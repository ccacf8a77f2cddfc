//! `coro::compat::tokio` (feature `compat`): a tokio-based client crate (hyper-util's legacy client, on
//! tokio's `TcpStream`, timers and `tokio::spawn`) used from coroutines against coro's own hyper server.

#[allow(dead_code, reason = "the tests use the routes; the example uses `serve`")]
#[path = "../examples/hyper/service.rs"]
mod service;

use bytes::Bytes;
use coro::net::TcpListener;
use http_body_util::{BodyExt, Empty};
use hyper::StatusCode;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::net::SocketAddr;
use std::time::Duration;

/// The `hyper` example's server on a free port; returns its address.
#[coro::coroutine]
fn start_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(coro::spawn!(move || {
        while let Ok((stream, _)) = listener.accept() {
            drop(coro::spawn(service::serve(stream)));
        }
    }));
    addr
}

/// GETs `path` with the tokio-based client, from a coroutine; the status and the whole body.
#[coro::coroutine]
fn get(
    client: &Client<hyper_util::client::legacy::connect::HttpConnector, Empty<Bytes>>,
    addr: SocketAddr,
    path: &str,
) -> (StatusCode, Bytes) {
    let uri = format!("http://{addr}{path}").parse().unwrap();
    let response = coro::compat::tokio(client.get(uri)).unwrap(); // a Suspend operation: awaited in place
    let status = response.status();
    let body = coro::compat::tokio(response.into_body().collect()).unwrap().to_bytes();
    (status, body)
}

#[coro::test(workers = 2)]
fn a_tokio_based_client_calls_a_coro_server() {
    let addr = start_server();
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    for _ in 0..3 {
        assert_eq!(get(&client, addr, "/plaintext"), (StatusCode::OK, Bytes::from("Hello, World!")));
        let (status, body) = get(&client, addr, "/json");
        assert_eq!((status, &body[..]), (StatusCode::OK, &br#"{"message":"Hello, World!"}"#[..]));
        let (status, body) = get(&client, addr, "/stream");
        assert_eq!((status, body.len()), (StatusCode::OK, 890));
    }

    // Concurrent coroutines share the client, each waiting on tokio's reactor.
    let handles: Vec<_> = (0..20)
        .map(|_| {
            let client = client.clone();
            coro::spawn!(move || get(&client, addr, "/plaintext").0)
        })
        .collect();
    for status in coro_test_support::join_all(handles) {
        assert_eq!(status, StatusCode::OK);
    }
}

#[coro::test(workers = 1)]
fn tokio_timers_and_spawn_work_inside() {
    // `tokio::time::sleep` needs the runtime when it is called, not only when polled: inside an `async`
    // block, it is called inside.
    coro::compat::tokio(async { tokio::time::sleep(Duration::from_millis(1)).await });
    let spawned = coro::compat::tokio(async { tokio::spawn(async { 6 * 7 }).await.unwrap() });
    assert_eq!(spawned, 42);
    // Dropped before it completes, inside the runtime: tokio's timer entry goes with it.
    coro::select! {
        _ = coro::compat::tokio(async { tokio::time::sleep(Duration::from_secs(3600)).await }) => {
            panic!("an hour passed")
        }
        _ = coro::yield_now() => {}
    }
}
