//! hyper's client on coro (feature `hyper`), calling the `hyper` example: every route once, on one
//! kept-alive connection.
//!
//! ```sh
//! cargo run --release --features hyper --example hyper 127.0.0.1:8080 &
//! cargo run --release --features hyper --example hyper_client 127.0.0.1:8080
//! ```
//!
//! It prints each response's status and body size and, for the small ones, the body.

#[path = "hyper/client.rs"]
mod client;

use bytes::Bytes;
use client::{BoxError, connect, fetch};
use http_body_util::Full;
use hyper::{Method, Request};
use std::net::SocketAddr;

#[coro::main]
fn main() -> Result<(), BoxError> {
    let addr: SocketAddr = std::env::args().nth(1).as_deref().unwrap_or("127.0.0.1:8080").parse()?;
    let mut sender = connect(addr).await?;
    for (method, path, body) in [
        (Method::GET, "/plaintext", ""),
        (Method::GET, "/json", ""),
        (Method::GET, "/stream", ""),
        (Method::POST, "/echo", "echo this"),
    ] {
        let request = Request::builder()
            .method(method.clone())
            .uri(path)
            .header("host", addr.to_string())
            .body(Full::new(Bytes::from_static(body.as_bytes())))?;
        let (status, body) = fetch(&mut sender, request).await?;
        let shown = if body.len() <= 64 { String::from_utf8_lossy(&body).into_owned() } else { "...".into() };
        println!("{method} {path}: {status}, {} bytes: {shown}", body.len());
    }
    Ok(())
}
