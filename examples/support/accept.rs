//! The servers' accept loop (shared by every example server).

use super::shutdown::{Connection, Graceful};
use coro::net::{TcpListener, TcpStream};
use std::net::SocketAddr;
use std::sync::Arc;

/// Accepts connections until the server stops, handing each to `serve` with `TCP_NODELAY` set (the servers
/// answer small requests, which Nagle's algorithm would hold back) and counted as a live [`Connection`]. A
/// failure concerns one connection only: a socket whose option cannot be set (its peer may be gone
/// already) is dropped, and a failed accept (out of file descriptors, say: the listener backs off before
/// the next) is reported; the loop goes on.
#[coro::coroutine]
pub fn accept_until_stopped(
    listener: &TcpListener,
    graceful: &Arc<Graceful>,
    mut serve: impl FnMut(TcpStream, SocketAddr, Connection),
) {
    loop {
        let accepted = coro::select! {
            accepted = listener.accept() => accepted,
            _ = graceful.stopped() => return,
        };
        match accepted {
            Ok((stream, peer)) => match stream.set_nodelay(true) {
                Ok(()) => serve(stream, peer, graceful.connection()),
                Err(err) => eprintln!("{peer}: {err}"),
            },
            Err(err) => eprintln!("accept failed: {err}"),
        }
    }
}
