//! An echo server: each connection is served by a coroutine of its own, written as blocking code.
//!
//! ```sh
//! cargo run --release --example echo                 # listens on 127.0.0.1:8000
//! cargo run --release --example echo 127.0.0.1:9000  # or where you say
//! CORO_WORKERS=1 cargo run --release --example echo  # on one worker thread
//! nc 127.0.0.1 8000                                   # type a line, get it back
//! ```

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
    let listener = TcpListener::bind(addr.as_str())?;
    println!("echo server listening on {}", listener.local_addr()?);
    loop {
        match listener.accept() {
            Ok((stream, peer)) => {
                // A failure concerns this connection only (its peer may be gone already): drop it, serve on.
                if let Err(err) = stream.set_nodelay(true) {
                    eprintln!("{peer}: {err}");
                    continue;
                }
                // A connection that fails (a peer that resets, say) ends its own coroutine only.
                drop(coro::spawn!(echo(stream)));
            }
            // Out of file descriptors, for instance: the listener backs off before the next accept.
            Err(err) => eprintln!("accept failed: {err}"),
        }
    }
}
