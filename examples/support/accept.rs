//! The servers' accept loop (shared by the `http`, `redis`, `chat` and `proxy` examples).

use coro::net::{TcpListener, TcpStream};
use std::net::SocketAddr;

/// Accepts connections for ever, handing each to `serve` with `TCP_NODELAY` set (the servers answer small
/// requests, which Nagle's algorithm would hold back). A failure concerns one connection only: a socket
/// whose option cannot be set (its peer may be gone already) is dropped, and a failed accept (out of file
/// descriptors, say: the listener backs off before the next) is reported; the loop goes on.
#[coro::coroutine]
pub fn accept_forever(listener: &TcpListener, mut serve: impl FnMut(TcpStream, SocketAddr)) {
    loop {
        match listener.accept() {
            Ok((stream, peer)) => match stream.set_nodelay(true) {
                Ok(()) => serve(stream, peer),
                Err(err) => eprintln!("{peer}: {err}"),
            },
            Err(err) => eprintln!("accept failed: {err}"),
        }
    }
}
