//! hyper 1.x serving HTTP/1.1 on coro (feature `hyper`): plaintext, JSON, a streaming body and an echo
//! (the routes are in `hyper/service.rs`); `hyper_client` is hyper's client calling it.
//!
//! ```sh
//! cargo run --release --features hyper --example hyper              # listens on 127.0.0.1:8080
//! cargo run --release --features hyper --example hyper 127.0.0.1:0  # any free port
//! curl http://127.0.0.1:8080/plaintext http://127.0.0.1:8080/json http://127.0.0.1:8080/stream
//! curl --data-binary @Cargo.toml http://127.0.0.1:8080/echo
//! cargo run --release --features hyper --example hyper_client 127.0.0.1:8080
//! ```
//!
//! It prints `hyper server listening on ADDR` once it accepts connections, and runs on `CORO_WORKERS`
//! workers (default: one per CPU). One task per connection, served by hyper's `http1` connection through
//! `coro::hyper::Io`, with coro's timers for hyper's header-read timeout.

#[path = "hyper/service.rs"]
mod service;

use coro::net::TcpListener;
use std::io;

#[coro::main]
fn main() -> io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let listener = TcpListener::bind(addr.as_str())?;
    println!("hyper server listening on {}", listener.local_addr()?);
    loop {
        match listener.accept() {
            Ok((stream, _peer)) => {
                stream.set_nodelay(true)?;
                drop(coro::spawn(service::serve(stream)));
            }
            Err(err) => eprintln!("accept failed: {err}"),
        }
    }
}
