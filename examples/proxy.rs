//! A TCP proxy: every connection to the listen address is relayed to the upstream address, both directions
//! at once, and a half close on either side is passed on to the other.
//!
//! ```sh
//! cargo run --release --example http 127.0.0.1:8080 &
//! cargo run --release --example proxy 127.0.0.1:9000 127.0.0.1:8080   # LISTEN UPSTREAM
//! CORO_WORKERS=2 cargo run --release --example proxy 127.0.0.1:9000 127.0.0.1:8080
//! curl http://127.0.0.1:9000/plaintext
//! ```
//!
//! It prints `proxy listening on ADDR, forwarding to UPSTREAM` once it accepts connections.
//!
//! # Design
//!
//! Each client gets a coroutine that connects upstream, splits both sockets with `into_split`, and runs two
//! copies with `coro::io::copy`: one in a spawned coroutine (client to upstream), one in its own (upstream
//! to client). When a copy reaches the end of its source (the peer shut its sending side down), it shuts
//! the sending side of its destination down, so the other end sees the end of the stream too while the other
//! direction keeps flowing: request/response protocols that half-close (HTTP/1.0 clients, `nc -N`) work
//! through the proxy. When a copy fails (a reset), it shuts both sockets down entirely, which ends the other
//! copy too: a relay never outlives its connections.

#[path = "support/accept.rs"]
mod accept;

use coro::net::{Shutdown, TcpListener, TcpStream};
use std::io;
use std::sync::Arc;

/// Copies `from` into `to` until `from` ends, then shuts `to` down for writing; returns the bytes copied.
///
/// If the copy fails instead (a peer reset, a write to a closed peer), both sockets are shut down in both
/// directions: that ends the copy the other way too, blocked as it may be on a read from a peer that will
/// never send again, so the relay ends and both sockets close. (Dropping a `WriteHalf` would not do it: as
/// with std's `try_clone`, the socket stays open while the other half lives.)
#[coro::coroutine]
fn pipe(
    mut from: coro::net::ReadHalf<TcpStream>,
    mut to: coro::net::WriteHalf<TcpStream>,
) -> io::Result<u64> {
    let copied = coro::io::copy(&mut from, &mut to).and_then(|copied| {
        to.as_ref().shutdown(Shutdown::Write)?;
        Ok(copied)
    });
    if copied.is_err() {
        // Either may be closed already (`NotConnected`): nothing left to end there.
        let _ = from.as_ref().shutdown(Shutdown::Both);
        let _ = to.as_ref().shutdown(Shutdown::Both);
    }
    copied
}

#[coro::coroutine]
fn relay(client: TcpStream, upstream: Arc<str>) -> io::Result<()> {
    let server = TcpStream::connect(&*upstream)?;
    server.set_nodelay(true)?;
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let requests = coro::spawn!(pipe(client_read, server_write));
    let responses = pipe(server_read, client_write);
    let requests = requests.join().map_err(io::Error::other)?;
    responses?;
    requests?;
    Ok(())
}

#[coro::main]
fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(listen), Some(upstream)) = (args.next(), args.next()) else {
        eprintln!("usage: proxy LISTEN_ADDR UPSTREAM_ADDR   (e.g. proxy 127.0.0.1:9000 127.0.0.1:8080)");
        std::process::exit(2);
    };
    let listener = TcpListener::bind(listen.as_str())?;
    println!("proxy listening on {}, forwarding to {upstream}", listener.local_addr()?);
    let upstream: Arc<str> = upstream.into();
    accept::accept_forever(&listener, |client, peer| {
        let upstream = upstream.clone();
        drop(coro::spawn!(move || {
            if let Err(err) = relay(client, upstream) {
                eprintln!("{peer}: {err}");
            }
        }));
    });
    Ok(())
}
