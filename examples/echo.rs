//! An echo server: each connection is served by a coroutine of its own, written as blocking code.
//!
//! ```sh
//! cargo run --release --example echo                 # listens on 127.0.0.1:8000
//! cargo run --release --example echo 127.0.0.1:9000  # or where you say
//! CORO_WORKERS=1 cargo run --release --example echo  # on one worker thread
//! nc 127.0.0.1 8000                                   # type a line, get it back
//! ```
//!
//! Ctrl-C (SIGINT) or SIGTERM stops it gracefully, with a summary line (`support/shutdown.rs`).

#[path = "support/accept.rs"]
mod accept;
#[path = "support/shutdown.rs"]
mod shutdown;
#[path = "support/timeouts.rs"]
mod timeouts;

use coro::net::{TcpListener, TcpStream};
use std::io;

#[coro::coroutine]
fn echo(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf)?; // suspends the coroutine, never the thread
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n])?;
    }
}

#[coro::main]
fn main() -> io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8000".to_string());
    // SIGINT or SIGTERM stops the server gracefully (`support/shutdown.rs`).
    let graceful = shutdown::Graceful::on_signals("echo server", None)?;
    let listener = TcpListener::bind(addr.as_str())?;
    println!("echo server listening on {}", listener.local_addr()?);
    accept::accept_until_stopped(&listener, &graceful, |stream, _peer, connection| {
        // A connection that fails (a peer that resets, say) ends its own coroutine only.
        drop(coro::spawn!(connection.serve(stream, |stream, _| echo(stream))));
    });
    graceful.drain();
    Ok(())
}
